"""A small registry: CLI names and saved class names -> model classes (no string dispatch in code)."""

from __future__ import annotations

from ..exceptions import InvalidParameterError

__all__ = ["register", "get_model_class", "model_names", "class_by_name"]

_BY_ALIAS: dict[str, type] = {}
_BY_CLASS: dict[str, type] = {}


def register(*aliases: str):
    """Class decorator: ``@register("ae")`` makes the class loadable and trainable from the CLI."""

    def decorate(cls: type) -> type:
        _BY_CLASS[cls.__name__] = cls
        for alias in aliases:
            _BY_ALIAS[alias] = cls
        return cls

    return decorate


#: The packages whose classes register themselves when imported (``import latentmix`` imports
#: them lazily, so a look-up that misses imports them all first).
_REGISTERING = ("latentmix.priors", "latentmix.mixture", "latentmix.models", "latentmix.tasks")


def _import_all() -> None:
    import importlib

    for module in _REGISTERING:
        importlib.import_module(module)


def model_names() -> list[str]:
    _import_all()
    return sorted(_BY_ALIAS)


def get_model_class(alias: str) -> type:
    if alias not in _BY_ALIAS:
        _import_all()
    try:
        return _BY_ALIAS[alias]
    except KeyError:
        raise InvalidParameterError(
            f"unknown model {alias!r}; choose one of: {', '.join(model_names())}"
        ) from None


def class_by_name(name: str) -> type | None:
    if name not in _BY_CLASS:
        _import_all()
    return _BY_CLASS.get(name)
