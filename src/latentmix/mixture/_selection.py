"""Choosing the number of components by an information criterion."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Integral, Real

from ..exceptions import InvalidParameterError

__all__ = ["select_n_components", "SelectionResult"]


@dataclass
class SelectionResult:
    """The best fitted model, the chosen count, and one row per candidate."""

    best_model: object
    best_n_components: int
    criterion: str
    table: list  # [{"n_components": k, "bic"|"aic": value, "lower_bound": ..., "converged": ...}];
    # for "bayesian", one row (see select_n_components)

    def __iter__(self):  # allows ``model, table = select_n_components(...)``
        return iter((self.best_model, self.table))


def select_n_components(X, candidates: Iterable[int], criterion: str = "bic", *,
                        weight_threshold: float = 0.01, **gmm_params) -> SelectionResult:
    """Choose the number of mixture components for X.

    ``criterion="bic"`` / ``"aic"``: fit a :class:`GaussianMixture` for every candidate
    ``n_components`` and keep the one with the lowest BIC (Schwarz, 1978) or AIC (Akaike, 1974)
    on X; the table has one row per candidate.

    ``criterion="bayesian"``: the automatic choice. One :class:`BayesianGaussianMixture` with
    ``n_components = max(candidates)`` (the truncation level; the other candidates are not
    fitted) lets its posterior empty the components the data does not need; the choice is the
    number of components whose ``weights_`` exceed ``weight_threshold`` (default 0.01), any
    count from 1 to ``max(candidates)``, and ``best_model`` is that fitted Bayesian mixture (its
    unused components keep weights near 0 and are almost never predicted). The table has one
    row: ``n_components`` (the truncation level), ``effective_n_components``, ``weights``,
    ``lower_bound``, ``converged``. With the default Dirichlet-process prior an unused component
    placed before a used one keeps a weight of about 1/n_samples: keep ``weight_threshold``
    well above that (e.g. at least 5/n_samples).

    ``gmm_params`` go to every model (``covariance_type``, ``random_state``, ``device``..., and
    for "bayesian" the priors such as ``weight_concentration_prior``).
    Returns a :class:`SelectionResult` (unpacks as ``best_model, table``).
    """
    from .gaussian_mixture import GaussianMixture

    if criterion not in ("bic", "aic", "bayesian"):
        raise InvalidParameterError(f"criterion must be 'bic', 'aic' or 'bayesian'; got {criterion!r}")
    try:
        given = list(candidates)
    except TypeError as exc:
        raise InvalidParameterError(f"candidates must be an iterable of positive ints; got {candidates!r}") from exc
    ks = [int(k) for k in given if isinstance(k, Integral) and not isinstance(k, bool) and k >= 1]
    if not ks or len(ks) != len(given):
        raise InvalidParameterError(f"candidates must be a non-empty list of positive ints; got {candidates!r}")
    if "n_components" in gmm_params:
        raise InvalidParameterError("pass the counts to try as 'candidates', not 'n_components'")
    if criterion == "bayesian":
        return _bayesian_choice(X, max(ks), weight_threshold, gmm_params)
    table, best, best_score = [], None, float("inf")
    for k in ks:
        model = GaussianMixture(n_components=k, **gmm_params).fit(X)
        score = getattr(model, criterion)(X)
        table.append({"n_components": k, criterion: score, "lower_bound": model.lower_bound_,
                      "converged": bool(model.converged_)})
        if score < best_score:
            best, best_score = model, score
    return SelectionResult(best, best.n_components, criterion, table)


def _bayesian_choice(X, truncation: int, weight_threshold, params: dict) -> SelectionResult:
    """``criterion="bayesian"`` of :func:`select_n_components`."""
    from .bayesian_mixture import BayesianGaussianMixture

    if isinstance(weight_threshold, bool) or not isinstance(weight_threshold, Real) \
            or not 0.0 < weight_threshold < 1.0:
        raise InvalidParameterError(f"weight_threshold must be a float in (0, 1); got {weight_threshold!r}")
    model = BayesianGaussianMixture(n_components=truncation, **params).fit(X)
    weights = [float(w) for w in model.weights_]
    count = max(1, sum(w > weight_threshold for w in weights))
    row = {"n_components": truncation, "effective_n_components": count, "weights": weights,
           "lower_bound": model.lower_bound_, "converged": bool(model.converged_)}
    return SelectionResult(model, count, "bayesian", [row])
