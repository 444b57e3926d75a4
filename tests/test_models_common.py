"""One set of checks run over every registered model (like scikit-learn's test_common).

What a check applies to is read from the capability mixins, not guessed: autoencoder checks run
over the AutoEncoder subclasses, sampling checks over GenerativeMixin, clustering checks over
ClusterMixin models configured to cluster. Composites (LatentGMM) are built around a tiny
autoencoder by ``make``."""

import inspect

import numpy as np
import pytest
import torch

import latentmix as lm
from latentmix.core.persist import json_params
from latentmix.exceptions import CheckpointError, DataError, InvalidParameterError, NotFittedError
from latentmix.models import ClusterMixin, GenerativeMixin, get_model_class, model_names
from latentmix.models._neural import NeuralEstimator
from latentmix.priors import GaussianMixturePrior

FAST = dict(epochs=2, batch_size=64, device="cpu", verbose=0)
# Per-model settings that make the common checks meaningful (a mixture prior, so the AAE clusters).
EXTRA = {"aae": lambda: dict(prior=GaussianMixturePrior(3))}


@pytest.fixture(scope="module")
def digits():
    X, y = lm.datasets.load("digits", split="train")
    return X[:300], y[:300]


def make(name, arch="dense", **kw):
    cls = get_model_class(name)
    if not issubclass(cls, NeuralEstimator):  # a composite: around a tiny autoencoder
        ae = lm.AutoEncoder(latent_dim=4, arch=arch, **{**FAST, "random_state": kw.pop("random_state", 0)})
        return cls(ae, 3, random_state=0, device="cpu", **kw)
    return cls(latent_dim=4, arch=arch, **{**FAST, "random_state": 0, **EXTRA.get(name, dict)(), **kw})


def _is(name, base):
    return issubclass(get_model_class(name), base)


CASES = [(name, arch) for name in model_names() for arch in ("dense", "conv")]
AE_CASES = [(name, arch) for name, arch in CASES if _is(name, lm.AutoEncoder)]
SAMPLER_CASES = [(name, arch) for name, arch in CASES if _is(name, GenerativeMixin)]
CLUSTER_CASES = [(name, arch) for name, arch in CASES if _is(name, ClusterMixin) and make(name, arch).can_cluster()]
NEURAL = [name for name in model_names() if _is(name, NeuralEstimator)]


def output(model, X):
    """What a fitted model computes: the codes of X for encoders, seeded samples for generators."""
    return model.transform(X) if hasattr(model, "transform") else model.sample(8, seed=0)


def weights(model) -> dict:
    """Every tensor of the model's networks (a composite's: its autoencoder's)."""
    model = getattr(model, "autoencoder_", model)
    return model.networks_.state_dict()


@pytest.mark.parametrize("name, arch", AE_CASES)
def test_fit_transform_shapes_and_types(digits, name, arch):
    X, _ = digits
    model = make(name, arch)
    assert model.fit(X) is model
    Z = model.transform(X)
    assert isinstance(Z, torch.Tensor) and Z.shape == (300, model._decoder_input_dim() if name == "aae" else 4)
    assert model.inverse_transform(Z).shape == X.shape
    assert model.reconstruct(X).shape == X.shape
    assert model.score_samples(X).shape == (300,)
    Zn = model.transform(X.numpy())
    assert isinstance(Zn, np.ndarray) and Zn.dtype == np.float32
    np.testing.assert_allclose(Zn, Z.numpy(), rtol=1e-5, atol=1e-6)
    assert len(model.history_) == 2
    assert all(np.isfinite(v) for h in model.history_ for k, v in h.items() if k.endswith("loss") and v is not None)


@pytest.mark.parametrize("name", model_names())
def test_same_seed_same_weights(digits, name):
    X, _ = digits
    a, b = make(name).fit(X), make(name).fit(X)
    for (ka, va), (kb, vb) in zip(weights(a).items(), weights(b).items(), strict=True):
        assert ka == kb and torch.equal(va, vb), ka
    c = make(name, random_state=1).fit(X)
    assert not torch.equal(output(a, X), output(c, X))


@pytest.mark.parametrize("name, arch", CASES)
def test_save_load_round_trip(digits, tmp_path, name, arch):
    X, _ = digits
    model = make(name, arch).fit(X)
    model.save(tmp_path / "run")
    loaded = lm.load(tmp_path / "run")
    assert type(loaded) is type(model) and json_params(loaded) == json_params(model)
    if hasattr(model, "transform"):
        torch.testing.assert_close(loaded.transform(X), model.transform(X))
        torch.testing.assert_close(loaded.reconstruct(X), model.reconstruct(X))
    if isinstance(model, GenerativeMixin):
        torch.testing.assert_close(loaded.sample(8, seed=0), model.sample(8, seed=0))
    if isinstance(model, ClusterMixin) and model.can_cluster():
        assert torch.equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("name, arch", SAMPLER_CASES)
def test_samples_shape_range_and_seeds(digits, name, arch):
    X, _ = digits
    model = make(name, arch).fit(X)
    samples = model.sample(10, seed=0)
    assert isinstance(samples, torch.Tensor) and samples.shape == (10, *X.shape[1:])
    assert float(samples.min()) >= 0 and float(samples.max()) <= 1
    torch.testing.assert_close(model.sample(10, seed=0), samples)
    assert not torch.equal(model.sample(10, seed=1), samples)


@pytest.mark.parametrize("name", model_names())
def test_bad_input(digits, name):
    X, _ = digits
    model = make(name)
    with pytest.raises(NotFittedError):
        output(model, X)
    bad = X.clone()
    bad[3, 0, 2, 2] = float("nan")
    with pytest.raises(DataError, match="NaN"):
        model.fit(bad)
    with pytest.raises(DataError, match="empty"):
        model.fit(X[:0])
    with pytest.raises(InvalidParameterError):
        model.fit("digits")
    model.fit(X)
    if not isinstance(model, lm.AutoEncoder):
        return
    with pytest.raises(DataError, match="shape"):
        model.transform(torch.rand(5, 1, 28, 28))
    with pytest.raises(DataError, match="shape"):
        model.inverse_transform(torch.rand(5, 7))


BAD_PARAMETERS = [
    (dict(latent_dim=0), "latent_dim"), (dict(arch="rnn"), "arch"), (dict(epochs=0), "epochs"),
    (dict(lr=-1.0), "lr"), (dict(dropout=1.5), "dropout"), (dict(batch_size=0), "batch_size"),
    (dict(loss="nope"), "loss"), (dict(lr_g=-1.0), "lr_g"), (dict(n_critic=0), "n_critic"),
]


def _accepts(name, params):
    return set(params) <= set(inspect.signature(get_model_class(name)).parameters)


@pytest.mark.parametrize("name, params, message", [
    (name, params, message) for name in NEURAL for params, message in BAD_PARAMETERS if _accepts(name, params)])
def test_bad_parameters(digits, name, params, message):
    X, _ = digits
    with pytest.raises(InvalidParameterError, match=message):
        get_model_class(name)(**{**FAST, **params}).fit(X)


@pytest.mark.parametrize("name, arch", CLUSTER_CASES)
def test_clusterers(digits, name, arch):
    X, _ = digits
    model = make(name, arch)
    labels = model.fit_predict(X)
    proba = model.predict_proba(X)
    assert labels.shape == (300,) and proba.shape[0] == 300
    torch.testing.assert_close(proba.sum(1), torch.ones(300))
    assert torch.equal(proba.argmax(1), labels) and torch.equal(model.predict(X), labels)
    assert torch.equal(make(name, arch).fit(X).predict(X), labels)  # fit_predict == fit().predict
    k = proba.shape[1]
    assert model.sample(4, seed=0, component=k - 1).shape == (4, *X.shape[1:])
    with pytest.raises(InvalidParameterError, match="component"):
        model.sample(4, component=k)


@pytest.mark.parametrize("name", [n for n in model_names() if _is(n, ClusterMixin) and not make(n).can_cluster()])
def test_models_that_cannot_cluster_say_why(digits, name):
    X, _ = digits
    model = make(name).fit(X)
    with pytest.raises(InvalidParameterError, match="prior"):
        model.predict(X)
    with pytest.raises(InvalidParameterError, match="component"):
        model.sample(4, component=0)


def test_loading_a_foreign_or_broken_folder(tmp_path):
    with pytest.raises(CheckpointError, match="not a folder"):
        lm.load(tmp_path / "missing")
    (tmp_path / "run").mkdir()
    with pytest.raises(CheckpointError, match="config.json"):
        lm.load(tmp_path / "run")
    (tmp_path / "run" / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="corrupted"):
        lm.load(tmp_path / "run")
    (tmp_path / "run" / "config.json").write_text('{"format": "something-else"}')
    with pytest.raises(CheckpointError, match="foreign"):
        lm.load(tmp_path / "run")


def test_denoising_autoencoder_restores_masked_digits(digits):
    X, _ = digits
    dae = lm.DenoisingAutoEncoder(latent_dim=32, hidden=(128,), noise="masking", noise_level=0.5,
                                  epochs=60, batch_size=32, device="cpu", verbose=0, random_state=0).fit(X)
    noisy = dae.corrupt(X, seed=0)
    assert lm.metrics.psnr(X, dae.denoise(noisy)) > lm.metrics.psnr(X, noisy) + 3.0


def test_vae_samples_and_elbo(digits):
    X, _ = digits
    vae = lm.VAE(latent_dim=4, epochs=3, device="cpu", verbose=0, random_state=0).fit(X)
    samples = vae.sample(10, seed=0)
    assert samples.shape == (10, 1, 8, 8) and float(samples.min()) >= 0 and float(samples.max()) <= 1
    torch.testing.assert_close(samples, vae.sample(10, seed=0))
    assert vae.elbo(X).shape == (300,)
    with pytest.raises(DataError, match="bernoulli"):
        lm.VAE(epochs=1, device="cpu", verbose=0).fit(X * 3 - 1)
