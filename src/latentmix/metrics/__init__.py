"""Metrics: clustering quality now; generation and reconstruction metrics join later."""

from .clustering import adjusted_rand_index, clustering_accuracy, normalized_mutual_info

__all__ = ["clustering_accuracy", "normalized_mutual_info", "adjusted_rand_index"]
