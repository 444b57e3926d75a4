"""Mixture-stratified rejection sampling (latentmix.models.stratified) on a known answer: a 1-D
mixture of three Gaussians; a generator with the wrong component weights and wider components;
a discriminator whose logit is the exact log-ratio plus large per-component offsets (the class
offsets of a GAN discriminator). Plain DRS gets the shares wrong; the stratified sampler fixes
the shares and the blur."""

import json
import math

import pytest
import torch

from latentmix.exceptions import CheckpointError, DataError, FittingError, InvalidParameterError
from latentmix.models.rejection import Calibration, drs_scores, rejection_sample
from latentmix.models.stratified import StratifiedCalibration, fit_offsets, fit_stratified, stratified_rejection_sample

pytestmark = pytest.mark.usefixtures("one_thread")
MEANS = torch.tensor([-4.0, 0.0, 4.0], dtype=torch.float64)
DATA_W, DATA_STD = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64), 0.5
GEN_W, GEN_STD = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64), 0.6
OFFSETS = torch.tensor([2.5, -2.0, 0.0], dtype=torch.float64)  # what the discriminator gets wrong
IDENTITY = Calibration(scale=1.0, bias=0.0, max_logit=0.0, gamma=0.0)


def log_mixture(x, weights, std):
    """log sum_k w_k N(x; mu_k, std^2) (N,) and the per-component terms (N, K)."""
    terms = weights.log() - 0.5 * ((x[:, None] - MEANS) / std) ** 2 - math.log(std * math.sqrt(2 * math.pi))
    return torch.logsumexp(terms, 1), terms


def assign(x):
    """The data mixture's most probable component (what a GaussianMixture fitted on real data gives)."""
    return log_mixture(x, DATA_W, DATA_STD)[1].argmax(1)


def draw(m, generator):
    c = torch.multinomial(GEN_W, m, replacement=True, generator=generator)
    x = MEANS[c] + GEN_STD * torch.randn(m, generator=generator, dtype=torch.float64)
    biased = log_mixture(x, DATA_W, DATA_STD)[0] - log_mixture(x, GEN_W, GEN_STD)[0] + OFFSETS[assign(x)]
    return x, biased


def shares_and_stds(x, c):
    shares = torch.bincount(c, minlength=3).double() / len(c)
    return shares, torch.stack([x[c == k].std() for k in range(3)])


def calibration_set(seed=0, m=20_000):
    x, logits = draw(m, torch.Generator().manual_seed(seed))
    return logits, assign(x)


def test_plain_drs_with_class_offsets_gets_the_shares_wrong():
    logits, _ = calibration_set()
    cal = Calibration(1.0, 0.0, float(logits.max()), 0.0)
    x, _ = rejection_sample(draw, 10_000, cal, generator=torch.Generator().manual_seed(1))
    shares, _ = shares_and_stds(x, assign(x))
    assert (shares - DATA_W).abs().max() > 0.3  # bags and boots all over again
    x, _ = draw(20_000, torch.Generator().manual_seed(2))  # plain sampling: the generator's shares and blur
    shares, stds = shares_and_stds(x, assign(x))
    torch.testing.assert_close(shares, GEN_W, atol=0.02, rtol=0)
    torch.testing.assert_close(stds, torch.full((3,), GEN_STD).double(), rtol=0.04, atol=0)


def test_stratified_rejection_fixes_the_shares_and_the_blur():
    strat, fit = fit_stratified(*calibration_set(), DATA_W, gamma=0.0)
    torch.testing.assert_close(fit.shares, DATA_W)
    # the offsets undo the discriminator's (up to the common constant)
    b = torch.tensor(strat.offsets, dtype=torch.float64)
    torch.testing.assert_close(b - b.mean(), -(OFFSETS - OFFSETS.mean()), atol=0.08, rtol=0)
    x, rate, c = stratified_rejection_sample(draw, assign, 20_000, IDENTITY, strat,
                                             generator=torch.Generator().manual_seed(3))
    assert x.shape == (20_000,) and x.dtype == torch.float64 and torch.equal(c, assign(x))
    shares, stds = shares_and_stds(x, c)
    torch.testing.assert_close(shares, DATA_W, atol=0.02, rtol=0)
    torch.testing.assert_close(stds, torch.full((3,), DATA_STD).double(), rtol=0.04, atol=0)
    assert rate == pytest.approx(fit.acceptance_rate, abs=0.02)


def test_default_gamma_still_meets_the_shares():
    strat, fit = fit_stratified(*calibration_set(4), DATA_W)
    assert math.isfinite(strat.gamma) and 0.05 < fit.acceptance_rate < 0.6
    torch.testing.assert_close(fit.shares, DATA_W)
    x, _, c = stratified_rejection_sample(draw, assign, 10_000, IDENTITY, strat,
                                          generator=torch.Generator().manual_seed(5))
    shares, stds = shares_and_stds(x, c)
    torch.testing.assert_close(shares, DATA_W, atol=0.025, rtol=0)
    assert bool((stds < 0.54).all())  # far closer to the data's 0.5 than to the generator's 0.6


def synthetic(seed=6, n=5_000, k=4):
    g = torch.Generator().manual_seed(seed)
    c = torch.randint(0, k, (n,), generator=g)
    return torch.randn(n, generator=g, dtype=torch.float64) + 3.0 * c, c


def test_fit_offsets_meets_the_shares_for_any_gamma():
    d, c = synthetic()
    pi = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    for gamma in (-3.0, 0.0, 1.5, 5.0):
        fit = fit_offsets(d, c, pi, gamma=gamma)
        corrected = d + fit.offsets[c]
        assert fit.max_logit == float(corrected.max()) and float((pi * fit.offsets).sum()) == pytest.approx(0, abs=1e-9)
        p = torch.sigmoid(drs_scores(corrected, fit.max_logit, gamma))
        torch.testing.assert_close(torch.bincount(c, weights=p) / p.sum(), pi)
        assert fit.acceptance_rate == pytest.approx(float(p.mean()))
    # gamma = 0, eps = 0: exact rejection sampling, the closed form b_k = log(pi_k / S_k) + const
    fit = fit_offsets(d, c, pi, gamma=0.0, eps=0.0)
    closed = (pi / torch.bincount(c, weights=d.exp())).log()
    torch.testing.assert_close(fit.offsets - fit.offsets[0], closed - closed[0])
    shifted = fit_offsets(d + 7.0, c, pi, gamma=0.0, eps=0.0)  # a common shift moves D*_M only
    torch.testing.assert_close(shifted.offsets, fit.offsets)
    assert shifted.max_logit == pytest.approx(fit.max_logit + 7.0)


def test_fit_offsets_is_the_identity_on_unbiased_logits():
    d, c = synthetic(7)
    p = torch.sigmoid(drs_scores(d, float(d.max()), 1.0))
    fit = fit_offsets(d, c, torch.bincount(c, weights=p) / p.sum(), gamma=1.0)
    torch.testing.assert_close(fit.offsets, torch.zeros(4, dtype=torch.float64), atol=1e-7, rtol=0)


def test_empty_and_zero_share_components():
    d, c = synthetic(8, k=3)  # component 3 of 4 has no candidates
    fit = fit_offsets(d, c, torch.full((4,), 0.25), gamma=1.0)
    assert fit.empty.tolist() == [False, False, False, True] and fit.offsets[3] == 0
    torch.testing.assert_close(fit.shares, torch.tensor([1 / 3, 1 / 3, 1 / 3, 0], dtype=torch.float64))
    fit = fit_offsets(d, c, torch.tensor([0.5, 0.0, 0.5, 0.0]), gamma=1.0)  # share 0: never kept
    assert fit.shares[1] == 0 and fit.shares[0] == pytest.approx(0.5) and not fit.empty[1]
    with pytest.raises(FittingError, match="positive target share"):
        fit_offsets(d, c, torch.tensor([0.0, 0.0, 0.0, 1.0]), gamma=1.0)


@pytest.mark.parametrize("d, c, pi, match", [
    (torch.zeros(3), torch.tensor([0, 1]), [0.5, 0.5], "3 candidates"),
    (torch.zeros(2), torch.tensor([0, 1]), [0.5, 0.6], "sum to 1"),
    (torch.zeros(2), torch.tensor([0, 1]), [1.5, -0.5], ">= 0"),
    (torch.zeros(2), torch.tensor([0.0, 1.0]), [0.5, 0.5], "integer"),
    (torch.tensor([0.0, math.nan]), torch.tensor([0, 1]), [0.5, 0.5], "finite"),
    (torch.zeros(0), torch.zeros(0, dtype=torch.long), [1.0], "non-empty"),
    (torch.zeros(2), torch.tensor([0, 1]), [[0.5, 0.5]], "1-D"),
])
def test_bad_arguments(d, c, pi, match):
    with pytest.raises(InvalidParameterError, match=match):
        fit_offsets(d, c, torch.tensor(pi), gamma=0.0)


def test_components_out_of_range():
    with pytest.raises(DataError, match=r"\[0, 2\)"):
        fit_offsets(torch.zeros(2), torch.tensor([0, 2]), torch.tensor([0.5, 0.5]), gamma=0.0)
    strat = StratifiedCalibration((0.0, 0.0), (0.5, 0.5), 0.0, 0.0)
    with pytest.raises(DataError):
        stratified_rejection_sample(draw, assign, 10, IDENTITY, strat, generator=torch.Generator().manual_seed(0))
    with pytest.raises(InvalidParameterError, match="positive integer"):
        stratified_rejection_sample(draw, assign, 0, IDENTITY, strat)


def test_to_dict_round_trip_and_corrupted_dicts():
    strat, _ = fit_stratified(*calibration_set(9, m=2_000), DATA_W)
    data = strat.to_dict()
    assert StratifiedCalibration.from_dict(data) == strat
    assert StratifiedCalibration.from_dict(json.loads(json.dumps(data))) == strat
    for bad in ({**data, "offsets": data["offsets"][:2]}, {**data, "gamma": "x"}, {"offsets": [0.0]},
                {**data, "max_logit": math.nan}, {**data, "target_shares": [0.9, 0.9, -0.8]}, None):
        with pytest.raises(CheckpointError, match="corrupted"):
            StratifiedCalibration.from_dict(bad)


@pytest.mark.parametrize("dtype, k", [(torch.float32, 3), (torch.bfloat16, 300)])
def test_image_candidates_keep_their_shape_dtype_and_component(dtype, k):
    """Candidates travel through the acceptance loop with their component (bfloat16 cannot hold 299:
    the component then travels in float64)."""
    def draw_images(m, generator):
        c = torch.randint(0, k, (m,), generator=generator)
        x = torch.zeros(m, 1, 2, 3, dtype=dtype)
        x[:, 0, 0, 0], x[:, 0, 0, 1] = (c // 16).to(dtype), (c % 16).to(dtype)  # exact in bfloat16
        return x, torch.randn(m, generator=generator, dtype=torch.float64)

    def assign_images(x):
        return (16 * x[:, 0, 0, 0].double() + x[:, 0, 0, 1].double()).long()

    strat = StratifiedCalibration((0.0,) * k, (1 / k,) * k, 0.0, -2.0)
    x, _, c = stratified_rejection_sample(draw_images, assign_images, 500, IDENTITY, strat,
                                          generator=torch.Generator().manual_seed(10))
    assert x.shape == (500, 1, 2, 3) and x.dtype == dtype
    assert torch.equal(c, assign_images(x)) and (k < 256 or int(c.max()) > 255)
