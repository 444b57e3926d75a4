"""The tasks people come for, as compositions of the library's models: deep clustering
(:class:`DeepClustering`) and anomaly detection with PyOD's conventions (:class:`AnomalyDetector`)."""

from .anomaly import ANOMALY_METHODS, AnomalyDetector
from .clustering import CLUSTERING_METHODS, DeepClustering

__all__ = ["DeepClustering", "AnomalyDetector", "CLUSTERING_METHODS", "ANOMALY_METHODS"]
