"""Estimators built on neural networks, all trained by :func:`latentmix.train.fit_phases`, and the
composites built from them."""

from ..core.persist import load
from ..core.registry import get_model_class, model_names
from ._mixins import ClusterMixin, GenerativeMixin, OutlierMixin
from .aae import AdversarialAutoEncoder
from .autoencoder import AutoEncoder, DenoisingAutoEncoder
from .gan import GAN
from .latent_gmm import LatentGMM
from .vae import VAE
from .vaegan import VAEGAN

__all__ = ["AutoEncoder", "DenoisingAutoEncoder", "VAE", "GAN", "AdversarialAutoEncoder", "VAEGAN", "LatentGMM",
           "GenerativeMixin", "ClusterMixin", "OutlierMixin", "load", "get_model_class", "model_names"]
