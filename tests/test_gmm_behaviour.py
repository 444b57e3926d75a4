"""Invariants, input checking and degenerate data for GaussianMixture and KMeans."""

import warnings

import numpy as np
import pytest
import torch

import latentmix as lm
from latentmix.exceptions import (
    ConvergenceWarning,
    DataError,
    FittingError,
    InvalidParameterError,
    NotFittedError,
)


@pytest.fixture(scope="module")
def X():
    rng = np.random.RandomState(0)
    return np.concatenate([rng.randn(150, 3) + c for c in ([0, 0, 0], [6, 0, 0], [0, 6, 6])])


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_fit_predict_equals_fit_then_predict(X, covariance_type):
    g = lm.GaussianMixture(3, covariance_type=covariance_type, random_state=1, device="cpu")
    labels = g.fit_predict(X)
    np.testing.assert_array_equal(labels, g.predict(X))
    np.testing.assert_array_equal(labels, g.predict_proba(X).argmax(1))
    np.testing.assert_allclose(g.predict_proba(X).sum(1), 1.0, rtol=1e-5)


def test_same_seed_same_model_other_seed_may_differ(X):
    a = lm.GaussianMixture(3, init_params="random", random_state=5, device="cpu").fit(X)
    b = lm.GaussianMixture(3, init_params="random", random_state=5, device="cpu").fit(X)
    np.testing.assert_array_equal(a.means_, b.means_)
    assert a.lower_bound_ == b.lower_bound_


def test_numpy_in_numpy_out_torch_in_torch_out(X):
    g = lm.GaussianMixture(3, random_state=0, device="cpu").fit(X)
    assert isinstance(g.means_, np.ndarray) and isinstance(g.predict(X), np.ndarray)
    Xt = torch.as_tensor(X, dtype=torch.float32)
    gt = lm.GaussianMixture(3, random_state=0, device="cpu").fit(Xt)
    assert isinstance(gt.means_, torch.Tensor)
    for out in (gt.predict(Xt), gt.predict_proba(Xt), gt.score_samples(Xt), gt.sample(4)[0]):
        assert isinstance(out, torch.Tensor) and out.device == Xt.device
    assert isinstance(gt.predict(X), np.ndarray)  # a fitted model answers numpy with numpy


def test_sample_follows_the_model(X):
    g = lm.GaussianMixture(3, random_state=0, device="cpu", dtype="float64").fit(X)
    samples, labels = g.sample(30000)
    assert samples.shape == (30000, 3) and labels.shape == (30000,)
    assert np.all(np.diff(labels) >= 0)  # grouped by component, like scikit-learn
    np.testing.assert_allclose(np.bincount(labels, minlength=3) / 30000, g.weights_, atol=0.02)
    for j in range(3):
        np.testing.assert_allclose(samples[labels == j].mean(0), g.means_[j], atol=0.1)
        np.testing.assert_allclose(np.cov(samples[labels == j].T), g.covariances_[j], atol=0.15)
    with pytest.raises(InvalidParameterError, match="n_samples"):
        g.sample(0)


def test_warm_start_continues_from_the_fitted_model(X):
    g = lm.GaussianMixture(3, max_iter=2, tol=0, random_state=0, warm_start=True, device="cpu")
    with pytest.warns(ConvergenceWarning):
        g.fit(X)
    first = g.lower_bounds_[-1]
    with pytest.warns(ConvergenceWarning):
        g.fit(X)
    assert g.lower_bounds_[0] >= first - 1e-6


def test_more_restarts_never_worse(X):
    one = lm.GaussianMixture(3, init_params="random", n_init=1, random_state=0, device="cpu").fit(X)
    many = lm.GaussianMixture(3, init_params="random", n_init=5, random_state=0, device="cpu").fit(X)
    assert many.lower_bound_ >= one.lower_bound_ - 1e-6


def test_chunk_size_does_not_change_the_fit(X):
    kw = dict(n_components=3, random_state=0, dtype="float64", device="cpu")
    a = lm.GaussianMixture(**kw, chunk_size=7).fit(X)
    b = lm.GaussianMixture(**kw).fit(X)
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-10)
    assert a.lower_bound_ == pytest.approx(b.lower_bound_, rel=1e-12)


def test_reg_covar_matrix_is_added_to_every_covariance(X):
    d = X.shape[1]
    reg = np.diag([0.5, 1.0, 2.0])
    init = dict(means_init=np.array([[0, 0, 0], [6, 0, 0], [0, 6, 6.0]]), random_state=0, device="cpu")
    a = lm.GaussianMixture(3, reg_covar=reg, max_iter=1, dtype="float64", **init)
    b = lm.GaussianMixture(3, reg_covar=0.0, max_iter=1, dtype="float64", **init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a.fit(X), b.fit(X)
    # One M-step from the same initial responsibilities: covariances differ by exactly reg.
    a0 = lm.GaussianMixture(3, reg_covar=reg, max_iter=0, dtype="float64", **init).fit(X)
    b0 = lm.GaussianMixture(3, reg_covar=0.0, max_iter=0, dtype="float64", **init).fit(X)
    np.testing.assert_allclose(a0.covariances_ - b0.covariances_, np.repeat(reg[None], 3, 0), atol=1e-9)
    with pytest.raises(InvalidParameterError, match="positive definite"):
        lm.GaussianMixture(3, reg_covar=-np.eye(d), device="cpu").fit(X)
    with pytest.raises(InvalidParameterError, match="shape"):
        lm.GaussianMixture(3, reg_covar=np.eye(d + 1), device="cpu").fit(X)


def test_select_n_components_finds_the_three_blobs(X):
    result = lm.select_n_components(X, [1, 2, 3, 4, 5], criterion="bic", random_state=0, device="cpu")
    assert result.best_n_components == 3
    assert [row["n_components"] for row in result.table] == [1, 2, 3, 4, 5]
    model, table = result
    assert model is result.best_model and model.n_components == 3
    with pytest.raises(InvalidParameterError, match="criterion"):
        lm.select_n_components(X, [2], criterion="likelihood")
    with pytest.raises(InvalidParameterError, match="candidates"):
        lm.select_n_components(X, [0, 2])


# ----------------------------------------------------------------------------- bad input
BAD_DATA = [
    (np.array([[0.0, np.nan], [1, 2], [3, 4]]), DataError, "NaN"),
    (np.array([[0.0, np.inf], [1, 2], [3, 4]]), DataError, "infinity"),
    (np.arange(10.0), DataError, "Expected a 2-D array.*reshape"),
    (np.zeros((4, 2, 2)), DataError, "Expected a 2-D array"),
    (np.zeros((0, 3)), DataError, "0 sample"),
    (np.array([["a", "b"], ["c", "d"]]), DataError, "real numbers"),
    ("not an array", InvalidParameterError, "numpy array"),
]


@pytest.mark.parametrize("data, error, message", BAD_DATA)
def test_bad_data_gives_a_clear_error(data, error, message):
    with pytest.raises(error, match=message):
        lm.GaussianMixture(2, device="cpu").fit(data)
    with pytest.raises(error, match=message):
        lm.KMeans(2, device="cpu").fit(data)


def test_fewer_samples_than_components(X):
    with pytest.raises(DataError, match="n_samples >= n_components"):
        lm.GaussianMixture(5, device="cpu").fit(X[:3])


@pytest.mark.parametrize("params, message", [
    (dict(covariance_type="banana"), "covariance_type"),
    (dict(n_components=0), "n_components"),
    (dict(tol=-1.0), "tol"),
    (dict(reg_covar=-1e-3), "reg_covar"),
    (dict(init_params="best"), "init_params"),
    (dict(max_iter=1.5), "max_iter"),
    (dict(random_state="seed"), "random_state"),
    (dict(dtype="float16"), "dtype"),
    (dict(device="tpu"), "device"),
    (dict(chunk_size=0), "chunk_size"),
])
def test_bad_parameters_name_the_parameter(X, params, message):
    with pytest.raises(InvalidParameterError, match=message):
        lm.GaussianMixture(**{"n_components": 2, **params}).fit(X)


def test_cuda_asked_for_without_cuda(X):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(InvalidParameterError, match="CUDA is not available"):
        lm.GaussianMixture(2, device="cuda").fit(X)


@pytest.mark.parametrize("params, message", [
    (dict(weights_init=[0.5, 0.5]), "weights.*shape"),
    (dict(weights_init=[0.5, 0.2, 0.2]), "normalized"),
    (dict(weights_init=[1.5, -0.25, -0.25]), "range"),
    (dict(means_init=np.zeros((3, 2))), "means.*shape"),
    (dict(precisions_init=np.ones((3, 2, 2))), "precision.*shape"),
    (dict(precisions_init=np.stack([-np.eye(3)] * 3)), "positive-definite"),
    (dict(precisions_init=np.stack([[[1, 2, 0], [0, 1, 0], [0, 0, 1.0]]] * 3)), "symmetric"),
])
def test_bad_initial_parameters(X, params, message):
    with pytest.raises(DataError, match=message):
        lm.GaussianMixture(3, device="cpu", **params).fit(X)


def test_wrong_feature_count_at_predict(X):
    g = lm.GaussianMixture(2, random_state=0, device="cpu").fit(X)
    with pytest.raises(DataError, match="expecting 3 features"):
        g.predict(X[:, :2])


def test_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted"):
        lm.GaussianMixture(2).predict(np.zeros((3, 2)))
    with pytest.raises(NotFittedError):
        lm.KMeans(2).predict(np.zeros((3, 2)))


# ----------------------------------------------------------------------------- degenerate data
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_duplicated_points_and_constant_feature_fit_without_nan(X, dtype, covariance_type):
    degenerate = np.concatenate([X, np.repeat(X[:1], 50, 0)])  # a pile of identical points
    degenerate = np.column_stack([degenerate, np.full(len(degenerate), 7.0)])  # constant feature
    g = lm.GaussianMixture(4, covariance_type=covariance_type, random_state=0, dtype=dtype,
                           device="cpu").fit(degenerate)
    for name in ["weights_", "means_", "covariances_", "precisions_cholesky_"]:
        assert np.isfinite(getattr(g, name)).all(), name
    assert np.isfinite(g.score_samples(degenerate)).all()


def test_collapse_without_regularisation_gives_advice():
    X = np.repeat(np.array([[1.0, 2.0], [3.0, 4.0]]), 10, axis=0)
    with pytest.raises(FittingError, match="decrease the number of components, increase reg_covar, or scale"):
        lm.GaussianMixture(2, reg_covar=0.0, random_state=0, device="cpu").fit(X)


def test_max_iter_reached_warns(X):
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        lm.GaussianMixture(3, max_iter=1, tol=0, random_state=0, device="cpu").fit(X)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_save_load_round_trip(X, tmp_path, covariance_type):
    g = lm.GaussianMixture(3, covariance_type=covariance_type, random_state=0, device="cpu").fit(X)
    g.save(tmp_path / "gmm")
    loaded = lm.load(tmp_path / "gmm")
    assert isinstance(loaded, lm.GaussianMixture) and loaded.get_params() == g.get_params()
    np.testing.assert_array_equal(loaded.predict(X), g.predict(X))
    np.testing.assert_allclose(loaded.score_samples(X), g.score_samples(X), rtol=1e-6)
    np.testing.assert_allclose(loaded.means_, g.means_)
    assert loaded.converged_ == g.converged_ and loaded.n_iter_ == g.n_iter_


def test_load_corrupted_weights(X, tmp_path):
    from latentmix.exceptions import CheckpointError

    lm.GaussianMixture(2, random_state=0, device="cpu").fit(X).save(tmp_path / "gmm")
    weights = tmp_path / "gmm" / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:40])
    with pytest.raises(CheckpointError, match="corrupted"):
        lm.load(tmp_path / "gmm")


def test_save_load_with_array_parameters(X, tmp_path):
    g = lm.GaussianMixture(3, means_init=X[[0, 150, 300]], reg_covar=np.eye(3) * 1e-3, device="cpu").fit(X)
    g.save(tmp_path / "gmm")
    loaded = lm.load(tmp_path / "gmm")
    np.testing.assert_allclose(loaded.means_init, X[[0, 150, 300]])
    np.testing.assert_array_equal(loaded.predict(X), g.predict(X))
