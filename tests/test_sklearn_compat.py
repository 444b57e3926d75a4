"""scikit-learn's own estimator checks, run on latentmix's estimators."""

import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_estimators_fit_returns_self,
    estimator_checks_generator,
    parametrize_with_checks,
)

import latentmix as lm

# Checks we skip: check function name -> reason. (None today: every check runs.)
SKIPPED: dict[str, str] = {}
ESTIMATORS = [lm.GaussianMixture(n_components=2, device="cpu"), lm.KMeans(n_clusters=3, n_init=1, device="cpu")]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: SKIPPED)
def test_sklearn_check_estimator(estimator, check):
    check(estimator)


def _name(check) -> str:
    return getattr(check, "func", check).__name__


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_skip_list_names_real_checks_and_says_why(estimator):
    names = {_name(check) for _, check in estimator_checks_generator(clone(estimator))}
    assert len(names) >= 30, sorted(names)  # the common checks are really generated
    assert {"check_fit_idempotent", "check_estimators_dtypes", "check_fit2d_1sample"} <= names
    assert not set(SKIPPED) - names, "a skipped check that scikit-learn no longer has"
    assert all(isinstance(reason, str) and reason.strip() for reason in SKIPPED.values())


def test_the_checks_catch_a_broken_estimator():
    """The harness above can fail: a mixture whose fit forgets to return self is caught."""

    class Broken(lm.GaussianMixture):
        def fit(self, X, y=None):
            super().fit(X)

    with pytest.raises(AssertionError):
        check_estimators_fit_returns_self("Broken", Broken(n_components=2, device="cpu"))
