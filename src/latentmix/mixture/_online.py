"""Stepwise (online) EM for mixtures: ``partial_fit``.

Cappe & Moulines (2009), "On-line expectation-maximization algorithm for latent data models",
J. R. Stat. Soc. B 71(3); the same update as Liang & Klein's (2009) "stepwise EM". The model
keeps running averages ``s`` of the per-sample sufficient statistics (responsibility sums, first
and second moments: :class:`~latentmix.mixture._gaussian.SufficientStats` divided by the number
of rows). Each batch b is E-stepped under the current parameters, then

    s <- (1 - gamma_t) s + gamma_t s_b,    gamma_t = (t + 2) ** -step_size_decay,

and the parameters are the M-step of ``s``. ``t`` counts the updates since the first batch
(which initialises the parameters, like ``fit``'s ``init_params``, and sets s = s_1).
``step_size_decay`` must lie in (0.5, 1] for the stochastic-approximation conditions
(sum gamma = inf, sum gamma^2 < inf); the default 0.6 forgets old batches slowly enough to
converge on a stationary stream and fast enough to follow one that drifts. Under
``torch.distributed`` each rank passes its own batch and the statistics are summed.
"""

from __future__ import annotations

import torch

from .. import _distributed as dist
from .._estimator import make_generator
from ..exceptions import DataError
from . import _gaussian as G
from ._base import dist_total, input_dtype

_KEEP_BOUNDS = 1000  # lower_bounds_ keeps the last this many batch bounds


class StepwiseEMMixin:
    """``partial_fit`` for a :class:`~latentmix.mixture._base.BaseMixture` subclass."""

    def partial_fit(self, X, y=None):
        """Update the model with one batch of rows by stepwise EM (see the module docstring).

        The first call initialises the parameters from its batch (which needs at least
        ``n_components`` rows), unless the model was fitted by ``fit``: then the statistics its
        parameters expect are the starting average and the first batch is a step of size
        2 ** -step_size_decay. ``n_iter_`` is the number of batches seen since that first call,
        ``lower_bound_`` the mean log-likelihood of the last batch under the parameters before
        its update, ``lower_bounds_`` the last 1000 such values, and ``converged_`` stays False
        (a stream has no convergence test). ``fit`` discards the online state. Returns self.
        """
        state = getattr(self, "_online", None)
        if state is None:
            fitted = hasattr(self, "converged_")
            source, params = self._start_online(X)
            # after fit(), the fitted model's expected statistics are the running average s
            state = self._online = {"t": 0 if fitted else -1, "bounds": [], "batches": 0,
                                    "stats": self._expected_statistics(params) if fitted else None}
        else:
            source, params = self._source(X, reset=False), self._params_from_fitted()
        batch = self._statistics_pass(source, params)  # summed over ranks
        n = float(batch.n)
        bound = float(batch.log_prob) / n
        for t in batch.tensors():
            t.div_(n)  # per-row averages
        if state["stats"] is None:
            state["stats"] = batch
        else:
            gamma = (state["t"] + 2) ** -float(self.step_size_decay)
            for s, b in zip(state["stats"].tensors(), batch.tensors()):
                s.mul_(1.0 - gamma).add_(b, alpha=gamma)
        state["t"] += 1
        state["batches"] += 1
        state["bounds"] = (state["bounds"] + [bound])[-_KEEP_BOUNDS:]
        self._set_fitted(self._m_step(state["stats"]))
        self.n_iter_, self.lower_bound_, self.lower_bounds_ = state["batches"], bound, list(state["bounds"])
        self.converged_ = False
        return self

    def _expected_statistics(self, params):
        """Per-row sufficient statistics that the model ``params`` expects (what the M-step
        turns back into ``params``): nk = w, sx = w mu, sxx = w (Sigma - reg + mu mu^T)."""
        weights, means, prec_chol = (p.double() for p in params)
        cov = G.covariances_from_precision_cholesky(prec_chol, self.covariance_type)
        reg = self._reg if isinstance(self._reg, float) else self._reg.double()
        cov = G.add_regularisation(cov.clone(), -reg if isinstance(reg, float) else -reg, self.covariance_type)
        stats = G.empty_statistics(self.n_components, means.shape[1], self.covariance_type, means.device)
        stats.nk.copy_(weights)
        stats.sx.copy_(weights[:, None] * means)
        if self.covariance_type == "full":
            stats.sxx.copy_(weights[:, None, None] * (cov + means[:, :, None] * means[:, None, :]))
        elif self.covariance_type == "tied":
            stats.sxx.copy_(cov + (weights[:, None] * means).T @ means)
        else:
            var = cov[:, None].expand_as(means) if self.covariance_type == "spherical" else cov
            stats.sxx.copy_(weights[:, None] * (var + means * means))
        stats.n.fill_(1.0)
        return stats

    def _start_online(self, X):
        """First batch: validate and fix dtype/device/shift/input kind as ``fit`` does;
        returns (source, starting parameters)."""
        if hasattr(self, "converged_"):  # fitted by fit(): continue from its parameters
            return self._source(X, reset=False), self._params_from_fitted()
        self._validate_params()
        if self._dtype is None:
            self._dtype = input_dtype(X)
        source = self._source(X, reset=True)
        n_total = dist_total(source.n_samples)
        if n_total < self.n_components:
            raise DataError(
                f"Expected n_samples >= n_components but got n_components = {self.n_components}, "
                f"n_samples = {n_total} (partial_fit's first batch initialises the model)")
        self._check_parameters(source.n_features)
        self._input_kind = "torch" if isinstance(X, torch.Tensor) else "numpy"
        self._shift = self._data_shift(source)
        self.n_features_in_ = source.n_features
        params = self._initial_parameters(source, make_generator(self.random_state))
        dist.broadcast_from_rank0(list(params))
        return source, params
