"""The EM loop, shared by mixture models (the shape of ``sklearn/mixture/_base.py``).

A subclass provides the component maths: ``_initial_parameters``, ``_prepare`` (per-pass
constants of the parameters), ``_chunk_features``, ``_chunk_log_prob`` (weighted log-densities of
a chunk), ``_chunk_statistics``, ``_m_step``, ``_set_fitted``, and ``_row_width`` / ``_chunk_width``
(floats of work per row: the small-data thread choice / the rows per chunk).
The loop here owns restarts (``n_init``), ``tol``/``max_iter``, ``warm_start``, the
``ConvergenceWarning``, streaming over chunks and the all-reduce across processes.

One pass over the data per iteration: each chunk's E-step (responsibilities under the current
parameters) is folded straight into sufficient statistics, and the M-step runs on their sum.
"""

from __future__ import annotations

import time
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import DensityMixin

from .. import _distributed as dist
from .._arrays import resolve_device, resolve_dtype
from .._estimator import TorchEstimator, make_generator
from .._validation import InstanceOf, Interval, Options, RandomStateLike, validate_params_of
from ..exceptions import ConvergenceWarning, DataError, FittingError
from ._data import DataSource, as_data_source
from ._threads import one_thread_if_small

__all__ = ["BaseMixture"]


class BaseMixture(DensityMixin, TorchEstimator):
    """Base class of EM-fitted mixtures. See :class:`latentmix.GaussianMixture`."""

    _fitted_attribute = "converged_"
    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "random_state": [RandomStateLike()],
        "warm_start": [InstanceOf(bool)],
        "verbose": [Interval(Integral, 0, None, closed="left")],
        "verbose_interval": [Interval(Integral, 1, None, closed="left")],
        "device": [InstanceOf(str, torch.device)],
        "dtype": [None, Options({"float32", "float64"}), InstanceOf(torch.dtype)],
        "chunk_size": [None, Interval(Integral, 1, None, closed="left")],
    }

    # ------------------------------------------------------------------ data
    def _validate_params(self) -> None:
        """Check the parameters; ``dtype=None`` (follow the input) is resolved in ``_fit``."""
        validate_params_of(self)
        self._device = resolve_device(self.device)
        self._dtype = None if self.dtype is None else resolve_dtype(self.dtype)

    def _source(self, X, *, reset: bool) -> DataSource:
        return as_data_source(
            X, chunk_size=self.chunk_size, row_width=self._chunk_width,
            device=self._device if reset else self._fitted_device(),
            dtype=self._dtype if reset else self._fitted_dtype(),
            n_features=None if reset else self.n_features_in_, owner=type(self).__name__,
        )

    def _statistics_pass(self, source: DataSource, params, *, reduce: bool = True, precise: bool = False):
        """E-step over every chunk, folded into summed sufficient statistics (all ranks).

        ``precise``: float64 sums centred on each component's current mean (slower; used when
        the fast float sums give a covariance that is not positive definite).
        """
        center = params[1].double() if precise else None
        operator, stats = self._prepare(params), None
        for chunk, features in self._prepared_chunks(source):
            resp, log_norm = normalise_log_prob(self._chunk_log_prob(chunk, operator, features))
            if precise:
                part = self._chunk_statistics(chunk.double(), resp.double(), log_norm.sum(), center)
            else:
                part = self._chunk_statistics(chunk, resp, log_norm.sum(), features=features)
            if stats is None:  # the first chunk's own sums become the float64 accumulator
                stats = part.as_float64()
            else:
                stats += part
        if stats is None:  # a rank without rows (under torch.distributed) adds zeros
            stats = self._empty_statistics(source, center)
        if reduce:
            dist.all_reduce_sum(stats.tensors())
        return stats

    def _prepared_chunks(self, source: DataSource):
        """(chunk - shift, its features) for every chunk of ``source``.

        Data that fit in one chunk are prepared once and kept on the source for the passes that
        follow (EM passes over them once per iteration; for small data the subtraction and the
        features were a fixed cost of every iteration). Nothing writes into them. Larger data
        are shifted and expanded chunk by chunk into buffers kept on the source: a chunk and its
        features are valid until the next one is drawn.
        """
        cached = getattr(source, "prepared", None)
        if cached is not None and cached[0] is self._shift:
            yield cached[1], cached[2]
            return
        single = source.n_chunks == 1
        # buffers kept for every pass over this source (their shapes depend on the covariance type)
        workspace = source.__dict__.setdefault("workspaces", {}).setdefault(self.covariance_type, {})
        for chunk in source.chunks():
            if single:
                chunk = chunk - self._shift
            else:  # one buffer for every chunk and pass, not a fresh (n, d) block each time
                buf = workspace.get("shifted")
                if buf is None or buf.shape[0] < chunk.shape[0]:
                    buf = workspace["shifted"] = torch.empty_like(chunk)
                chunk = torch.sub(chunk, self._shift, out=buf[:chunk.shape[0]])
            features = self._chunk_features(chunk, workspace)
            if single:
                source.prepared = (self._shift, chunk, features)
            yield chunk, features

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Estimate the parameters with EM (``n_init`` restarts, best lower bound kept).

        X: (n_samples, n_features) numpy array, torch tensor, or a memmap / lazy array that is
        streamed in chunks. Under ``torch.distributed`` each rank passes its own shard.
        Returns self.
        """
        self._fit(X)
        return self

    def fit_predict(self, X, y=None):
        """Fit, then label X with the fitted model (equal to ``fit(X).predict(X)``)."""
        source = self._fit(X)
        return self._output_like(X, torch.cat([w.argmax(1) for w in self._weighted_chunks(source)]))

    def _fit(self, X) -> DataSource:
        self._validate_params()
        self._online = None  # fit starts afresh; partial_fit's running statistics are dropped
        if self._dtype is None:
            self._dtype = input_dtype(X)
        source = self._source(X, reset=True)
        n_total = dist_total(source.n_samples)
        if n_total < self.n_components:
            raise DataError(
                f"Expected n_samples >= n_components but got n_components = {self.n_components}, "
                f"n_samples = {n_total}"
            )
        with one_thread_if_small(self._pass_work(source), source.device):
            self._fit_source(X, source)
        return source

    def _pass_work(self, source: DataSource) -> int:
        """Floats of work in one pass over ``source`` (rows x :meth:`_row_width`)."""
        return source.n_samples * self._row_width(source.n_features)

    def _fit_source(self, X, source: DataSource) -> None:
        """The body of ``fit`` once the data are validated: restarts, EM, fitted attributes."""
        self._check_parameters(source.n_features)
        self._input_kind = "torch" if isinstance(X, torch.Tensor) else "numpy"
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        if do_init:  # a warm start keeps the frame that its parameters are stored in
            self._shift = self._data_shift(source)
        self._check_data_parameters(source)
        n_init = self.n_init if do_init else 1
        gen = make_generator(self.random_state)
        best = None
        # scikit-learn: a warm start's first change is measured from the previous fit's bound
        start_bound = -float("inf") if do_init else self.lower_bound_
        for init in range(n_init):
            t0 = time.perf_counter()
            if do_init:
                params = self._initial_parameters(source, gen)
                dist.broadcast_from_rank0(list(params))
            else:
                params = self._params_from_fitted()
            with torch.inference_mode():  # EM needs no autograd; ~12% less per-op cost on small data
                result = self._em(source, params, start_bound)
            # tensors made in inference mode must not reach the user (no requires_grad_ or
            # in-place ops outside it): the parameters kept are normal copies
            result = ([p.clone() for p in result[0]], *result[1:])
            if self.verbose:
                print(f"Initialization {init}: lower bound {result[1]:.6f} after {result[2]} "
                      f"iterations, {time.perf_counter() - t0:.2f}s, converged={result[3]}")
            # scikit-learn's choice: a higher bound wins, ties keep the earlier restart, and
            # with max_iter=0 (bounds all -inf) the last initialisation is kept.
            if best is None or result[1] > best[1] or best[1] == -float("inf"):
                best = result
        params, lower_bound, n_iter, converged, bounds = best
        if not converged and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init parameters, "
                "or increase max_iter, tol, or check for degenerate data.", ConvergenceWarning,
                stacklevel=3,
            )
        self.n_features_in_ = source.n_features
        self.n_iter_, self.lower_bound_, self.lower_bounds_ = n_iter, lower_bound, bounds
        self._set_fitted(params)
        self.converged_ = converged

    def _em(self, source: DataSource, params, lower_bound: float):
        """EM from ``params``: returns (params, lower_bound, n_iter, converged, bounds).

        As in scikit-learn, iteration i's bound is the mean log-likelihood under the parameters
        *before* its M-step, ``converged`` means |bound_i - bound_(i-1)| < tol (bound_0 is
        ``lower_bound``: -inf, or the previous fit's on a warm start), and ``n_iter`` is the
        number of E/M steps taken (0 when max_iter=0, with bound -inf).
        """
        bounds, converged, n_iter = [], False, 0
        if self.max_iter == 0:  # the initial parameters as they are (scikit-learn: bound -inf)
            return params, -float("inf"), 0, False, bounds
        for n_iter in range(1, self.max_iter + 1):  # noqa: B007
            previous = lower_bound
            stats = self._statistics_pass(source, params)
            try:
                new_params = self._m_step(stats)
            except FittingError:  # float rounding may be the cause: redo the sums exactly
                stats = self._statistics_pass(source, params, precise=True)
                new_params = self._m_step(stats)
            lower_bound = self._lower_bound(stats, new_params)
            bounds.append(lower_bound)
            params = new_params
            if self.verbose >= 2 and n_iter % self.verbose_interval == 0:
                print(f"  Iteration {n_iter}\t lower bound {lower_bound:.6f}")
            if abs(lower_bound - previous) < self.tol:
                converged = True
                break
        return params, lower_bound, n_iter, converged, bounds

    def _lower_bound(self, stats, new_params) -> float:
        """Iteration's bound from the E-step's statistics and the M-step's result: here the mean
        log-likelihood under the parameters before the M-step (the variational mixture
        overrides it with its evidence lower bound)."""
        return float(stats.log_prob / stats.n)

    def _check_data_parameters(self, source: DataSource) -> None:
        """Resolve parameters whose defaults come from the data (the Bayesian mixture's priors);
        called by every fit once the shift is fixed. Nothing to do here."""

    def _data_shift(self, source: DataSource) -> torch.Tensor:
        """A point near the data (rank 0's first-chunk mean) that all sums are taken around,
        so float32 second moments do not cancel catastrophically for off-centre data."""
        first = next(iter(source.chunks()))
        shift = first.double().mean(0)
        dist.broadcast_from_rank0([shift])
        return shift.to(source.dtype)

    # ------------------------------------------------------------------ persistence
    def save(self, path):
        """Write ``config.json`` and ``weights.safetensors`` into the folder ``path``;
        :func:`latentmix.load` reads them back (no pickle)."""
        from ..core.persist import save_model

        return save_model(self, path)

    def _save_tensors(self, file) -> None:
        from ..core.persist import save_tensors

        names = ("weights", "means", "precisions_cholesky")
        save_tensors({**dict(zip(names, self._params)), "shift": self._shift}, file)

    def _fitted_config(self) -> dict:
        return {"n_features_in": self.n_features_in_, "converged": bool(self.converged_),
                "n_iter": self.n_iter_, "lower_bound": self.lower_bound_, "lower_bounds": self.lower_bounds_,
                "input_kind": self._input_kind}

    def _load_common(self, fitted: dict, file) -> dict:
        """Restore what every mixture saves (dtype, shift, bookkeeping); returns the tensors."""
        from ..core.persist import load_tensors

        t = load_tensors(file, self._device)
        if self._dtype is None:  # dtype=None followed the training data: keep its dtype
            self._dtype = t["weights"].dtype
        self._shift = t["shift"].to(self._dtype)
        self._input_kind = fitted["input_kind"]
        self.n_features_in_ = fitted["n_features_in"]
        self.n_iter_, self.lower_bound_ = fitted["n_iter"], fitted["lower_bound"]
        self.lower_bounds_ = fitted.get("lower_bounds", [])
        return t

    def _load_fitted(self, fitted: dict, file) -> None:
        t = self._load_common(fitted, file)
        self._set_fitted([t[k].to(self._dtype) for k in ("weights", "means", "precisions_cholesky")])
        self.converged_ = fitted["converged"]

    # ------------------------------------------------------------------ inference
    def _weighted_chunks(self, source: DataSource):
        operator = self._prepare(self._params_from_fitted())
        for chunk, features in self._prepared_chunks(source):
            yield self._chunk_log_prob(chunk, operator, features)

    def _output_like(self, X, t: torch.Tensor):
        if isinstance(X, torch.Tensor):
            return t.to(X.device)
        return t.cpu().numpy()

    def _apply(self, X, fn):
        self._check_is_fitted()
        source = self._source(X, reset=False)
        with one_thread_if_small(self._pass_work(source), source.device):
            out = torch.cat([fn(w) for w in self._weighted_chunks(source)])
        return self._output_like(X, out)

    # ------------------------------------------------------------------ scikit-learn's private hooks
    # (what sklearn.mixture's own code and third-party subclasses call; see README, "Gaussian
    # mixtures": the hooks that exist with scikit-learn's meaning, and those that differ)
    def _estimate_weighted_log_prob(self, X):
        """log w_j + log p(x | j) of a fitted model (n_samples, n_components), like scikit-learn's
        (the variational mixture's weights term is E[log pi_j], as in scikit-learn's)."""
        return self._apply(X, lambda w: w)

    def _estimate_log_prob_resp(self, X):
        """(log p(x) (n_samples,), log responsibilities (n_samples, n_components))."""
        self._check_is_fitted()
        source = self._source(X, reset=False)
        with one_thread_if_small(self._pass_work(source), source.device):
            weighted = torch.cat(list(self._weighted_chunks(source)))
        log_norm = torch.logsumexp(weighted, 1)
        return self._output_like(X, log_norm), self._output_like(X, weighted - log_norm[:, None])

    def _e_step(self, X):
        """(mean log p(x) as a float, log responsibilities), scikit-learn's E-step on a fitted
        model (latentmix's own EM folds its E-step into sufficient statistics instead)."""
        log_norm, log_resp = self._estimate_log_prob_resp(X)
        return float(torch.as_tensor(log_norm).double().mean()), log_resp

    def score_samples(self, X):
        """Log-likelihood log p(x) of every sample: (n_samples,)."""
        return self._apply(X, lambda w: torch.logsumexp(w, dim=1))

    def score(self, X, y=None):
        """Mean log-likelihood of X (a float)."""
        return float(torch.as_tensor(self.score_samples(X)).double().mean())

    def predict(self, X):
        """Most probable component of every sample: (n_samples,) int64."""
        return self._apply(X, lambda w: w.argmax(1))

    def predict_proba(self, X):
        """Posterior probability of each component: (n_samples, n_components)."""
        return self._apply(X, lambda w: torch.softmax(w, dim=1))


def normalise_log_prob(weighted: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Responsibilities (n, k) and log p(x) (n,) from weighted log-densities (n, k), with one
    exp (``logsumexp`` followed by ``exp`` would take two)."""
    top = weighted.amax(1, keepdim=True).nan_to_num_(0.0, 0.0, 0.0)  # (n, 1); a row of -inf: 0
    # Clamp: exp of < -80 would give float32 denormals, which are ~4x slower and round to 0.
    resp = torch.sub(weighted, top).clamp_(min=-80.0).exp_()
    total = resp.sum(1, keepdim=True)
    resp.div_(total)
    return resp, total.log_().add_(top).squeeze(1)


def input_dtype(X) -> torch.dtype:
    """The compute dtype that ``dtype=None`` picks, as scikit-learn's
    ``check_array(dtype=[float64, float32])`` does: float32 stays float32, everything else
    (float64, ints, float16, lists) becomes float64."""
    dtype = getattr(X, "dtype", None)
    if isinstance(dtype, torch.dtype):
        return torch.float32 if dtype == torch.float32 else torch.float64
    try:
        return torch.float32 if dtype is not None and np.dtype(dtype) == np.float32 else torch.float64
    except TypeError:  # a dtype numpy does not know (e.g. of a lazy array): be precise
        return torch.float64


def dist_total(n_local: int) -> int:
    """Number of samples over all ranks."""
    t = torch.tensor([float(n_local)])
    dist.all_reduce_sum([t])
    return int(t.item())
