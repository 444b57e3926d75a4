"""DeepClustering on the 8x8 digits and on a table: quality against k-means on pixels, scikit-learn's
clusterer API, every method, refinement, save/load as one model, and bad input."""

import sys
import types

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans
from sklearn.datasets import load_breast_cancer

import latentmix as lm
from latentmix.exceptions import DataError, InvalidParameterError
from latentmix.tasks._refine import kl_to_target, student_t_assignments, target_distribution

pytestmark = pytest.mark.usefixtures("one_thread")
FAST = dict(epochs=30, batch_size=128, device="cpu")


@pytest.fixture(scope="module")
def digits():
    X, y = lm.datasets.load("digits", split="train")
    return X.numpy(), y.numpy()


@pytest.fixture(scope="module")
def fitted(digits):
    X, _ = digits
    return lm.DeepClustering(10, random_state=0, **FAST).fit(X)


def test_latent_gmm_beats_kmeans_on_pixels_minus_a_margin(digits, fitted):
    X, y = digits
    kmeans = KMeans(10, n_init=10, random_state=0).fit(X.reshape(len(X), -1)).labels_
    base = lm.metrics.clustering_accuracy(y, kmeans)  # about 0.81 here
    acc = lm.metrics.clustering_accuracy(y, fitted.labels_)
    assert acc > base - 0.12, (acc, base)
    assert lm.metrics.normalized_mutual_info(y, fitted.labels_) > 0.65


def test_clusterer_api(digits, fitted):
    X, _ = digits
    assert isinstance(fitted, lm.models.ClusterMixin)
    np.testing.assert_array_equal(fitted.predict(X), fitted.labels_)
    proba = fitted.predict_proba(X[:50])
    assert proba.shape == (50, 10) and np.allclose(proba.sum(1), 1, atol=1e-5)
    np.testing.assert_array_equal(proba.argmax(1), fitted.labels_[:50])
    assert fitted.transform(X[:7]).shape == (7, 10)
    scores = fitted.score_samples(X[:20])
    assert scores.shape == (20,) and np.isfinite(scores).all()
    t = fitted.predict(torch.as_tensor(X[:5]))  # torch in, torch out
    assert isinstance(t, torch.Tensor) and t.tolist() == fitted.labels_[:5].tolist()
    reps = fitted.representatives(X, n=4)
    assert reps.shape == (10, 4)
    for j, row in enumerate(reps):
        assert all(fitted.labels_[i] == j for i in row if i >= 0)


def test_fit_predict_equals_fit_then_predict(digits):
    X, _ = digits
    a = lm.DeepClustering(10, random_state=3, **FAST).fit_predict(X)
    b = lm.DeepClustering(10, random_state=3, **FAST).fit(X).predict(X)
    np.testing.assert_array_equal(a, b)


def test_save_load_round_trip(digits, fitted, tmp_path):
    X, _ = digits
    fitted.save(tmp_path / "clu")
    assert (tmp_path / "clu" / "autoencoder" / "config.json").is_file()
    assert (tmp_path / "clu" / "mixture" / "config.json").is_file()
    back = lm.load(tmp_path / "clu")
    assert isinstance(back, lm.DeepClustering)
    np.testing.assert_array_equal(back.labels_, fitted.labels_)
    np.testing.assert_array_equal(back.predict(X), fitted.predict(X))
    np.testing.assert_allclose(back.score_samples(X[:30]), fitted.score_samples(X[:30]), rtol=1e-5)


@pytest.mark.parametrize("kw", [dict(method="aae"), dict(method="aae", prior="categorical"), dict(method="vade"),
                                dict(refine=True, refine_epochs=5),
                                dict(refine=True, refine_epochs=5, refine_kernel="student-t")])
def test_every_method_clusters_and_round_trips(digits, kw, tmp_path):
    X, y = digits
    clu = lm.DeepClustering(10, random_state=0, **{**FAST, "epochs": 15}, **kw).fit(X)
    labels = clu.labels_
    assert labels.shape == (len(X),) and labels.max() < 10
    assert len(np.unique(labels)) >= 3  # not collapsed to one cluster
    assert lm.metrics.clustering_accuracy(y, labels) > 0.2  # chance is 0.1
    np.testing.assert_array_equal(clu.predict(X), labels)
    assert np.isfinite(clu.score_samples(X[:10])).all()
    back = lm.load(clu.save(tmp_path / "m"))
    np.testing.assert_array_equal(back.predict(X[:100]), labels[:100])
    if kw.get("refine"):
        assert clu.clusterer_ == "mixture" and len(clu.refine_history_) == 5


def test_refinement_sharpens_and_keeps_the_clusters(digits, fitted):
    X, y = digits
    refined = lm.DeepClustering(10, random_state=0, refine=True, refine_epochs=10, **FAST).fit(X)
    base_acc = lm.metrics.clustering_accuracy(y, fitted.labels_)
    acc = lm.metrics.clustering_accuracy(y, refined.labels_)
    assert acc > base_acc - 0.08, (acc, base_acc)
    assert lm.metrics.adjusted_rand_index(fitted.labels_, refined.labels_) > 0.6  # the same clustering, refined
    kl = [h["self-train/kl"] for h in refined.refine_history_]
    assert all(np.isfinite(kl))


def test_dec_maths():
    z = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.1, 0.0]])
    centres = torch.tensor([[0.0, 0.0], [3.0, 0.0]])
    q = student_t_assignments(z, centres, alpha=1.0)
    expected = torch.tensor([1.0, 1 / (1 + 9.0)])
    np.testing.assert_allclose(q[0].numpy(), (expected / expected.sum()).numpy(), rtol=1e-6)
    p = target_distribution(q)
    assert torch.allclose(p.sum(1), torch.ones(3))
    assert (p.max(1).values >= q.max(1).values - 1e-6).all()  # sharper
    assert float(kl_to_target(q, q)) == pytest.approx(0.0, abs=1e-6)
    assert float(kl_to_target(p, q)) > 0


def test_table_input():
    X, y = load_breast_cancer(return_X_y=True)
    clu = lm.DeepClustering(2, latent_dim=4, random_state=0, **FAST).fit(X)
    assert lm.metrics.clustering_accuracy(y, clu.labels_) > 0.75  # k-means on raw columns: 0.85, on scaled: 0.91
    assert clu.transform(X[:3]).shape == (3, 4)


def test_manifold_needs_umap_or_uses_it(digits, monkeypatch):
    X, y = digits
    monkeypatch.setitem(sys.modules, "umap", None)  # not importable
    with pytest.raises(InvalidParameterError, match=r"latentmix\[umap\]"):
        lm.DeepClustering(10, method="manifold", **FAST).fit(X)

    class FakeUMAP:  # the plumbing, with a linear stand-in for UMAP
        def __init__(self, n_components, **kwargs):
            self.n_components = n_components

        def fit_transform(self, Z):
            from sklearn.decomposition import PCA

            return PCA(self.n_components, random_state=0).fit_transform(Z)

    monkeypatch.setitem(sys.modules, "umap", types.SimpleNamespace(UMAP=FakeUMAP))
    clu = lm.DeepClustering(10, method="manifold", manifold_dim=5, random_state=0, **FAST).fit(X)
    assert clu.clusterer_ == "manifold" and lm.metrics.clustering_accuracy(y, clu.labels_) > 0.5
    np.testing.assert_array_equal(clu.predict(X), clu.labels_)  # training rows embed exactly


def test_bad_input(digits):
    X, _ = digits
    with pytest.raises(InvalidParameterError, match="more than the 5 samples"):
        lm.DeepClustering(10, **FAST).fit(X[:5])
    table = np.random.default_rng(0).normal(size=(50, 4))
    table[3, 2] = np.nan
    with pytest.raises(DataError, match="NaN"):
        lm.DeepClustering(2, **FAST).fit(table)
    with pytest.raises(InvalidParameterError, match="method"):
        lm.DeepClustering(3, method="kmeans").fit(table[:10])
    with pytest.raises(InvalidParameterError, match="n_clusters"):
        lm.DeepClustering(0).fit(X)
    with pytest.raises(InvalidParameterError, match="components"):
        lm.DeepClustering(3, method="aae", prior=lm.priors.GaussianMixturePrior(4)).fit(X)
    with pytest.raises(lm.exceptions.NotFittedError):
        lm.DeepClustering(3).predict(X)


def test_predict_on_another_width_is_a_clear_error(fitted):
    with pytest.raises(DataError, match="shape"):
        fitted.predict(np.zeros((3, 1, 9, 9), dtype=np.float32))


@pytest.mark.slow
def test_manifold_with_real_umap(digits):
    """N2D end to end with umap-learn itself (numba compiles UMAP on first use: ~1 min)."""
    pytest.importorskip("umap")
    X, y = digits
    clu = lm.DeepClustering(10, method="manifold", random_state=0, **FAST).fit(X)
    assert clu.manifold_embedding_.shape == (len(X), 10)
    assert lm.metrics.clustering_accuracy(y, clu.labels_) > 0.6  # UMAP of digit codes separates most digits
    np.testing.assert_array_equal(clu.predict(X), clu.labels_)
