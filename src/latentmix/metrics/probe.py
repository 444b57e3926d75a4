"""Linear-probe accuracy: how linearly separable the classes are in a feature space."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from ..exceptions import DataError

__all__ = ["linear_probe_accuracy"]


def _numpy(a, name: str) -> np.ndarray:
    arr = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    if arr.shape[0] == 0:
        raise DataError(f"{name} is empty")
    return arr


def linear_probe_accuracy(train_features, train_labels, test_features, test_labels, *,
                          max_iter: int = 1000, C: float = 1.0) -> float:
    """Fit a multinomial logistic regression (scikit-learn, standardised features) on the train
    features and return its accuracy on the test features: the linear-evaluation protocol of
    representation learning (e.g. Chen et al., 2020, SimCLR)."""
    Ftr = _numpy(train_features, "train_features").reshape(len(train_features), -1)
    Fte = _numpy(test_features, "test_features").reshape(len(test_features), -1)
    ytr, yte = _numpy(train_labels, "train_labels"), _numpy(test_labels, "test_labels")
    if len(Ftr) != len(ytr) or len(Fte) != len(yte):
        raise DataError("features and labels have different numbers of rows")
    if not (np.isfinite(Ftr).all() and np.isfinite(Fte).all()):
        raise DataError("features contain NaN or infinity")
    scaler = StandardScaler().fit(Ftr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = LogisticRegression(max_iter=max_iter, C=C).fit(scaler.transform(Ftr), ytr)
    return float(clf.score(scaler.transform(Fte), yte))
