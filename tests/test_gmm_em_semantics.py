"""What EM's bookkeeping means, against scikit-learn: dtype, the lower bound, n_iter_,
converged_, warm starts and max_iter edge cases (float64, same initial parameters)."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning  # latentmix's subclasses it
from sklearn.mixture import GaussianMixture as SkGaussianMixture

import latentmix as lm

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
ATTRIBUTES = ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]


def overlapping(seed=0, n=300, d=3):
    rng = np.random.RandomState(seed)
    return np.concatenate([rng.randn(n // 3, d) @ rng.randn(d, d) * 0.5 + 1.5 * rng.randn(d) for _ in range(3)])


def initial(X, covariance_type, seed=0):
    """Initial parameters both libraries start from (scikit-learn's random_from_data)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = SkGaussianMixture(3, covariance_type=covariance_type, max_iter=1, random_state=seed,
                              init_params="random_from_data").fit(X)
    return dict(weights_init=r.weights_, means_init=r.means_, precisions_init=r.precisions_)


def both(**kw):
    return SkGaussianMixture(**kw), lm.GaussianMixture(**kw, device="cpu")


def assert_same_bookkeeping(ours, sk):
    assert ours.n_iter_ == sk.n_iter_
    assert ours.converged_ == sk.converged_
    assert len(ours.lower_bounds_) == len(sk.lower_bounds_)
    np.testing.assert_allclose(ours.lower_bounds_, sk.lower_bounds_, rtol=1e-12)
    if np.isinf(sk.lower_bound_):
        assert ours.lower_bound_ == sk.lower_bound_
    else:
        assert ours.lower_bound_ == pytest.approx(sk.lower_bound_, rel=1e-12)
    for name in ATTRIBUTES:
        np.testing.assert_allclose(getattr(ours, name), getattr(sk, name), rtol=1e-10, atol=1e-12, err_msg=name)


# ----------------------------------------------------------------------------- dtype
@pytest.mark.parametrize("data_dtype, expected", [(np.float64, np.float64), (np.float32, np.float32),
                                                  (np.int64, np.float64), (np.float16, np.float64)])
def test_dtype_follows_the_input_like_sklearn(data_dtype, expected):
    X = (overlapping() * 4).astype(data_dtype)
    ours = lm.GaussianMixture(3, random_state=0, device="cpu").fit(X)
    sk = SkGaussianMixture(3, random_state=0).fit(X)
    for name in ATTRIBUTES:
        assert getattr(ours, name).dtype == expected == getattr(sk, name).dtype, name
    assert ours.score_samples(X).dtype == expected == sk.score_samples(X).dtype
    assert isinstance(ours.lower_bound_, float) and ours.sample(3)[0].dtype == expected


def test_tensors_keep_their_dtype_and_an_explicit_dtype_wins():
    X = overlapping()
    for dt in (torch.float32, torch.float64):
        g = lm.GaussianMixture(3, random_state=0, device="cpu").fit(torch.as_tensor(X, dtype=dt))
        assert g.means_.dtype == dt and g.precisions_cholesky_.dtype == dt
    assert lm.GaussianMixture(3, random_state=0, dtype="float32", device="cpu").fit(X).means_.dtype == np.float32
    X32 = X.astype(np.float32)
    assert lm.GaussianMixture(3, random_state=0, dtype="float64", device="cpu").fit(X32).means_.dtype == np.float64


def test_saved_model_keeps_the_dtype_it_followed(tmp_path):
    X = overlapping()
    g = lm.GaussianMixture(3, random_state=0, device="cpu").fit(X)
    g.save(tmp_path / "g")
    loaded = lm.load(tmp_path / "g")
    assert loaded.dtype is None and loaded.means_.dtype == np.float64
    np.testing.assert_array_equal(loaded.score_samples(X), g.score_samples(X))


# ----------------------------------------------------------------------------- the lower bound
# reg_covar 0 and the default 1e-6. A large reg_covar (1e-2) makes the M-step maximise a
# penalised likelihood, and the bound (the unpenalised log-likelihood) can then fall by ~1e-5,
# in scikit-learn exactly as here.
@pytest.mark.parametrize("reg_covar", [0.0, 1e-6])
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_lower_bound_never_decreases_in_float64(covariance_type, reg_covar):
    for seed in range(3):
        X = overlapping(seed)
        g = lm.GaussianMixture(3, covariance_type=covariance_type, reg_covar=reg_covar, tol=0, max_iter=60,
                               random_state=seed, init_params="random", device="cpu")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            g.fit(X)
        bounds = np.array(g.lower_bounds_)
        assert len(bounds) == 60
        assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:])), np.diff(bounds).min()


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("max_iter, tol", [(100, 1e-3), (100, 1e-8), (1, 1e-3), (3, 0.0)])
def test_n_iter_converged_and_bounds_match_sklearn(covariance_type, max_iter, tol):
    X = overlapping()
    sk, ours = both(n_components=3, covariance_type=covariance_type, max_iter=max_iter, tol=tol,
                    **initial(X, covariance_type))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.fit(X), ours.fit(X)
    assert_same_bookkeeping(ours, sk)
    if max_iter == 100 and tol == 1e-3:
        assert ours.converged_ and ours.n_iter_ == len(ours.lower_bounds_) > 1


def test_max_iter_zero_keeps_the_initial_parameters_like_sklearn():
    X = overlapping()
    init = initial(X, "full")
    ours = lm.GaussianMixture(3, max_iter=0, n_init=2, device="cpu", **init)
    # scikit-learn fails at max_iter=0 with precisions_init (no covariances_), so its
    # bookkeeping is taken from a fit that initialises the covariances itself
    sk = SkGaussianMixture(3, max_iter=0, n_init=2, means_init=init["means_init"], random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # neither warns at max_iter=0
        sk.fit(X), ours.fit(X)
    for g in (ours, sk):
        assert g.n_iter_ == 0 and g.lower_bound_ == -np.inf and list(g.lower_bounds_) == []
        assert g.converged_ is False
    np.testing.assert_allclose(ours.means_, init["means_init"], rtol=1e-14)
    np.testing.assert_allclose(ours.weights_, init["weights_init"], rtol=1e-14)
    np.testing.assert_allclose(ours.precisions_, init["precisions_init"], rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_warm_start_continues_like_sklearn(covariance_type):
    X = overlapping(1)
    sk, ours = both(n_components=3, covariance_type=covariance_type, max_iter=4, tol=1e-4, warm_start=True,
                    **initial(X, covariance_type, seed=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(40):
            sk.fit(X), ours.fit(X)
            assert_same_bookkeeping(ours, sk)
            if ours.converged_:
                break
        assert ours.converged_
        ours.fit(X), sk.fit(X)  # a converged model's next fit stops after one step: its first
        assert_same_bookkeeping(ours, sk)  # change is measured from the previous fit's bound
    assert ours.n_iter_ == 1 and ours.converged_
