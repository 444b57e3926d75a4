"""Errors a scikit-learn user may match on, and the scores they compare, against scikit-learn
itself: same exception type, scikit-learn's message first; bic/aic/score/predict_proba/sample."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.mixture import GaussianMixture as SkGaussianMixture

import latentmix as lm

rng = np.random.RandomState(0)
X = np.concatenate([rng.randn(60, 3) + c for c in ([0, 0, 0], [6, 0, 0], [0, 6, 6])])
SPD = np.eye(3) * 2.0
ASYM = np.array([[1, 2, 0], [0, 1, 0], [0, 0, 1.0]])
BAD = [  # (parameters, what goes wrong)
    (dict(weights_init=[0.5, 0.5]), "weights: wrong length"),
    (dict(weights_init=[[0.2, 0.3, 0.5]]), "weights: wrong ndim"),
    (dict(weights_init=[0.5, 0.2, 0.2]), "weights: not normalised"),
    (dict(weights_init=[1.5, -0.25, -0.25]), "weights: out of range"),
    (dict(means_init=np.zeros((3, 2))), "means: wrong shape"),
    (dict(means_init=np.zeros(9)), "means: wrong ndim"),
    (dict(precisions_init=np.ones((3, 2, 2))), "full precisions: wrong shape"),
    (dict(precisions_init=np.stack([-np.eye(3)] * 3)), "full precisions: negative definite"),
    (dict(precisions_init=np.stack([ASYM] * 3)), "full precisions: not symmetric"),
    (dict(covariance_type="tied", precisions_init=np.stack([SPD] * 3)), "tied precision: wrong ndim"),
    (dict(covariance_type="tied", precisions_init=-SPD), "tied precision: not positive definite"),
    (dict(covariance_type="diag", precisions_init=np.ones((3, 4))), "diag precisions: wrong shape"),
    (dict(covariance_type="diag", precisions_init=-np.ones((3, 3))), "diag precisions: negative"),
    (dict(covariance_type="spherical", precisions_init=np.ones(4)), "spherical precisions: wrong shape"),
    (dict(covariance_type="spherical", precisions_init=np.zeros(3)), "spherical precisions: zero"),
]


def component_covariance(model, k, d):
    """Component k's (d, d) covariance, whatever the covariance type."""
    cov = model.covariances_
    return {"full": lambda: cov[k], "tied": lambda: cov, "diag": lambda: np.diag(cov[k]),
            "spherical": lambda: cov[k] * np.eye(d)}[model.covariance_type]()


def errors(data, **params):
    """The exceptions scikit-learn's and latentmix's fit raise (None if one does not)."""
    found = []
    for make in (lambda: SkGaussianMixture(**params), lambda: lm.GaussianMixture(**params, device="cpu")):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                make().fit(data)
            found.append(None)
        except Exception as exc:  # noqa: BLE001 - compared below
            found.append(exc)
    return found


def assert_same_error(sk, ours):
    assert sk is not None and ours is not None, (sk, ours)
    assert isinstance(ours, type(sk)), (type(sk), type(ours))  # ours subclass scikit-learn's types
    expected = str(sk)
    if "should be in the range [0, 1]" in expected:  # scikit-learn 1.9 swaps max and min here;
        expected = expected.split(" but got")[0]     # ours reports them the right way round
    assert str(ours).startswith(expected), f"\nsklearn:   {sk}\nlatentmix: {ours}"


@pytest.mark.parametrize("params, what", BAD, ids=[w for _, w in BAD])
def test_bad_initial_parameters_raise_sklearns_error(params, what):
    assert_same_error(*errors(X, **{"n_components": 3, **params}))


def test_fewer_samples_than_components():
    assert_same_error(*errors(X[:3], n_components=5))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_ill_defined_covariance(covariance_type, dtype):
    collapsed = np.repeat(np.array([[1.0, 2.0], [3.0, 4.0]]), 10, axis=0).astype(dtype)
    sk, ours = errors(collapsed, n_components=2, covariance_type=covariance_type, reg_covar=0.0,
                      random_state=0)
    if covariance_type in ("tied", "spherical") and (sk is None or ours is None):
        # pooled variances: rounding decides whether they come out exactly 0 (scikit-learn fits
        # spherical here with a variance of ~1e-16); ours either fits or says what sklearn says
        if ours is None:
            return
        sk = ValueError("Fitting the mixture model failed because some components have ill-defined "
                        "empirical covariance")
    assert_same_error(sk, ours)
    assert "latentmix:" in str(ours) and "dtype='float64'" in str(ours)  # our advice comes after


# ----------------------------------------------------------------------------- scores
def fitted_pair(data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkGaussianMixture(**kw).fit(data)
        init = dict(weights_init=sk.weights_, means_init=sk.means_, precisions_init=sk.precisions_)
        ours = lm.GaussianMixture(**{**kw, **init}, max_iter=0, device="cpu").fit(data)  # sk's model
    return sk, ours


@pytest.mark.parametrize("n_components", [1, 3])
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_bic_aic_on_one_dimensional_data(covariance_type, n_components):
    data = np.concatenate([rng.randn(50) * 0.3 - 2, rng.randn(80) + 1, rng.randn(40) * 2 + 6])[:, None]
    sk, ours = fitted_pair(data, n_components=n_components, covariance_type=covariance_type, random_state=0)
    assert ours.bic(data) == pytest.approx(sk.bic(data), rel=1e-7)
    assert ours.aic(data) == pytest.approx(sk.aic(data), rel=1e-7)
    assert ours._n_parameters() == sk._n_parameters()


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_scores_match_sklearn_to_1e10_in_float64(covariance_type):
    sk, ours = fitted_pair(X, n_components=3, covariance_type=covariance_type, random_state=0)
    far = X * 3 + 5  # also away from the data, where densities are tiny
    for data in (X, far):
        np.testing.assert_allclose(ours.score_samples(data), sk.score_samples(data), rtol=1e-10)
        assert ours.score(data) == pytest.approx(sk.score(data), rel=1e-10)
        np.testing.assert_allclose(ours.predict_proba(data), sk.predict_proba(data), rtol=1e-10, atol=1e-10)
        np.testing.assert_array_equal(ours.predict(data), sk.predict(data))


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_sample_is_scikit_learns_distribution_to_1e10(covariance_type):
    """Both libraries draw x = mean_k + A_k z with A_k A_k^T = Sigma_k; the draws differ (numpy's
    and torch's generators), so check A_k: rebuild z from our generator and compare the rows
    with scikit-learn's mean + Cholesky(covariance) z."""
    sk, ours = fitted_pair(X, n_components=3, covariance_type=covariance_type, random_state=0)
    d = X.shape[1]
    for k in range(3):
        x, y = ours.sample(200, seed=k, component=k)
        z = torch.randn(200, d, generator=torch.Generator().manual_seed(k), dtype=torch.float64).numpy()
        cov = component_covariance(sk, k, d)
        expected = sk.means_[k] + z @ np.linalg.cholesky(cov).T
        np.testing.assert_allclose(x, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())
        assert x.dtype == sk.sample(5)[0].dtype
    counts = np.bincount(ours.sample(20000, seed=1)[1], minlength=3) / 20000
    np.testing.assert_allclose(counts, sk.weights_, atol=0.015)
