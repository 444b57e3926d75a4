"""The adversarial autoencoder (Makhzani, Shlens, Jaitly, Goodfellow & Frey, 2015, "Adversarial
autoencoders"): an autoencoder whose codes are matched to a prior by a latent discriminator.

Three phases per step (the paper's section 2, "reconstruction" then "regularization"):
``reconstruct`` (encoder + decoder, reconstruction error), ``discriminate`` (the latent
discriminator tells prior samples from codes) and ``regularise`` (the encoder fools it, with the
non-saturating loss). The encoder is stochastic by default (the paper's "Gaussian posterior",
section 2.1: training sees z ~ q(z|x) = N(mean(x), var(x)), which fills the prior's modes). The
prior is an object (:mod:`latentmix.priors`):

- ``StandardNormalPrior`` (default) or any continuous prior;
- ``GaussianMixturePrior(k)``: the codes fill k separated modes, so the model clusters
  (``predict`` = the mode of the code) and generates per mode (``sample(n, component=j)``);
- ``CategoricalPrior(k)``: the paper's unsupervised clustering form (section 6): the encoder
  has a softmax head over k classes and a continuous style code (``latent_dim``), each matched to
  its own prior (one-hot categorical; N(0, I)) by its own discriminator; the decoder sees both;
  ``predict`` is the head's argmax.
"""

from __future__ import annotations

import math
from functools import partial
from numbers import Real

import torch

from .._validation import InstanceOf, Interval, Options
from ..core.registry import register
from ..nn import build_decoder, build_discriminator, build_encoder
from ..priors import CategoricalPrior, Prior, StandardNormalPrior, check_prior
from ..train import SCHEDULES, Phase, adam
from ._mixins import ClusterMixin, GenerativeMixin
from ._params import declared_init, training
from .autoencoder import AE_ARCHITECTURE, AutoEncoder
from .gan_losses import bce_d_loss, ns_g_loss, r1_penalty
from .vae import reparameterize, split_gaussian

__all__ = ["AdversarialAutoEncoder"]

R1_WEIGHT = 0.0  # off: on seed 1 of the Fashion-MNIST benchmark it did not stop D from winning (RESULTS.md)


@register("aae")
class AdversarialAutoEncoder(GenerativeMixin, ClusterMixin, AutoEncoder):
    """An autoencoder whose latent distribution is matched to ``prior`` adversarially.

    ``adversarial_weight`` sets the encoder's regularisation step against its reconstruction
    step: the regularisation phase runs Adam at ``adversarial_weight * lr`` (betas (0.5, 0.9));
    ``"auto"``: 1.0, or 0.2 for the categorical form.
    (Adam's update does not depend on the scale of a loss that has an optimizer of its own, so a
    weight on the loss would do nothing; the step size is what Makhzani et al.'s SGD weight
    amounts to.) ``lr_d`` is the latent discriminators' learning rate (Adam, betas (0.5, 0.9));
    ``disc_hidden`` their widths. ``posterior="gaussian"`` (default): the encoder outputs
    a mean and a log-variance and training matches draws of q(z|x) to the prior (the paper's
    "Gaussian posterior", section 2.1: the noise fills the prior's modes that a deterministic code
    leaves as holes; Fashion-MNIST, 20 epochs, seed 0: FD 107 vs 302); ``transform`` returns the mean.
    ``"deterministic"``: the code is the encoder's output. ``r1_weight``: the R1 penalty on each
    latent discriminator's gradient at prior samples (Mescheder et al., 2018; 0 turns it off).
    ``encoder_updates="separate"`` (default): the paper's two encoder steps per batch, each with
    its own Adam (so each moves at its own pace whatever its loss's size); ``"joint"``: one Adam
    step on reconstruction + ``adversarial_weight`` * the adversarial loss (``"auto"``:
    0.5 / n_features, the balance of pythae's summed squared error + 0.5 * adversarial loss in
    mean-squared-error units), so a discriminator that starts to win pulls harder on the encoder.
    Other arguments as
    :class:`AutoEncoder`. With a ``CategoricalPrior(k)`` the code that ``transform``
    returns is ``[class probabilities (k), style (latent_dim)]``.
    """

    _parameter_constraints = {
        **AutoEncoder._parameter_constraints,
        "prior": [None, InstanceOf(Prior)],
        "adversarial_weight": [Options({"auto"}), Interval(Real, 0.0, None, closed="neither")],
        "lr_d": [Interval(Real, 0.0, None, closed="neither")],
        "disc_hidden": [InstanceOf(tuple, list)],
        "posterior": [Options({"deterministic", "gaussian"})],
        "r1_weight": [Interval(Real, 0.0, None, closed="left")],
        "encoder_updates": [Options({"separate", "joint"})],
    }

    tied = False  # not a parameter of this model: its decoder never shares the encoder's weights
    # what a run folder saved before a parameter existed meant (read by latentmix.load)
    _saved_before = {"posterior": "deterministic", "r1_weight": 0.0, "encoder_updates": "separate"}
    __init__ = declared_init([("latent_dim", 10)], [("prior", None), ("adversarial_weight", "auto"), ("lr_d", 2e-4),
                                                    ("disc_hidden", (256, 256)), ("posterior", "gaussian"),
                                                    ("r1_weight", R1_WEIGHT), ("encoder_updates", "separate"),
                                                    *AE_ARCHITECTURE, ("loss", "mse"),
                                                    *training()])

    # ------------------------------------------------------------------ networks
    def _categorical(self) -> bool:
        return isinstance(self.prior, CategoricalPrior)

    def _n_classes(self) -> int:
        return self.prior.n_components if self._categorical() else 0

    def _layout(self) -> dict:
        layout = super()._layout()
        layout["code_activation"] = None  # the prior decides the codes' range, not a squashing layer
        return layout

    def _code_size(self) -> int:
        width = 2 * self.latent_dim if self.posterior == "gaussian" else self.latent_dim
        return self._n_classes() + width

    def _build_networks(self, input_shape: tuple) -> torch.nn.ModuleDict:
        layout = self._layout()
        common = dict(hidden=layout["hidden"], activation=layout["activation"], batchnorm=self.batchnorm,
                      dropout=self.dropout)
        k = self._n_classes()
        encoder = build_encoder(input_shape, self._code_size(), self.arch, **common)
        decoder = build_decoder(k + self.latent_dim, input_shape, self.arch,
                                output_activation=self.output_activation_, **common)
        hidden = tuple(self.disc_hidden)
        networks = {"encoder": encoder, "decoder": decoder}
        if k:  # the categorical form: a prior and a discriminator for each part of the code
            networks["prior"] = self.prior.build(k)
            networks["style_prior"] = StandardNormalPrior(self.latent_dim)
            networks["class_discriminator"] = build_discriminator((k,), "dense", hidden=hidden)
            networks["discriminator"] = build_discriminator((self.latent_dim,), "dense", hidden=hidden)
        else:
            networks["prior"] = check_prior(self.prior, self.latent_dim)
            networks["discriminator"] = build_discriminator((self.latent_dim,), "dense", hidden=hidden)
        return torch.nn.ModuleDict(networks)

    # ------------------------------------------------------------------ codes
    def _split_code(self, h: torch.Tensor, sample: bool = False) -> tuple[torch.Tensor | None, torch.Tensor]:
        """Encoder output (B, k + d) (Gaussian posterior: (B, k + 2d)) -> (class probabilities (B, k)
        or None, style/code (B, d)); ``sample``: a draw of the Gaussian posterior, else its mean."""
        k = self._n_classes()
        probs, z = (None, h) if not k else (torch.softmax(h[:, :k], 1), h[:, k:])
        if self.posterior == "gaussian":
            mean, logvar = split_gaussian(z)  # (B, 2d) -> 2 x (B, d)
            z = reparameterize(mean, logvar) if sample else mean
        return probs, z

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        probs, z = self._split_code(self.networks_["encoder"](x))
        return z if probs is None else torch.cat([probs, z], 1)

    def _decoder_input_dim(self) -> int:
        return self._n_classes() + self.latent_dim

    def inverse_transform(self, Z):
        """Decode codes (N, latent_dim) (categorical form: (N, k + latent_dim)) into data space."""
        return self._batched(Z, self.networks_["decoder"], input_shape=(self._decoder_input_dim(),), name="Z")

    # ------------------------------------------------------------------ training
    def training_phases(self) -> list[Phase]:
        schedule = SCHEDULES[self.lr_schedule]
        optimizer = partial(torch.optim.Adam, lr=self.lr, weight_decay=self.weight_decay)
        discriminators = ("discriminator", "class_discriminator") if self._categorical() else ("discriminator",)
        if self.encoder_updates == "joint":
            return [Phase("reconstruct", ("encoder", "decoder"), self._joint_loss, optimizer, schedule=schedule),
                    Phase("discriminate", discriminators, self._discriminator_loss, adam(self.lr_d, (0.5, 0.9)))]
        return [
            Phase("reconstruct", ("encoder", "decoder"), self._training_loss, optimizer, schedule=schedule),
            Phase("discriminate", discriminators, self._discriminator_loss, adam(self.lr_d, (0.5, 0.9))),
            # at the reconstruction's pace: at lr_d (5x slower) the reconstruction pulled the codes
            # away faster than the encoder could follow the discriminator, which won (loss 0.02)
            Phase("regularise", ("encoder",), self._regularisation_loss,
                  adam(self._adversarial_weight() * self.lr, (0.5, 0.9)), schedule=schedule),
        ]

    def _adversarial_weight(self) -> float:
        """``"auto"``: 1.0 (the reconstruction's pace) with a continuous prior; 0.2 for the
        categorical form, whose softmax head collapsed to one class at 1.0 (8x8 digits, 100 epochs:
        ACC 0.102 vs 0.336; benchmarks/RESULTS.md, "Hybrids"); joint updates: 0.5 / n_features."""
        if self.adversarial_weight != "auto":
            return float(self.adversarial_weight)
        if self.encoder_updates == "joint":
            return 0.5 / math.prod(self.input_shape_)
        return 0.2 if self._categorical() else 1.0

    def _codes(self, batch: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor]:
        """The codes training sees (drawn from the posterior when it is Gaussian)."""
        return self._split_code(self.networks_["encoder"](batch), sample=True)

    def _reconstruct(self, batch: torch.Tensor, ctx=None):
        """(reconstruction error, class probabilities or None, code) of one pass through both
        networks; the discriminator phase reuses the codes (detached): one encoder pass a step."""
        probs, z = self._codes(batch)
        code = z if probs is None else torch.cat([probs, z], 1)
        recon = self._reconstruction_error(self.networks_["decoder"](code), batch)
        if ctx is not None:
            ctx.cache["codes"] = (None if probs is None else probs.detach(), z.detach())
        return recon, probs, z

    def _training_loss(self, batch: torch.Tensor, ctx=None):
        return self._reconstruct(batch, ctx)[0], {}

    def _joint_loss(self, batch: torch.Tensor, ctx=None):
        """Reconstruction + adversarial_weight * the encoder's adversarial loss, on the same codes."""
        recon, probs, z = self._reconstruct(batch, ctx)
        adversarial = self._encoder_adversarial_loss(probs, z)
        return recon + self._adversarial_weight() * adversarial, {"reconstruction": recon.detach(),
                                                                   "adversarial": adversarial.detach()}

    def _encoder_adversarial_loss(self, probs, z):
        loss = ns_g_loss(self.networks_["discriminator"](z))
        if probs is not None:
            loss = loss + ns_g_loss(self.networks_["class_discriminator"](probs))
        return loss

    def _prior_pairs(self, probs, z):
        """(discriminator, prior sample, code) for each matched part of the code."""
        n = len(z)
        pairs = [("discriminator", self._prior_draw("prior" if probs is None else "style_prior", n), z)]
        if probs is not None:
            pairs.append(("class_discriminator", self._prior_draw("prior", n), probs))
        return pairs

    def _prior_draw(self, name: str, n: int) -> torch.Tensor:
        return self.networks_[name].sample(n)[0]

    def _discriminator_loss(self, batch: torch.Tensor, ctx=None):
        probs, z = ctx.cache["codes"] if ctx is not None and "codes" in ctx.cache else \
            tuple(None if t is None else t.detach() for t in self._codes(batch))
        loss, logs = 0.0, {}
        for name, real, fake in self._prior_pairs(probs, z):
            d = self.networks_[name]
            loss = loss + bce_d_loss(d(real), d(fake))
            if self.r1_weight > 0:
                penalty = r1_penalty(d, real, self.r1_weight)
                logs[f"{name}_r1"] = penalty.detach()
                loss = loss + penalty
        return loss, logs

    def _regularisation_loss(self, batch: torch.Tensor, ctx=None):
        probs, z = self._codes(batch)  # fresh: the reconstruct phase has already updated the encoder
        return self._encoder_adversarial_loss(probs, z), {}

    # ------------------------------------------------------------------ generation and clusters
    def _n_generation_components(self) -> int | None:
        return self.networks_["prior"].n_components

    def _generate(self, n: int, generator, component) -> torch.Tensor:
        prior = self.networks_["prior"]
        if self._categorical():
            onehot, _ = prior.sample(n, generator, component=component)
            style, _ = self.networks_["style_prior"].sample(n, generator)
            code = torch.cat([onehot, style], 1)
        else:
            code, _ = prior.sample(n, generator, component=component)
        return self._batched(code, self.networks_["decoder"], input_shape=(self._decoder_input_dim(),), name="z")

    def can_cluster(self) -> bool:
        return self.prior is not None and self.prior.n_components is not None

    def _why_no_clusters(self) -> str:
        return "its prior has no components; use prior=GaussianMixturePrior(k) or CategoricalPrior(k)"

    def _cluster_log_proba(self, x: torch.Tensor) -> torch.Tensor:
        probs, z = self._split_code(self.networks_["encoder"](x))
        if probs is not None:
            return probs.clamp_min(1e-30).log()
        return self.networks_["prior"].log_responsibilities(z)

    def _load_fitted(self, fitted: dict, file) -> None:
        if isinstance(self.disc_hidden, list):
            self.disc_hidden = tuple(self.disc_hidden)
        super()._load_fitted(fitted, file)
