"""The maths of the variational Bayesian Gaussian mixture, as pure functions on tensors.

Variational inference for a Gaussian mixture with conjugate priors (Bishop, 2006, "Pattern
Recognition and Machine Learning", sections 10.2 and 10.4; Attias, 2000): a Dirichlet (or, for the
Dirichlet process, a truncated stick-breaking Beta) posterior on the weights, a Gaussian-Wishart
posterior on each component's mean and precision. The Dirichlet-process weights follow Blei &
Jordan (2006), "Variational inference for Dirichlet process mixtures", Bayesian Analysis 1(1).

The formulas, including their simplifications, are scikit-learn's
(``sklearn/mixture/_bayesian_mixture.py``), so the two agree to rounding from the same start:

- the Wishart scale is stored *normalised* by the degrees of freedom: ``covariances`` is
  W^-1 / nu and ``precisions_cholesky`` its precision's Cholesky factor P (P P^T = nu W), the
  layout of :mod:`latentmix.mixture._gaussian` (full (k, d, d), tied (d, d), diag (k, d),
  spherical (k,)). The ``tied`` posterior pools the statistics (degrees of freedom
  nu0 + N / k, a scalar);
- the lower bound drops the terms that are constant or cancel at the M-step's optimum.

The M-step reads the same sufficient statistics as EM's (:class:`~._gaussian.SufficientStats`,
plus the responsibilities' sum r log r for the bound), so chunked, streamed and distributed fits
work unchanged. Weight-prior types: ``"dirichlet_process"`` and ``"dirichlet_distribution"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import NamedTuple

import torch

from . import _gaussian as G

WEIGHT_PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")


@dataclass
class VariationalStats(G.SufficientStats):
    """EM's sufficient statistics plus ``resp_log_resp`` = sum_n sum_k r_nk log r_nk (a scalar),
    the responsibilities' negative entropy that the variational lower bound needs."""

    resp_log_resp: torch.Tensor | None = None

    def __iadd__(self, other: G.SufficientStats) -> VariationalStats:
        """Add ``other``'s sums; plain :class:`~._gaussian.SufficientStats` (the initialisation's,
        which needs no bound) add no entropy."""
        for name in (f.name for f in fields(G.SufficientStats) if f.name != "center"):
            getattr(self, name).add_(getattr(other, name).to(getattr(self, name).dtype))
        extra = getattr(other, "resp_log_resp", None)
        if extra is not None:
            self.resp_log_resp.add_(extra.to(self.resp_log_resp.dtype))
        return self


def with_resp_entropy(stats: G.SufficientStats, resp: torch.Tensor) -> VariationalStats:
    """``stats`` of a chunk plus the sum of r log r over its responsibilities ``resp`` (n, k)."""
    values = {name: getattr(stats, name) for name in stats.__dataclass_fields__}
    return VariationalStats(**values, resp_log_resp=torch.xlogy(resp, resp).sum().to(stats.nk))


def empty_variational_statistics(k: int, d: int, covariance_type: str, device,
                                 center: torch.Tensor | None = None) -> VariationalStats:
    """float64 zeros shaped like :func:`with_resp_entropy`'s output, for accumulation."""
    stats = G.empty_statistics(k, d, covariance_type, device, center=center)
    return with_resp_entropy(stats, torch.zeros(1, 1, dtype=torch.float64, device=device))


@dataclass
class Prior:
    """The priors, resolved (defaults filled in from the data); float64 tensors/floats.

    weight_concentration: gamma_0 > 0; mean_precision: beta_0 > 0; mean: m_0 (d,);
    degrees_of_freedom: nu_0 > d - 1; covariance: the Wishart's W_0^-1, (d, d) for full/tied,
    (d,) for diag, () for spherical.
    """

    weight_concentration: float
    mean_precision: float
    mean: torch.Tensor
    degrees_of_freedom: float
    covariance: torch.Tensor


class Posterior(NamedTuple):
    """The variational posterior (scikit-learn's ``_get_parameters`` order, all float64).

    weight_concentration: (2, k) Beta parameters of the sticks (dirichlet_process) or (k,)
    Dirichlet parameters; mean_precision: (k,) beta_k; means: (k, d) m_k; degrees_of_freedom:
    (k,) nu_k, or () for tied; covariances and precisions_cholesky: normalised Wishart scales
    (see the module docstring).
    """

    weight_concentration: torch.Tensor
    mean_precision: torch.Tensor
    means: torch.Tensor
    degrees_of_freedom: torch.Tensor
    covariances: torch.Tensor
    precisions_cholesky: torch.Tensor


def m_step(nk: torch.Tensor, xk: torch.Tensor, sk: torch.Tensor, prior: Prior, covariance_type: str,
           weight_prior_type: str, data_dtype: torch.dtype | None = None) -> Posterior:
    """Variational M-step (Bishop eqs. 10.58, 10.60-10.63; Blei & Jordan eqs. 18-19).

    nk (k,): responsibility sums (with scikit-learn's + 10 eps); xk (k, d): responsibility-weighted
    means; sk: regularised responsibility-weighted covariances shaped by ``covariance_type``
    (what :func:`latentmix.mixture._gaussian.m_step` returns). ``data_dtype`` only words the
    advice of a failed Cholesky factorisation.
    """
    weight_concentration = estimate_weight_concentration(nk, prior.weight_concentration, weight_prior_type)
    beta = prior.mean_precision + nk  # (k,)
    means = (prior.mean_precision * prior.mean + nk[:, None] * xk) / beta[:, None]
    diff = xk - prior.mean  # (k, d)
    shrink = prior.mean_precision / beta  # (k,): beta_0 / beta_k
    nu0, w0 = prior.degrees_of_freedom, prior.covariance
    if covariance_type == "full":
        dof = nu0 + nk
        outer = diff[:, :, None] * diff[:, None, :]  # (k, d, d)
        cov = w0 + nk[:, None, None] * sk + (nk * shrink)[:, None, None] * outer
        cov = cov / dof[:, None, None]
    elif covariance_type == "tied":
        k = nk.shape[0]
        dof = nu0 + nk.sum() / k
        cov = w0 + sk * (nk.sum() / k) + prior.mean_precision / k * ((nk / beta) * diff.T) @ diff
        cov = cov / dof
    elif covariance_type == "diag":
        dof = nu0 + nk
        cov = (w0 + nk[:, None] * (sk + shrink[:, None] * diff * diff)) / dof[:, None]
    else:
        dof = nu0 + nk
        cov = (w0 + nk * (sk + shrink * (diff * diff).mean(1))) / dof
    prec_chol = G.compute_precision_cholesky(cov, covariance_type, data_dtype)
    return Posterior(weight_concentration, beta, means, dof, cov, prec_chol)


def estimate_weight_concentration(nk: torch.Tensor, prior: float, weight_prior_type: str) -> torch.Tensor:
    """Posterior of the weights from nk (k,): (2, k) stick Betas (1 + N_k, gamma_0 + sum_{j>k} N_j)
    for the Dirichlet process, else (k,) Dirichlet gamma_0 + N_k."""
    if weight_prior_type == "dirichlet_process":
        tail = nk.flip(0).cumsum(0).flip(0)  # (k,): sum_{j >= k} N_j, summed from the end
        after = torch.cat([tail[1:], tail.new_zeros(1)])  # sum_{j > k} N_j
        return torch.stack([1.0 + nk, prior + after])
    return prior + nk


def expected_log_weights(weight_concentration: torch.Tensor, weight_prior_type: str) -> torch.Tensor:
    """E[log pi_k] under the posterior: (k,). Stick breaking: E[log v_k] + sum_{j<k} E[log(1-v_j)]
    (Blei & Jordan eq. 22); Dirichlet: digamma(alpha_k) - digamma(sum alpha) (Bishop eq. 10.66)."""
    digamma = torch.special.digamma
    if weight_prior_type == "dirichlet_process":
        a, b = weight_concentration
        dg_sum = digamma(a + b)
        before = torch.cumsum(digamma(b) - dg_sum, 0)[:-1]
        return digamma(a) - dg_sum + torch.cat([before.new_zeros(1), before])
    return digamma(weight_concentration) - digamma(weight_concentration.sum())


def mixture_weights(weight_concentration: torch.Tensor, weight_prior_type: str) -> torch.Tensor:
    """The posterior-mean weights (k,) that ``weights_`` reports (scikit-learn's formula)."""
    if weight_prior_type == "dirichlet_process":
        a, b = weight_concentration
        total = a + b
        keep = torch.cumprod(b / total, 0)[:-1]  # prod_{j<k} E[1 - v_j]
        w = a / total * torch.cat([keep.new_ones(1), keep])
        return w / w.sum()
    return weight_concentration / weight_concentration.sum()


def _log_lambda_terms(dof: torch.Tensor, d: int) -> torch.Tensor:
    """sum_{i<d} digamma((nu - i) / 2) + d log 2 (Bishop eq. 10.65 without log|W|): (k,) or ()."""
    i = torch.arange(d, dtype=dof.dtype, device=dof.device)
    return d * math.log(2.0) + torch.special.digamma(0.5 * (dof.unsqueeze(-1) - i)).sum(-1)


def log_prob_offset(post: Posterior, weight_prior_type: str, n_features: int) -> torch.Tensor:
    """What the E-step adds to log N(x | m_k, (nu_k W_k)^-1) of every component: (k,).

    E[log pi_k] + (E[log|Lambda_k|] - log|nu_k W_k| - d / beta_k) / 2 (Bishop eqs. 10.64-10.67;
    the Gaussian term evaluated at the normalised scale, as scikit-learn does).
    """
    d, dof = n_features, post.degrees_of_freedom
    gauss = -0.5 * d * torch.log(dof) + 0.5 * (_log_lambda_terms(dof, d) - d / post.mean_precision)
    return gauss + expected_log_weights(post.weight_concentration, weight_prior_type)


def _log_wishart_norm(dof: torch.Tensor, log_det_chol: torch.Tensor, d: int) -> torch.Tensor:
    """log B(W, nu) of the Wishart (Bishop eq. B.79) without the log(pi) term: (k,) or ()."""
    i = torch.arange(d, dtype=dof.dtype, device=dof.device)
    return -(dof * log_det_chol + dof * d * 0.5 * math.log(2.0)
             + torch.lgamma(0.5 * (dof.unsqueeze(-1) - i)).sum(-1))


def lower_bound(post: Posterior, resp_log_resp: torch.Tensor, covariance_type: str,
                weight_prior_type: str, n_components: int) -> float:
    """The variational lower bound on log p(X) (Bishop eqs. 10.70-10.77), up to constants.

    Evaluated with the posterior *after* the M-step and the sum of r log r of the E-step that fed
    it, as scikit-learn's ``_compute_lower_bound`` does (not divided by the number of samples).
    """
    d = post.means.shape[1]
    dof = post.degrees_of_freedom
    log_det = G.log_det_cholesky(post.precisions_cholesky, covariance_type, d) - 0.5 * d * torch.log(dof)
    log_wishart = _log_wishart_norm(dof, log_det, d)
    log_wishart = n_components * log_wishart if covariance_type == "tied" else log_wishart.sum()
    wc = post.weight_concentration
    if weight_prior_type == "dirichlet_process":
        a, b = wc
        log_norm_weight = -(torch.lgamma(a) + torch.lgamma(b) - torch.lgamma(a + b)).sum()  # -sum betaln
    else:
        log_norm_weight = torch.lgamma(wc.sum()) - torch.lgamma(wc).sum()
    bound = (-resp_log_resp - log_wishart - log_norm_weight
             - 0.5 * d * torch.log(post.mean_precision).sum())
    return float(bound)


def resolve_covariance_prior(mean_second: torch.Tensor, covariance_type: str) -> torch.Tensor:
    """The default W_0^-1 from the data's covariance (ddof=1): (d, d) for full/tied; its diagonal
    (d,) for diag, their mean () for spherical. ``mean_second`` is the (d, d) or (d,) sample
    covariance (variances when only the diagonal was accumulated)."""
    if covariance_type in ("full", "tied"):
        return mean_second
    var = torch.diagonal(mean_second) if mean_second.ndim == 2 else mean_second
    return var if covariance_type == "diag" else var.mean()
