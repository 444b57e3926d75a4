"""What each comparison hands back: its numbers (for metrics.json), its headline rows (for the
printed table and the report) and its figures, plus the one rule that names the winner."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..exceptions import InvalidParameterError
from ..report.sections import Figure

__all__ = ["Headline", "Outcome", "verdict", "mean_std"]


@dataclass(frozen=True)
class Headline:
    """One row of the closing table: what is measured, latentmix's number, the baseline's, the verdict."""

    what: str
    latentmix: str
    baseline: str
    verdict: str


@dataclass
class Outcome:
    """One comparison's results: ``key`` in metrics.json, a title, JSON-ready metrics, headline
    rows, report figures and notes (what the numbers do and do not show)."""

    key: str
    title: str
    metrics: dict
    headlines: list[Headline] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def verdict(ours: float, theirs: float, *, higher_is_better: bool = True, tolerance: float = 0.0,
            name: str = "the baseline") -> str:
    """``"latentmix better"``, ``"tie (within +-tolerance)"`` or ``"<name> better"``: which number
    wins, where a difference of at most ``tolerance`` (the run-to-run noise) is a tie."""
    for value, label in ((ours, "ours"), (theirs, "theirs"), (tolerance, "tolerance")):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise InvalidParameterError(f"{label} must be a number; got {value!r}")
    if not (math.isfinite(ours) and math.isfinite(theirs)) or tolerance < 0:
        raise InvalidParameterError(f"verdict needs finite numbers and tolerance >= 0; got {ours}, {theirs}, "
                                    f"{tolerance}")
    diff = (ours - theirs) if higher_is_better else (theirs - ours)
    if abs(diff) <= tolerance:
        return f"tie (within {tolerance:.3f})"
    return "latentmix better" if diff > 0 else f"{name} better"


def mean_std(values) -> tuple[float, float]:
    """(mean, population std) of a non-empty list of numbers."""
    a = np.asarray(values, dtype=np.float64)
    if a.ndim != 1 or len(a) == 0 or not np.isfinite(a).all():
        raise InvalidParameterError(f"mean_std needs a non-empty list of finite numbers; got {values!r}")
    return float(a.mean()), float(a.std())
