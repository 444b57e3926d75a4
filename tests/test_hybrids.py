"""The hybrid models on the 8x8 digits: what each promises, checked so that a broken model fails.

(The checks every registered model shares live in test_models_common.py.)"""

import numpy as np
import pytest
import torch

import latentmix as lm
from latentmix.exceptions import InvalidParameterError, NotFittedError
from latentmix.priors import CategoricalPrior, GaussianMixturePrior

pytestmark = pytest.mark.usefixtures("one_thread")
FAST = dict(device="cpu", verbose=0, random_state=0)


@pytest.fixture(scope="module")
def digits():
    X, y = lm.datasets.load("digits", split="train")
    return X, y


# ---------------------------------------------------------------- adversarial autoencoder
@pytest.mark.parametrize("posterior", ["deterministic", "gaussian"])
def test_aae_codes_follow_the_mixture_prior(digits, posterior):
    X, _ = digits
    prior = GaussianMixturePrior(10)
    aae = lm.AdversarialAutoEncoder(8, prior=prior, posterior=posterior, epochs=30, **FAST).fit(X)
    Z = aae.transform(X)
    built = aae.networks_["prior"]
    # The codes sit near the prior's modes: their mean log-density under the prior is far above
    # that of an unregularised autoencoder's codes of the same size.
    ae = lm.AutoEncoder(8, epochs=30, **FAST).fit(X)
    assert float(built.log_prob(Z).mean()) > float(built.log_prob(ae.transform(X)).mean()) + 5
    labels = aae.predict(X)
    # the codes spread over the modes, not one (the Gaussian posterior's noise leaves a few modes
    # empty on 1,437 digits after 30 epochs: 7 of 10 at seed 0)
    assert len(torch.unique(labels)) >= (8 if posterior == "deterministic" else 6)
    assert prior.dim is None  # the constructor's prior is a specification, never fitted


@pytest.mark.parametrize("posterior", ["deterministic", "gaussian"])
def test_aae_component_samples_decode_that_components_codes(digits, posterior):
    X, _ = digits
    aae = lm.AdversarialAutoEncoder(8, prior=GaussianMixturePrior(10), posterior=posterior, epochs=30, **FAST).fit(X)
    counts = torch.bincount(torch.as_tensor(aae.predict(X)), minlength=10)
    for k in counts.argsort(descending=True)[:3].tolist():  # modes the codes fill (a mode may stay empty)
        x = aae.sample(200, seed=k, component=k)
        # Re-encoded, a component's samples land mostly in that component.
        assert float((aae.predict(x) == k).float().mean()) > 0.5


def test_aae_adversarial_weight_changes_the_training(digits):
    # each phase has its own Adam, which ignores a constant factor on its loss: the weight must act
    # on the regularisation phase's step size, or it is a parameter that does nothing
    X, _ = digits
    codes = [torch.as_tensor(lm.AdversarialAutoEncoder(4, prior=GaussianMixturePrior(3), adversarial_weight=w,
                                                       epochs=2, **FAST).fit(X).transform(X[:200]))
             for w in (1.0, 0.1)]
    assert float((codes[0] - codes[1]).abs().max()) > 1e-2


def test_aae_gaussian_posterior_draws_in_training_and_returns_the_mean(digits):
    X, _ = digits
    aae = lm.AdversarialAutoEncoder(4, prior=GaussianMixturePrior(3), posterior="gaussian", epochs=2, **FAST).fit(X)
    assert aae.networks_["encoder"](torch.as_tensor(X[:5])).shape == (5, 8)  # a mean and a log-variance
    mean = torch.as_tensor(aae.transform(X[:50]))
    assert mean.shape == (50, 4) and torch.equal(mean, torch.as_tensor(aae.transform(X[:50])))
    with torch.no_grad():
        _, drawn = aae._codes(torch.as_tensor(X[:50]))
    assert float((drawn - mean).abs().mean()) > 1e-3  # training sees draws of q(z|x), not the mean


def test_aae_run_folder_saved_before_posterior_existed_loads_deterministic(digits, tmp_path):
    import json

    X, _ = digits
    aae = lm.AdversarialAutoEncoder(4, prior=GaussianMixturePrior(3), posterior="deterministic", epochs=1,
                                    **FAST).fit(X)
    path = aae.save(tmp_path / "old")
    config = json.loads((path / "config.json").read_text())
    del config["params"]["posterior"]  # what a folder written before the parameters looks like
    del config["params"]["r1_weight"]
    del config["params"]["encoder_updates"]
    (path / "config.json").write_text(json.dumps(config))
    back = lm.load(path)
    assert back.posterior == "deterministic" and back.r1_weight == 0.0 and back.encoder_updates == "separate"
    np.testing.assert_array_equal(np.asarray(back.transform(X[:20])), np.asarray(aae.transform(X[:20])))


def test_aae_auto_weight_is_gentler_for_the_categorical_form():
    assert lm.AdversarialAutoEncoder(4, prior=GaussianMixturePrior(3))._adversarial_weight() == 1.0
    assert lm.AdversarialAutoEncoder(4, prior=CategoricalPrior(3))._adversarial_weight() == 0.2
    assert lm.AdversarialAutoEncoder(4, prior=CategoricalPrior(3), adversarial_weight=0.7)._adversarial_weight() == 0.7


def test_aae_joint_updates_take_one_encoder_step_on_both_losses(digits, tmp_path):
    X, _ = digits
    aae = lm.AdversarialAutoEncoder(4, prior=GaussianMixturePrior(3), encoder_updates="joint", epochs=2, **FAST).fit(X)
    assert [p.name for p in aae.training_phases()] == ["reconstruct", "discriminate"]
    assert aae._adversarial_weight() == 0.5 / 64  # pythae's balance in mean-squared-error units, 8x8 inputs
    last = aae.history_[-1]
    total = last["reconstruct/reconstruction"] + aae._adversarial_weight() * last["reconstruct/adversarial"]
    assert last["reconstruct/loss"] == pytest.approx(total, rel=1e-5)
    # the weight is a loss weight here: it must change what is learnt
    other = lm.AdversarialAutoEncoder(4, prior=GaussianMixturePrior(3), encoder_updates="joint", adversarial_weight=1.0,
                                      epochs=2, **FAST).fit(X)
    codes = [torch.as_tensor(m.transform(X[:200])) for m in (aae, other)]
    assert float((codes[0] - codes[1]).abs().max()) > 1e-2
    back = lm.load(aae.save(tmp_path / "joint"))
    assert back.encoder_updates == "joint"
    np.testing.assert_array_equal(np.asarray(back.sample(5, seed=1)), np.asarray(aae.sample(5, seed=1)))


def test_aae_r1_penalty_trains_the_discriminator_gentler(digits):
    # R1 damps the latent discriminator's slope at prior samples: with it the discriminator's
    # input gradient there must be smaller than without, and the penalty is logged
    X, _ = digits
    slopes = []
    for weight in (0.0, 10.0):
        aae = lm.AdversarialAutoEncoder(4, prior=GaussianMixturePrior(3), r1_weight=weight, epochs=3, **FAST).fit(X)
        assert ("discriminate/discriminator_r1" in aae.history_[-1]) == (weight > 0)
        z = aae.networks_["prior"].sample(500, torch.Generator().manual_seed(0))[0].requires_grad_(True)
        (grad,) = torch.autograd.grad(aae.networks_["discriminator"](z).sum(), z)
        slopes.append(float(grad.pow(2).sum(1).mean()))
    assert slopes[1] < 0.5 * slopes[0]


@pytest.mark.parametrize("bad, name", [(dict(posterior="gausian"), "posterior"),
                                       (dict(r1_weight=-1.0), "r1_weight"),
                                       (dict(encoder_updates="together"), "encoder_updates"),
                                       (dict(adversarial_weight="aut"), "adversarial_weight"),
                                       (dict(adversarial_weight=0.0), "adversarial_weight")])
def test_aae_rejects_bad_posterior_and_weight(digits, bad, name):
    with pytest.raises(InvalidParameterError, match=name):
        lm.AdversarialAutoEncoder(4, prior=GaussianMixturePrior(3), epochs=1, **FAST, **bad).fit(digits[0])


def test_aae_categorical_form(digits):
    X, y = digits
    aae = lm.AdversarialAutoEncoder(6, prior=CategoricalPrior(10), epochs=20, **FAST).fit(X)
    Z = aae.transform(X)
    assert Z.shape == (len(X), 16)
    torch.testing.assert_close(Z[:, :10].sum(1), torch.ones(len(X)))
    assert torch.equal(aae.predict(X), Z[:, :10].argmax(1))
    assert set(aae.networks_) >= {"class_discriminator", "discriminator", "style_prior"}
    assert aae.sample(5, seed=0, component=3).shape == (5, 1, 8, 8)


def test_aae_without_a_mixture_does_not_cluster(digits):
    X, _ = digits
    aae = lm.AdversarialAutoEncoder(4, epochs=1, **FAST).fit(X[:200])
    assert not aae.can_cluster()
    with pytest.raises(InvalidParameterError, match="GaussianMixturePrior"):
        aae.predict(X[:5])


# ---------------------------------------------------------------- VAE-GAN
def test_vaegan_runs_one_forward_pass_per_step(digits):
    X, _ = digits
    vg = lm.VAEGAN(4, arch="dense", epochs=1, batch_size=100, **FAST)
    calls = {"encoder": 0, "discriminator": 0}
    original = vg._build_networks

    def counted(shape):
        nets = original(shape)
        heads = {"encoder": nets["encoder"], "discriminator": nets["discriminator"][-1]}  # D runs as features + head
        for name, module in heads.items():
            module.register_forward_hook(lambda *a, name=name: calls.__setitem__(name, calls[name] + 1))
        return nets

    vg._build_networks = counted
    vg.fit(X[:400])  # 4 steps, 3 phases each
    assert calls == {"encoder": 4, "discriminator": 4}
    assert {"encode/loss", "decode/loss", "discriminate/loss"} <= set(vg.history_[0])


def test_vaegan_equilibrium_margin_follows_larsens_rule():
    from latentmix.train.phases import StepContext

    vg = lm.VAEGAN(4, arch="dense", equilibrium_margin=0.35)

    def decide(real, fake):  # logits: real rows, reconstructions, prior samples
        ctx = StepContext(0, 0, 0.0, None, None)
        ctx.cache["vaegan_logits"] = torch.tensor([[real] * 4, [fake] * 4, [fake] * 4])
        return vg._may_step("discriminator", ctx), vg._may_step("decoder", ctx)

    assert decide(0.0, 0.0) == (True, True)  # errors ln 2 = 0.69, in the band: both step
    assert decide(5.0, -5.0) == (False, True)  # D far ahead (errors 0.007): only the decoder steps
    assert decide(-5.0, 5.0) == (True, False)  # D far behind (errors 5.0): only D steps
    assert decide(5.0, 5.0) == (True, True)  # real error low and fake error high: both would skip


@pytest.mark.parametrize("bad", [0.0, -0.35, "0.35"])
def test_vaegan_rejects_a_bad_equilibrium_margin(digits, bad):
    with pytest.raises(InvalidParameterError, match="equilibrium_margin"):
        lm.VAEGAN(4, arch="dense", epochs=1, equilibrium_margin=bad, **FAST).fit(digits[0])


def test_vaegan_equilibrium_margin_skips_discriminator_steps(digits):
    X, _ = digits
    # without spectral norm, so that the discriminator runs ahead (with it, it never leaves the band here)
    plain = lm.VAEGAN(4, arch="dense", epochs=2, batch_size=100, spectral_norm=False, **FAST).fit(X)
    assert "discriminate/stepped" not in plain.history_[-1]
    vg = lm.VAEGAN(4, arch="dense", epochs=2, batch_size=100, spectral_norm=False, equilibrium_margin=0.35,
                   **FAST).fit(X)
    stepped = vg.history_[-1]["discriminate/stepped"]
    assert 0.0 < stepped < 1.0 and vg.history_[-1]["decode/stepped"] > 0.0
    assert vg.history_[-1]["discriminate/loss"] > plain.history_[-1]["discriminate/loss"]


def test_vaegan_decoder_moves_only_by_its_own_loss(digits):
    X, _ = digits
    # gamma = adversarial_weight = 0: the decoder's own loss is 0, so Adam leaves it unchanged unless
    # the encoder's loss (which runs through the decoder) leaks gradients into it.
    vg = lm.VAEGAN(4, arch="dense", epochs=1, batch_size=100, gamma=0.0, adversarial_weight=0.0, **FAST)
    vg.output_activation_ = "sigmoid"  # what fit finds for data in [0, 1]
    torch.manual_seed(0)  # fit seeds with random_state before building the networks
    initial = {k: v.clone() for k, v in vg._build_networks((1, 8, 8)).state_dict().items()}
    vg.fit(X[:300])
    after = vg.networks_.state_dict()
    changed = {k.split(".")[0] for k in after if k in initial and not torch.equal(initial[k], after[k])}
    assert changed == {"encoder", "discriminator"}


def test_vaegan_spectral_norm_bounds_every_discriminator_layer(digits):
    from torch.nn.utils import parametrize

    assert lm.VAEGAN().spectral_norm is True  # the default: what makes the 20-epoch Fashion run train
    vg = lm.VAEGAN(4, arch="conv", epochs=1, batch_size=100, **FAST).fit(digits[0][:300])
    disc = vg.networks_["discriminator"]
    weighted = [m for m in disc.modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))]
    assert weighted and all(parametrize.is_parametrized(m, "weight") for m in weighted)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in disc.modules())
    for m in weighted:  # the trained weights' largest singular value is 1 (power iteration: to a few %)
        assert float(torch.linalg.matrix_norm(m.weight.detach().flatten(1), 2)) < 1.05
    plain = lm.VAEGAN(4, arch="conv", epochs=1, batch_size=100, spectral_norm=False, **FAST).fit(digits[0][:300])
    assert not any(parametrize.is_parametrized(m) for m in plain.networks_["discriminator"].modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in plain.networks_["discriminator"].modules())


def test_vaegan_r1_penalty_flattens_the_discriminator_on_real_data(digits):
    X, _ = digits

    def slope(model):  # mean |d D(x) / dx|^2 over real digits
        x = X[:500].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(model.networks_["discriminator"](x).sum(), x)
        return float(grad.flatten(1).pow(2).sum(1).mean())

    plain = lm.VAEGAN(4, arch="dense", epochs=3, batch_size=100, spectral_norm=False, **FAST).fit(X)
    r1 = lm.VAEGAN(4, arch="dense", epochs=3, batch_size=100, spectral_norm=False, r1_weight=10.0, **FAST).fit(X)
    assert "discriminate/r1" not in plain.history_[-1] and r1.history_[-1]["discriminate/r1"] > 0
    assert slope(r1) < 0.5 * slope(plain)


def test_vaegan_samples_through_the_averaged_decoder(digits, tmp_path):
    X, _ = digits
    vg = lm.VAEGAN(4, arch="dense", epochs=1, batch_size=100, ema=0.9, **FAST)
    torch.manual_seed(0)  # fit seeds with random_state before building the networks
    vg.output_activation_ = "sigmoid"
    initial = vg._build_networks((1, 8, 8))["decoder"].state_dict()
    vg.fit(X[:100])  # one step: average = d * initial + (1 - d) * stepped decoder, d warmed up to 0.1
    live, average = vg.networks_["decoder"].state_dict(), vg.networks_["decoder_ema"].state_dict()
    for key, value in average.items():
        torch.testing.assert_close(value, 0.1 * initial[key] + 0.9 * live[key])
    assert not any(p.requires_grad for p in vg.networks_["decoder_ema"].parameters())
    z = vg.networks_["prior"].sample(6, torch.Generator().manual_seed(3))[0]
    with torch.no_grad():
        expected, from_live = vg.networks_["decoder_ema"](z), vg.networks_["decoder"](z)
    samples = vg.sample(6, seed=3)
    torch.testing.assert_close(samples, expected)
    assert not torch.allclose(samples, from_live)
    vg.save(tmp_path / "run")
    assert torch.equal(lm.load(tmp_path / "run").sample(6, seed=3), samples)


@pytest.mark.parametrize("params", [{"r1_weight": -1.0}, {"r1_weight": "1"}, {"spectral_norm": 1},
                                    {"ema": 1.0}, {"ema": -0.1}])
def test_vaegan_rejects_bad_stabiliser_settings(digits, params):
    with pytest.raises(InvalidParameterError, match=next(iter(params))):
        lm.VAEGAN(4, arch="dense", epochs=1, **params, **FAST).fit(digits[0])


# ---------------------------------------------------------------- LatentGMM
def test_latent_gmm_trains_its_autoencoder_and_scores(digits):
    X, y = digits
    ae = lm.AutoEncoder(8, epochs=30, **FAST)
    lg = lm.LatentGMM(ae, 10, random_state=0).fit(X)
    assert lg.autoencoder_ is ae and hasattr(ae, "networks_")
    Z = ae.transform(X)
    torch.testing.assert_close(lg.score_samples(X), torch.as_tensor(lg.mixture_.score_samples(Z)))
    assert lm.metrics.clustering_accuracy(y, lg.predict(X)) > 0.6  # k-means on pixels: ~0.67-0.8 here
    x = lg.sample(300, seed=0, component=4)
    assert float((lg.predict(x) == 4).float().mean()) > 0.8
    np_lg = lm.LatentGMM(lm.AutoEncoder(8, epochs=2, **FAST), 3, random_state=0).fit(X.numpy())
    assert isinstance(np_lg.sample(4, seed=0), np.ndarray) and isinstance(np_lg.predict(X.numpy()), np.ndarray)


def test_latent_gmm_over_a_fitted_autoencoder_keeps_it(digits):
    X, _ = digits
    ae = lm.AutoEncoder(4, epochs=2, **FAST).fit(X)
    weights = {k: v.clone() for k, v in ae.networks_.state_dict().items()}
    lm.LatentGMM(ae, 3, random_state=0).fit(X)
    assert all(torch.equal(v, ae.networks_.state_dict()[k]) for k, v in weights.items())
    with pytest.raises(InvalidParameterError, match="refit_autoencoder"):
        lm.LatentGMM(ae, 3).fit(X, resume=True)


def test_latent_gmm_errors(digits):
    X, _ = digits
    with pytest.raises(NotFittedError, match="autoencoder is not fitted"):
        lm.LatentGMM(lm.AutoEncoder(4), 3).predict(X)
    with pytest.raises(InvalidParameterError, match="needs an autoencoder"):
        lm.LatentGMM(n_components=3).fit(X)
    with pytest.raises(InvalidParameterError, match="autoencoder"):
        lm.LatentGMM(lm.GaussianMixture(3), 3).fit(X)
    with pytest.raises(InvalidParameterError, match="more than the 5 samples"):
        lm.LatentGMM(lm.AutoEncoder(4, epochs=1, **FAST), 10).fit(X[:5])


# ---------------------------------------------------------------- priors in the models
def test_a_prior_of_the_wrong_size_is_a_clear_error(digits):
    X, _ = digits
    for model in (lm.VAE(4, prior=GaussianMixturePrior(3, dim=5), epochs=1, **FAST),
                  lm.AdversarialAutoEncoder(4, prior=GaussianMixturePrior(3, dim=5), epochs=1, **FAST),
                  lm.GAN("mlp", latent_dim=4, prior=GaussianMixturePrior(3, dim=5), epochs=1, **FAST)):
        with pytest.raises(InvalidParameterError, match="dim=5"):
            model.fit(X[:50])


def test_gan_with_a_mixture_prior_generates_per_component(digits):
    X, _ = digits
    gan = lm.GAN("mlp", latent_dim=8, prior=GaussianMixturePrior(4), epochs=2, **FAST).fit(X)
    a, b = gan.sample(6, seed=0, component=1), gan.sample(6, seed=0, component=2)
    assert a.shape == (6, 1, 8, 8) and not torch.equal(a, b)
    torch.testing.assert_close(gan.sample(6, seed=0, component=1), a)


def test_vade_learns_its_mixture(digits):
    X, y = digits
    prior = GaussianMixturePrior(10, learnable=True)
    vae = lm.VAE(8, prior=prior, epochs=20, **FAST).fit(X)
    learned = vae.networks_["prior"]
    assert not torch.allclose(learned.means, GaussianMixturePrior(10, 8).means)  # trained
    assert lm.metrics.normalized_mutual_info(y, vae.predict(X)) > 0.3


# ---------------------------------------------------------------- stratified rejection in a GAN
def test_stratified_rejection_restores_the_real_component_shares(digits):
    X, _ = digits
    gan = lm.GAN("mlp", epochs=60, lr_g=1e-3, lr_d=1e-3, ema=0.99, strata=10, **FAST).fit(X)
    assert gan.strata_.n_strata == 10  # as asked ("auto" would give 2 on 180 held-out digits)
    target = torch.tensor(gan.stratified_calibration_.target_shares)

    def shares(x):
        return torch.bincount(gan.strata_.assign(gan._features(x)), minlength=gan.strata_.n_strata).double() / len(x)

    plain = shares(gan.sample(2000, seed=0))
    strat = shares(gan.sample(2000, seed=0, rejection="stratified"))
    assert float((strat - target).abs().sum()) < 0.5 * float((plain - target).abs().sum())
    assert float((strat - target).abs().max()) < 0.06


def test_auto_strata_follow_the_held_out_size(digits):
    from latentmix.models._rejecting import resolve_strata

    assert [resolve_strata("auto", n) for n in (0, 100, 480, 2400, 6000, 60_000)] == [2, 2, 2, 10, 25, 25]
    assert resolve_strata(7, 10) == 7  # an explicit count is kept
    X, _ = digits
    gan = lm.GAN("mlp", epochs=1, calibration_fraction=0, **FAST).fit(X[:100])
    assert gan.strata == "auto"
    gan.calibrate(X[100:700])  # 600 held-out digits: 600 // 240 = 2 strata
    assert gan.strata_.n_strata == 2 and len(gan.stratified_calibration_.offsets) == 2
    with pytest.raises(lm.exceptions.InvalidParameterError, match="strata"):
        lm.GAN("mlp", strata="many", **FAST).fit(X[:100])


def test_calibration_generates_in_proportion_to_the_held_out_data(digits):
    """Calibrating on a few held-out samples must not run the generator 20,000 times (it did: 12 s
    of a 17 s fit on 200 digits); on large held-out sets the count is what it always was."""
    from latentmix.models._rejecting import stratification_candidates

    X, _ = digits
    gan = lm.GAN("mlp", epochs=1, calibration_fraction=0, **FAST).fit(X[:100])
    rows = []
    gan.networks_["generator"].register_forward_hook(lambda module, args, out: rows.append(len(out)))
    generated = {}
    for n_held in (20, 80):
        rows.clear()
        gan.calibrate(X[100:100 + n_held])
        assert gan.strata_ is not None  # the stratified part ran
        generated[n_held] = sum(rows)
    assert generated[20] <= 1000 + 25 * 20  # the plain calibration's 1000 + the strata's candidates
    assert generated[80] - 1000 == 4 * (generated[20] - 1000)  # the strata's part scales with the data
    assert gan.sample(8, seed=0, rejection="stratified").shape == (8, 1, 8, 8)
    assert [stratification_candidates(n) for n in (800, 6000)] == [20_000, 24_000]  # large data: unchanged


# ---------------------------------------------------------------- resume
@pytest.mark.parametrize("make", [
    lambda e: lm.AdversarialAutoEncoder(4, prior=GaussianMixturePrior(3), epochs=e, batch_size=64, **FAST),
    lambda e: lm.VAEGAN(4, arch="dense", epochs=e, batch_size=64, **FAST),
], ids=["aae", "vaegan"])
def test_resume_gives_the_same_weights(digits, tmp_path, make):
    X, _ = digits
    X = X[:256]
    straight = make(2).fit(X)
    make(1).fit(X, run_dir=tmp_path)  # stopped after one epoch: the checkpoint holds everything
    resumed = make(2).fit(X, run_dir=tmp_path, resume=True)
    for k, v in straight.networks_.state_dict().items():
        assert torch.equal(v, resumed.networks_.state_dict()[k]), k


def test_vaegan_rejection_sampling_after_calibration(digits):
    X, _ = digits
    vg = lm.VAEGAN(4, arch="dense", epochs=3, **FAST)
    vg.fit(X[:1200], validation=X[1200:])
    assert vg.calibration_ is not None and vg.strata_ is not None
    a = vg.sample(16, seed=0, rejection="stratified")
    assert a.shape == (16, 1, 8, 8) and 0 < vg.acceptance_rate_ <= 1
    torch.testing.assert_close(vg.sample(16, seed=0, rejection="stratified"), a)
    assert vg.sample(8, seed=0, rejection=True).shape == (8, 1, 8, 8)
    with pytest.raises(InvalidParameterError, match="calibrate"):
        lm.VAEGAN(4, arch="dense", epochs=1, **FAST).fit(X[:200]).sample(4, rejection=True)
