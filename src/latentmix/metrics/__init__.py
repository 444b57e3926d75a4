"""Metrics: clustering, reconstruction, linear probe, and sample quality.

Sample-quality metrics keep features apart from distances: ``features.py`` holds the frozen
per-dataset classifiers (our stand-in for Inception), ``generation.py`` the distances computed
on feature arrays.
"""

from .clustering import adjusted_rand_index, clustering_accuracy, normalized_mutual_info
from .features import FEATURE_VERSION, FeatureExtractor, get_feature_extractor, train_feature_classifier
from .generation import (
    classifier_score,
    density_coverage,
    evaluate_samples,
    feature_statistics,
    frechet_distance,
    frechet_distance_from_statistics,
    kernel_distance,
    nearest_training_images,
    one_nn_accuracy,
    precision_recall,
)
from .probe import linear_probe_accuracy
from .reconstruction import mse, psnr

__all__ = [
    "clustering_accuracy", "normalized_mutual_info", "adjusted_rand_index", "linear_probe_accuracy", "mse", "psnr",
    "FEATURE_VERSION", "FeatureExtractor", "get_feature_extractor", "train_feature_classifier",
    "classifier_score", "density_coverage", "evaluate_samples", "feature_statistics", "frechet_distance",
    "frechet_distance_from_statistics", "kernel_distance", "nearest_training_images", "one_nn_accuracy",
    "precision_recall",
]
