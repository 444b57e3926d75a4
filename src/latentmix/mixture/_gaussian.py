"""The maths of a Gaussian mixture, as small pure functions on tensors.

Shapes: ``n`` samples, ``k`` components, ``d`` features. Covariance parameters are stored as in
scikit-learn's ``sklearn/mixture/_gaussian_mixture.py``:

=============  ===============  ==========================================
type           covariances      precisions_cholesky (P with P P^T = Sigma^-1)
=============  ===============  ==========================================
``full``       (k, d, d)        (k, d, d), upper triangular
``tied``       (d, d)           (d, d), upper triangular
``diag``       (k, d)           (k, d)
``spherical``  (k,)             (k,)
=============  ===============  ==========================================

The EM algorithm is Dempster, Laird & Rubin (1977), "Maximum likelihood from incomplete data via
the EM algorithm"; the M-step here works from sufficient statistics (Neal & Hinton, 1998), so that
data can be streamed in chunks and statistics summed across processes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import torch

from .._linalg import addmm_padded, pad_columns, padded_width
from ..exceptions import FittingError
from ._scatter import weighted_moments, whitened_sq_norms, whitening_blocks

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

_ILL_DEFINED = (  # scikit-learn's words first (users match on them), then latentmix's advice
    "Fitting the mixture model failed because some components have ill-defined empirical "
    "covariance (for instance caused by singleton or collapsed samples). Try to decrease the "
    "number of components, increase reg_covar, or scale the input data."
)
_FLOAT32_ADVICE = (" The numerical accuracy can also be improved by passing float64 data instead of "
                   "float32.")
_OUR_ADVICE = (" (latentmix: dtype='float64' computes in float64 whatever the input's dtype, and "
               "reg_covar may be a (d, d) matrix that regularises each feature on its own scale.)")


def ill_defined_message(dtype: torch.dtype) -> str:
    """scikit-learn's message for a covariance that is not positive definite, then ours."""
    return _ILL_DEFINED + (_FLOAT32_ADVICE if dtype == torch.float32 else "") + _OUR_ADVICE


def compute_precision_cholesky(covariances: torch.Tensor, covariance_type: str,
                               data_dtype: torch.dtype | None = None) -> torch.Tensor:
    """Cholesky factor P of each precision matrix (P P^T = Sigma^-1); advice on failure
    (``data_dtype``: the model's compute dtype, for the advice; default the covariances').

    full: (k, d, d) -> (k, d, d); tied: (d, d) -> (d, d); diag: (k, d) -> (k, d); spherical: (k,).
    """
    if covariance_type in ("full", "tied"):
        chol, info = torch.linalg.cholesky_ex(covariances)
        if bool((info != 0).any()) or not bool(torch.isfinite(chol).all()):
            raise FittingError(ill_defined_message(data_dtype or covariances.dtype))
        eye = torch.eye(covariances.shape[-1], dtype=covariances.dtype, device=covariances.device)
        eye = eye.expand_as(covariances)
        # Sigma = L L^T  =>  Sigma^-1 = L^-T L^-1, so P = (L^-1)^T is upper triangular.
        return torch.linalg.solve_triangular(chol, eye, upper=False).transpose(-1, -2).contiguous()
    if not bool(covariances.log().isfinite().all()):  # 0 < var < inf, one check
        raise FittingError(ill_defined_message(data_dtype or covariances.dtype))
    return covariances.rsqrt()


def precision_cholesky_from_precisions(precisions: torch.Tensor, covariance_type: str) -> torch.Tensor:
    """P with P P^T = precisions, for user-given ``precisions_init``; upper triangular like every
    P here (:func:`covariances_from_precision_cholesky` relies on it): with J the reversal
    permutation, J chol(J A J) J is the upper factor of A."""
    if covariance_type in ("full", "tied"):
        flipped = precisions.flip(-1, -2)
        chol, info = torch.linalg.cholesky_ex(flipped)
        if bool((info != 0).any()):
            raise FittingError("precisions_init is not symmetric positive definite.")
        return chol.flip(-1, -2).contiguous()
    return precisions.sqrt()


def precisions_from_cholesky(prec_chol: torch.Tensor, covariance_type: str) -> torch.Tensor:
    """P P^T (full/tied) or P^2 (diag/spherical)."""
    if covariance_type in ("full", "tied"):
        return prec_chol @ prec_chol.transpose(-1, -2)
    return prec_chol * prec_chol


def covariances_from_precision_cholesky(prec_chol: torch.Tensor, covariance_type: str) -> torch.Tensor:
    """Sigma = (P P^T)^-1 computed stably through the triangular factor."""
    if covariance_type in ("full", "tied"):
        eye = torch.eye(prec_chol.shape[-1], dtype=prec_chol.dtype, device=prec_chol.device)
        inv = torch.linalg.solve_triangular(prec_chol, eye.expand_as(prec_chol), upper=True)
        return inv.transpose(-1, -2) @ inv
    return 1.0 / (prec_chol * prec_chol)


def log_det_cholesky(prec_chol: torch.Tensor, covariance_type: str, n_features: int) -> torch.Tensor:
    """log det(P) per component: (k,) (a scalar tensor for ``tied``)."""
    if covariance_type in ("full", "tied"):
        return torch.log(torch.diagonal(prec_chol, dim1=-2, dim2=-1)).sum(-1)
    if covariance_type == "diag":
        return torch.log(prec_chol).sum(1)
    return n_features * torch.log(prec_chol)


@dataclass
class LogProbOperator:
    """log w_j + log N(x | mu_j, Sigma_j) reduced to a few products, prepared once per pass.

    full:  y = [1 x] @ [-mu^T P; P_1 .. P_k] (n, k*d), score = const - |y_j|^2 / 2, computed
           by column blocks that skip the zeros of the triangular P_j (:meth:`whitening`, see
           :mod:`._scatter`), or for callers without the [1 x] rows (a differentiable prior) as
           X @ ``matrix`` + ``bias`` (:meth:`whole`); both are built on first use
    tied:  y = x @ P (n, d), score = const - (|y|^2 - 2 y b_j + |b_j|^2) / 2
    diag, spherical: score = [x, x^2] @ matrix + bias, one (n, 2d) @ (2d, k) product (columns
           padded for the BLAS, see :func:`latentmix._linalg.pad_columns`; take ``[:, :k]``).
    """

    covariance_type: str
    n_components: int
    matrix: torch.Tensor | None
    bias: torch.Tensor | None
    const: torch.Tensor  # (k,)
    second: torch.Tensor | None = None  # tied: (d, k), the b_j = P^T mu_j as columns
    params: tuple | None = None  # full: (means (k, d), prec_chol (k, d, d))
    blocks: list[torch.Tensor] | None = None  # full: the (1 + e_i, k*w_i) whitening blocks

    def whitening(self) -> list[torch.Tensor]:
        """full: the whitening blocks of :func:`._scatter.whitening_blocks` (built once)."""
        if self.blocks is None:
            self.blocks = whitening_blocks(*self.params)
        return self.blocks

    def whole(self) -> tuple[torch.Tensor, torch.Tensor]:
        """full: (matrix (d, k*d) [P_1 | ... | P_k], bias (k*d,) -mu_j^T P_j) (built once)."""
        if self.matrix is None:
            means, prec_chol = self.params
            k, d = means.shape
            self.matrix = prec_chol.permute(1, 0, 2).reshape(d, k * d)
            self.bias = -torch.einsum("kd,kde->ke", means, prec_chol).reshape(k * d)
        return self.matrix, self.bias


def prepare_log_prob(weights: torch.Tensor | None, means: torch.Tensor, prec_chol: torch.Tensor,
                     covariance_type: str, log_offset: torch.Tensor | None = None) -> LogProbOperator:
    """Per-pass constants of :func:`apply_log_prob` (weights None: unweighted densities;
    ``log_offset`` (k,): added to each component's score, e.g. the variational mixture's terms)."""
    k, d = means.shape
    const = log_det_cholesky(prec_chol, covariance_type, d) - 0.5 * d * math.log(2 * math.pi)
    const = const.expand(k) if const.ndim == 0 else const
    if weights is not None:
        const = const + torch.log(weights)
    if log_offset is not None:
        const = const + log_offset
    if covariance_type == "full":
        return LogProbOperator(covariance_type, k, None, None, const, params=(means, prec_chol))
    if covariance_type == "tied":
        shift = means @ prec_chol  # (k, d)
        return LogProbOperator(covariance_type, k, prec_chol, None, const - 0.5 * (shift * shift).sum(1),
                               second=pad_columns(shift.T))  # (d, k [+ pad])
    prec = prec_chol * prec_chol  # (k, d) or (k,)
    if covariance_type == "spherical":
        prec = prec.unsqueeze(1).expand(k, d)
    # matrix^T (k [+ pad], 2d) = [mu * prec, -prec / 2] and bias (k [+ pad],), padded with zeros
    # by cat (few ops: on small data they are most of the cost)
    scaled = means * prec  # (k, d)
    matrix_t = torch.cat([scaled, -0.5 * prec], 1)  # (k, 2d)
    bias = const - 0.5 * (scaled * means).sum(1)  # (k,)
    pad = padded_width(k, means.device) - k
    if pad:
        zeros = means.new_zeros(pad, 2 * d + 1)
        matrix_t, bias = torch.cat([matrix_t, zeros[:, 1:]]), torch.cat([bias, zeros[:, 0]])
    return LogProbOperator(covariance_type, k, matrix_t.T, bias, const)


def apply_log_prob(op: LogProbOperator, X: torch.Tensor, features: torch.Tensor | None = None) -> torch.Tensor:
    """Scores (n, k) of the rows of X (n, d); ``features`` = :func:`expand_features` of X."""
    if op.covariance_type == "full":
        if features is not None and not features.requires_grad:  # [1 x]: triangle blocks
            return whitened_sq_norms(features, op.whitening(), op.n_components).mul_(-0.5).add_(op.const)
        matrix, bias = op.whole()
        y = addmm_padded(bias, X, matrix)  # (n, k*d): (x - mu_j)^T P_j for every j
        if y.requires_grad:  # a differentiable caller (latentmix.priors): no in-place ops
            return y.square().unflatten(1, (op.n_components, -1)).sum(-1) * -0.5 + op.const
        # |y_j|^2 in one read of y (square-then-sum would write y once more): (n, k)
        maha = torch.linalg.vector_norm(y.unflatten(1, (op.n_components, -1)), dim=-1).square_()
        return maha.mul_(-0.5).add_(op.const)
    if op.covariance_type == "tied":
        y = X @ op.matrix  # (n, d)
        cross = (y @ op.second)[:, : op.n_components]  # (n, k): y . b_j
        return cross.sub_(0.5 * (y * y).sum(1, keepdim=True)).add_(op.const)
    feats = expand_features(X, op.covariance_type) if features is None else features  # (n, 2d)
    return torch.addmm(op.bias, feats, op.matrix)[:, : op.n_components]


def estimate_log_gaussian_prob(
    X: torch.Tensor, means: torch.Tensor, prec_chol: torch.Tensor, covariance_type: str
) -> torch.Tensor:
    """log N(x_n | mu_j, Sigma_j) for every sample and component: X (n, d) -> (n, k).

    ``full`` does all components in one matrix product X @ [P_1 ... P_k] (n, d) @ (d, k*d);
    callers chunk X so that no more than one chunk's (n, k, d) block exists at a time.
    """
    return apply_log_prob(prepare_log_prob(None, means, prec_chol, covariance_type), X)


def expand_features(X: torch.Tensor, covariance_type: str, out: torch.Tensor | None = None) -> torch.Tensor:
    """What the E- and M-steps multiply by: [x, x^2] (n, 2d) for diag/spherical, [1; X^T]
    (1 + d, n) for full (transposed, see :mod:`._scatter`; the ones carry the means into the
    products), X itself for tied. Computed once per chunk (into ``out`` when given, of that
    shape) and shared by both steps."""
    if covariance_type not in ("diag", "spherical", "full"):
        return X
    n, d = X.shape
    if covariance_type == "full":
        out = torch.empty(d + 1, n, dtype=X.dtype, device=X.device) if out is None else out
        out[0].fill_(1.0)
        out[1:].copy_(X.T)
        return out
    out = torch.empty(n, 2 * d, dtype=X.dtype, device=X.device) if out is None else out
    out[:, :d].copy_(X)
    torch.mul(X, X, out=out[:, d:])
    return out


@dataclass
class SufficientStats:
    """Sums over samples that the M-step needs (float64 accumulators), taken around ``center``.

    nk: (k,) sum_n r_nk;  sx: (k, d) sum_n r_nk (x_n - c_k);  sxx: second moments about c_k,
    (k, d, d) for full, (d, d) for tied (unweighted, c = 0), (k, d) for diag/spherical;
    log_prob: sum_n log p(x_n);  n: number of samples;  center: (k, d) c_k, or None for 0.
    Centring on the current means (the ``precise`` pass) avoids the cancellation in
    E[x x^T] - mu mu^T when a component is tight and far from the origin.
    """

    nk: torch.Tensor
    sx: torch.Tensor
    sxx: torch.Tensor
    log_prob: torch.Tensor
    n: torch.Tensor
    center: torch.Tensor | None = None

    def __iadd__(self, other: SufficientStats) -> SufficientStats:
        for f in fields(self):
            if f.name != "center":
                getattr(self, f.name).add_(getattr(other, f.name).to(getattr(self, f.name).dtype))
        return self

    def as_float64(self) -> SufficientStats:
        """The same sums as float64 tensors (copies where the dtype differs), for accumulation."""
        return replace(self, **{f.name: getattr(self, f.name).double() for f in fields(self)
                                if f.name != "center" and isinstance(getattr(self, f.name), torch.Tensor)})

    def tensors(self) -> list[torch.Tensor]:
        """The summed tensors (what an all-reduce must add up)."""
        return [getattr(self, f.name) for f in fields(self) if f.name != "center"]


def chunk_statistics(
    X: torch.Tensor, resp: torch.Tensor, covariance_type: str,
    log_prob_sum: torch.Tensor | None = None, center: torch.Tensor | None = None,
    features: torch.Tensor | None = None,
) -> SufficientStats:
    """Sufficient statistics of one chunk: X (n, d), responsibilities (n, k), optional
    per-component center (k, d)."""
    n, d = X.shape
    nk = resp.sum(0)
    if center is None:
        if covariance_type == "full":  # (k, d), (k, d, d): one triangle's flops, see _scatter
            sx, sxx = weighted_moments(expand_features(X, "full") if features is None else features, resp)
        elif covariance_type == "tied":
            sx, sxx = resp.T @ X, X.T @ X  # (k, d), (d, d)
        else:
            feats = expand_features(X, covariance_type) if features is None else features
            both = resp.T @ feats  # (k, 2d): [sum r x, sum r x^2]
            sx, sxx = both[:, :d], both[:, d:]
    else:
        diff = X.unsqueeze(0) - center.unsqueeze(1)  # (k, n, d): x_n - c_k
        weighted = diff * resp.T.unsqueeze(2)  # (k, n, d)
        sx = weighted.sum(1)
        if covariance_type in ("full", "tied"):
            sxx = torch.bmm(weighted.transpose(1, 2), diff)  # (k, d, d)
        else:
            sxx = (weighted * diff).sum(1)  # (k, d)
    log_prob = X.new_zeros(()) if log_prob_sum is None else log_prob_sum
    return SufficientStats(nk, sx, sxx, log_prob, X.new_full((), float(n)), center)


def empty_statistics(k: int, d: int, covariance_type: str, device, dtype=torch.float64,
                     center: torch.Tensor | None = None) -> SufficientStats:
    """Zeros shaped like :func:`chunk_statistics`' output, for accumulation."""
    if center is not None and covariance_type == "tied":
        sxx_shape = (k, d, d)
    else:
        sxx_shape = {"full": (k, d, d), "tied": (d, d)}.get(covariance_type, (k, d))
    z = lambda *s: torch.zeros(s, dtype=dtype, device=device)  # noqa: E731
    return SufficientStats(z(k), z(k, d), z(*sxx_shape), z(), z(), center)


def add_regularisation(cov: torch.Tensor, reg_covar: float | torch.Tensor, covariance_type: str) -> torch.Tensor:
    """Sigma + reg: a float goes on the diagonal; a (d, d) matrix is added whole (full/tied), by
    its diagonal (diag) or its mean diagonal (spherical)."""
    if not isinstance(reg_covar, torch.Tensor):
        if covariance_type in ("full", "tied"):
            cov.diagonal(dim1=-2, dim2=-1).add_(reg_covar)
            return cov
        return cov + reg_covar
    reg = reg_covar.to(cov)
    if covariance_type in ("full", "tied"):
        return cov + reg
    if covariance_type == "diag":
        return cov + torch.diagonal(reg)
    return cov + torch.diagonal(reg).mean()


def m_step(
    stats: SufficientStats, reg_covar: float | torch.Tensor, covariance_type: str, eps: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Weights (k,), means (k, d) and regularised covariances from summed statistics.

    Matches scikit-learn's ``_estimate_gaussian_parameters``: nk gets 10*eps so that empty
    components keep finite means; covariances are E_r[x x^T] - mu mu^T.
    """
    nk = stats.nk + 10 * eps
    rel = stats.sx / nk[:, None]  # (k, d): means relative to the centers
    means = rel if stats.center is None else stats.center.to(rel) + rel
    weights = nk / nk.sum()
    if covariance_type == "full":
        cov = stats.sxx / nk[:, None, None] - rel.unsqueeze(2) * rel.unsqueeze(1)
    elif covariance_type == "tied" and stats.center is None:
        cov = (stats.sxx - (nk[:, None] * means).T @ means) / nk.sum()
    elif covariance_type == "tied":
        cov = (stats.sxx.sum(0) - (nk[:, None] * rel).T @ rel) / nk.sum()
    else:
        second = stats.sxx / nk[:, None]
        cov = torch.addcmul(second, rel, rel, value=-1.0)
        # E[x^2] - mean^2 cancels: what is left below ~eps * E[x^2] is rounding, not variance.
        # Zero it, so a collapsed component is reported as scikit-learn does (and the exact,
        # centred pass in the EM loop recovers a variance that is tiny but real).
        cov.masked_fill_(cov <= second * (32 * eps), 0.0)
        if covariance_type == "spherical":
            cov = cov.mean(1)
    if covariance_type in ("full", "tied"):
        cov = 0.5 * (cov + cov.transpose(-1, -2))  # symmetric up to rounding
    return weights, means, add_regularisation(cov, reg_covar, covariance_type)
