"""The GAN estimator: training moves samples towards the data, DCGAN shapes, phases, EMA, seeds,
discriminator rejection sampling, save/load and parameter checks."""

import numpy as np
import pytest
import torch

import latentmix as lm
from latentmix.exceptions import DataError, FittingError, InvalidParameterError, NotFittedError

FAST = dict(device="cpu", verbose=0, random_state=0)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def digits():
    return lm.datasets.load("digits")[0]  # (1437, 1, 8, 8) in [0, 1]


def classic(**kw):
    return lm.GAN("mlp", "ns", 16, **{**dict(epochs=10, batch_size=32, lr_g=2e-3, lr_d=2e-3, hidden=(256, 128)),
                                      **FAST, **kw})


@pytest.fixture(scope="module")
def trained(digits):
    return classic().fit(digits)


def mean_image_gap(samples, X):
    return float((torch.as_tensor(samples).mean(0) - X.mean(0)).abs().mean())


def test_classic_mlp_gan_samples_move_towards_the_data(digits, trained):
    untrained = classic(epochs=1).fit(digits[:32])  # one step: as initialised
    before = mean_image_gap(untrained.sample(500, seed=0), digits)
    after = mean_image_gap(trained.sample(500, seed=0), digits)
    assert after < 0.5 * before, (before, after)
    samples = trained.sample(500, seed=0)
    assert float(samples.std(0).mean()) > 0.3 * float(digits.std(0).mean())  # not collapsed onto the mean
    assert [type(m).__name__ for m in trained.networks_["discriminator"]].count("LeakyReLU") == 2
    assert "Sigmoid" in [type(m).__name__ for m in trained.networks_["generator"]]
    assert np.isfinite(trained.history_[-1]["discriminate/loss"]) and np.isfinite(trained.history_[-1]["generate/loss"])


@pytest.mark.parametrize("shape, loss", [((1, 8, 8), "ns"), ((1, 28, 28), "hinge"), ((3, 32, 32), "wgan-gp")])
def test_dcgan_is_sized_from_the_images(digits, shape, loss):
    X = digits[:16] if shape == (1, 8, 8) else torch.rand(8, *shape)
    gan = lm.GAN("dcgan", loss, 8, epochs=1, batch_size=8, calibration_fraction=0.0, ema=0.99, **FAST).fit(X)
    samples = gan.sample(5, seed=0)
    assert samples.shape == (5, *shape) and float(samples.min()) >= 0 and float(samples.max()) <= 1
    kinds = {name: {type(m).__name__ for m in net.modules()} for name, net in gan.networks_.items()}
    assert "ConvTranspose2d" in kinds["generator"] and "BatchNorm2d" in kinds["generator"]
    assert "Conv2d" in kinds["discriminator"]
    assert ("BatchNorm2d" in kinds["discriminator"]) == (loss != "wgan-gp")  # no BatchNorm under a gradient penalty
    assert gan.networks_["discriminator"](samples).shape == (5, 1)
    for b_ema, b in zip(gan.networks_["generator_ema"].buffers(), gan.networks_["generator"].buffers()):
        assert torch.equal(b_ema, b)  # BatchNorm statistics are copied, not averaged


@pytest.mark.parametrize("loss", ["minimax", "hinge", "wgan-gp", "lsgan"])
def test_every_loss_trains(digits, loss):
    gan = lm.GAN("mlp", loss, 8, epochs=1, batch_size=32, spectral_norm=loss == "hinge", **FAST).fit(digits[:128])
    record = gan.history_[-1]
    assert np.isfinite(record["discriminate/loss"]) and np.isfinite(record["generate/loss"])
    assert ("discriminate/gradient_penalty" in record) == (loss == "wgan-gp")
    normalised = [hasattr(m, "parametrizations") for m in gan.networks_["discriminator"].modules()]
    assert any(normalised) == (loss == "hinge")  # spectral norm


class Counting(lm.GAN):
    """Counts phase calls and keeps the generator's weights as they were before its first step."""

    def training_phases(self):
        self.calls, self.first_generator = {"discriminate": 0, "generate": 0}, None
        phases = super().training_phases()
        for phase in phases:
            phase.loss = self._counted(phase.name, phase.loss)
        return phases

    def _counted(self, name, loss):
        def run(batch, ctx):
            self.calls[name] += 1
            if name == "generate" and self.first_generator is None:
                self.first_generator = {k: v.clone() for k, v in self.networks_["generator"].state_dict().items()}
            return loss(batch, ctx)
        return run


def test_phases_and_n_critic(digits):
    gan = Counting("mlp", "wgan-gp", 4, epochs=2, batch_size=4, n_critic=3, calibration_fraction=0.0, **FAST)
    gan.fit(digits[:40])  # 10 steps per epoch, 20 in all: the generator runs at steps 0, 3, ..., 18
    assert gan.calls == {"discriminate": 20, "generate": 7}
    phases = gan.training_phases()
    assert [(p.name, p.networks, p.interval) for p in phases] == [
        ("discriminate", ("discriminator",), 1), ("generate", ("generator",), 3)]
    assert phases[1].after_step is None


def test_generator_ema(digits):
    decay = 0.9
    gan = Counting("mlp", "ns", 4, epochs=1, batch_size=8, ema=decay, calibration_fraction=0.0, **FAST)
    gan.fit(digits[:8])  # one step: ema = d * initial + (1 - d) * updated generator, d warmed up
    d = gan.ema_decay(0)
    assert d == pytest.approx(0.1) and gan.ema_decay(10**6) == decay and gan.ema_decay(30) == pytest.approx(31 / 40)
    assert not any(p.requires_grad for p in gan.networks_["generator_ema"].parameters())
    raw, ema = gan.networks_["generator"].state_dict(), gan.networks_["generator_ema"].state_dict()
    for key, value in ema.items():
        torch.testing.assert_close(value, d * gan.first_generator[key] + (1 - d) * raw[key])
        assert not torch.equal(value, raw[key])
    phases = gan.training_phases()
    assert all("generator_ema" not in p.networks for p in phases) and phases[1].after_step is not None
    z = torch.randn(6, 4, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        expected, from_raw = gan.networks_["generator_ema"](z), gan.networks_["generator"](z)
    samples = gan.sample(6, seed=3)
    torch.testing.assert_close(samples, expected)
    assert not torch.allclose(samples, from_raw)


def test_seeds_and_output_types(digits, trained):
    a, b = trained.sample(20, seed=5), trained.sample(20, seed=5)
    assert isinstance(a, torch.Tensor) and a.shape == (20, 1, 8, 8) and torch.equal(a, b)
    assert not torch.equal(a, trained.sample(20, seed=6))
    on_numpy = lm.GAN("mlp", "ns", 4, epochs=1, **FAST).fit(digits[:64].numpy())
    out = on_numpy.sample(3, seed=0)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (3, 1, 8, 8)
    twin = lm.GAN("mlp", "ns", 4, epochs=1, **FAST).fit(digits[:64].numpy())
    np.testing.assert_array_equal(out, twin.sample(3, seed=0))


def test_rejection_sampling_prefers_what_the_discriminator_calls_real(trained):
    cal = trained.calibration_
    assert all(np.isfinite([cal.scale, cal.bias, cal.max_logit, cal.gamma]))
    plain = trained.sample(1000, seed=0)
    kept = trained.sample(1000, seed=0, rejection=True)
    rate = trained.acceptance_rate_
    assert kept.shape == plain.shape and 0 < rate <= 1
    assert float(kept.min()) >= 0 and float(kept.max()) <= 1
    score_plain = float(trained.discriminator_score(plain).mean())
    score_kept = float(trained.discriminator_score(kept).mean())
    assert score_kept > score_plain
    strict = trained.sample(1000, seed=0, rejection=True, gamma=cal.gamma + 2.0)
    assert trained.acceptance_rate_ < rate
    assert float(trained.discriminator_score(strict).mean()) > score_kept
    torch.testing.assert_close(trained.sample(50, seed=1, rejection=True), trained.sample(50, seed=1, rejection=True))
    with pytest.raises(FittingError, match="lower gamma"):
        trained.sample(10, seed=0, rejection=True, gamma=1e4)


def test_save_load_keeps_weights_and_calibration(trained, tmp_path):
    trained.save(tmp_path / "run")
    loaded = lm.load(tmp_path / "run")
    assert type(loaded) is lm.GAN and loaded.get_params() == trained.get_params()
    assert loaded.calibration_ == trained.calibration_
    torch.testing.assert_close(loaded.sample(30, seed=2), trained.sample(30, seed=2))
    torch.testing.assert_close(loaded.sample(30, seed=2, rejection=True), trained.sample(30, seed=2, rejection=True))


def test_calibration_data(digits):
    no_held_out = lm.GAN("mlp", "ns", 4, epochs=1, calibration_fraction=0.0, **FAST).fit(digits[:64])
    assert no_held_out.calibration_ is None
    with pytest.raises(InvalidParameterError, match="calibrat"):
        no_held_out.sample(5, rejection=True)
    with pytest.raises(InvalidParameterError, match="calibrat"):
        no_held_out.discriminator_score(digits[:5])
    assert no_held_out.discriminator_score(digits[:5], calibrated=False).shape == (5,)
    given = lm.GAN("mlp", "ns", 4, epochs=1, calibration_fraction=0.0, **FAST)
    given.fit(digits[:64], validation=digits[64:96])
    assert given.calibration_ is not None and given.sample(4, seed=0, rejection=True).shape == (4, 1, 8, 8)


@pytest.mark.parametrize("params, message", [
    (dict(loss="wasserstein"), "loss"), (dict(arch="resnet"), "arch"), (dict(n_critic=0), "n_critic"),
    (dict(lr_g=-1e-4), "lr_g"), (dict(lr_d=0.0), "lr_d"), (dict(betas=(0.5,)), "betas"),
    (dict(betas=(0.5, 1.0)), "betas"), (dict(ema=1.0), "ema"), (dict(gp_weight=-1.0), "gp_weight"),
    (dict(patience=3), "patience"), (dict(calibration_fraction=0.9), "calibration_fraction"),
    (dict(latent_dim=0), "latent_dim"),
])
def test_bad_parameters(digits, params, message):
    with pytest.raises(InvalidParameterError, match=message):
        lm.GAN(**{**FAST, "epochs": 1, **params}).fit(digits[:16])


def test_bad_input_and_bad_sample_arguments(digits, trained):
    with pytest.raises(NotFittedError):
        lm.GAN().sample(4)
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        lm.GAN(epochs=1, **FAST).fit(digits[:16] * 2 - 1)
    with pytest.raises(DataError, match="shape"):
        trained.discriminator_score(torch.rand(3, 1, 28, 28))
    for kwargs in (dict(n_samples=0), dict(n_samples=2.5), dict(n_samples=3, seed=-1),
                   dict(n_samples=3, gamma=1.0), dict(n_samples=3, rejection=True, gamma=float("nan"))):
        with pytest.raises(InvalidParameterError):
            trained.sample(**kwargs)


def test_resume_continues_exactly(digits, tmp_path):
    kw = dict(arch="mlp", loss="ns", latent_dim=4, batch_size=16, ema=0.9, **FAST)
    straight = lm.GAN(epochs=2, **kw).fit(digits[:64], run_dir=tmp_path / "a")
    lm.GAN(epochs=1, **kw).fit(digits[:64], run_dir=tmp_path / "b")
    resumed = lm.GAN(epochs=2, **kw).fit(digits[:64], run_dir=tmp_path / "b", resume=True)
    for (key, a), b in zip(straight.networks_.state_dict().items(), resumed.networks_.state_dict().values()):
        assert torch.equal(a, b), key
    assert resumed.calibration_ == straight.calibration_
    assert lm.load(tmp_path / "b").calibration_ == straight.calibration_
