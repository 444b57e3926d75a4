"""Generative adversarial networks: the classic MLP GAN (Goodfellow et al., 2014, "Generative
adversarial nets") and DCGAN (Radford et al., 2016, "Unsupervised representation learning with
deep convolutional generative adversarial networks"), trained by the one training loop through
two declared phases, with the losses of :mod:`latentmix.models.gan_losses`, spectral norm
(Miyato et al., 2018), a generator EMA and discriminator rejection sampling
(:mod:`latentmix.models.rejection`)."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path

import torch

from .._arrays import input_kind
from .._validation import InstanceOf, Interval, Options
from ..core.registry import register
from ..exceptions import DataError, InvalidParameterError
from ..nn import build_decoder, build_discriminator
from ..priors import Prior, check_prior
from ..train import Phase, adam
from ..train.checkpoint import plain_module
from ._ema import averaged_copy, ema_decay, update_average
from ._mixins import GenerativeMixin
from ._neural import NeuralEstimator, as_batch_tensor
from ._params import declared_init, training
from ._rejecting import RejectionMixin
from .gan_losses import LOSSES, PENALTIES

__all__ = ["GAN"]


@dataclass(frozen=True)
class _Arch:
    """How one GAN family builds its networks (the discriminator always uses LeakyReLU(0.2))."""

    net: str  # latentmix.nn arch: "dense" or "conv"
    g_activation: str
    g_batchnorm: bool
    init: str
    hidden: tuple | None  # default widths in discriminator order (the generator mirrors them)


_ARCHS = {
    # Goodfellow et al. 2014: fully connected G and D, LeakyReLU, sigmoid output.
    "mlp": _Arch("dense", "leaky_relu", False, "default", (512, 256)),
    # Radford et al. 2016: strided (transposed) convolutions, BatchNorm and ReLU in G, N(0, 0.02) init.
    "dcgan": _Arch("conv", "relu", True, "dcgan", None),
}
_ALIASES = {"dense": "mlp", "conv": "dcgan"}  # the autoencoders' names for the same families


@register("gan")
class GAN(RejectionMixin, GenerativeMixin, NeuralEstimator):
    """A GAN: generator z ~ prior (``latent_dim``; default N(0, I)) -> images in [0, 1],
    discriminator -> logit. ``prior=GaussianMixturePrior(k)`` draws the noise from a mixture, so
    ``sample(n, component=j)`` generates from one of its components.

    ``arch="mlp"`` (alias ``"dense"``) is the classic formulation: fully connected generator
    (z-256-512-data, LeakyReLU, sigmoid output) and discriminator (data-512-256-1, LeakyReLU;
    its probability is the sigmoid of the logit), cross-entropy losses, two Adam optimizers in
    alternation. ``arch="dcgan"`` (alias ``"conv"``) uses convolutions sized from the images
    (8x8, 28x28, 32x32, 64x64; any channel count), BatchNorm in G, DCGAN init. ``hidden`` sets
    the discriminator widths (conv: channels); the generator mirrors them.

    ``loss``: ``"ns"`` (non-saturating), ``"minimax"``, ``"hinge"``, ``"wgan-gp"`` (gradient
    penalty weight ``gp_weight``; its discriminator has no BatchNorm) or ``"lsgan"``. Each
    training step runs the phase "discriminate" (``lr_d``) and, every ``n_critic`` steps,
    "generate" (``lr_g``); both use Adam with ``betas``. ``spectral_norm=True`` normalises
    every discriminator layer. ``ema=0.999`` keeps an exponential moving average of the
    generator weights (``networks_["generator_ema"]``; decay warmed up by :meth:`ema_decay`),
    which ``sample`` then uses.

    At fit time ``calibration_fraction`` of the data (or ``validation``) is held out, not
    trained on, and used to calibrate the discriminator for discriminator rejection sampling
    (``sample(n, rejection=True)``; Azadi et al., 2019): for ``hinge``/``wgan-gp``/``lsgan`` the
    raw critic output is not a log-odds, and the calibration is what makes the scores usable.
    ``patience`` (early stopping) does not apply to GANs: their losses do not measure quality.
    """

    _parameter_constraints = {
        **NeuralEstimator._parameter_constraints,
        "arch": [Options({*_ARCHS, *_ALIASES})],
        "loss": [Options(set(LOSSES))],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "lr_g": [Interval(Real, 0.0, None, closed="neither")],
        "lr_d": [Interval(Real, 0.0, None, closed="neither")],
        "betas": [InstanceOf(tuple, list)],
        "n_critic": [Interval(Integral, 1, None, closed="left")],
        "spectral_norm": [InstanceOf(bool)],
        "ema": [None, Interval(Real, 0.0, 1.0, closed="left")],
        "gp_weight": [Interval(Real, 0.0, None, closed="left")],
        "hidden": [None, InstanceOf(tuple, list)],
        "calibration_fraction": [Interval(Real, 0.0, 0.5, closed="both")],
        "prior": [None, InstanceOf(Prior)],
        "strata": [Interval(Integral, 1, None, closed="left"), Options({"auto"})],
    }

    __init__ = declared_init(
        [("arch", "mlp"), ("loss", "ns"), ("latent_dim", 64)],
        [("lr_g", 2e-4), ("lr_d", 2e-4), ("betas", (0.5, 0.999)), ("n_critic", 1), ("spectral_norm", False),
         ("ema", None), ("gp_weight", 10.0), ("hidden", None), ("calibration_fraction", 0.1), ("strata", "auto"),
         ("prior", None), *training(exclude=("lr", "lr_schedule", "weight_decay"), batch_size=64)])

    def _validate_params(self) -> None:
        super()._validate_params()
        betas = tuple(self.betas)
        if len(betas) != 2 or not all(isinstance(b, Real) and not isinstance(b, bool) and 0 <= b < 1 for b in betas):
            raise InvalidParameterError(f"The 'betas' parameter of GAN must be two floats in [0, 1) (Adam's "
                                        f"beta1, beta2). Got {self.betas!r} instead.")
        if self.patience is not None:
            raise InvalidParameterError("patience (early stopping) does not apply to GAN: its losses do not "
                                        "measure sample quality; set epochs instead (patience=None)")

    # ------------------------------------------------------------------ networks
    def _family(self) -> _Arch:
        return _ARCHS[_ALIASES.get(self.arch, self.arch)]

    def _build_networks(self, input_shape: tuple) -> torch.nn.ModuleDict:
        family = self._family()
        hidden = family.hidden if self.hidden is None else tuple(self.hidden)
        generator = build_decoder(self.latent_dim, input_shape, family.net, hidden=hidden,
                                  activation=family.g_activation, batchnorm=family.g_batchnorm,
                                  output_activation="sigmoid", init=family.init)
        # A per-sample gradient penalty is meaningless through BatchNorm (Gulrajani et al. 2017, sec. 4).
        batchnorm = False if self.loss in PENALTIES else None
        discriminator = build_discriminator(input_shape, family.net, hidden=hidden, activation="leaky_relu",
                                            spectral_norm=self.spectral_norm, batchnorm=batchnorm, init=family.init)
        networks = {"generator": generator, "discriminator": discriminator,
                    "prior": check_prior(self.prior, self.latent_dim)}
        if self.ema is not None:  # trained by no optimizer: updated in the generate phase's after_step
            networks["generator_ema"] = averaged_copy(generator)
        return torch.nn.ModuleDict(networks)

    def _on_fit_data(self, X: torch.Tensor) -> None:
        lo, hi = self._data_range  # found while the data were checked
        if lo < 0 or hi > 1:
            raise DataError(f"GAN generators end in a sigmoid, so the data must lie in [0, 1]; got values in "
                            f"[{lo:.3g}, {hi:.3g}]. Rescale the data first")

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y=None, *, validation=None, run_dir: str | Path | None = None, resume: bool = False):
        """Train on X (images (N, C, H, W) or a table (N, F), values in [0, 1]). ``validation``:
        held-out real samples for the rejection-sampling calibration (default: a random
        ``calibration_fraction`` of X, which is then not trained on). ``run_dir``/``resume`` as
        for every neural estimator. Returns self."""
        self._validate_params()
        Xt = as_batch_tensor(X, device=self._device)
        if validation is None:
            train, held = self._split(Xt)
        else:
            train = Xt
            held = as_batch_tensor(validation, device=self._device, name="validation", shape=tuple(Xt.shape[1:]))
        self.calibration_, self.acceptance_rate_ = None, None
        super().fit(train, run_dir=run_dir, resume=resume)
        self.output_kind_ = input_kind(X)
        if held is not None:
            self.calibrate(held)
        self._save_run(run_dir)  # again, now with the calibration
        return self

    def _split(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(training part, held-out part or None when too small to calibrate on)."""
        n_held = int(self.calibration_fraction * len(X))
        if n_held < 2 or len(X) - n_held < 1:
            return X, None
        perm = torch.randperm(len(X), generator=torch.Generator().manual_seed(self._seed())).to(X.device)
        return X[perm[n_held:]], X[perm[:n_held]]

    def training_phases(self) -> list[Phase]:
        betas = tuple(float(b) for b in self.betas)
        return [
            Phase("discriminate", ("discriminator",), self._discriminator_loss, adam(self.lr_d, betas)),
            Phase("generate", ("generator",), self._generator_loss, adam(self.lr_g, betas), interval=self.n_critic,
                  after_step=None if self.ema is None else self._update_ema),
        ]

    def _noise(self, n: int, device) -> torch.Tensor:
        return self.networks_["prior"].sample(n)[0].to(device)

    def _discriminator_loss(self, batch: torch.Tensor, ctx=None):
        d_loss = LOSSES[self.loss].d_loss
        penalty = PENALTIES.get(self.loss)
        discriminator = self.networks_["discriminator"]
        with torch.no_grad():  # the generator gets no gradient in this phase (and needs none under DDP)
            fake = self.networks_["generator"](self._noise(len(batch), batch.device))
        real_logits, fake_logits = discriminator(batch), discriminator(fake)
        loss = d_loss(real_logits, fake_logits)
        logs = {"real_logit": real_logits.mean().detach(), "fake_logit": fake_logits.mean().detach()}
        if penalty is not None and self.gp_weight > 0:
            gp = penalty(discriminator, batch, fake, self.gp_weight)
            loss = loss + gp
            logs["gradient_penalty"] = gp.detach()
        return loss, logs

    def _generator_loss(self, batch: torch.Tensor, ctx=None):
        fake = self.networks_["generator"](self._noise(len(batch), batch.device))
        return LOSSES[self.loss].g_loss(self.networks_["discriminator"](fake)), {}

    def ema_decay(self, update: int) -> float:
        """The EMA decay at the generator's ``update``-th step (0-based), see :func:`._ema.ema_decay`."""
        return ema_decay(self.ema, update)

    def _update_ema(self, step: int) -> None:
        update_average(self.networks_["generator_ema"], plain_module(self.networks_["generator"]),
                       self.ema_decay(step // self.n_critic))

    # ------------------------------------------------------------------ rejection sampling (RejectionMixin)
    def _discriminator(self) -> torch.nn.Module:
        return self.networks_["discriminator"]

    def _critic(self, x: torch.Tensor) -> torch.Tensor:
        return self.networks_["discriminator"](x).reshape(-1)

    def _sampler(self) -> torch.nn.Module:
        return self.networks_["generator_ema"] if "generator_ema" in self.networks_ else self.networks_["generator"]

    def _draw(self, n: int, generator: torch.Generator | None, component: int | None = None) -> torch.Tensor:
        """n generated samples (tensor on the fitted device); z drawn on the CPU from ``generator``."""
        z = self.networks_["prior"].sample(n, generator, component=component)[0].to(self._fitted_device())
        return self._batched(z, self._sampler(), input_shape=(self.latent_dim,), name="z")

    # ------------------------------------------------------------------ inference
    def _n_generation_components(self) -> int | None:
        return self.networks_["prior"].n_components

    def sample(self, n_samples: int = 64, *, seed: int | None = None, component: int | None = None,
               rejection: bool | str = False, gamma: float | None = None):
        """``n_samples`` generated samples (n, *input_shape) in [0, 1]: numpy if the model was fitted
        on numpy, else a tensor. Uses the EMA generator when ``ema`` was set; ``seed`` makes the
        draw reproducible; ``component`` draws the noise from one component of a mixture prior.
        ``rejection=True`` (or ``"drs"``): discriminator rejection sampling (Azadi et al. 2019)
        with the calibrated discriminator; ``rejection="stratified"``: the same within the
        components of a mixture fitted on held-out real images, whose shares the accepted samples
        then match (:mod:`latentmix.models.stratified`). ``gamma`` (default: the calibrated 80th
        percentile of F) trades acceptance for quality; ``acceptance_rate_`` records the rate."""
        return super().sample(n_samples, seed=seed, component=component, rejection=rejection, gamma=gamma)

    def _generate(self, n: int, generator, component, *, rejection=False, gamma=None) -> torch.Tensor:
        return self._generate_checked(n, generator, component, rejection, gamma)

    # ------------------------------------------------------------------ persistence
    def _fitted_extras(self) -> dict:
        return {"output_kind": getattr(self, "output_kind_", "torch"), **self._rejection_extras()}

    def _restore_extras(self, extras: dict) -> None:
        self.output_kind_ = extras.get("output_kind", "torch")
        self._restore_rejection(extras)

    def _load_fitted(self, fitted: dict, file: Path) -> None:
        for name in ("betas", "hidden"):  # JSON turned these tuples into lists
            if isinstance(getattr(self, name), list):
                setattr(self, name, tuple(getattr(self, name)))
        super()._load_fitted(fitted, file)
