"""Feature extractors: the digits classifier really trains (seconds), caches, reloads and
recovers from a corrupted cache; user modules and callables plug in. Every test points the cache
at a temporary folder."""

import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import latentmix as lm
from latentmix.exceptions import DataError, InvalidParameterError
from latentmix.metrics import _classifier, generation
from latentmix.metrics import features as F

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def digits_cache(tmp_path_factory):
    """A cache folder holding the digits classifier, trained once for this module."""
    root = tmp_path_factory.mktemp("xdg")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(root))
        mp.delenv("LATENTMIX_CACHE", raising=False)
        start = time.perf_counter()
        fx = F.get_feature_extractor("digits")
        seconds = time.perf_counter() - start
    return root, fx, seconds


@pytest.fixture()
def cache_env(monkeypatch, digits_cache):
    monkeypatch.setenv("XDG_CACHE_HOME", str(digits_cache[0]))
    monkeypatch.delenv("LATENTMIX_CACHE", raising=False)
    return digits_cache[0]


@pytest.fixture(scope="module")
def digits():
    return lm.datasets.load("digits", "train")[0], lm.datasets.load("digits", "test")[0]


def test_digits_classifier_trains_and_is_cached(digits_cache, cache_env, digits):
    root, fx, seconds = digits_cache
    assert not fx.info["from_cache"] and fx.info["test_accuracy"] > 0.95 and seconds < 60
    path = root / "latentmix" / "feature-extractors" / "digits-v1.safetensors"
    assert F.classifier_path("digits") == path and path.is_file()
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["seed"] == 0 and sidecar["epochs"] > 0 and sidecar["test_accuracy"] == fx.info["test_accuracy"]
    start = time.perf_counter()
    again = F.get_feature_extractor("digits")
    assert again.info["from_cache"] and time.perf_counter() - start < 0.5 * seconds
    X = digits[1]
    np.testing.assert_array_equal(again.features(X.numpy()), fx.features(X.numpy()))


def test_features_and_probabilities_shapes_and_types(digits_cache, digits):
    fx = digits_cache[1]
    X = digits[1][:50]
    feats, probs = fx.features(X), fx.probabilities(X)
    assert isinstance(feats, torch.Tensor) and feats.shape == (50, 128) and probs.shape == (50, 10)
    torch.testing.assert_close(probs.sum(1), torch.ones(50))
    assert isinstance(fx.features(X.numpy()), np.ndarray)
    torch.testing.assert_close(fx.features(X[:, 0]), feats)                 # (N, H, W)
    torch.testing.assert_close(fx.features(X.reshape(50, -1), batch_size=7), feats)   # flattened, small batches
    both = fx.features_and_probabilities(X)
    torch.testing.assert_close(both[0], feats)
    torch.testing.assert_close(both[1], probs)
    with pytest.raises(DataError, match=r"\(N, 1, 8, 8\)"):
        fx.features(torch.zeros(5, 1, 28, 28))
    with pytest.warns(UserWarning, match=r"expects \[0, 1\]"):
        fx.features(X * 2 - 1)


def test_training_is_deterministic_and_leaves_the_global_rng_alone():
    state = torch.random.get_rng_state()
    m1, acc1 = F.train_feature_classifier("digits", epochs=1, seed=3)
    m2, acc2 = F.train_feature_classifier("digits", epochs=1, seed=3)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert acc1 == acc2
    for (name, p1), p2 in zip(m1.state_dict().items(), m2.state_dict().values()):
        assert torch.equal(p1, p2), name
    m3, _ = F.train_feature_classifier("digits", epochs=1, seed=4)
    assert not torch.equal(m3.head.weight, m1.head.weight)
    assert not m1.training and not any(p.requires_grad for p in m1.parameters())


@pytest.mark.parametrize("damage", ["garbage", "flipped-byte", "no-sidecar"])
def test_corrupted_cache_is_retrained_with_a_warning(tmp_path, monkeypatch, digits_cache, damage):
    source = digits_cache[0] / "latentmix"
    monkeypatch.setenv("LATENTMIX_CACHE", str(tmp_path))
    path = F.classifier_path("digits")
    assert path.parent == tmp_path / "feature-extractors"
    path.parent.mkdir(parents=True)
    for suffix in (".safetensors", ".json"):
        (path.with_suffix(suffix)).write_bytes((source / "feature-extractors" / f"digits-v1{suffix}").read_bytes())
    if damage == "garbage":
        path.write_bytes(b"not a safetensors file")
    elif damage == "flipped-byte":
        data = bytearray(path.read_bytes())
        data[-10] ^= 0xFF
        path.write_bytes(bytes(data))
    else:
        path.with_suffix(".json").unlink()
    quick = dataclasses.replace(_classifier.CLASSIFIER_SPECS["digits"], epochs=1)
    monkeypatch.setitem(_classifier.CLASSIFIER_SPECS, "digits", quick)
    with pytest.warns(UserWarning, match="retraining"):
        fx = F.get_feature_extractor("digits")
    assert not fx.info["from_cache"] and fx.info["epochs"] == 1
    assert set(load_file(str(path))) == set(fx._module.state_dict())
    assert F.get_feature_extractor("digits").info["from_cache"]


def test_evaluate_samples_on_digits(digits_cache, cache_env, digits):
    train, test = digits
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))
    noise = torch.rand(360, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    options = dict(features="digits", kid_subsets=10, kid_subset_size=300)
    close = generation.evaluate_samples(test, train[order[:360]], **options)
    far = generation.evaluate_samples(test, noise, **options)
    assert close["features"] == "digits" and close["n_fake"] == 360
    assert close["frechet_distance"] < 0.1 * far["frechet_distance"]
    assert close["kid_mean"] < 0.1 * far["kid_mean"]
    assert close["one_nn_accuracy"] < 0.75 and far["one_nn_accuracy"] > 0.95   # the test split's writers differ
    assert close["precision"] > 0.6 and far["precision"] < 0.3 and far["recall"] < 0.1
    assert close["classifier_score"] > 8 and far["classifier_score"] < 5
    halves = generation.evaluate_samples(train[order[:700]], train[order[700:1400]], **options)
    assert halves["one_nn_accuracy"] == pytest.approx(0.5, abs=0.1)
    assert halves["frechet_distance"] < close["frechet_distance"]
    direct = generation.frechet_distance(test, train[order[:360]], features="digits")
    assert direct == pytest.approx(close["frechet_distance"], rel=1e-9)


def test_user_module_and_callable():
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 5), torch.nn.Dropout(0.5)).train()
    fx = F.get_feature_extractor(net)
    X = torch.rand(30, 1, 8, 8)
    out = fx.features(X, batch_size=8)
    assert out.shape == (30, 5) and net.training
    torch.testing.assert_close(out, net.eval()(X).detach())               # eval mode during extraction
    assert fx.probabilities(X) is None
    fn = F.get_feature_extractor(lambda x: x.mean(dim=(2, 3)))
    assert fn.features(X.numpy()).shape == (30, 1)
    assert F.get_feature_extractor(fn) is fn


def test_unknown_extractor_lists_the_choices():
    with pytest.raises(InvalidParameterError, match="'cifar10', 'digits', 'fashion-mnist', 'mnist', 'svhn'"):
        F.get_feature_extractor("inception-v3")
    with pytest.raises(InvalidParameterError):
        F.get_feature_extractor(42)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/share/datasets/fashion-mnist").is_dir(),
                    reason="Debian's dataset-fashion-mnist is not installed (.ci/run installs it)")
def test_fashion_mnist_classifier(tmp_path, monkeypatch):
    """Trains the fashion-mnist classifier (a few CPU minutes) and checks its accuracy."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("LATENTMIX_CACHE", raising=False)
    fx = F.get_feature_extractor("fashion-mnist")
    assert fx.info["test_accuracy"] > 0.89
    X, _ = lm.datasets.load("fashion-mnist", "test")
    fd = generation.frechet_distance(X[:2000], X[2000:4000], features=fx)
    assert fd < 0.1 * generation.frechet_distance(X[:2000], torch.rand(2000, 1, 28, 28), features=fx)
