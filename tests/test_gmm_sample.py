"""GaussianMixture.sample: where its randomness comes from, and sampling one component."""

import numpy as np
import pytest
import torch

import latentmix as lm
from latentmix.exceptions import InvalidParameterError


def component_covariance(model, k, d):
    """Component k's (d, d) covariance, whatever the covariance type."""
    cov = model.covariances_
    return {"full": lambda: cov[k], "tied": lambda: cov, "diag": lambda: np.diag(cov[k]),
            "spherical": lambda: cov[k] * np.eye(d)}[model.covariance_type]()


@pytest.fixture(scope="module")
def gmm():
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.randn(200, 2) @ [[1.0, 0.5], [0.0, 0.5]] + c for c in ([0, 0], [8, 0], [0, 8])])
    return lm.GaussianMixture(3, random_state=4, dtype="float64", device="cpu").fit(X)


def test_successive_calls_differ_and_a_refit_replays_them(gmm):
    first, second = gmm.sample(50)[0], gmm.sample(50)[0]
    assert not np.allclose(first, second)
    X = gmm.sample(500, seed=1)[0]
    one = lm.GaussianMixture(**gmm.get_params()).fit(X)
    two = lm.GaussianMixture(**gmm.get_params()).fit(X)
    for a, b in zip([one.sample(20) for _ in range(3)], [two.sample(20) for _ in range(3)]):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


def test_refit_restarts_the_sequence(gmm):
    X = gmm.sample(300, seed=2)[0]
    g = lm.GaussianMixture(3, random_state=7, dtype="float64", device="cpu").fit(X)
    a = g.sample(10)[0]
    g.sample(10)
    g.fit(X)
    np.testing.assert_array_equal(g.sample(10)[0], a)


def test_same_seed_same_draw_and_seed_does_not_advance_the_model(gmm):
    a, ya = gmm.sample(40, seed=3)
    b, yb = gmm.sample(40, seed=3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.allclose(gmm.sample(40, seed=4)[0], a)


def test_generator_is_used_as_is(gmm):
    g1, g2 = torch.Generator().manual_seed(11), torch.Generator().manual_seed(11)
    a = gmm.sample(30, generator=g1)[0]
    np.testing.assert_array_equal(a, gmm.sample(30, generator=g2)[0])
    # the caller's generator advanced: a second draw from it differs
    assert not np.allclose(gmm.sample(30, generator=g1)[0], a)
    np.testing.assert_array_equal(a, gmm.sample(30, seed=11)[0])  # generator beats the internal one


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_component_samples_have_its_mean_and_covariance(gmm, covariance_type):
    X = gmm.sample(900, seed=5)[0]
    g = lm.GaussianMixture(3, covariance_type=covariance_type, random_state=0, dtype="float64",
                           device="cpu").fit(X)
    d = X.shape[1]
    for k in range(3):
        x, y = g.sample(40000, seed=k, component=k)
        assert x.shape == (40000, d) and np.all(y == k)
        cov = component_covariance(g, k, d)
        np.testing.assert_allclose(x.mean(0), g.means_[k], atol=4 * np.sqrt(cov.diagonal().max() / 40000))
        np.testing.assert_allclose(np.cov(x.T), cov, atol=0.03 * np.abs(cov).max())


def test_component_accepts_numpy_ints_and_works_on_tensors(gmm):
    x, y = gmm.sample(5, component=np.int64(2), seed=0)
    assert np.all(y == 2)
    gt = lm.GaussianMixture(3, random_state=0, device="cpu").fit(torch.tensor(gmm.sample(300, seed=9)[0]))
    xt, yt = gt.sample(6, component=1)
    assert isinstance(xt, torch.Tensor) and bool((yt == 1).all())


@pytest.mark.parametrize("bad", [-1, 3, 1.0, "0", True])
def test_bad_component_names_the_range(gmm, bad):
    with pytest.raises(InvalidParameterError, match=r"component.*\[0, 2\]"):
        gmm.sample(3, component=bad)
    with pytest.raises(ValueError):  # InvalidParameterError is a ValueError, as in scikit-learn
        gmm.sample(3, component=bad)


@pytest.mark.parametrize("kwargs, message", [
    (dict(seed=-1), "seed"), (dict(seed=1.5), "seed"), (dict(generator=np.random.default_rng(0)), "generator"),
    (dict(n_samples=0), "n_samples"),
])
def test_bad_randomness_arguments(gmm, kwargs, message):
    with pytest.raises(InvalidParameterError, match=message):
        gmm.sample(**{"n_samples": 2, **kwargs})
