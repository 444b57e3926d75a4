"""scikit-learn's own estimator checks, run on latentmix.BayesianGaussianMixture."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import latentmix as lm

SKIPPED: dict[str, str] = {}  # check name -> reason (none: every check runs)


@parametrize_with_checks([lm.BayesianGaussianMixture(n_components=2, device="cpu")],
                         expected_failed_checks=lambda est: SKIPPED)
def test_sklearn_check_estimator(estimator, check):
    check(estimator)
