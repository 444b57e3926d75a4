"""Gaussian mixture fitted by EM, with scikit-learn's API, in PyTorch (CPU or GPU)."""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import torch

from .. import _distributed as dist
from .._estimator import make_generator
from .._validation import ArrayLike, Interval, Options
from ..cluster._kmeans import _kmeans_plusplus, assign, lloyd
from ..core.registry import register
from ..exceptions import InvalidParameterError
from . import _gaussian as G
from ._base import BaseMixture
from ._checks import check_means, check_precisions, check_reg_matrix, check_weights
from ._data import DataSource
from ._online import StepwiseEMMixin

__all__ = ["GaussianMixture"]

_INIT_SAMPLE_ROWS = 200_000  # k-means initialisation of streamed data runs on this many rows


@register()  # loadable by class name; not a `latentmix train` model
class GaussianMixture(StepwiseEMMixin, BaseMixture):
    """Gaussian mixture model fitted by expectation-maximisation.

    Dempster, Laird & Rubin (1977); parameters, attributes and defaults follow
    ``sklearn.mixture.GaussianMixture``, so it is a drop-in replacement, with these additions:

    - ``device`` ("auto", "cpu", "cuda"), ``dtype`` and ``chunk_size`` (rows per E-step chunk;
      no (n, k, d) tensor is ever built whole). ``dtype=None`` (default) follows the input as
      scikit-learn does: float32 data is fitted in float32, anything else in float64, and the
      fitted attributes have that dtype. ``dtype="float32"`` is the explicit speed choice
      (about 2x faster, half the memory; parameters to ~1e-6 relative), ``"float64"`` forces
      float64 arithmetic for float32 data;
    - ``reg_covar`` may be a (d, d) positive-definite matrix added to every covariance (the
      lambda * S0^-1 term of a MAP M-step) instead of a float added to the diagonal;
    - ``init_params`` also accepts "k-means++" and "random_from_data" (as in scikit-learn >= 1.1);
    - ``fit`` streams numpy memmaps chunk by chunk and, under ``torch.distributed``, sums the
      sufficient statistics of every rank's shard;
    - ``partial_fit(X)`` updates the model with one batch by stepwise EM (Cappe & Moulines,
      2009), step size ``(t + 2) ** -step_size_decay`` (default 0.6, in (0.5, 1]); see
      :mod:`latentmix.mixture._online`.

    numpy in -> numpy out (fitted attributes too); torch in -> torch out on the same device.
    """

    _parameter_constraints = {
        **BaseMixture._parameter_constraints,
        "covariance_type": [Options(G.COVARIANCE_TYPES)],
        "reg_covar": [Interval(Real, 0.0, None, closed="left"), ArrayLike()],
        "init_params": [Options({"kmeans", "k-means++", "random", "random_from_data"})],
        "weights_init": [None, ArrayLike()],
        "means_init": [None, ArrayLike()],
        "precisions_init": [None, ArrayLike()],
        "step_size_decay": [Interval(Real, 0.5, 1.0, closed="right")],
    }

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans", weights_init=None, means_init=None,
                 precisions_init=None, random_state=None, warm_start=False, verbose=0,
                 verbose_interval=10, device="auto", dtype=None, chunk_size=None, step_size_decay=0.6):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.device = device
        self.dtype = dtype
        self.chunk_size = chunk_size
        self.step_size_decay = step_size_decay

    # ------------------------------------------------------------------ checks
    def _check_parameters(self, d: int) -> None:
        """Shapes and values of reg_covar and the user's initial parameters."""
        k, cov, opts = self.n_components, self.covariance_type, dict(dtype=self._dtype, device=self._device)
        self._reg = float(self.reg_covar) if isinstance(self.reg_covar, Real) else check_reg_matrix(
            self.reg_covar, d, **opts)
        self._weights_init = None if self.weights_init is None else check_weights(self.weights_init, k, **opts)
        self._means_init = None if self.means_init is None else check_means(self.means_init, k, d, **opts)
        self._prec_chol_init = None
        if self.precisions_init is not None:
            precisions = check_precisions(self.precisions_init, cov, k, d, **opts)
            self._prec_chol_init = G.precision_cholesky_from_precisions(precisions, cov)

    # ------------------------------------------------------------------ EM hooks
    def _row_width(self, d: int) -> int:
        """Floats of E-step work per row: the (k*d) whitened residuals for full, else k + d."""
        return self.n_components * d if self.covariance_type == "full" else self.n_components + d

    def _chunk_width(self, d: int) -> int:
        """Floats per row that set the chunk size: for full twice :meth:`_row_width`, the
        whitened residuals and the M-step's (k*d) weighted rows (about 2,100 rows a chunk at
        k=10, d=50: on one thread 2,048-row chunks ran 4-7% faster than 4,194 in each of four
        sweeps, 1,024 and 8,192 slower; ``benchmarks/gmm_layout_micro.py``)."""
        return self._row_width(d) * (2 if self.covariance_type == "full" else 1)

    def _empty_statistics(self, source: DataSource, center=None) -> G.SufficientStats:
        return G.empty_statistics(self.n_components, source.n_features, self.covariance_type,
                                  source.device, center=center)

    def _prepare(self, params) -> G.LogProbOperator:
        weights, means, prec_chol = params
        return G.prepare_log_prob(weights, means, prec_chol, self.covariance_type)

    def _chunk_features(self, chunk: torch.Tensor, workspace: dict) -> torch.Tensor:
        """[x, x^2] for diag/spherical, [1; X^T] (1 + d, n) for full (see :func:`._gaussian.expand_features`),
        written into a buffer reused across chunks; tied: the chunk itself."""
        if self.covariance_type == "tied":
            return chunk
        n, d = chunk.shape
        full = self.covariance_type == "full"
        buf = workspace.get("features")
        if buf is None or buf.shape[1 if full else 0] < n:
            buf = workspace["features"] = chunk.new_empty((d + 1, n) if full else (n, 2 * d))
        return G.expand_features(chunk, self.covariance_type, out=buf[:, :n] if full else buf[:n])

    def _chunk_statistics(self, chunk, resp, log_prob_sum, center=None, features=None):
        return G.chunk_statistics(chunk, resp, self.covariance_type, log_prob_sum, center, features)

    def _chunk_log_prob(self, chunk: torch.Tensor, operator, features=None) -> torch.Tensor:
        """Weighted log-densities log w_j + log N(x | mu_j, Sigma_j) of a (shifted) chunk: (n, k)."""
        return G.apply_log_prob(operator, chunk, features)

    def _m_step(self, stats: G.SufficientStats):
        eps = torch.finfo(self._dtype).eps
        weights, means, cov = G.m_step(stats, self._reg, self.covariance_type, eps)
        prec_chol = G.compute_precision_cholesky(cov, self.covariance_type, self._dtype)
        return weights.to(self._dtype), means.to(self._dtype), prec_chol.to(self._dtype)

    def _initial_parameters(self, source: DataSource, gen: torch.Generator):
        """Parameters from initial responsibilities (k-means labels, random, or seed points),
        then overridden by weights_init / means_init / precisions_init."""
        need_fit = self._weights_init is None or self._means_init is None or self._prec_chol_init is None
        if need_fit:
            stats = self._initial_statistics(source, gen)
            weights, means, prec_chol = self._m_step(stats)
        else:
            weights = means = prec_chol = None
        if self._weights_init is not None:
            weights = self._weights_init.clone()
        if self._means_init is not None:
            means = self._means_init - self._shift
        if self._prec_chol_init is not None:
            prec_chol = self._prec_chol_init.clone()
        return [weights.contiguous(), means.contiguous(), prec_chol.contiguous()]

    def _initial_statistics(self, source: DataSource, gen: torch.Generator) -> G.SufficientStats:
        k, cov = self.n_components, self.covariance_type
        stats = self._empty_statistics(source)
        if self.init_params in ("k-means++", "random_from_data"):
            rows = source.sample_rows(_INIT_SAMPLE_ROWS, gen) - self._shift
            if self.init_params == "k-means++":
                seeds = _kmeans_plusplus(rows, k, gen, None)[0]
            else:
                seeds = rows[torch.randperm(rows.shape[0], generator=gen)[:k].to(rows.device)]
            seeds = seeds.double()  # one point per component: sums centred on it are exact
            dist.broadcast_from_rank0([seeds])
            return G.chunk_statistics(seeds, torch.eye(k, dtype=seeds.dtype, device=seeds.device),
                                      cov, center=seeds)
        if self.init_params == "kmeans":
            rows = source.sample_rows(_INIT_SAMPLE_ROWS, gen) - self._shift
            var = float(rows.var(0, unbiased=False).mean()) if rows.shape[0] > 1 else 0.0
            centers = lloyd(rows, _kmeans_plusplus(rows, k, gen, None)[0], 300, 1e-4 * var)[0]
            dist.broadcast_from_rank0([centers])  # every rank labels its shard by rank 0's centers
        for chunk in source.chunks():
            chunk = chunk - self._shift
            if self.init_params == "kmeans":
                resp = torch.nn.functional.one_hot(assign(chunk, centers)[0], k).to(chunk.dtype)
            else:  # random
                resp = torch.rand(chunk.shape[0], k, generator=gen, dtype=chunk.dtype).to(chunk.device)
                resp /= resp.sum(1, keepdim=True)
            stats += G.chunk_statistics(chunk, resp, cov)
        dist.all_reduce_sum(stats.tensors())
        return stats

    # ------------------------------------------------------------------ fitted state
    def _set_fitted(self, params) -> None:
        weights, means, prec_chol = params
        self._params = [weights, means, prec_chol]
        self._sample_gen = None  # sample() restarts its sequence from random_state after a fit
        kind = self._input_kind
        out = (lambda t: t) if kind == "torch" else (lambda t: t.detach().cpu().numpy())
        self.weights_ = out(weights)
        self.means_ = out(means + self._shift)
        self.precisions_cholesky_ = out(prec_chol)
        self.precisions_ = out(G.precisions_from_cholesky(prec_chol, self.covariance_type))
        self.covariances_ = out(G.covariances_from_precision_cholesky(prec_chol, self.covariance_type))

    # ------------------------------------------------------------------ scikit-learn's private hooks
    def _get_parameters(self):
        """(weights_, means_, covariances_, precisions_cholesky_), as scikit-learn's."""
        self._check_is_fitted()
        return self.weights_, self.means_, self.covariances_, self.precisions_cholesky_

    def _set_parameters(self, params):
        """Set (weights, means, covariances, precisions_cholesky), e.g. from :meth:`_get_parameters`
        or a scikit-learn model, on a fitted model (dtype, device and kind of output are kept).
        As in scikit-learn, the covariances are taken as given only through the precision
        Cholesky factors: ``covariances_`` and ``precisions_`` are recomputed from them."""
        self._check_is_fitted()
        if not isinstance(params, (tuple, list)) or len(params) != 4:
            raise InvalidParameterError("params must be (weights, means, covariances, precisions_cholesky)")
        k, d, cov = self.n_components, self.n_features_in_, self.covariance_type
        opts = dict(dtype=self._fitted_dtype(), device=self._fitted_device())
        weights = check_weights(params[0], k, **opts)
        means = check_means(params[1], k, d, **opts)
        shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[cov]
        prec_chol = torch.as_tensor(np.asarray(params[3]) if not isinstance(params[3], torch.Tensor)
                                    else params[3]).to(**opts)
        if tuple(prec_chol.shape) != shape:
            raise InvalidParameterError(f"precisions_cholesky must have shape {shape}; got {tuple(prec_chol.shape)}")
        if cov in ("full", "tied") and not torch.equal(prec_chol, torch.triu(prec_chol)):
            raise InvalidParameterError("precisions_cholesky must be upper triangular (scikit-learn's "
                                        "factors are; latentmix's E-step relies on it)")
        self._set_fitted([weights, means - self._shift, prec_chol.contiguous()])

    def _estimate_log_weights(self):
        """log weights_ (n_components,)."""
        self._check_is_fitted()
        return self._output_like_fitted(torch.log(self._params[0]))

    def _estimate_log_prob(self, X):
        """log p(x | j) without the weights (n_samples, n_components)."""
        log_w = torch.log(self._params[0])
        return self._apply(X, lambda w: w - log_w)

    def _compute_lower_bound(self, _, log_prob_norm):
        """scikit-learn's: the mean log-likelihood is GaussianMixture's lower bound."""
        return log_prob_norm

    def _output_like_fitted(self, t: torch.Tensor):
        return t if self._input_kind == "torch" else t.detach().cpu().numpy()

    def _params_from_fitted(self):
        return [t.clone() for t in self._params]

    def _fitted_device(self):
        return self._params[0].device

    def _fitted_dtype(self):
        return self._params[0].dtype

    # ------------------------------------------------------------------ model selection & sampling
    def _n_parameters(self) -> int:
        k, d = self.n_components, self.n_features_in_
        cov = {"full": k * d * (d + 1) / 2, "tied": d * (d + 1) / 2, "diag": k * d, "spherical": k}
        return int(cov[self.covariance_type] + k * d + k - 1)

    def bic(self, X) -> float:
        """Bayesian information criterion of the model on X (lower is better)."""
        n = self._n_rows(X)
        return -2 * self.score(X) * n + self._n_parameters() * math.log(n)

    def aic(self, X) -> float:
        """Akaike information criterion of the model on X (lower is better)."""
        return -2 * self.score(X) * self._n_rows(X) + 2 * self._n_parameters()

    @staticmethod
    def _n_rows(X) -> int:
        return int(X.shape[0]) if hasattr(X, "shape") else len(X)

    def sample(self, n_samples=1, *, seed=None, generator=None, component=None):
        """Draw ``n_samples`` points from the fitted mixture: returns ``(X, y)``.

        As in scikit-learn, ``X`` is (n_samples, n_features) and ``y`` (n_samples,) holds the
        component of every row, the rows grouped by component in increasing order.

        Randomness, first match wins:

        - ``generator``: a CPU ``torch.Generator``, used (and advanced) as is;
        - ``seed``: an int >= 0; a fresh generator seeded with it (same seed, same draw);
        - otherwise the model's own generator, created from ``random_state`` at the first
          ``sample`` call after ``fit`` and advancing with every call, so successive calls give
          different draws while a refit with the same ``random_state`` replays the sequence.
          (scikit-learn reseeds from ``random_state`` on every call and repeats its draw.)

        ``component``: an int k in [0, n_components); every sample is drawn from component k
        (``y`` is all k) instead of from the mixture.
        """
        self._check_is_fitted()
        n = self._check_sample_args(n_samples, seed, generator, component)
        gen = self._sample_generator_for(seed, generator)
        weights, means = self._params[0], self._params[1]  # (a subclass may keep more params)
        if component is None:
            labels = torch.multinomial(weights.double().cpu(), n, replacement=True, generator=gen).sort().values
        else:
            labels = torch.full((n,), int(component), dtype=torch.int64)
        z = torch.randn(n, means.shape[1], generator=gen, dtype=weights.dtype).to(means.device)
        y = labels.to(means.device)
        cov_chol = self._covariance_cholesky()
        if self.covariance_type == "full":
            x = torch.empty_like(z)
            for j in labels.unique().tolist():  # one batched product per component (k is small)
                rows = y == j
                x[rows] = z[rows] @ cov_chol[j].T
        elif self.covariance_type == "tied":
            x = z @ cov_chol.T
        elif self.covariance_type == "diag":
            x = z * cov_chol[y]
        else:
            x = z * cov_chol[y, None]
        x = x + means[y] + self._shift
        if self._input_kind == "torch":
            return x, y
        return x.cpu().numpy(), y.cpu().numpy()

    def _check_sample_args(self, n_samples, seed, generator, component) -> int:
        """Validate sample()'s arguments; returns n_samples as an int."""
        def is_int(v):
            return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

        if not is_int(n_samples) or n_samples < 1:
            raise InvalidParameterError(
                f"Invalid value for 'n_samples': {n_samples!r}. The sampling requires at least one sample.")
        if seed is not None and (not is_int(seed) or seed < 0):
            raise InvalidParameterError(f"The 'seed' parameter of sample must be an int >= 0 or None; got {seed!r}.")
        if generator is not None and (not isinstance(generator, torch.Generator)
                                      or generator.device.type != "cpu"):
            raise InvalidParameterError(
                f"The 'generator' parameter of sample must be a CPU torch.Generator or None; got {generator!r}.")
        k = self.n_components
        if component is not None and (not is_int(component) or not 0 <= component < k):
            raise InvalidParameterError(
                f"The 'component' parameter of sample must be an int in the range [0, {k - 1}] "
                f"(n_components={k}) or None; got {component!r}.")
        return int(n_samples)

    def _sample_generator_for(self, seed, generator) -> torch.Generator:
        if generator is not None:
            return generator
        if seed is not None:
            return torch.Generator().manual_seed(int(seed))
        if getattr(self, "_sample_gen", None) is None:  # reset by every fit (see _set_fitted)
            self._sample_gen = make_generator(self.random_state)
        return self._sample_gen

    def _covariance_cholesky(self) -> torch.Tensor:
        cov = G.covariances_from_precision_cholesky(self._params[2], self.covariance_type)
        if self.covariance_type in ("full", "tied"):
            return torch.linalg.cholesky(cov)
        return cov.sqrt()
