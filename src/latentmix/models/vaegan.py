"""VAE-GAN (Larsen, Sonderby, Larochelle & Winther, 2016, "Autoencoding beyond pixels using a
learned similarity metric"): a VAE whose decoder is also a GAN's generator, with the
reconstruction error measured in a discriminator layer's features as well as in pixels.

One forward pass per step, shared by three phases through the step cache: encode x, decode the
posterior draw (x~) and a prior draw (x_p), and run the discriminator once on [x, x~, x_p].
Each network gets the paper's own loss ("limiting error signals", section 2.2):

- ``encode`` (encoder): pixel NLL + feature reconstruction + ``beta`` * KL (the adversarial
  loss does not reach the encoder);
- ``decode`` (decoder): ``gamma`` * (pixel NLL + feature reconstruction) + ``adversarial_weight``
  * non-saturating GAN loss on x~ and x_p;
- ``discriminate`` (discriminator): cross-entropy, real vs x~ and x_p.

With ``equilibrium_margin`` m (Larsen et al.'s code: m = 0.35 around an equilibrium of 0.68 nats)
a step skips the discriminator's update while either of its errors (cross-entropy on real, on
generated) is below 0.68 - m, and the decoder's while either is above 0.68 + m (both step if
both would be skipped): the discriminator cannot run away from the decoder.

The phases run in that order so each backward pass goes through weights not yet stepped. The
pixel term (``pixel_weight``; 0 = the paper's pure feature metric) anchors the reconstruction,
and the decoder's ``gamma`` (the paper's weight trading style against content) is what lets the
adversarial loss sharpen samples.

What makes it train for 20 epochs is spectral normalisation of the discriminator (Miyato et al.,
2018; ``spectral_norm=True``, the default). Without it (BatchNorm, as in DCGAN) the discriminator
wins from the first epoch and keeps sharpening: its logits grow from +-5 to +-17 over 20
Fashion-MNIST epochs, the feature reconstruction it defines grows with them, the decoder's
adversarial loss doubles and outweighs its reconstruction, and the decoded prior samples drift (FD
150 at 5 epochs, 536 at 20). With every layer 1-Lipschitz its logits stay within +-0.6, its loss
near the 1.39 of a balanced game, and the decoder keeps improving (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from functools import partial
from numbers import Integral, Real

import torch

from .._validation import InstanceOf, Interval, Options
from ..core.registry import register
from ..nn import build_discriminator
from ..train import Phase, adam
from ..train.checkpoint import plain_module
from ._ema import averaged_copy, ema_decay, update_average
from ._params import declared_init, training
from ._rejecting import RejectionMixin
from .autoencoder import AE_ARCHITECTURE
from .gan_losses import ns_g_loss, r1_penalty
from .vae import VAE, reparameterize

__all__ = ["VAEGAN"]

EQUILIBRIUM = 0.68  # nats: Larsen et al.'s balance point of the discriminator's errors (about ln 2)
EQUILIBRIUM_MARGIN = None  # off: m = 0.35 balanced the game but doubled FD on Fashion-MNIST (RESULTS.md)


@register("vaegan")
class VAEGAN(RejectionMixin, VAE):
    """A VAE (any prior) trained with a discriminator on its reconstructions and samples.

    ``gamma``: the decoder's weight on reconstruction against the adversarial loss;
    ``adversarial_weight``: the decoder's weight on fooling the discriminator; ``pixel_weight``:
    weight of the pixel NLL beside the discriminator-feature reconstruction; ``lr_d``: the
    discriminator's learning rate (all three optimizers are Adam with betas (0.5, 0.999));
    ``equilibrium_margin``: None (off) or Larsen et al.'s margin (0.35 in their code) around the
    discriminator's balance point, see the module docstring. Remedies for a discriminator that
    wins outright: ``spectral_norm`` (default; every discriminator layer, Miyato et al. 2018; its
    BatchNorm goes) and ``r1_weight`` (R1 on real images, Mescheder et al. 2018); ``ema`` (e.g. 0.999):
    sample through an exponential moving average of the decoder (``networks_["decoder_ema"]``).
    Other arguments as :class:`VAE`; ``sample``, ``transform``, ``predict`` (mixture prior) too.

    Its discriminator also checks what the decoder generates: after ``calibrate(held_out_real)``
    (or ``fit(X, validation=held_out_real)``, which calls it), ``sample(n, rejection=True)`` is
    discriminator rejection sampling and ``sample(n, rejection="stratified")`` its
    mixture-stratified form, as for :class:`~latentmix.GAN` (``strata`` mixture components; ``"auto"``:
    one per 240 held-out samples, 2 to 25).
    """

    _parameter_constraints = {
        **VAE._parameter_constraints,
        "gamma": [Interval(Real, 0.0, None, closed="left")],
        "adversarial_weight": [Interval(Real, 0.0, None, closed="left")],
        "pixel_weight": [Interval(Real, 0.0, None, closed="left")],
        "lr_d": [Interval(Real, 0.0, None, closed="neither")],
        "strata": [Interval(Integral, 1, None, closed="left"), Options({"auto"})],
        "equilibrium_margin": [None, Interval(Real, 0.0, None, closed="neither")],
        "spectral_norm": [InstanceOf(bool)],
        "r1_weight": [Interval(Real, 0.0, None, closed="left")],
        "ema": [None, Interval(Real, 0.0, 1.0, closed="left")],
    }
    # run folders written before these parameters existed
    _saved_before = {"equilibrium_margin": None, "spectral_norm": False, "r1_weight": 0.0, "ema": None}

    __init__ = declared_init([("latent_dim", 32)], [
        ("gamma", 0.01), ("adversarial_weight", 1.0), ("pixel_weight", 1.0), ("lr_d", 2e-4), ("beta", 1.0),
        ("likelihood", "bernoulli"), ("prior", None), ("strata", "auto"), ("equilibrium_margin", EQUILIBRIUM_MARGIN),
        ("spectral_norm", True), ("r1_weight", 0.0), ("ema", None),
        *[(n, "conv" if n == "arch" else d) for n, d in AE_ARCHITECTURE],
        *training(batch_size=64, lr=2e-4)])

    def _build_networks(self, input_shape: tuple) -> torch.nn.ModuleDict:
        networks = super()._build_networks(input_shape)
        networks["discriminator"] = build_discriminator(input_shape, self.arch, activation="leaky_relu",
                                                        spectral_norm=self.spectral_norm,
                                                        init="dcgan" if self.arch == "conv" else "default")
        if self.ema is not None:  # trained by no optimizer: updated after each decoder step
            networks["decoder_ema"] = averaged_copy(networks["decoder"])
        return networks

    def training_phases(self) -> list[Phase]:
        betas = (0.5, 0.999)
        encoder = ("encoder", "prior") if any(p.requires_grad for p in self.networks_["prior"].parameters()) \
            else ("encoder",)
        margin = self.equilibrium_margin is not None
        return [Phase("encode", encoder, self._encoder_loss, adam(self.lr, betas)),
                Phase("decode", ("decoder",), self._decoder_loss, adam(self.lr, betas),
                      active=partial(self._may_step, "decoder") if margin else None,
                      after_step=None if self.ema is None else self._update_ema),
                Phase("discriminate", ("discriminator",), self._discriminator_loss, adam(self.lr_d, betas),
                      active=partial(self._may_step, "discriminator") if margin else None)]

    def _update_ema(self, step: int) -> None:
        update_average(self.networks_["decoder_ema"], plain_module(self.networks_["decoder"]),
                       ema_decay(self.ema, step))

    def _may_step(self, who: str, ctx) -> bool:
        """Larsen et al.'s equilibrium rule for this step (decided once, from the shared forward)."""
        if "equilibrium" not in ctx.cache:
            logits = ctx.cache["vaegan_logits"]  # (3, B): real, reconstruction, prior sample
            softplus = torch.nn.functional.softplus
            real = float(softplus(-logits[0]).mean())
            fake = float(0.5 * (softplus(logits[1]).mean() + softplus(logits[2]).mean()))
            m = self.equilibrium_margin
            disc = not (real < EQUILIBRIUM - m or fake < EQUILIBRIUM - m)
            dec = not (real > EQUILIBRIUM + m or fake > EQUILIBRIUM + m)
            ctx.cache["equilibrium"] = {"discriminator": disc or not dec, "decoder": dec or not disc}
        return ctx.cache["equilibrium"][who]

    # ------------------------------------------------------------------ the shared forward pass
    def _forward(self, x: torch.Tensor) -> dict:
        """Everything the three losses need, computed once per step."""
        mean, logvar = self._posterior(x)
        z = reparameterize(mean, logvar)
        prior = self.networks_["prior"]
        decoder, disc = self.networks_["decoder"], self.networks_["discriminator"]
        x_tilde = decoder(z)
        x_p = decoder(prior.sample(len(x))[0].to(x.device))
        logits, features = disc(torch.cat([x, x_tilde, x_p]), with_features=True)  # one pass: (3B, 1), (3B, F)
        logits = logits.reshape(3, len(x))  # rows: real, reconstruction, prior sample
        f_real, f_tilde, _ = features.chunk(3)
        return {"nll": self._negative_log_likelihood(x_tilde, x),
                "feature": 0.5 * (f_tilde - f_real.detach()).pow(2).sum(1),  # Gaussian in feature space
                "kl": prior.kl(mean, logvar, z), "logits": logits}

    def _shared_terms(self, batch: torch.Tensor, ctx) -> dict:
        if ctx is None:
            return self._forward(batch)
        t = ctx.cached("vaegan", lambda: self._forward(batch))
        ctx.cache.setdefault("vaegan_logits", t["logits"].detach())  # the step's first (also under DDP)
        return t

    def _reconstruction(self, t: dict) -> torch.Tensor:
        return (self.pixel_weight * t["nll"] + t["feature"]).mean()

    def _encoder_loss(self, batch: torch.Tensor, ctx=None):
        t = self._shared_terms(batch, ctx)
        kl = t["kl"].mean()
        return self._reconstruction(t) + self.beta * kl, {"kl": kl.detach(), "nll": t["nll"].mean().detach(),
                                                         "feature": t["feature"].mean().detach()}

    def _decoder_loss(self, batch: torch.Tensor, ctx=None):
        t = self._shared_terms(batch, ctx)
        adversarial = ns_g_loss(t["logits"][1]) + ns_g_loss(t["logits"][2])
        return self.gamma * self._reconstruction(t) + self.adversarial_weight * adversarial, {
            "adversarial": adversarial.detach()}

    def _discriminator_loss(self, batch: torch.Tensor, ctx=None):
        logits = self._shared_terms(batch, ctx)["logits"]
        real, tilde, prior = logits[0], logits[1], logits[2]
        loss = torch.nn.functional.softplus(-real).mean() + 0.5 * (torch.nn.functional.softplus(tilde).mean()
                                                                   + torch.nn.functional.softplus(prior).mean())
        logs = {"real_logit": real.mean().detach(), "fake_logit": prior.mean().detach()}
        if self.r1_weight > 0:  # a second pass over the real batch: the penalty needs d D(x) / dx
            penalty = r1_penalty(self.networks_["discriminator"], batch, self.r1_weight)
            logs["r1"] = penalty.detach()
            loss = loss + penalty
        return loss, logs

    def validation_loss(self, batch: torch.Tensor) -> torch.Tensor:
        nll, kl = self._terms(batch)
        return (nll + self.beta * kl).mean()

    # ------------------------------------------------------------------ rejection sampling (RejectionMixin)
    def fit(self, X, y=None, *, validation=None, run_dir=None, resume: bool = False):
        """Train on X (see :class:`VAE`); with ``validation`` (held-out real samples) the
        discriminator is also calibrated on it for rejection sampling. Returns self."""
        self.calibration_, self.stratified_calibration_, self.strata_ = None, None, None
        super().fit(X, validation=validation, run_dir=run_dir, resume=resume)
        if validation is not None:
            self.calibrate(validation)
            self._save_run(run_dir)  # again, with the calibration
        return self

    def _discriminator(self) -> torch.nn.Module:
        return self.networks_["discriminator"]

    def _critic(self, x: torch.Tensor) -> torch.Tensor:
        return self.networks_["discriminator"](x).reshape(-1)

    def _draw(self, n: int, generator, component=None) -> torch.Tensor:
        return VAE._generate(self, n, generator, component)

    def _sampling_decoder(self) -> torch.nn.Module:
        """The averaged decoder when ``ema`` is set, else the decoder."""
        return self.networks_["decoder_ema" if "decoder_ema" in self.networks_ else "decoder"]

    def _generate(self, n: int, generator, component, *, rejection=False, gamma=None) -> torch.Tensor:
        return self._generate_checked(n, generator, component, rejection, gamma)

    def _fitted_extras(self) -> dict:
        return {**super()._fitted_extras(), **self._rejection_extras()}

    def _restore_extras(self, extras: dict) -> None:
        super()._restore_extras(extras)
        self._restore_rejection(extras)
