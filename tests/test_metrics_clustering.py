"""Clustering metrics on cases with a known answer."""

import itertools

import numpy as np
import pytest

from latentmix import metrics
from latentmix.exceptions import DataError


def test_accuracy_is_one_for_a_relabelled_clustering():
    y = np.array([0, 0, 1, 1, 2, 2, 2])
    assert metrics.clustering_accuracy(y, (y + 1) % 3) == 1.0
    assert metrics.normalized_mutual_info(y, (y + 1) % 3) == pytest.approx(1.0)
    assert metrics.adjusted_rand_index(y, (y + 1) % 3) == pytest.approx(1.0)


def test_accuracy_equals_brute_force_over_all_maps():
    rng = np.random.RandomState(0)
    y, pred = rng.randint(0, 4, 200), rng.randint(0, 4, 200)
    best = max(np.mean(np.array(perm)[pred] == y) for perm in itertools.permutations(range(4)))
    assert metrics.clustering_accuracy(y, pred) == pytest.approx(best)


def test_more_clusters_than_classes():
    y = np.array([0, 0, 1, 1])
    assert metrics.clustering_accuracy(y, np.array([0, 1, 2, 3])) == 0.5


@pytest.mark.parametrize("y_true, y_pred, message", [
    ([0, 1], [0, 1, 1], "different lengths"),
    ([[0, 1]], [0, 1], "1-D"),
    ([], [], "empty"),
    ([0.5, 1], [0, 1], "integer"),
])
def test_bad_labels(y_true, y_pred, message):
    with pytest.raises(DataError, match=message):
        metrics.clustering_accuracy(np.array(y_true), np.array(y_pred))
