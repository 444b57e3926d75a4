"""Fitting arrays larger than memory: memmaps are streamed chunk by chunk."""

import numpy as np
import pytest

import latentmix as lm
from latentmix.exceptions import DataError


@pytest.fixture()
def memmap_data(tmp_path):
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.randn(3000, 4) + 5 * c for c in range(3)]).astype(np.float32)
    path = tmp_path / "big.f32"
    X.tofile(path)
    return X, np.memmap(path, dtype=np.float32, mode="r", shape=X.shape)


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_memmap_fit_equals_in_memory_fit(memmap_data, covariance_type):
    X, mm = memmap_data
    init = dict(means_init=X[[0, 3000, 6000]], random_state=0, device="cpu", dtype="float64",
                covariance_type=covariance_type)
    streamed = lm.GaussianMixture(3, chunk_size=1000, **init).fit(mm)
    in_memory = lm.GaussianMixture(3, chunk_size=1000, **init).fit(X)
    np.testing.assert_allclose(streamed.means_, in_memory.means_, rtol=1e-10)
    assert streamed.lower_bound_ == pytest.approx(in_memory.lower_bound_, rel=1e-12)
    np.testing.assert_array_equal(streamed.predict(mm), in_memory.predict(X))


def test_memmap_with_default_init_recovers_clusters(memmap_data):
    X, mm = memmap_data
    g = lm.GaussianMixture(3, random_state=0, chunk_size=512, device="cpu").fit(mm)
    assert sorted(np.round(g.means_[:, 0]).tolist()) == [0.0, 5.0, 10.0]


def test_nan_inside_a_memmap_is_reported_with_its_rows(tmp_path):
    X = np.random.RandomState(0).randn(2000, 3).astype(np.float32)
    X[1500, 1] = np.nan
    path = tmp_path / "bad.f32"
    X.tofile(path)
    mm = np.memmap(path, dtype=np.float32, mode="r", shape=X.shape)
    with pytest.raises(DataError, match=r"NaN"):
        lm.GaussianMixture(2, chunk_size=500, random_state=0, device="cpu").fit(mm)


def test_truncated_memmap_file_is_a_data_error(tmp_path):
    path = tmp_path / "short.f32"
    np.zeros((100, 4), np.float32).tofile(path)
    mm = np.memmap(path, dtype=np.float32, mode="r", shape=(100, 4))
    with open(path, "r+b") as f:  # the file shrinks after the memmap was made
        f.truncate(100 * 4 * 4 // 2)
    with pytest.raises(DataError, match="shorter"):
        lm.GaussianMixture(2, chunk_size=60, device="cpu").fit(mm)
