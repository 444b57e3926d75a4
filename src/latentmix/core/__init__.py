"""The bottom layer, below both ``models/`` and ``mixture/``: the registry of saveable classes and
saving/loading of (possibly nested) models as run folders, without pickle."""

from .persist import load, save_model
from .registry import class_by_name, get_model_class, model_names, register

__all__ = ["load", "save_model", "register", "class_by_name", "get_model_class", "model_names"]
