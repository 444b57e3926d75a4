"""Linear-probe accuracy: how linearly separable the classes are in a feature space."""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
import torch

from ..exceptions import DataError, InvalidParameterError

__all__ = ["linear_probe_accuracy", "choose_C", "check_C", "C_GRID"]


def _numpy(a, name: str) -> np.ndarray:
    arr = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    if arr.shape[0] == 0:
        raise DataError(f"{name} is empty")
    return arr


C_GRID = (0.01, 0.1, 1.0, 10.0)


def _fit(F: np.ndarray, y: np.ndarray, C: float, max_iter: int):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LogisticRegression(max_iter=max_iter, C=C).fit(F, y)


def check_C(C) -> float | str:
    """``C`` as the probe takes it: ``"auto"`` or a positive finite float; else InvalidParameterError."""
    if isinstance(C, str) and C == "auto":
        return C
    if isinstance(C, bool) or not isinstance(C, Real) or not 0 < C < float("inf"):
        raise InvalidParameterError(f"C must be a positive number or 'auto'; got {C!r}")
    return float(C)


def choose_C(features: np.ndarray, labels: np.ndarray, *, grid=C_GRID, held_out: float = 0.1, seed: int = 0,
             max_iter: int = 1000) -> float:
    """The inverse regularisation strength of the grid with the best accuracy on a random
    ``held_out`` fraction of the (standardised) training features, the others fitting the probe;
    ties go to the stronger regularisation (the smaller C)."""
    grid = sorted(grid)
    perm = np.random.default_rng(seed).permutation(len(features))
    n_val = max(1, int(round(held_out * len(features))))
    val, fit = perm[:n_val], perm[n_val:]
    if len(np.unique(labels[fit])) < 2:
        raise DataError("too few labelled rows to choose C on a held-out split; pass a number for C")
    scores = [_fit(features[fit], labels[fit], c, max_iter).score(features[val], labels[val]) for c in grid]
    return float(grid[int(np.argmax(scores))])


def linear_probe_accuracy(train_features, train_labels, test_features, test_labels, *,
                          max_iter: int = 1000, C: float | str = 1.0, return_C: bool = False):
    """Fit a multinomial logistic regression (scikit-learn, standardised features) on the train
    features and return its accuracy on the test features: the linear-evaluation protocol of
    representation learning (e.g. Chen et al., 2020, SimCLR).

    ``C`` is scikit-learn's inverse regularisation strength, or ``"auto"``: chosen from
    :data:`C_GRID` on 10% of the train features held out (:func:`choose_C`), then refitted on all
    of them; the test split is only scored once. ``return_C=True`` returns ``(accuracy, C)``.
    """
    C = check_C(C)
    Ftr = _numpy(train_features, "train_features").reshape(len(train_features), -1)
    Fte = _numpy(test_features, "test_features").reshape(len(test_features), -1)
    ytr, yte = _numpy(train_labels, "train_labels"), _numpy(test_labels, "test_labels")
    if len(Ftr) != len(ytr) or len(Fte) != len(yte):
        raise DataError("features and labels have different numbers of rows")
    if Ftr.shape[1] != Fte.shape[1]:
        raise DataError(f"train features have {Ftr.shape[1]} columns, test features {Fte.shape[1]}")
    if not (np.isfinite(Ftr).all() and np.isfinite(Fte).all()):
        raise DataError("features contain NaN or infinity")
    if len(np.unique(ytr)) < 2:
        raise DataError("train_labels hold a single class; a probe needs at least two")
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(Ftr)
    Ftr, Fte = scaler.transform(Ftr), scaler.transform(Fte)
    if C == "auto":
        C = choose_C(Ftr, ytr, max_iter=max_iter)
    accuracy = float(_fit(Ftr, ytr, C, max_iter).score(Fte, yte))
    return (accuracy, C) if return_C else accuracy
