"""scikit-learn's own estimator checks, run on latentmix's estimators."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import latentmix as lm

# Checks we skip, with the reason. (None today: every check runs.)
SKIPPED: dict[str, str] = {}


@parametrize_with_checks(
    [lm.GaussianMixture(n_components=2, device="cpu"), lm.KMeans(n_clusters=3, n_init=1, device="cpu")],
    expected_failed_checks=lambda est: SKIPPED,
)
def test_sklearn_check_estimator(estimator, check):
    check(estimator)


def test_skip_list_is_documented():
    assert all(reason for reason in SKIPPED.values())
    pytest.importorskip("sklearn")
