"""Estimators built on neural networks, all trained by :func:`latentmix.train.fit_phases`."""

from ._persist import load
from ._registry import get_model_class, model_names
from .autoencoder import AutoEncoder, DenoisingAutoEncoder
from .gan import GAN
from .vae import VAE

__all__ = ["AutoEncoder", "DenoisingAutoEncoder", "VAE", "GAN", "load", "get_model_class", "model_names"]
