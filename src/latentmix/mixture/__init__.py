"""Mixture models fitted by EM."""

from ._selection import select_n_components
from .bayesian_mixture import BayesianGaussianMixture
from .gaussian_mixture import GaussianMixture

__all__ = ["GaussianMixture", "BayesianGaussianMixture", "select_n_components"]
