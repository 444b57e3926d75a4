"""Variational Bayesian Gaussian mixture, with scikit-learn's API, in PyTorch (CPU or GPU)."""

from __future__ import annotations

from numbers import Real

import torch

from .. import _distributed as dist
from .._validation import ArrayLike, Interval, Options
from ..core.registry import register
from ..exceptions import DataError, InvalidParameterError
from . import _gaussian as G
from . import _variational as V
from ._base import BaseMixture, dist_total
from ._checks import _is_spd, _shaped, check_reg_matrix
from ._data import DataSource
from .gaussian_mixture import GaussianMixture

__all__ = ["BayesianGaussianMixture"]

# params (the list the EM loop passes around), in the compute dtype; the first three are laid out
# as GaussianMixture's, so its initialisation, sampler and precise statistics pass apply as is.
_PARAM_NAMES = ("weights", "means", "precisions_cholesky", "weight_concentration", "mean_precision",
                "degrees_of_freedom", "covariances")


@register()  # loadable by class name; not a `latentmix train` model
class BayesianGaussianMixture(BaseMixture):
    """Gaussian mixture fitted by variational inference, with priors on all its parameters.

    Bishop (2006), "Pattern Recognition and Machine Learning", ch. 10.2 (variational mixture of
    Gaussians); Blei & Jordan (2006), "Variational inference for Dirichlet process mixtures",
    Bayesian Analysis 1(1) (the ``"dirichlet_process"`` weight prior, truncated stick breaking).
    Parameters, attributes, defaults and formulas follow ``sklearn.mixture.
    BayesianGaussianMixture``; from the same initial responsibilities both give the same fit
    (float64: agreement to ~1e-10 relative, tested at 1e-6).

    With ``n_components`` larger than needed, the posterior leaves the extra components empty:
    their ``weights_`` go to ~0 (to ~1/n_samples for the Dirichlet process's components before
    the last used one). A small ``weight_concentration_prior`` favours fewer active components.

    - ``weight_concentration_prior_type``: "dirichlet_process" (default) or
      "dirichlet_distribution"; ``weight_concentration_prior`` (gamma_0, default 1/n_components),
      ``mean_precision_prior`` (beta_0, default 1), ``mean_prior`` (m_0, default the data's mean),
      ``degrees_of_freedom_prior`` (nu_0 > n_features - 1, default n_features),
      ``covariance_prior`` (the Wishart's W_0^-1: (d, d) for full/tied, (d,) for diag, a float
      for spherical; default the data's covariance, ddof=1).
    - Fitted: ``weights_``, ``means_``, ``covariances_``, ``precisions_``,
      ``precisions_cholesky_`` (the posterior means and normalised Wishart scales, as in
      scikit-learn), ``weight_concentration_`` (a pair of (k,) arrays for the Dirichlet process,
      else (k,)), ``mean_precision_``, ``degrees_of_freedom_``, the resolved priors
      (``weight_concentration_prior_``, ``mean_precision_prior_``, ``mean_prior_``,
      ``degrees_of_freedom_prior_``, ``covariance_prior_``), ``converged_``, ``n_iter_``,
      ``lower_bound_`` (the evidence lower bound up to constants, not divided by n_samples, as in
      scikit-learn) and ``lower_bounds_``.

    As in :class:`GaussianMixture`: ``device``, ``dtype`` (None follows the input: float32 stays
    float32, else float64), ``chunk_size`` (E-step chunks; memmaps are streamed), sums across
    ``torch.distributed`` ranks, ``reg_covar`` may be a (d, d) matrix, ``sample(n, seed=,
    generator=, component=)``, ``save``/:func:`latentmix.load`. There is no ``bic``/``aic``
    (the bound replaces them) and no ``partial_fit``.
    """

    _parameter_constraints = {
        **BaseMixture._parameter_constraints,
        "covariance_type": [Options(G.COVARIANCE_TYPES)],
        "reg_covar": [Interval(Real, 0.0, None, closed="left"), ArrayLike()],
        "init_params": [Options({"kmeans", "k-means++", "random", "random_from_data"})],
        "weight_concentration_prior_type": [Options(V.WEIGHT_PRIOR_TYPES)],
        "weight_concentration_prior": [None, Interval(Real, 0.0, None, closed="neither")],
        "mean_precision_prior": [None, Interval(Real, 0.0, None, closed="neither")],
        "mean_prior": [None, ArrayLike()],
        "degrees_of_freedom_prior": [None, Interval(Real, 0.0, None, closed="neither")],
        "covariance_prior": [None, ArrayLike(), Interval(Real, 0.0, None, closed="neither")],
    }

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6,
                 max_iter=100, n_init=1, init_params="kmeans",
                 weight_concentration_prior_type="dirichlet_process", weight_concentration_prior=None,
                 mean_precision_prior=None, mean_prior=None, degrees_of_freedom_prior=None,
                 covariance_prior=None, random_state=None, warm_start=False, verbose=0,
                 verbose_interval=10, device="auto", dtype=None, chunk_size=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weight_concentration_prior_type = weight_concentration_prior_type
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.device = device
        self.dtype = dtype
        self.chunk_size = chunk_size

    # Gaussian-component machinery shared with GaussianMixture (params[:3] have its layout).
    _row_width = GaussianMixture._row_width
    _chunk_width = GaussianMixture._chunk_width
    _chunk_features = GaussianMixture._chunk_features
    _initial_statistics = GaussianMixture._initial_statistics
    _params_from_fitted = GaussianMixture._params_from_fitted
    _fitted_device = GaussianMixture._fitted_device
    _fitted_dtype = GaussianMixture._fitted_dtype
    sample = GaussianMixture.sample
    _check_sample_args = GaussianMixture._check_sample_args
    _sample_generator_for = GaussianMixture._sample_generator_for
    _covariance_cholesky = GaussianMixture._covariance_cholesky

    # ------------------------------------------------------------------ checks and priors
    def _check_parameters(self, d: int) -> None:
        """reg_covar and the user's priors: shapes and values, worded as scikit-learn's."""
        opts = dict(dtype=torch.float64, device=self._device)
        self._reg = float(self.reg_covar) if isinstance(self.reg_covar, Real) else check_reg_matrix(
            self.reg_covar, d, **opts)
        dof = self.degrees_of_freedom_prior
        if dof is not None and not dof > d - 1.0:
            raise InvalidParameterError("The parameter 'degrees_of_freedom_prior' should be greater "
                                        f"than {d - 1}, but got {dof:.3f}.")
        self._mean_prior = None if self.mean_prior is None else _parameter(
            self.mean_prior, "mean_prior", "means", (d,), **opts)
        self._covariance_prior = None
        prior, cov = self.covariance_prior, self.covariance_type
        if prior is None:
            return
        if cov == "spherical":
            if not isinstance(prior, Real):
                raise InvalidParameterError("The 'covariance_prior' parameter must be a float in the "
                                            f"range (0.0, inf) for covariance_type='spherical'; got {prior!r}.")
            self._covariance_prior = torch.tensor(float(prior), **opts)
            return
        shape = (d, d) if cov in ("full", "tied") else (d,)
        p = _parameter(prior, "covariance_prior", f"{cov} covariance_prior", shape, **opts)
        if cov != "diag" and not _is_spd(p):  # scikit-learn's words (it checks it as a precision)
            raise InvalidParameterError(f"'{cov} precision' should be symmetric, positive-definite "
                                        "(latentmix: the covariance_prior must be)")
        if cov == "diag" and bool((p <= 0).any()):
            raise InvalidParameterError("'diag precision' should be positive (latentmix: every entry "
                                        "of the covariance_prior must be)")
        self._covariance_prior = p

    def _check_data_parameters(self, source: DataSource) -> None:
        """The priors, with scikit-learn's defaults from the data (its mean and covariance)."""
        n_total = dist_total(source.n_samples)
        if n_total < 2:
            raise DataError(f"Found array with {n_total} sample(s) (shape=({n_total}, {source.n_features})) "
                            f"while a minimum of 2 is required by {type(self).__name__}.")
        d = source.n_features
        shift = self._shift.double()
        mean = cov = None
        if self._mean_prior is None or self._covariance_prior is None:
            mean, cov = self._data_moments(source)
        mean = mean if self._mean_prior is None else self._mean_prior - shift  # shifted frame
        if self._covariance_prior is None:
            cov = V.resolve_covariance_prior(cov, self.covariance_type)
        else:
            cov = self._covariance_prior
        gamma0 = self.weight_concentration_prior
        self._prior = V.Prior(
            weight_concentration=1.0 / self.n_components if gamma0 is None else float(gamma0),
            mean_precision=1.0 if self.mean_precision_prior is None else float(self.mean_precision_prior),
            mean=mean,
            degrees_of_freedom=float(d) if self.degrees_of_freedom_prior is None else float(
                self.degrees_of_freedom_prior),
            covariance=cov,
        )
        self._set_prior_attributes()

    def _data_moments(self, source: DataSource):
        """Mean (d,) of the shifted data and its covariance (ddof=1): (d, d) for full/tied, the
        variances (d,) otherwise; one pass, float64, summed over ranks."""
        d, device = source.n_features, source.device
        full = self.covariance_type in ("full", "tied")
        s1 = torch.zeros(d, dtype=torch.float64, device=device)
        s2 = torch.zeros((d, d) if full else (d,), dtype=torch.float64, device=device)
        n = torch.zeros((), dtype=torch.float64, device=device)
        for chunk in source.chunks():
            c = (chunk - self._shift).double()
            s1 += c.sum(0)
            s2 += c.T @ c if full else (c * c).sum(0)
            n += c.shape[0]
        dist.all_reduce_sum([s1, s2, n])
        mean = s1 / n
        second = s2 - n * (torch.outer(mean, mean) if full else mean * mean)
        return mean, second / (n - 1)

    def _set_prior_attributes(self) -> None:
        p, out = self._prior, self._out
        self.weight_concentration_prior_ = p.weight_concentration
        self.mean_precision_prior_ = p.mean_precision
        self.degrees_of_freedom_prior_ = p.degrees_of_freedom
        self.mean_prior_ = out((p.mean + self._shift.double()).to(self._dtype))
        cov = p.covariance.to(self._dtype)
        self.covariance_prior_ = float(cov) if cov.ndim == 0 else out(cov)

    # ------------------------------------------------------------------ EM hooks
    def _empty_statistics(self, source: DataSource, center=None) -> V.VariationalStats:
        return V.empty_variational_statistics(self.n_components, source.n_features,
                                              self.covariance_type, source.device, center=center)

    def _chunk_statistics(self, chunk, resp, log_prob_sum, center=None, features=None):
        stats = G.chunk_statistics(chunk, resp, self.covariance_type, log_prob_sum, center, features)
        return V.with_resp_entropy(stats, resp)

    def _posterior(self, params) -> V.Posterior:
        """params (compute dtype) as a float64 :class:`~._variational.Posterior`."""
        _, means, prec_chol, wc, beta, dof, cov = (p.double() for p in params)
        return V.Posterior(wc, beta, means, dof, cov, prec_chol)

    def _prepare(self, params) -> G.LogProbOperator:
        means, prec_chol = params[1], params[2]
        offset = V.log_prob_offset(self._posterior(params), self.weight_concentration_prior_type,
                                   means.shape[1])
        return G.prepare_log_prob(None, means, prec_chol, self.covariance_type,
                                  log_offset=offset.to(means.dtype))

    def _chunk_log_prob(self, chunk: torch.Tensor, operator, features=None) -> torch.Tensor:
        """E[log pi_k] + E[log N(x | mu_k, Lambda_k)] (up to a constant) of a shifted chunk: (n, k)."""
        return G.apply_log_prob(operator, chunk, features)

    def _m_step(self, stats: G.SufficientStats):
        eps = torch.finfo(self._dtype).eps
        _, xk, sk = G.m_step(stats, self._reg, self.covariance_type, eps)  # float64
        post = V.m_step(stats.nk + 10 * eps, xk, sk, self._prior, self.covariance_type,
                        self.weight_concentration_prior_type, self._dtype)
        weights = V.mixture_weights(post.weight_concentration, self.weight_concentration_prior_type)
        params = [weights, post.means, post.precisions_cholesky, post.weight_concentration,
                  post.mean_precision, post.degrees_of_freedom, post.covariances]
        return [p.to(self._dtype).contiguous() for p in params]

    def _lower_bound(self, stats: V.VariationalStats, new_params) -> float:
        return V.lower_bound(self._posterior(new_params), stats.resp_log_resp, self.covariance_type,
                             self.weight_concentration_prior_type, self.n_components)

    def _initial_parameters(self, source: DataSource, gen: torch.Generator):
        """The M-step of the initial responsibilities (k-means labels, random, or seed points)."""
        return self._m_step(self._initial_statistics(source, gen))

    # ------------------------------------------------------------------ fitted state
    def _out(self, t: torch.Tensor):
        return t if self._input_kind == "torch" else t.detach().cpu().numpy()

    def _set_fitted(self, params) -> None:
        weights, means, prec_chol, wc, beta, dof, cov = params
        self._params = list(params)
        self._sample_gen = None  # sample() restarts its sequence from random_state after a fit
        out = self._out
        self.weights_ = out(weights)
        self.means_ = out(means + self._shift)
        self.precisions_cholesky_ = out(prec_chol)
        self.precisions_ = out(G.precisions_from_cholesky(prec_chol, self.covariance_type))
        self.covariances_ = out(cov)
        dp = self.weight_concentration_prior_type == "dirichlet_process"
        self.weight_concentration_ = (out(wc[0]), out(wc[1])) if dp else out(wc)
        self.mean_precision_ = out(beta)
        self.degrees_of_freedom_ = out(dof)[()] if dof.ndim == 0 and self._input_kind != "torch" else out(dof)

    # ------------------------------------------------------------------ persistence
    def _save_tensors(self, file) -> None:
        from ..core.persist import save_tensors

        save_tensors({**dict(zip(_PARAM_NAMES, self._params)), "shift": self._shift,
                      "mean_prior": self._prior.mean, "covariance_prior": self._prior.covariance}, file)

    def _fitted_config(self) -> dict:
        p = self._prior
        return {**super()._fitted_config(), "weight_concentration_prior": p.weight_concentration,
                "mean_precision_prior": p.mean_precision, "degrees_of_freedom_prior": p.degrees_of_freedom}

    def _load_fitted(self, fitted: dict, file) -> None:
        t = self._load_common(fitted, file)
        self._prior = V.Prior(float(fitted["weight_concentration_prior"]), float(fitted["mean_precision_prior"]),
                              t["mean_prior"].double(), float(fitted["degrees_of_freedom_prior"]),
                              t["covariance_prior"].double())
        self._set_prior_attributes()
        self._set_fitted([t[k].to(self._dtype) for k in _PARAM_NAMES])
        self.converged_ = fitted["converged"]


def _parameter(value, name: str, label: str, shape: tuple, **opts) -> torch.Tensor:
    """A prior given by the user, shaped ``shape`` (scikit-learn's shape message), as a tensor."""
    try:
        return _shaped(value, name, label, shape, **opts)
    except DataError as exc:  # a constructor argument: a parameter error, same words
        raise InvalidParameterError(str(exc)) from None
