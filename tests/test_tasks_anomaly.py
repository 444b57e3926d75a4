"""AnomalyDetector: detection quality on the digits (one digit held out as the anomaly) and on a
table, PyOD's conventions checked numerically, each score alone, save/load, bad input."""

import numpy as np
import pytest
import torch
from scipy.special import erf
from scipy.stats import binom
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score

import latentmix as lm
from latentmix.exceptions import DataError, InvalidParameterError

pytestmark = pytest.mark.usefixtures("one_thread")
FAST = dict(epochs=30, batch_size=128, device="cpu")


@pytest.fixture(scope="module")
def digits():
    X, y = lm.datasets.load("digits", split="train")
    Xt, yt = lm.datasets.load("digits", split="test")
    return X.numpy(), y.numpy(), Xt.numpy(), yt.numpy()


@pytest.fixture(scope="module")
def detector(digits):
    X, y, _, _ = digits
    return lm.AnomalyDetector(contamination=0.1, random_state=0, **FAST).fit(X[y != 0])


def test_held_out_digit_is_found(digits, detector):
    _, _, Xt, yt = digits
    auroc = roc_auc_score(yt == 0, detector.decision_function(Xt))
    assert auroc > 0.8, auroc  # measured: 0.97


@pytest.mark.parametrize("method", ["reconstruction", "latent-density"])
def test_each_score_alone(digits, method):
    X, y, Xt, yt = digits
    det = lm.AnomalyDetector(method=method, random_state=0, **FAST).fit(X[y != 0])
    assert roc_auc_score(yt == 0, det.decision_function(Xt)) > 0.8


def test_combined_is_the_standardised_sum(digits, detector):
    _, _, Xt, _ = digits
    parts = detector.score_components(Xt[:40])
    assert set(parts) == {"reconstruction", "latent-density"}
    recon = parts["reconstruction"]
    resid = (Xt[:40] - detector.autoencoder_.reconstruct(Xt[:40])).reshape(40, -1)  # (40, 64)
    z = (resid - detector.residual_mean_.numpy()) / detector.residual_scale_.numpy()
    np.testing.assert_allclose(recon, (z ** 2).mean(1), rtol=1e-5)
    expected = sum((parts[k] - detector.score_center_[k]) / detector.score_scale_[k] for k in parts)
    np.testing.assert_allclose(detector.decision_function(Xt[:40]), expected, rtol=1e-6, atol=1e-9)
    train = detector.decision_scores_
    assert abs(np.median(train)) < 1.0  # each part centred by its training median


def test_pyod_conventions(digits, detector):
    X, y, Xt, _ = digits
    s = detector.decision_scores_
    assert s.shape == (int((y != 0).sum()),) and s.dtype == np.float64
    assert detector.threshold_ == pytest.approx(np.percentile(s, 90))
    np.testing.assert_array_equal(detector.labels_, (s > detector.threshold_).astype(int))
    assert abs(detector.labels_.mean() - 0.1) < 0.01
    np.testing.assert_allclose(detector.decision_function(X[y != 0]), s, rtol=1e-5, atol=1e-6)
    scores = detector.decision_function(Xt)
    np.testing.assert_array_equal(detector.predict(Xt), (scores > detector.threshold_).astype(int))
    lin = detector.predict_proba(Xt)
    expect = np.clip((scores - s.min()) / (s.max() - s.min()), 0, 1)
    np.testing.assert_allclose(lin[:, 1], expect, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(lin.sum(1), 1)
    uni = detector.predict_proba(Xt, method="unify")
    np.testing.assert_allclose(uni[:, 1], np.clip(erf((scores - s.mean()) / (s.std() * np.sqrt(2))), 0, 1),
                               rtol=1e-6, atol=1e-9)
    conf = detector.predict_confidence(Xt)
    n = len(s)
    post = np.array([(1 + np.count_nonzero(s <= v)) / (2 + n) for v in scores])
    ref = 1 - binom.cdf(n - int(n * 0.1), n, post)
    pred = (scores > detector.threshold_).astype(int)
    ref[pred == 0] = 1 - ref[pred == 0]
    np.testing.assert_allclose(conf, ref, rtol=1e-6, atol=1e-9)
    labels, conf2 = detector.predict(Xt, return_confidence=True)
    np.testing.assert_array_equal(labels, pred)
    np.testing.assert_allclose(conf2, conf)
    with pytest.raises(InvalidParameterError, match="linear"):
        detector.predict_proba(Xt, method="softmax")
    assert detector.threshold_for(0.2) == pytest.approx(np.percentile(s, 80))
    t = detector.decision_function(torch.as_tensor(Xt[:4]))
    assert isinstance(t, torch.Tensor) and np.allclose(t.numpy(), scores[:4])


def test_save_load_round_trip(digits, detector, tmp_path):
    _, _, Xt, _ = digits
    detector.save(tmp_path / "det")
    assert (tmp_path / "det" / "autoencoder" / "config.json").is_file()
    assert (tmp_path / "det" / "mixture" / "config.json").is_file()
    back = lm.load(tmp_path / "det")
    assert isinstance(back, lm.AnomalyDetector) and isinstance(back, lm.models.OutlierMixin)
    np.testing.assert_allclose(back.decision_function(Xt), detector.decision_function(Xt), rtol=1e-5, atol=1e-6)
    assert back.threshold_ == detector.threshold_
    np.testing.assert_array_equal(back.labels_, detector.labels_)
    np.testing.assert_allclose(back.predict_proba(Xt, method="unify"), detector.predict_proba(Xt, method="unify"))


def test_a_saved_detector_without_residual_statistics_is_refused(detector, tmp_path):
    """A run folder saved before reconstruction='standardized' (no residual tensors) gives a clear
    error naming the fix, and the folder is left as it was."""
    from latentmix.core.persist import load_tensors, save_tensors

    weights = detector.save(tmp_path / "det") / "weights.safetensors"
    tensors = {k: v for k, v in load_tensors(weights, "cpu").items() if not k.startswith("residual_")}
    save_tensors(tensors, weights)
    before = weights.read_bytes()
    with pytest.raises(lm.exceptions.CheckpointError, match="residual statistics.*refit"):
        lm.load(tmp_path / "det")
    assert weights.read_bytes() == before


def test_aae_discriminator_score(digits, tmp_path):
    X, y, Xt, yt = digits
    det = lm.AnomalyDetector(autoencoder="aae", random_state=0, **FAST).fit(X[y != 0])
    parts = det.score_components(Xt)
    assert set(parts) == {"reconstruction", "latent-density", "discriminator"}
    assert roc_auc_score(yt == 0, det.decision_function(Xt)) > 0.8
    alone = lm.AnomalyDetector(method="discriminator", random_state=0, **{**FAST, "epochs": 5}).fit(X[y != 0])
    assert isinstance(alone.autoencoder_, lm.AdversarialAutoEncoder)
    back = lm.load(alone.save(tmp_path / "d"))
    np.testing.assert_allclose(back.decision_function(Xt[:20]), alone.decision_function(Xt[:20]), rtol=1e-5)


def test_table_one_class():
    X, y = load_breast_cancer(return_X_y=True)  # benign (1) as normal, malignant (0) as the anomaly
    rng = np.random.default_rng(0)
    benign = rng.permutation(np.flatnonzero(y == 1))
    train, test = benign[:250], np.concatenate([benign[250:], np.flatnonzero(y == 0)])
    det = lm.AnomalyDetector(latent_dim=4, random_state=0, **FAST).fit(X[train])
    assert roc_auc_score(y[test] == 0, det.decision_function(X[test])) > 0.85


def test_bad_input(digits, detector):
    X, y, _, _ = digits
    for c in (0, 0.0, 0.6, -0.1, 1):
        with pytest.raises(InvalidParameterError, match=r"contamination must be a float in \(0, 0.5\]"):
            lm.AnomalyDetector(contamination=c, **FAST).fit(X[:50])
    with pytest.raises(DataError, match="shape"):
        detector.decision_function(np.zeros((3, 30)))
    with pytest.raises(DataError, match="shape"):
        detector.predict(np.zeros((3, 1, 8, 7)))
    table = np.ones((20, 3))
    table[0, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        lm.AnomalyDetector(**FAST).fit(table)
    with pytest.raises(InvalidParameterError, match="aae"):
        lm.AnomalyDetector(method="discriminator", autoencoder="dae", **FAST).fit(X[:50])
    with pytest.raises(InvalidParameterError, match="method"):
        lm.AnomalyDetector(method="iforest").fit(X[:50])
    with pytest.raises(lm.exceptions.NotFittedError):
        lm.AnomalyDetector().decision_function(X)


def test_reconstruction_scores(digits, detector):
    """'standardized' divides each pixel's residual by its spread on the training residuals
    (floored at a tenth of the mean spread); 'mse' is the autoencoder's own per-sample error."""
    X, y, Xt, _ = digits
    resid = (X[y != 0] - detector.autoencoder_.reconstruct(X[y != 0])).reshape(int((y != 0).sum()), -1)
    std = resid.std(0)
    np.testing.assert_allclose(detector.residual_mean_.numpy(), resid.mean(0), atol=1e-5)
    np.testing.assert_allclose(detector.residual_scale_.numpy(), std + 0.1 * std.mean(), rtol=1e-4, atol=1e-6)
    mse = lm.AnomalyDetector(reconstruction="mse", random_state=0, **FAST).fit(X[y != 0])
    np.testing.assert_allclose(mse.score_components(Xt[:20])["reconstruction"],
                               -mse.autoencoder_.score_samples(Xt[:20]), rtol=1e-6)
    with pytest.raises(lm.exceptions.InvalidParameterError, match="reconstruction"):
        lm.AnomalyDetector(reconstruction="l1").fit(X[:50])
