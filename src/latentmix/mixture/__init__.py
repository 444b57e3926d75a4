"""Mixture models fitted by EM."""

from ._selection import select_n_components
from .gaussian_mixture import GaussianMixture

__all__ = ["GaussianMixture", "select_n_components"]
