"""A capability: models whose discriminator checks generated samples and rejects fakes.

:class:`RejectionMixin` gives a model with a discriminator (a GAN, a VAE-GAN) discriminator
rejection sampling (Azadi et al., 2019; :mod:`latentmix.models.rejection`) and its stratified
form (:mod:`latentmix.models.stratified`): ``calibrate(held_out_real)`` fits both,
``sample(n, rejection=True | "drs" | "stratified", gamma=None)`` uses them. The host model
provides ``_critic(x) -> (B,) raw logits``, ``_discriminator()`` (a module with
``.features(x)``), ``_draw(n, generator, component) -> samples`` and a ``strata`` parameter.
"""

from __future__ import annotations

import math
from numbers import Real

import torch

from ..exceptions import InvalidParameterError
from ._neural import as_batch_tensor
from ._strata import FeatureStrata
from .rejection import Calibration, fit_calibration, rejection_sample
from .stratified import StratifiedCalibration, fit_stratified, stratified_rejection_sample

__all__ = ["RejectionMixin", "MAX_SHARE_BOOST", "reachable_shares", "resolve_strata", "stratification_candidates"]

#: Rejection can raise a component's share at most this many times above the generator's own
#: share of it; a component the generator (almost) never produces cannot be restored by rejecting
#: others without the acceptance rate collapsing (mode dropping needs training, not sampling).
MAX_SHARE_BOOST = 10.0


def stratification_candidates(n_held: int) -> int:
    """How many fresh generated candidates ``calibrate`` solves the stratified offsets on, for
    ``n_held`` held-out real samples: ``max(4 * n_held, min(20_000, 25 * n_held))``.

    The targets (the real shares of the strata) are estimated from ``n_held`` samples, so their
    noise scales as 1/sqrt(n_held); 25 candidates per real sample keep the candidates' share noise
    at a fifth of that, and more buys nothing. 20,000 (at least 4 per real sample) from 800
    held-out samples on, as before; on small data (e.g. 20 held-out digits) 500 instead of 20,000
    generator + discriminator passes."""
    return max(4 * n_held, min(20_000, 25 * n_held))


def resolve_strata(strata, n_held: int) -> int:
    """The number of strata: ``strata`` itself, or for ``"auto"`` one per 240 held-out samples,
    between 2 and 25: ``min(25, max(2, n_held // 240))``.

    Finer strata confine the discriminator's class offsets to smaller regions, which is what makes
    stratified rejection beat plain sampling (``benchmarks/RESULTS.md``: on Fashion-MNIST's 6,000
    held-out images, 25 strata give FD 27.8 / 33.5 for the ns / hinge DCGANs against 34.8 / 39.0
    with 10, and 36.2 / 36.3 for plain sampling); each stratum's real share and full-covariance
    mixture component still need a couple of hundred real samples behind them.
    """
    if strata == "auto":
        return min(25, max(2, n_held // 240))
    return strata


def reachable_shares(target: torch.Tensor, components: torch.Tensor, k: int) -> torch.Tensor:
    """The target shares (k,) capped at ``MAX_SHARE_BOOST`` times the candidates' shares, renormalised."""
    generated = torch.bincount(components, minlength=k).double() / len(components)
    capped = torch.minimum(target.double(), MAX_SHARE_BOOST * generated)
    return capped / capped.sum()


class RejectionMixin:
    """Discriminator rejection sampling, plain and mixture-stratified (see the module docstring)."""

    calibration_ = None
    stratified_calibration_ = None
    strata_ = None

    def calibrate(self, held):
        """Calibrate the discriminator for rejection sampling on held-out real samples (never
        trained on) against fresh generated ones: the logistic calibration of plain DRS, and the
        strata of ``rejection="stratified"`` (a mixture of ``strata`` components (``"auto"``: see
        :func:`resolve_strata`) on the top
        principal components of the discriminator's penultimate features of the real samples,
        and the per-component offsets that make the accepted shares match the real shares; a
        component's target share is capped at ``MAX_SHARE_BOOST`` times the generator's share).
        Returns self."""
        self._check_is_fitted()
        held = as_batch_tensor(held, device=self._fitted_device(), name="held", shape=self.input_shape_)
        generator = torch.Generator().manual_seed(self.seed_ + 1)
        fake = self._draw(max(len(held), 1000), generator)
        real_logits, fake_logits = self._batched(held, self._critic), self._batched(fake, self._critic)
        self.calibration_ = fit_calibration(real_logits, fake_logits)
        self.strata_, self.stratified_calibration_ = None, None
        n_strata = resolve_strata(self.strata, len(held))
        if len(held) >= 2 * n_strata:
            self.strata_ = FeatureStrata(n_strata, random_state=self.seed_).fit(self._features(held))
            # The offsets rest on the rarest component's candidates: solve them on many fresh ones.
            fake = self._draw(stratification_candidates(len(held)), torch.Generator().manual_seed(self.seed_ + 2))
            calibrated = self.calibration_.logits(self._batched(fake, self._critic).double().cpu().reshape(-1))
            components = self.strata_.assign(self._features(fake))
            self.stratified_calibration_, _ = fit_stratified(
                calibrated, components, reachable_shares(self.strata_.shares_, components, n_strata))
        return self

    def _features(self, x) -> torch.Tensor:
        """The discriminator's penultimate features (N, F) (what the strata are fitted on)."""
        return self._batched(x, lambda b: self._discriminator().features(b).flatten(1))

    def _require_calibration(self) -> Calibration:
        if self.calibration_ is None:
            raise InvalidParameterError(
                f"rejection sampling needs a calibrated discriminator, but this {type(self).__name__} has none "
                "(fitted without held-out data, e.g. calibration_fraction=0); call calibrate(held_out_real_samples)")
        return self.calibration_

    def _generate_checked(self, n: int, generator, component, rejection, gamma) -> torch.Tensor:
        """``_draw`` or one of the rejection samplers, after checking their options."""
        if rejection not in (False, True, "drs", "stratified"):
            raise InvalidParameterError(f"rejection must be False, True/'drs' or 'stratified'; got {rejection!r}")
        if gamma is not None and (not isinstance(gamma, Real) or isinstance(gamma, bool) or not math.isfinite(gamma)):
            raise InvalidParameterError(f"gamma must be None or a finite float; got {gamma!r}")
        if gamma is not None and not rejection:
            raise InvalidParameterError("gamma applies to discriminator rejection sampling: pass rejection=True")
        if not rejection:
            return self._draw(n, generator, component)

        def draw(m: int, gen: torch.Generator | None):
            x = self._draw(m, gen, component)
            return x, self._batched(x, self._critic)

        if rejection == "stratified":
            out, self.acceptance_rate_ = self._stratified_sample(draw, n, gamma, generator)
        else:
            out, self.acceptance_rate_ = rejection_sample(draw, n, self._require_calibration(), gamma=gamma,
                                                          generator=generator)
        return out

    def _stratified_sample(self, draw, n: int, gamma, generator) -> tuple[torch.Tensor, float]:
        calibration = self._require_calibration()
        strat = self.stratified_calibration_
        if strat is None:
            raise InvalidParameterError("rejection='stratified' needs the strata fitted at calibration, but there "
                                        "were fewer than twice as many held-out samples as strata; call "
                                        "calibrate(held_out_real_samples)")
        if gamma is not None:  # the offsets depend on gamma: solve them again on fresh candidates
            x, raw = draw(max(4096, 4 * n), torch.Generator().manual_seed(self.seed_ + 2))
            components = self.strata_.assign(self._features(x))
            strat, _ = fit_stratified(calibration.logits(raw.double().cpu().reshape(-1)), components,
                                      reachable_shares(self.strata_.shares_, components, self.strata_.n_strata),
                                      gamma=gamma)
        out, rate, _ = stratified_rejection_sample(draw, lambda x: self.strata_.assign(self._features(x)), n,
                                                   calibration, strat, generator=generator)
        return out, rate

    def discriminator_score(self, X, calibrated: bool = True):
        """The discriminator's logit of every sample: (N,). ``calibrated=True`` gives the
        calibrated logit D~(x) = scale * logit + bias (an estimate of log p_data(x) / p_g(x))."""
        calibration = self._require_calibration() if calibrated else None
        scores = self._batched(X, self._critic)
        return scores if calibration is None else scores * calibration.scale + calibration.bias

    # ------------------------------------------------------------------ persistence
    def _rejection_extras(self) -> dict:
        calibration, strat = self.calibration_, self.stratified_calibration_
        return {"calibration": None if calibration is None else calibration.to_dict(),
                "stratified_calibration": None if strat is None else strat.to_dict()}

    def _restore_rejection(self, extras: dict) -> None:
        calibration, strat = extras.get("calibration"), extras.get("stratified_calibration")
        self.calibration_ = None if calibration is None else Calibration.from_dict(calibration)
        self.stratified_calibration_ = None if strat is None else StratifiedCalibration.from_dict(strat)
        self.acceptance_rate_ = None

    def _saved_children(self) -> dict:
        return {} if self.strata_ is None else {"strata": self.strata_}

    def _attach_children(self, children: dict) -> None:
        self.strata_ = children.get("strata")
