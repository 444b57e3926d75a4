"""latentmix.BayesianGaussianMixture on its own: the bound, emptying unneeded components, input
and parameter checks (scikit-learn's exception types and words), save/load, sampling, streaming,
torch in/out and select_n_components(criterion="bayesian")."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import BayesianGaussianMixture as SkBGMM

import latentmix as lm
from latentmix.exceptions import DataError, InvalidParameterError, NotFittedError

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
WEIGHT_PRIORS = ["dirichlet_process", "dirichlet_distribution"]


def separated_blobs(n_blobs=4, n=150, d=2, seed=0):
    """n_blobs round blobs (sd 0.5) with centres >= 8 apart: (X, true labels)."""
    rng = np.random.RandomState(seed)
    centres = 8.0 * np.stack([np.cos(np.arange(n_blobs) * 2 * np.pi / n_blobs),
                              np.sin(np.arange(n_blobs) * 2 * np.pi / n_blobs)], 1) * n_blobs / 3
    centres = np.concatenate([centres, np.zeros((n_blobs, d - 2))], 1)
    X = np.concatenate([rng.randn(n, d) * 0.5 + c for c in centres])
    return X, np.repeat(np.arange(n_blobs), n)


def bgmm(**kw):
    return lm.BayesianGaussianMixture(**{"device": "cpu", "random_state": 0, **kw})


def fit_quiet(model, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X)


# ------------------------------------------------------------------ the variational bound
@pytest.mark.parametrize("weight_prior", WEIGHT_PRIORS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_lower_bound_never_decreases(covariance_type, weight_prior):
    rng = np.random.RandomState(1)  # overlapping blobs and a random start: a long climb
    X = np.concatenate([rng.randn(100, 3) @ rng.randn(3, 3) + 2 * rng.randn(3) for _ in range(3)])
    m = fit_quiet(bgmm(n_components=6, covariance_type=covariance_type, init_params="random",
                       weight_concentration_prior_type=weight_prior, tol=1e-9, max_iter=300), X)
    bounds = np.asarray(m.lower_bounds_)
    assert len(bounds) == m.n_iter_ >= 5
    assert np.all(np.diff(bounds) >= -1e-10 * np.abs(bounds[1:])), np.diff(bounds).min()
    assert m.lower_bound_ == bounds[-1]


# ------------------------------------------------------------------ choosing K
@pytest.mark.parametrize("weight_prior", WEIGHT_PRIORS)
@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_unneeded_components_are_emptied(covariance_type, weight_prior):
    X, y = separated_blobs(n_blobs=4)
    # tol well below the default: with tied covariances a blob held by two components is
    # merged slowly (the bound rises by < 1e-3 per iteration for a while), in scikit-learn too
    m = fit_quiet(bgmm(n_components=10, covariance_type=covariance_type,
                       weight_concentration_prior_type=weight_prior, tol=1e-6, max_iter=1000), X)
    assert m.converged_
    active = m.weights_ > 0.01
    assert active.sum() == 4
    assert m.weights_[~active].sum() < 0.02  # six unused components: about 1/n_samples each at most
    np.testing.assert_allclose(np.sort(m.weights_[active]), 0.25, atol=0.01)
    assert adjusted_rand_score(y, m.predict(X)) == 1.0
    assert m.weights_.sum() == pytest.approx(1.0)


def test_select_n_components_bayesian_finds_the_blobs():
    X, _ = separated_blobs(n_blobs=3, seed=2)
    result = lm.select_n_components(X, range(1, 9), criterion="bayesian", random_state=0, device="cpu")
    assert result.best_n_components == 3 and result.criterion == "bayesian"
    assert isinstance(result.best_model, lm.BayesianGaussianMixture)
    assert result.best_model.n_components == 8
    (row,) = result.table
    assert row["effective_n_components"] == 3 and len(row["weights"]) == 8
    model, table = result
    assert model is result.best_model and table == result.table
    # a threshold above every weight still leaves one component; bad thresholds are refused
    assert lm.select_n_components(X, [8], criterion="bayesian", weight_threshold=0.9,
                                  random_state=0, device="cpu").best_n_components == 1
    with pytest.raises(InvalidParameterError, match="weight_threshold"):
        lm.select_n_components(X, [8], criterion="bayesian", weight_threshold=1.5)
    with pytest.raises(InvalidParameterError, match="'bayesian'"):
        lm.select_n_components(X, [8], criterion="elbo")


# ------------------------------------------------------------------ checks
rng0 = np.random.RandomState(0)
X3 = np.concatenate([rng0.randn(60, 3) + c for c in ([0, 0, 0], [6, 0, 0], [0, 6, 6])])
ASYM = np.array([[1, 2, 0], [0, 1, 0], [0, 0, 1.0]])
BAD_PRIORS = [  # (parameters, what goes wrong): scikit-learn raises ValueError with these words
    (dict(mean_prior=np.zeros(2)), "mean_prior: wrong length"),
    (dict(mean_prior=np.zeros((3, 1))), "mean_prior: wrong ndim"),
    (dict(degrees_of_freedom_prior=1.5), "degrees_of_freedom_prior below d - 1"),
    (dict(degrees_of_freedom_prior=2.0), "degrees_of_freedom_prior equal to d - 1"),
    (dict(covariance_prior=np.eye(2)), "full covariance_prior: wrong shape"),
    (dict(covariance_prior=-np.eye(3)), "full covariance_prior: negative definite"),
    (dict(covariance_prior=ASYM), "full covariance_prior: not symmetric"),
    (dict(covariance_type="tied", covariance_prior=np.ones(3)), "tied covariance_prior: wrong ndim"),
    (dict(covariance_type="diag", covariance_prior=-np.ones(3)), "diag covariance_prior: negative"),
    (dict(covariance_type="diag", covariance_prior=np.ones(4)), "diag covariance_prior: wrong length"),
]


def errors(data, **params):
    """The exceptions scikit-learn's and latentmix's fit raise (None if one does not)."""
    found = []
    for make in (lambda: SkBGMM(**params), lambda: lm.BayesianGaussianMixture(**params, device="cpu")):
        try:
            fit_quiet(make(), data)
            found.append(None)
        except Exception as exc:  # noqa: BLE001 - compared below
            found.append(exc)
    return found


@pytest.mark.parametrize("params, what", BAD_PRIORS, ids=[w for _, w in BAD_PRIORS])
def test_bad_priors_raise_sklearns_words(params, what):
    sk, ours = errors(X3, n_components=3, **params)
    assert isinstance(sk, ValueError) and isinstance(ours, InvalidParameterError), (sk, ours)
    assert str(ours).startswith(str(sk)), f"\nsklearn:   {sk}\nlatentmix: {ours}"


@pytest.mark.parametrize("params", [
    dict(n_components=0), dict(weight_concentration_prior=0), dict(weight_concentration_prior=-1.0),
    dict(weight_concentration_prior_type="dp"), dict(mean_precision_prior=0.0),
    dict(degrees_of_freedom_prior=-1.0), dict(covariance_prior=-1.0), dict(covariance_type="round"),
    dict(init_params="pca"), dict(reg_covar=-1e-6), dict(tol=-1.0), dict(max_iter=-1), dict(n_init=0),
    dict(covariance_type="spherical", covariance_prior=np.ones(3)),  # scikit-learn accepts this silently
], ids=lambda p: ",".join(p))
def test_bad_parameter_values(params):
    with pytest.raises(InvalidParameterError) as info:
        bgmm(**params).fit(X3)
    name = [k for k in params if k != "covariance_type"] or ["covariance_type"]
    assert f"'{name[0]}' parameter" in str(info.value)


def test_data_errors_use_sklearns_words():
    bad = X3.copy()
    bad[5, 1] = np.nan
    with pytest.raises(DataError, match="Input X contains NaN"):
        bgmm(n_components=2).fit(bad)
    bad[5, 1] = np.inf
    with pytest.raises(DataError, match="infinity"):
        bgmm(n_components=2).fit(bad)
    sk, ours = errors(X3[:2], n_components=3)
    assert isinstance(ours, DataError) and str(ours).startswith(str(sk))  # n_samples < n_components
    with pytest.raises(DataError, match=r"Found array with 1 sample\(s\) \(shape=\(1, 3\)\) while a minimum of 2"):
        bgmm(n_components=1).fit(X3[:1])
    with pytest.raises(NotFittedError):
        bgmm().predict(X3)
    m = fit_quiet(bgmm(n_components=3), X3)
    sk = fit_quiet(SkBGMM(n_components=3), X3)
    for method in ("predict", "predict_proba", "score_samples", "score"):
        with pytest.raises(ValueError) as sk_info:
            getattr(sk, method)(X3[:, :2])
        with pytest.raises(DataError) as info:
            getattr(m, method)(X3[:, :2])
        assert str(info.value) == str(sk_info.value)  # "X has 2 features, but ... expecting 3 ..."
    bad[5, 1] = np.nan
    with pytest.raises(DataError, match="NaN"):
        m.predict(bad)


# ------------------------------------------------------------------ fitted model
@pytest.fixture(scope="module")
def fitted():
    X, _ = separated_blobs(n_blobs=3, d=3, seed=4)
    return X, {cov: fit_quiet(bgmm(n_components=5, covariance_type=cov), X) for cov in COVARIANCE_TYPES}


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_save_load_round_trip(tmp_path, fitted, covariance_type):
    X, models = fitted
    m = models[covariance_type]
    m.save(tmp_path / "bgmm")
    back = lm.load(tmp_path / "bgmm")
    assert type(back) is lm.BayesianGaussianMixture and back.get_params() == m.get_params()
    for name in ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_",
                 "mean_precision_", "degrees_of_freedom_", "mean_prior_", "covariance_prior_",
                 "weight_concentration_"]:
        np.testing.assert_array_equal(getattr(back, name), getattr(m, name), err_msg=name)
    for name in ["weight_concentration_prior_", "mean_precision_prior_", "degrees_of_freedom_prior_",
                 "n_iter_", "lower_bound_", "lower_bounds_", "converged_", "n_features_in_"]:
        assert getattr(back, name) == getattr(m, name), name
    np.testing.assert_array_equal(back.predict_proba(X), m.predict_proba(X))
    np.testing.assert_array_equal(back.score_samples(X), m.score_samples(X))
    np.testing.assert_array_equal(back.sample(20, seed=3)[0], m.sample(20, seed=3)[0])
    back.set_params(warm_start=True, max_iter=2)  # a loaded model continues fitting
    assert np.isfinite(fit_quiet(back, X).lower_bound_)


def test_fitted_attributes_shapes(fitted):
    X, models = fitted
    d, k = X.shape[1], 5
    shapes = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}
    prior_shapes = {"full": (d, d), "tied": (d, d), "diag": (d,)}
    for cov, m in models.items():
        assert m.covariances_.shape == m.precisions_.shape == m.precisions_cholesky_.shape == shapes[cov]
        assert m.means_.shape == (k, d) and m.weights_.shape == m.mean_precision_.shape == (k,)
        assert np.shape(m.degrees_of_freedom_) == (() if cov == "tied" else (k,))
        a, b = m.weight_concentration_  # the Dirichlet process's stick Betas
        assert a.shape == b.shape == (k,) and b[-1] == pytest.approx(m.weight_concentration_prior_)
        assert m.weight_concentration_prior_ == 1 / k and m.mean_precision_prior_ == 1.0
        assert m.degrees_of_freedom_prior_ == d
        np.testing.assert_allclose(m.mean_prior_, X.mean(0), rtol=1e-12)
        if cov == "spherical":
            assert m.covariance_prior_ == pytest.approx(X.var(0, ddof=1).mean(), rel=1e-12)
        else:
            expected = np.cov(X.T) if cov in ("full", "tied") else X.var(0, ddof=1)
            assert m.covariance_prior_.shape == prior_shapes[cov]
            np.testing.assert_allclose(m.covariance_prior_, expected, rtol=1e-12)
        np.testing.assert_array_equal(m.fit_predict(X), m.predict(X))


def test_sample_follows_the_mixture(fitted):
    _, models = fitted
    m = models["full"]
    Xs, ys = m.sample(3000, seed=0)
    assert Xs.shape == (3000, 3) and np.all(np.diff(ys) >= 0)
    big = np.flatnonzero(m.weights_ > 0.1)
    for j in big:
        assert np.mean(ys == j) == pytest.approx(m.weights_[j], abs=0.04)
        np.testing.assert_allclose(Xs[ys == j].mean(0), m.means_[j], atol=0.15)
    _, y1 = m.sample(50, component=int(big[0]), seed=1)
    assert np.all(y1 == big[0])
    with pytest.raises(InvalidParameterError):
        m.sample(0)


def test_torch_in_torch_out_and_dtype():
    X, _ = separated_blobs(n_blobs=2, n=80, seed=5)
    m = fit_quiet(bgmm(n_components=4), torch.as_tensor(X, dtype=torch.float32))
    assert isinstance(m.means_, torch.Tensor) and m.means_.dtype == torch.float32
    assert isinstance(m.weight_concentration_[0], torch.Tensor)
    out = m.predict_proba(torch.as_tensor(X, dtype=torch.float32))
    assert isinstance(out, torch.Tensor) and out.shape == (160, 4)
    m64 = fit_quiet(bgmm(n_components=4, covariance_type="tied"), X)
    assert m64.means_.dtype == np.float64 and np.ndim(m64.degrees_of_freedom_) == 0


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_streamed_memmap_fit_equals_in_memory_fit(tmp_path, covariance_type):
    X, _ = separated_blobs(n_blobs=3, n=200, d=3, seed=6)
    path = tmp_path / "rows.f64"
    X.tofile(path)
    mm = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
    kw = dict(n_components=5, covariance_type=covariance_type, init_params="random_from_data", max_iter=50)
    whole = fit_quiet(bgmm(**kw), X)
    streamed = fit_quiet(bgmm(**kw, chunk_size=64), mm)  # 10 chunks per pass, priors in one pass
    assert streamed.n_iter_ == whole.n_iter_
    for name in ["weights_", "means_", "covariances_", "mean_prior_", "covariance_prior_"]:
        np.testing.assert_allclose(getattr(streamed, name), getattr(whole, name), rtol=1e-9, atol=1e-12)
    assert streamed.lower_bound_ == pytest.approx(whole.lower_bound_, rel=1e-10)
