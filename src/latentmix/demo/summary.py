"""The closing table of headline numbers, as text for the terminal."""

from __future__ import annotations

from ..exceptions import InvalidParameterError
from .results import Headline

__all__ = ["format_table", "HEADER"]

HEADER = Headline("comparison", "latentmix", "baseline", "verdict")


def format_table(headlines: list[Headline]) -> str:
    """Fixed-width columns (the last one ragged), one line per headline under a header and a rule."""
    if not headlines or not all(isinstance(h, Headline) for h in headlines):
        raise InvalidParameterError("format_table needs a non-empty list of Headline rows")
    rows = [HEADER, *headlines]
    widths = [max(len(getattr(r, f)) for r in rows) for f in ("what", "latentmix", "baseline")]
    lines = []
    for i, r in enumerate(rows):
        cells = [r.what.ljust(widths[0]), r.latentmix.ljust(widths[1]), r.baseline.ljust(widths[2]), r.verdict]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)
