"""Generation metrics on feature arrays with known answers (no networks, no mocks)."""

import numpy as np
import pytest
import scipy.linalg
import torch

from latentmix.exceptions import DataError, InvalidParameterError
from latentmix.metrics import generation as G


def _gauss(n, d, seed, shift=0.0, scale=1.0):
    return np.random.default_rng(seed).normal(size=(n, d)) * scale + shift


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def same():
    """Two independent draws of N=2000 from the same 4-D standard Gaussian."""
    return _gauss(2000, 4, 1), _gauss(2000, 4, 2)


def test_same_distribution(same):
    a, b = same
    assert G.frechet_distance(a, b) < 0.01 * G.frechet_distance(a, b + 1.0)
    kid_mean, kid_std = G.kernel_distance(a, b, n_subsets=10, subset_size=500)
    assert abs(kid_mean) < max(3 * kid_std, 1e-3)
    assert G.one_nn_accuracy(a, b) == pytest.approx(0.5, abs=0.05)
    precision, recall = G.precision_recall(a, b, k=3)
    assert precision > 0.9 and recall > 0.9
    density, coverage = G.density_coverage(a, b, k=5)
    assert density == pytest.approx(1.0, abs=0.1)
    assert coverage > 0.9


def test_frechet_distance_grows_with_shift_and_noise(same):
    a, b = same
    shifts = [G.frechet_distance(a, b + s) for s in (0.0, 0.25, 0.5, 1.0, 2.0)]
    noise = [G.frechet_distance(a, b + _gauss(2000, 4, 3, scale=s)) for s in (0.25, 0.5, 1.0, 2.0)]
    assert shifts == sorted(shifts) and noise == sorted(noise)
    assert G.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-10)


def test_frechet_distance_matches_the_closed_form_for_diagonal_gaussians():
    mu1, mu2 = np.array([0.0, 1.0, -1.0, 0.5]), np.array([0.5, 0.0, -1.0, 2.0])
    s1, s2 = np.array([1.0, 2.0, 0.5, 1.5]), np.array([0.5, 2.0, 2.0, 1.0])
    a = _gauss(40000, 4, 4) * np.sqrt(s1) + mu1
    b = _gauss(40000, 4, 5) * np.sqrt(s2) + mu2
    expected = ((mu1 - mu2) ** 2).sum() + (s1 + s2 - 2 * np.sqrt(s1 * s2)).sum()
    assert G.frechet_distance(a, b) == pytest.approx(expected, rel=0.02)
    exact = G.frechet_distance_from_statistics(mu1, np.diag(s1), mu2, np.diag(s2))
    assert exact == pytest.approx(expected, rel=1e-12)


def test_frechet_distance_matches_scipy_sqrtm_on_random_data():
    rng = np.random.default_rng(6)
    a = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12))
    b = rng.normal(size=(250, 12)) * 2 + rng.normal(size=12)
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    assert np.abs(covmean.imag).max() < 1e-6
    reference = ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real)
    assert G.frechet_distance(a, b) == pytest.approx(reference, rel=1e-6)
    assert G.frechet_distance(torch.as_tensor(a), torch.as_tensor(b)) == pytest.approx(reference, rel=1e-6)


def test_kernel_distance_is_the_unbiased_mmd():
    a, b = _gauss(50, 3, 7), _gauss(50, 3, 8, shift=0.5)
    mean, std = G.kernel_distance(a, b, n_subsets=3, subset_size=1000)   # each subset = all 50 rows
    kxx, kyy, kxy = ((p @ q.T / 3 + 1) ** 3 for p, q in ((a, a), (b, b), (a, b)))
    brute = ((kxx.sum() - np.trace(kxx)) + (kyy.sum() - np.trace(kyy))) / (50 * 49) - 2 * kxy.mean()
    assert mean == pytest.approx(brute, rel=1e-10) and std == pytest.approx(0.0, abs=1e-12)
    subsets = G.kernel_distance(_gauss(400, 3, 9), b, n_subsets=20, subset_size=40, seed=3)
    assert subsets == G.kernel_distance(_gauss(400, 3, 9), b, n_subsets=20, subset_size=40, seed=3)
    assert subsets[1] > 0


def test_disjoint_supports():
    a, b = _gauss(500, 4, 9), _gauss(500, 4, 10, shift=20.0)
    assert G.precision_recall(a, b) == (0.0, 0.0)
    assert G.density_coverage(a, b) == (0.0, 0.0)
    assert G.one_nn_accuracy(a, b) == 1.0
    assert G.kernel_distance(a, b, n_subsets=5, subset_size=200)[0] > 1.0


def test_mode_collapse_keeps_precision_and_loses_recall():
    real = np.concatenate([_gauss(500, 2, 11), _gauss(500, 2, 12, shift=30.0)])
    fake = _gauss(1000, 2, 13)                                            # only the first mode
    precision, recall = G.precision_recall(real, fake)
    _, coverage = G.density_coverage(real, fake)
    assert precision > 0.95 and recall == pytest.approx(0.5, abs=0.03)
    assert coverage == pytest.approx(0.5, abs=0.03)


def test_one_nn_detects_copies():
    a = _gauss(300, 4, 14)
    assert G.one_nn_accuracy(a, a.copy()) == 0.0


def test_classifier_score_known_values():
    assert G.classifier_score(np.eye(10)) == pytest.approx(10.0)
    assert G.classifier_score(np.tile(np.eye(10), (5, 1))) == pytest.approx(10.0)
    assert G.classifier_score(np.full((7, 10), 0.1)) == pytest.approx(1.0)
    assert G.classifier_score(np.tile([[0.7, 0.2, 0.1]], (4, 1))) == pytest.approx(1.0)
    with pytest.raises(DataError, match="softmax"):
        G.classifier_score(np.random.default_rng(0).normal(size=(5, 10)))


def test_nearest_training_images():
    rng = np.random.default_rng(15)
    train = rng.random((700, 1, 8, 8)).astype(np.float32)
    samples = rng.random((40, 1, 8, 8)).astype(np.float32)
    samples[3], samples[17] = train[123], train[456]
    idx, dist = G.nearest_training_images(samples, train, k=3)
    assert idx.shape == dist.shape == (40, 3)
    assert (idx[3, 0], dist[3, 0], idx[17, 0], dist[17, 0]) == (123, 0.0, 456, 0.0)
    brute = np.sqrt(((samples.reshape(40, 1, -1) - train.reshape(1, 700, -1)) ** 2).sum(-1))
    np.testing.assert_array_equal(idx, np.argsort(brute, axis=1)[:, :3])
    np.testing.assert_allclose(dist, np.sort(brute, axis=1)[:, :3], rtol=1e-6)
    t_idx, t_dist = G.nearest_training_images(torch.as_tensor(samples), torch.as_tensor(train))
    assert isinstance(t_idx, torch.Tensor) and t_idx.shape == (40, 1) and int(t_idx[3, 0]) == 123


def test_image_inputs_with_a_callable_feature_map(same):
    a, b = same
    images_a = torch.as_tensor(a, dtype=torch.float32).reshape(2000, 1, 2, 2)
    images_b = torch.as_tensor(b, dtype=torch.float32).reshape(2000, 1, 2, 2)
    via_images = G.frechet_distance(images_a, images_b, features=lambda x: x.flatten(1))
    assert via_images == pytest.approx(G.frechet_distance(images_a.flatten(1), images_b.flatten(1)), rel=1e-9)
    with pytest.raises(DataError, match="features="):
        G.frechet_distance(images_a, images_b)


def test_evaluate_samples_on_features(same):
    a, b = same
    result = G.evaluate_samples(a, b, features=None, kid_subsets=5, kid_subset_size=500)
    assert set(result) >= {"frechet_distance", "kid_mean", "kid_std", "precision", "recall", "density",
                           "coverage", "one_nn_accuracy", "classifier_score"}
    assert (result["precision"], result["recall"]) == G.precision_recall(a, b)
    assert (result["density"], result["coverage"]) == G.density_coverage(a, b)
    assert result["one_nn_accuracy"] == G.one_nn_accuracy(a, b)
    assert result["classifier_score"] is None and result["n_real"] == 2000
    with pytest.warns(UserWarning, match="equal counts"):
        G.evaluate_samples(a, b[:1500], features=None, kid_subsets=2, kid_subset_size=100)


@pytest.mark.parametrize("real, fake, message", [
    (np.zeros(10), np.zeros(10), "2-D"),
    (np.zeros((10, 3)), np.zeros((10, 4)), "different feature widths"),
    (np.full((10, 3), np.nan), np.zeros((10, 3)), "NaN"),
    (np.zeros((3, 3)), np.ones((10, 3)), "at least 4"),
    (np.zeros((10, 1, 4, 4)), np.zeros((10, 1, 4, 4)), "features="),
])
def test_bad_feature_arrays(real, fake, message):
    with pytest.raises(DataError, match=message):
        G.precision_recall(real, fake, k=3)


def test_bad_parameters():
    a = _gauss(20, 2, 16)
    with pytest.raises(DataError, match="2-D"):
        G.frechet_distance(np.zeros(5), np.zeros(5))
    with pytest.raises(DataError, match="at least 6"):
        G.density_coverage(a[:5], a, k=5)
    with pytest.raises(InvalidParameterError, match="k must be an int"):
        G.precision_recall(a, a, k=0)
    with pytest.raises(InvalidParameterError, match="unknown feature extractor 'inception'.*fashion-mnist"):
        G.frechet_distance(np.zeros((4, 1, 8, 8)), np.zeros((4, 1, 8, 8)), features="inception")
