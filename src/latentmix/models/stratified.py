"""Mixture-stratified discriminator rejection sampling.

Discriminator rejection sampling (DRS; Azadi et al., ICLR 2019, "Discriminator rejection
sampling"; :mod:`latentmix.models.rejection`) keeps a generated sample x with probability
``sigmoid(F(D~(x)))``, where ``D~`` is the calibrated discriminator logit, an estimate of
log p_data(x) / p_g(x). A GAN discriminator's logit, however, carries per-class offsets that are
not density ratios (``benchmarks/RESULTS.md``: up to 2.8 nats between Fashion-MNIST classes), so
plain DRS reweights whole classes against each other, while *within* a class it separates real
from generated images well.

Stratification keeps the part of D~ that is right and replaces the part that is wrong. Each
candidate x gets a mixture component c(x) (a Gaussian mixture fitted on features of held-out real
data; the caller gives the assignment and the target shares pi_k = the share of the held-out real
samples in component k). The logit is corrected by a per-component offset,
``D^(x) = D~(x) + b_{c(x)}``, and the DRS rule runs on D^ with ``D*_M = max D^``. The offsets
b (K,) solve, on calibration candidates x_1..x_N drawn from the generator,

    sum_{i: c_i = k} p_i / sum_i p_i = pi_k,    p_i = sigmoid(F(D~_i + b_{c_i}; D*_M, gamma)),

so the accepted samples' component shares are the real ones (across components the offsets set
the shares), and within a component the acceptance still follows D~ (which fixes blur and quality
there). b is defined up to a common constant (F depends on D^ - D*_M only); it is normalised to
``sum_k pi_k b_k = 0`` over the components that have candidates.

The solution is exact and needs no damping: write u_k = b_k - D*_M and m_k = max_{c_i = k} D~_i.
Component k's accepted mass ``A_k(u_k) = sum_{c_i = k} sigmoid(F(D~_i + u_k; 0, gamma))`` is
strictly increasing in u_k alone, and u_k <= -m_k with equality for the component holding D*_M.
So the total mass is T = min_k A_k(-m_k) / pi_k and each u_k solves A_k(u_k) = pi_k T by
bisection. At gamma = 0 (and eps = 0) this is the closed form b_k = log(pi_k / S_k) + const with
S_k = sum_{c_i = k} exp(D~_i). The offsets are solved for one gamma: for another, refit them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from ..exceptions import CheckpointError, DataError, FittingError, InvalidParameterError
from .rejection import EPS, Calibration, drs_scores, rejection_sample

__all__ = ["StratifiedCalibration", "OffsetFit", "fit_offsets", "fit_stratified", "stratified_rejection_sample"]

#: How far (in nats) below D*_M a component with target share 0 is put: its samples are never kept.
NEVER = 1e3


class OffsetFit(NamedTuple):
    """What :func:`fit_offsets` found on the calibration candidates.

    offsets (K,) float64, max_logit = D*_M = max_i (D~_i + b_{c_i}), shares (K,) the expected
    accepted component shares (pi_k renormalised over the non-empty components; 0 for empty
    ones), acceptance_rate = mean_i p_i, empty (K,) bool: components without candidates, whose
    share cannot be met (their offset is 0).
    """

    offsets: torch.Tensor
    max_logit: float
    shares: torch.Tensor
    acceptance_rate: float
    empty: torch.Tensor


@dataclass(frozen=True)
class StratifiedCalibration:
    """Per-component offsets b (K,) of the calibrated logit, the target shares pi (K,), D*_M (the
    largest corrected logit on the calibration candidates) and the gamma the offsets were solved for."""

    offsets: tuple[float, ...]
    target_shares: tuple[float, ...]
    max_logit: float
    gamma: float

    def corrected(self, calibrated: torch.Tensor, components: torch.Tensor) -> torch.Tensor:
        """D~ (m,) and components (m,) int -> corrected logits D~ + b_c (m,) float64, on the CPU."""
        offsets = torch.tensor(self.offsets, dtype=torch.float64)
        return calibrated.detach().double().cpu() + offsets[_check_components(components, len(offsets))]

    def to_dict(self) -> dict:
        return {"offsets": list(self.offsets), "target_shares": list(self.target_shares),
                "max_logit": self.max_logit, "gamma": self.gamma}

    @classmethod
    def from_dict(cls, data: dict) -> StratifiedCalibration:
        try:
            offsets = tuple(float(v) for v in data["offsets"])
            shares = tuple(float(v) for v in data["target_shares"])
            max_logit, gamma = float(data["max_logit"]), float(data["gamma"])
            values = (*offsets, *shares, max_logit, gamma)
            if not offsets or len(offsets) != len(shares) or not all(math.isfinite(v) for v in values):
                raise ValueError(f"{len(offsets)} offsets and {len(shares)} shares, all finite, K >= 1")
            _check_shares(torch.tensor(shares, dtype=torch.float64))
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(
                f"the saved stratified rejection-sampling calibration is corrupted: {exc!r}") from None
        return cls(offsets, shares, max_logit, gamma)


def _check_shares(pi: torch.Tensor) -> torch.Tensor:
    if pi.ndim != 1 or len(pi) == 0:
        raise InvalidParameterError(f"target_shares must be a non-empty 1-D array, got shape {tuple(pi.shape)}")
    if not bool(torch.isfinite(pi).all()) or bool((pi < 0).any()):
        raise InvalidParameterError(f"target_shares must be finite and >= 0, got {pi.tolist()}")
    if abs(float(pi.sum()) - 1.0) > 1e-6:
        raise InvalidParameterError(f"target_shares must sum to 1, got sum {float(pi.sum()):.6g}")
    return pi


def _check_components(components, k: int, m: int | None = None) -> torch.Tensor:
    c = torch.as_tensor(components).detach().cpu()
    if c.is_floating_point() or c.is_complex() or c.dtype == torch.bool or c.ndim != 1:
        raise InvalidParameterError(f"components must be a 1-D integer array, got {c.dtype} of shape {tuple(c.shape)}")
    if m is not None and len(c) != m:
        raise InvalidParameterError(f"components has {len(c)} entries for {m} candidates")
    if len(c) and (int(c.min()) < 0 or int(c.max()) >= k):
        raise DataError(f"components must lie in [0, {k}), got values in [{int(c.min())}, {int(c.max())}]")
    return c.long()


def _masses(logits: torch.Tensor, c: torch.Tensor, u: torch.Tensor, k: int, gamma: float, eps: float):
    """Per-component accepted mass A (K,) with D*_M = 0 and offsets u (K,): logits (N,) <= -u[c]."""
    p = torch.sigmoid(drs_scores(logits + u[c], 0.0, gamma, eps))
    return torch.bincount(c, weights=p, minlength=k)


def fit_offsets(calibrated, components, target_shares, *, gamma: float, eps: float = EPS,
                iters: int = 100) -> OffsetFit:
    """Solve the per-component offsets b (K,) of the module docstring.

    calibrated (N,) D~ of generated calibration candidates, components (N,) int in [0, K),
    target_shares (K,) pi (>= 0, sum 1). Components without candidates get offset 0 and the
    others share pi renormalised (``OffsetFit.empty`` says which); a component with pi_k = 0 is
    put ``NEVER`` nats below D*_M, so its candidates are rejected. ``iters`` bisection steps.
    """
    d = torch.as_tensor(calibrated).detach().double().cpu()
    pi = _check_shares(torch.as_tensor(target_shares).detach().double().cpu())
    k = len(pi)
    if d.ndim != 1 or len(d) == 0 or not bool(torch.isfinite(d).all()):
        raise InvalidParameterError(f"calibrated must be a non-empty finite 1-D array, got shape {tuple(d.shape)}")
    c = _check_components(components, k, len(d))
    empty = torch.bincount(c, minlength=k) == 0
    active = ~empty & (pi > 0)
    if not bool(active.any()):
        raise FittingError("no calibration candidate lies in a component with a positive target share; "
                           "draw more candidates or check the component assignment")
    peak = torch.full((k,), -math.inf, dtype=torch.float64).scatter_reduce(0, c, d, "amax")
    hi = torch.where(empty, 0.0, -peak)  # u_k = -m_k: component k holds D*_M
    cap = _masses(d, c, hi, k, gamma, eps)
    want = pi / pi[active].sum()
    mass = want * (cap[active] / want[active]).min()  # pi_k T
    lo = hi - 1.0
    for _ in range(64):  # widen the bracket until A_k(lo) <= pi_k T
        high = active & (_masses(d, c, lo, k, gamma, eps) > mass)
        if not bool(high.any()):
            break
        lo = torch.where(high, hi - 2.0 * (hi - lo), lo)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        above = _masses(d, c, mid, k, gamma, eps) > mass
        hi, lo = torch.where(above, mid, hi), torch.where(above, lo, mid)
    u = torch.where(active, 0.5 * (lo + hi), hi - NEVER)
    offsets = torch.where(empty, 0.0, u - (pi[active] * u[active]).sum() / pi[active].sum())
    corrected = d + offsets[c]
    max_logit = float(corrected.max())
    p = torch.sigmoid(drs_scores(corrected, max_logit, gamma, eps))
    shares = torch.bincount(c, weights=p, minlength=k) / p.sum()
    return OffsetFit(offsets, max_logit, shares, float(p.mean()), empty)


def fit_stratified(calibrated, components, target_shares, *, gamma: float | None = None,
                   percentile: float = 80.0, eps: float = EPS) -> tuple[StratifiedCalibration, OffsetFit]:
    """Offsets for the calibration candidates (see :func:`fit_offsets`) as a saveable calibration.

    With ``gamma=None`` gamma is the ``percentile`` of F (gamma = 0) of the logits corrected by the
    gamma = 0 offsets, like :func:`~latentmix.models.rejection.fit_calibration`, and the offsets
    are then solved again for that gamma.
    """
    if gamma is None:
        first = fit_offsets(calibrated, components, target_shares, gamma=0.0, eps=eps)
        d = torch.as_tensor(calibrated).detach().double().cpu()
        scores = drs_scores(d + first.offsets[torch.as_tensor(components).cpu().long()], first.max_logit, 0.0, eps)
        gamma = float(np.percentile(scores.numpy(), percentile))
    fit = fit_offsets(calibrated, components, target_shares, gamma=float(gamma), eps=eps)
    pi = torch.as_tensor(target_shares).double()
    strat = StratifiedCalibration(tuple(fit.offsets.tolist()), tuple(pi.tolist()), fit.max_logit, float(gamma))
    return strat, fit


def _exact_ints(dtype: torch.dtype, k: int) -> bool:
    """Whether ``dtype`` holds the integers 0..k-1 exactly."""
    return dtype.is_floating_point and torch.equal(torch.arange(k).to(dtype).long(), torch.arange(k))


def stratified_rejection_sample(draw: Callable[[int, torch.Generator | None], tuple[torch.Tensor, torch.Tensor]],
                                assign: Callable[[torch.Tensor], torch.Tensor], n: int,
                                calibration: Calibration, strat: StratifiedCalibration, *,
                                generator: torch.Generator | None = None, min_rate: float = 1e-3,
                                min_draws: int = 10_000) -> tuple[torch.Tensor, float, torch.Tensor]:
    """Draw candidates until ``n`` are accepted; returns (samples (n, ...), acceptance rate,
    components (n,) int64 on the CPU).

    ``draw(m, generator)`` gives m candidates (m, ...) and their raw discriminator logits (m,);
    ``assign(x)`` their components (m,) int in [0, K). The acceptance loop, its seeding and its
    :class:`FittingError` are :func:`~latentmix.models.rejection.rejection_sample`'s, run on the
    corrected logits ``calibration.logits(raw) + strat.offsets[c]`` with D*_M starting at
    ``strat.max_logit`` and gamma = ``strat.gamma`` (the offsets were solved for it).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InvalidParameterError(f"n must be a positive integer, got {n!r}")
    k, shape = len(strat.offsets), []

    def draw_corrected(m: int, gen: torch.Generator | None):
        # The loop keeps rows of one tensor, so each candidate travels with its component as a last column.
        x, raw = draw(m, gen)
        c = _check_components(assign(x), k, m)
        shape[:] = [x.shape[1:], x.dtype]
        dtype = x.dtype if _exact_ints(x.dtype, k) else torch.float64
        packed = torch.cat([x.reshape(m, -1).to(dtype), c.to(x.device, dtype)[:, None]], dim=1)
        return packed, strat.corrected(calibration.logits(raw.detach().double().cpu().reshape(-1)), c)

    corrected = Calibration(scale=1.0, bias=0.0, max_logit=strat.max_logit, gamma=strat.gamma)
    packed, rate = rejection_sample(draw_corrected, n, corrected, generator=generator, min_rate=min_rate,
                                    min_draws=min_draws)
    samples = packed[:, :-1].reshape(len(packed), *shape[0]).to(shape[1])
    return samples, rate, packed[:, -1].long().cpu()
