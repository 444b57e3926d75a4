"""k-means in PyTorch (used to initialise Gaussian mixtures, and public on its own)."""

from ._kmeans import KMeans, kmeans_plusplus

__all__ = ["KMeans", "kmeans_plusplus"]
