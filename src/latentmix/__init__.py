"""latentmix: autoencoders, GANs, Gaussian mixtures fitted by EM, and the hybrids that combine them."""

from . import datasets, exceptions, metrics, priors
from .cluster import KMeans, kmeans_plusplus
from .mixture import BayesianGaussianMixture, GaussianMixture, select_n_components
from .models import (
    GAN,
    VAE,
    VAEGAN,
    AdversarialAutoEncoder,
    AutoEncoder,
    DenoisingAutoEncoder,
    LatentGMM,
    load,
)
from .tasks import AnomalyDetector, DeepClustering

__version__ = "0.1.0"

__all__ = [
    "AutoEncoder",
    "DenoisingAutoEncoder",
    "VAE",
    "GAN",
    "AdversarialAutoEncoder",
    "VAEGAN",
    "LatentGMM",
    "DeepClustering",
    "AnomalyDetector",
    "priors",
    "load",
    "metrics",
    "GaussianMixture",
    "BayesianGaussianMixture",
    "KMeans",
    "datasets",
    "exceptions",
    "kmeans_plusplus",
    "select_n_components",
    "__version__",
]
