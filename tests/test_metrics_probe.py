"""The linear probe (logistic regression on frozen features), its C selection and its input checks."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from latentmix.exceptions import DataError, InvalidParameterError
from latentmix.metrics import linear_probe_accuracy
from latentmix.metrics.probe import C_GRID, choose_C

pytestmark = pytest.mark.usefixtures("one_thread")


def digits_split():
    X, y = load_digits(return_X_y=True)
    return X[:1200], y[:1200], X[1200:], y[1200:]


def test_digits_pixels_are_linearly_separable_and_auto_C_is_from_the_grid():
    Xtr, ytr, Xte, yte = digits_split()
    assert linear_probe_accuracy(Xtr, ytr, Xte, yte) > 0.9
    accuracy, C = linear_probe_accuracy(Xtr, ytr, Xte, yte, C="auto", return_C=True)
    assert accuracy > 0.9 and C in C_GRID
    assert linear_probe_accuracy(Xtr, ytr, Xte, yte, C="auto", return_C=True) == (accuracy, C)  # deterministic


def test_choose_C_prefers_strong_regularisation_when_most_features_are_noise():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 80)
    F = rng.normal(size=(80, 300))
    F[:, 0] += 1.5 * (2 * y - 1)  # one informative column among 300
    assert choose_C(F, y) < 1.0
    # with many rows and few clean features, weak regularisation is at least as good
    y = rng.integers(0, 3, 3000)
    F = rng.normal(size=(3000, 3)) * 0.3 + np.eye(3)[y]
    assert linear_probe_accuracy(F[:2000], y[:2000], F[2000:], y[2000:], C="auto") > 0.9


@pytest.mark.parametrize("change, error, match", [
    (dict(C="best"), InvalidParameterError, "C must be"),
    (dict(C=0.0), InvalidParameterError, "C must be"),
    (dict(C=True), InvalidParameterError, "C must be"),
    (dict(C=float("inf")), InvalidParameterError, "C must be"),
    (dict(test_features=np.zeros((597, 10))), DataError, "columns"),
    (dict(train_features=np.full((1200, 64), np.nan)), DataError, "NaN"),
    (dict(train_labels=np.zeros(1200)), DataError, "single class"),
    (dict(train_labels=np.zeros(5)), DataError, "numbers of rows"),
    (dict(train_features=np.zeros((0, 64))), DataError, "empty"),
])
def test_bad_inputs_name_the_problem(change, error, match):
    Xtr, ytr, Xte, yte = digits_split()
    args = dict(train_features=Xtr, train_labels=ytr, test_features=Xte, test_labels=yte)
    C = change.pop("C", 1.0)
    args.update(change)
    with pytest.raises(error, match=match):
        linear_probe_accuracy(**args, C=C)
