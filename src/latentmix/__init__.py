"""latentmix: autoencoders, GANs, Gaussian mixtures fitted by EM, and the hybrids that combine them."""

from . import datasets, exceptions
from .cluster import KMeans, kmeans_plusplus
from .mixture import GaussianMixture, select_n_components

__version__ = "0.1.0"

__all__ = [
    "GaussianMixture",
    "KMeans",
    "datasets",
    "exceptions",
    "kmeans_plusplus",
    "select_n_components",
    "__version__",
]
