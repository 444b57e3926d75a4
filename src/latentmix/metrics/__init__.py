"""Metrics: clustering, reconstruction, linear probe; generation metrics join later."""

from .clustering import adjusted_rand_index, clustering_accuracy, normalized_mutual_info
from .probe import linear_probe_accuracy
from .reconstruction import mse, psnr

__all__ = ["clustering_accuracy", "normalized_mutual_info", "adjusted_rand_index",
           "linear_probe_accuracy", "mse", "psnr"]
