"""One set of checks run over every registered neural model (like scikit-learn's test_common).

Autoencoder checks run over the models with ``transform``; sampling checks over those with ``sample``."""

import inspect

import numpy as np
import pytest
import torch

import latentmix as lm
from latentmix.exceptions import CheckpointError, DataError, InvalidParameterError, NotFittedError
from latentmix.models import get_model_class, model_names

FAST = dict(epochs=2, batch_size=64, device="cpu", verbose=0)


@pytest.fixture(scope="module")
def digits():
    X, y = lm.datasets.load("digits", split="train")
    return X[:300], y[:300]


def make(name, arch="dense", **kw):
    return get_model_class(name)(latent_dim=4, arch=arch, **{**FAST, "random_state": 0, **kw})


CASES = [(name, arch) for name in model_names() for arch in ("dense", "conv")]
AE_CASES = [(name, arch) for name, arch in CASES if hasattr(get_model_class(name), "transform")]
SAMPLER_CASES = [(name, arch) for name, arch in CASES if hasattr(get_model_class(name), "sample")]


def output(model, X):
    """What a fitted model computes: the codes of X for autoencoders, seeded samples for generators."""
    return model.transform(X) if hasattr(model, "transform") else model.sample(8, seed=0)


@pytest.mark.parametrize("name, arch", AE_CASES)
def test_fit_transform_shapes_and_types(digits, name, arch):
    X, _ = digits
    model = make(name, arch)
    assert model.fit(X) is model
    Z = model.transform(X)
    assert isinstance(Z, torch.Tensor) and Z.shape == (300, 4)
    assert model.inverse_transform(Z).shape == X.shape
    assert model.reconstruct(X).shape == X.shape
    assert model.score_samples(X).shape == (300,)
    Zn = model.transform(X.numpy())
    assert isinstance(Zn, np.ndarray) and Zn.dtype == np.float32
    np.testing.assert_allclose(Zn, Z.numpy(), rtol=1e-5, atol=1e-6)
    assert len(model.history_) == 2 and all(np.isfinite(h["reconstruct/loss"]) for h in model.history_)


@pytest.mark.parametrize("name", model_names())
def test_same_seed_same_weights(digits, name):
    X, _ = digits
    a, b = make(name).fit(X), make(name).fit(X)
    for (ka, va), (kb, vb) in zip(a.networks_.state_dict().items(), b.networks_.state_dict().items()):
        assert ka == kb and torch.equal(va, vb), ka
    c = make(name, random_state=1).fit(X)
    assert not torch.equal(output(a, X), output(c, X))


@pytest.mark.parametrize("name, arch", CASES)
def test_save_load_round_trip(digits, tmp_path, name, arch):
    X, _ = digits
    model = make(name, arch).fit(X)
    model.save(tmp_path / "run")
    loaded = lm.load(tmp_path / "run")
    assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
    if hasattr(model, "transform"):
        torch.testing.assert_close(loaded.transform(X), model.transform(X))
        torch.testing.assert_close(loaded.reconstruct(X), model.reconstruct(X))
    if hasattr(model, "sample"):
        torch.testing.assert_close(loaded.sample(8, seed=0), model.sample(8, seed=0))


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
    if not hasattr(model, "transform"):
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
    (name, params, message) for name in model_names() for params, message in BAD_PARAMETERS if _accepts(name, params)])
def test_bad_parameters(digits, name, params, message):
    X, _ = digits
    with pytest.raises(InvalidParameterError, match=message):
        get_model_class(name)(**{**FAST, **params}).fit(X)


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
