"""The small-data paths of the mixtures: one thread below a work threshold, prepared single-chunk
data reused across iterations, EM in inference mode with normal tensors handed back."""

import numpy as np
import pytest
import torch

import latentmix as lm
from latentmix.mixture._threads import SMALL_WORK, one_thread_if_small


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_small_work_runs_on_one_thread_and_restores(two_threads):
    with one_thread_if_small(SMALL_WORK - 1, "cpu"):
        assert torch.get_num_threads() == 1
        with one_thread_if_small(10, "cpu"):  # nested: still one, restored only at the end
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    with one_thread_if_small(SMALL_WORK, "cpu"):
        assert torch.get_num_threads() == 2
    with one_thread_if_small(10, "meta"):  # not the CPU: nothing to change
        assert torch.get_num_threads() == 2


def test_threads_are_restored_after_an_error(two_threads):
    with pytest.raises(RuntimeError, match="boom"), one_thread_if_small(1, "cpu"):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("work", [-1, 1.5, True, "3"])
def test_bad_work_is_rejected(work):
    with pytest.raises(ValueError, match="work"), one_thread_if_small(work, "cpu"):
        pass


def test_a_small_fit_leaves_the_thread_setting_alone(two_threads):
    X = np.random.default_rng(0).normal(size=(300, 3))
    gm = lm.GaussianMixture(2, random_state=0, device="cpu").fit(X)
    assert torch.get_num_threads() == 2
    gm.predict(X)
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("cov", ["full", "tied", "diag", "spherical"])
def test_one_chunk_and_many_chunks_give_the_same_fit(cov):
    """The single-chunk path keeps the prepared chunk across iterations; chunking must not change
    the result (float64, fixed iterations)."""
    X = np.random.default_rng(1).normal(size=(500, 4)) * [1, 2, 3, 4] + 5
    kw = dict(covariance_type=cov, max_iter=8, tol=0, random_state=0, device="cpu")
    one = lm.GaussianMixture(3, **kw).fit(X)
    many = lm.GaussianMixture(3, chunk_size=64, **kw).fit(X)
    np.testing.assert_allclose(one.means_, many.means_, rtol=1e-10)
    np.testing.assert_allclose(one.covariances_, many.covariances_, rtol=1e-10)
    assert one.lower_bounds_ == pytest.approx(many.lower_bounds_, rel=1e-12)
    np.testing.assert_array_equal(one.fit_predict(X), many.predict(X))


@pytest.mark.parametrize("cls", [lm.GaussianMixture, lm.BayesianGaussianMixture])
def test_fitted_tensors_are_normal_tensors(cls):
    """EM runs in inference mode; what the user gets must still work with autograd."""
    X = torch.randn(200, 3, dtype=torch.float64)
    gm = cls(n_components=2, random_state=0, device="cpu", max_iter=5).fit(X)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        t = getattr(gm, name)
        assert not t.is_inference(), name
        t.requires_grad_()  # raises for an inference tensor
    proba = gm.predict_proba(X)
    assert not proba.is_inference()
    gm.fit(X)  # and a refit (a warm start reads the kept parameters) works


def test_chunk_budget_depends_on_the_device():
    from latentmix.mixture._data import resolve_chunk_size

    assert resolve_chunk_size(None, 10**6, 4096, "cpu") == 512  # ~8 MB of work: cache-sized
    assert resolve_chunk_size(None, 10**6, 4096, "cuda") == 16384  # 2^26 floats: few kernels
    assert resolve_chunk_size(None, 1000, 4096, "cuda") == 1000
    assert resolve_chunk_size(77, 10**6, 4096, "cuda") == 77
