"""Discriminator rejection sampling (latentmix.models.rejection) against a known density ratio:
with the exact log-ratio as the discriminator and gamma = 0 it is exact rejection sampling."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from latentmix.exceptions import FittingError
from latentmix.models.rejection import Calibration, drs_scores, fit_calibration, rejection_sample

pytestmark = pytest.mark.usefixtures("one_thread")
PROPOSAL_STD = 2.0  # generator: N(0, 2^2); data: N(0, 1)


def exact_log_ratio(x: torch.Tensor) -> torch.Tensor:
    """log N(x; 0, 1) - log N(x; 0, 2^2)."""
    return -0.5 * x**2 + 0.5 * (x / PROPOSAL_STD) ** 2 + math.log(PROPOSAL_STD)


def draw(m, generator):
    x = PROPOSAL_STD * torch.randn(m, generator=generator, dtype=torch.float64)
    return x, exact_log_ratio(x)


EXACT = Calibration(scale=1.0, bias=0.0, max_logit=math.log(PROPOSAL_STD), gamma=0.0)


def test_gamma_zero_with_the_exact_ratio_recovers_the_data_distribution():
    x, rate = rejection_sample(draw, 20_000, EXACT, generator=torch.Generator().manual_seed(0))
    assert stats.kstest(x.numpy(), "norm").pvalue > 1e-3
    assert rate == pytest.approx(1 / PROPOSAL_STD, abs=0.01)  # acceptance of exact rejection sampling: 1/M


def test_lower_gamma_moves_towards_the_generator_and_accepts_more():
    stds, rates = [], []
    for gamma in (0.0, -2.0, -6.0, -30.0):
        x, rate = rejection_sample(draw, 20_000, EXACT, gamma=gamma, generator=torch.Generator().manual_seed(1))
        stds.append(float(x.std()))
        rates.append(rate)
    assert stds == sorted(stds) and rates == sorted(rates)
    assert stds[0] == pytest.approx(1.0, abs=0.03) and stds[-1] == pytest.approx(PROPOSAL_STD, abs=0.06)
    with pytest.raises(FittingError, match="lower gamma"):
        rejection_sample(draw, 100, EXACT, gamma=20.0, generator=torch.Generator().manual_seed(2))


def test_F_is_the_logit_of_the_exact_acceptance_probability_at_gamma_zero():
    delta = torch.tensor([-5.0, -1.0, -0.1], dtype=torch.float64)
    p = torch.sigmoid(drs_scores(delta, 0.0, 0.0, eps=0.0))
    torch.testing.assert_close(p, delta.exp())


def test_logistic_calibration_recovers_a_scaled_log_ratio():
    """Raw logits = log-ratio / 3 + 1 on samples of each distribution: the fit undoes the scale and shift."""
    g = torch.Generator().manual_seed(3)
    real = torch.randn(20_000, generator=g, dtype=torch.float64)
    fake = PROPOSAL_STD * torch.randn(20_000, generator=g, dtype=torch.float64)
    cal = fit_calibration(exact_log_ratio(real) / 3 + 1, exact_log_ratio(fake) / 3 + 1)
    assert cal.scale == pytest.approx(3.0, rel=0.05) and cal.bias == pytest.approx(-3.0, abs=0.15)
    assert np.isfinite(cal.gamma) and cal.max_logit <= math.log(PROPOSAL_STD) + 0.05
