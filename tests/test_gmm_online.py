"""GaussianMixture.partial_fit (stepwise EM, Cappe & Moulines 2009) with known answers."""

import numpy as np
import pytest
import torch

import latentmix as lm
from latentmix.exceptions import DataError, InvalidParameterError

WEIGHTS = np.array([0.5, 0.3, 0.2])
MEANS = np.array([[0.0, 0.0], [5.0, 1.0], [1.0, 6.0]])
COVS = np.array([[[1.0, 0.3], [0.3, 0.5]], [[0.6, 0.0], [0.0, 1.2]], [[0.4, -0.1], [-0.1, 0.4]]])


def draw(rng, n, means=MEANS):
    labels = rng.choice(3, size=n, p=WEIGHTS)
    z = rng.standard_normal((n, 2))
    return np.einsum("nij,nj->ni", np.linalg.cholesky(COVS)[labels], z) + means[labels]


def by_first_mean(g):
    order = np.argsort(g.means_[:, 0] + 10 * g.means_[:, 1])  # components in a fixed order
    return g.weights_[order], g.means_[order], g.covariances_[order]


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_stream_from_a_fixed_mixture_converges_to_the_batch_fit(covariance_type):
    rng = np.random.RandomState(0)
    batches = [draw(rng, 200) for _ in range(300)]  # 60,000 rows
    online = lm.GaussianMixture(3, covariance_type=covariance_type, random_state=0, device="cpu")
    for b in batches:
        online.partial_fit(b)
    batch = lm.GaussianMixture(3, covariance_type=covariance_type, random_state=0, device="cpu").fit(
        np.concatenate(batches))
    w, m, c = by_first_mean(online)
    wb, mb, cb = by_first_mean(batch)
    # tolerance: the last steps average over ~1/gamma = 31 batches (6,000 rows): 3-4 std errors
    np.testing.assert_allclose(w, wb, atol=0.02)
    np.testing.assert_allclose(m, mb, atol=0.06)
    np.testing.assert_allclose(c, cb, atol=0.08)
    assert online.n_iter_ == 300 and len(online.lower_bounds_) == 300 and not online.converged_
    assert abs(online.score(np.concatenate(batches)) - batch.score(np.concatenate(batches))) < 0.01


def test_a_drifting_stream_is_followed():
    rng = np.random.RandomState(1)
    shifted = MEANS + [2.0, -1.0]
    online = lm.GaussianMixture(3, random_state=0, device="cpu")
    for _ in range(150):
        online.partial_fit(draw(rng, 200))
    np.testing.assert_allclose(by_first_mean(online)[1], MEANS, atol=0.1)
    for _ in range(150):  # the mixture moves; the estimate moves with it
        online.partial_fit(draw(rng, 200, means=shifted))
    np.testing.assert_allclose(by_first_mean(online)[1], shifted, atol=0.1)
    np.testing.assert_allclose(by_first_mean(online)[0], WEIGHTS, atol=0.03)


def test_partial_fit_after_fit_continues_and_fit_restarts():
    rng = np.random.RandomState(2)
    X = draw(rng, 3000)
    g = lm.GaussianMixture(3, random_state=0, device="cpu").fit(X)
    before = by_first_mean(g)[1]
    g.partial_fit(draw(rng, 3000))  # a step of 2 ** -0.6 = 0.66 towards this batch
    assert g.n_iter_ == 1
    np.testing.assert_allclose(by_first_mean(g)[1], before, atol=0.15)  # same model, one step on
    g.fit(X)
    assert g._online is None and g.converged_


def test_dtype_torch_and_errors():
    rng = np.random.RandomState(3)
    g = lm.GaussianMixture(3, random_state=0, device="cpu")
    with pytest.raises(DataError, match="n_samples >= n_components"):
        g.partial_fit(draw(rng, 2))
    g.partial_fit(draw(rng, 100).astype(np.float32))
    assert g.means_.dtype == np.float32
    with pytest.raises(DataError, match="expecting 2 features"):
        g.partial_fit(np.zeros((10, 3)))
    t = lm.GaussianMixture(3, random_state=0, device="cpu").partial_fit(torch.tensor(draw(rng, 100)))
    assert isinstance(t.means_, torch.Tensor) and t.means_.dtype == torch.float64
    for bad in (0.5, 1.5):
        with pytest.raises(InvalidParameterError, match="step_size_decay"):
            lm.GaussianMixture(3, step_size_decay=bad).partial_fit(draw(rng, 100))


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_expected_statistics_of_a_fitted_model_give_it_back(covariance_type):
    X = draw(np.random.RandomState(4), 2000)
    g = lm.GaussianMixture(3, covariance_type=covariance_type, reg_covar=1e-3, random_state=0, device="cpu").fit(X)
    again = g._m_step(g._expected_statistics(g._params))
    for a, b in zip(again, g._params):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)
