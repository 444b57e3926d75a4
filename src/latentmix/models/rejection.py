"""Discriminator rejection sampling (Azadi et al., ICLR 2019, "Discriminator rejection sampling").

After training, the discriminator *checks* generated samples: a sample x is kept with probability
``sigmoid(F(x))``, where, with the calibrated logit ``D~(x)`` (an estimate of
log p_data(x) / p_g(x)) and ``D*_M`` the largest calibrated logit seen on generated samples,

    F(x) = D~(x) - D*_M - log(1 - exp(D~(x) - D*_M - eps)) - gamma        (paper, eq. 8)

``gamma`` shifts the acceptance rate (higher = stricter).

Calibration (paper, section 4.1) is a one-feature logistic regression of "real" on the raw
discriminator output, fitted on held-out real images and fresh generated ones, with balanced
class weights so that ``D~ = scale * logit + bias`` estimates the density-ratio log-odds. It
matters most for ``hinge``, ``wgan-gp`` and ``lsgan``: their raw critic output is *not* a
log-odds (it is an unbounded score), and only the fitted scale and bias make it one. For the
cross-entropy losses (``ns``, ``minimax``) it corrects an over- or under-confident discriminator.
The default ``gamma`` is the 80th percentile of F (with gamma = 0) on the calibration's generated
samples, the paper's practical choice of a percentile.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch

from ..exceptions import CheckpointError, FittingError

__all__ = ["Calibration", "fit_calibration", "drs_scores", "rejection_sample", "EPS"]

#: The ``eps`` of F(x): keeps log(1 - exp(.)) finite for the sample that attains D*_M.
EPS = 1e-6


@dataclass(frozen=True)
class Calibration:
    """A calibrated discriminator: ``D~ = scale * logit + bias``; ``max_logit`` = D*_M (the
    largest D~ over the calibration's generated samples); ``gamma`` = the default gamma."""

    scale: float
    bias: float
    max_logit: float
    gamma: float

    def logits(self, raw: torch.Tensor) -> torch.Tensor:
        """Calibrated logits D~ of raw discriminator outputs: same shape."""
        return raw * self.scale + self.bias

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        try:
            values = {k: float(data[k]) for k in ("scale", "bias", "max_logit", "gamma")}
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"the saved rejection-sampling calibration is corrupted: {exc!r}") from None
        return cls(**values)


def drs_scores(calibrated: torch.Tensor, max_logit: float, gamma: float, eps: float = EPS) -> torch.Tensor:
    """F(x) of Azadi et al. (2019), eq. 8, from calibrated logits D~ (N,) and D*_M >= max D~:
    ``D~ - D*_M - log(1 - exp(D~ - D*_M - eps)) - gamma`` -> (N,)."""
    delta = calibrated - max_logit  # <= 0
    return delta - torch.log(-torch.expm1(delta - eps)) - gamma


def fit_calibration(real_logits, fake_logits, *, percentile: float = 80.0) -> Calibration:
    """Fit ``D~ = scale * logit + bias`` by logistic regression (real = 1, generated = 0, balanced
    class weights) on raw discriminator logits of held-out real (N,) and generated (M,) samples;
    D*_M is the largest D~ of the generated ones and the default gamma the ``percentile`` of F."""
    from sklearn.linear_model import LogisticRegression

    real = np.asarray(torch.as_tensor(real_logits).detach().cpu(), dtype=np.float64).reshape(-1)
    fake = np.asarray(torch.as_tensor(fake_logits).detach().cpu(), dtype=np.float64).reshape(-1)
    x = np.concatenate([real, fake])[:, None]
    y = np.concatenate([np.ones(len(real)), np.zeros(len(fake))])
    model = LogisticRegression(C=1.0, class_weight="balanced").fit(x, y)
    scale, bias = float(model.coef_[0, 0]), float(model.intercept_[0])
    calibrated = torch.from_numpy(fake * scale + bias)
    max_logit = float(calibrated.max())
    gamma = float(np.percentile(drs_scores(calibrated, max_logit, 0.0).numpy(), percentile))
    return Calibration(scale, bias, max_logit, gamma)


def rejection_sample(draw: Callable[[int, torch.Generator | None], tuple[torch.Tensor, torch.Tensor]],
                     n: int, calibration: Calibration, *, gamma: float | None = None,
                     generator: torch.Generator | None = None, min_rate: float = 1e-3,
                     min_draws: int = 10_000) -> tuple[torch.Tensor, float]:
    """Draw candidates until ``n`` are accepted; returns (samples (n, ...), acceptance rate).

    ``draw(m, generator)`` gives ``m`` candidates and their raw discriminator logits (m,).
    D*_M starts at the calibration's value and rises when a larger calibrated logit is seen
    (within this call only, so a seeded call is reproducible). Uniforms come from ``generator``
    (CPU). Raises :class:`FittingError` when fewer than ``min_rate`` of at least ``min_draws``
    candidates are accepted.
    """
    gamma = calibration.gamma if gamma is None else float(gamma)
    max_logit, kept, accepted, drawn = calibration.max_logit, [], 0, 0
    while accepted < n:
        rate = accepted / drawn if drawn else 0.5
        m = int(min(65536, max(256, math.ceil(1.25 * (n - accepted) / max(rate, min_rate)))))
        x, raw = draw(m, generator)
        calibrated = calibration.logits(raw.detach().double().cpu().reshape(-1))
        max_logit = max(max_logit, float(calibrated.max()))
        p = torch.sigmoid(drs_scores(calibrated, max_logit, gamma))
        keep = torch.rand(m, generator=generator, dtype=torch.float64) < p
        kept.append(x[keep.to(x.device)])
        accepted, drawn = accepted + int(keep.sum()), drawn + m
        if drawn >= min_draws and accepted < min_rate * drawn:
            raise FittingError(
                f"discriminator rejection sampling accepted {accepted} of {drawn} candidates "
                f"(rate {accepted / drawn:.2g} < {min_rate:g}) with gamma={gamma:.3g}; lower gamma (the "
                f"calibrated default is {calibration.gamma:.3g}) or sample without rejection")
    return torch.cat(kept)[:n], accepted / drawn
