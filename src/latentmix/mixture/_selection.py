"""Choosing the number of components by an information criterion."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Integral

from ..exceptions import InvalidParameterError

__all__ = ["select_n_components", "SelectionResult"]


@dataclass
class SelectionResult:
    """The best fitted model, the chosen count, and one row per candidate."""

    best_model: object
    best_n_components: int
    criterion: str
    table: list  # [{"n_components": k, "bic"|"aic": value, "lower_bound": ..., "converged": ...}]

    def __iter__(self):  # allows ``model, table = select_n_components(...)``
        return iter((self.best_model, self.table))


def select_n_components(X, candidates: Iterable[int], criterion: str = "bic", **gmm_params) -> SelectionResult:
    """Fit a :class:`GaussianMixture` for every candidate ``n_components`` and keep the one with
    the lowest BIC (Schwarz, 1978) or AIC (Akaike, 1974) on X.

    ``gmm_params`` go to every model (``covariance_type``, ``random_state``, ``device``...).
    Returns a :class:`SelectionResult` (unpacks as ``best_model, table``).
    """
    from .gaussian_mixture import GaussianMixture

    if criterion not in ("bic", "aic"):
        raise InvalidParameterError(f"criterion must be 'bic' or 'aic'; got {criterion!r}")
    try:
        given = list(candidates)
    except TypeError as exc:
        raise InvalidParameterError(f"candidates must be an iterable of positive ints; got {candidates!r}") from exc
    ks = [int(k) for k in given if isinstance(k, Integral) and not isinstance(k, bool) and k >= 1]
    if not ks or len(ks) != len(given):
        raise InvalidParameterError(f"candidates must be a non-empty list of positive ints; got {candidates!r}")
    if "n_components" in gmm_params:
        raise InvalidParameterError("pass the counts to try as 'candidates', not 'n_components'")
    table, best, best_score = [], None, float("inf")
    for k in ks:
        model = GaussianMixture(n_components=k, **gmm_params).fit(X)
        score = getattr(model, criterion)(X)
        table.append({"n_components": k, criterion: score, "lower_bound": model.lower_bound_,
                      "converged": bool(model.converged_)})
        if score < best_score:
            best, best_score = model, score
    return SelectionResult(best, best.n_components, criterion, table)
