"""The demo's report.html: the headline table, then one section per comparison (its notes, its
figures), then every number of metrics.json, through :func:`latentmix.report.write_page`."""

from __future__ import annotations

from pathlib import Path

from ..report import write_page
from ..report.sections import Section, Table
from .results import Outcome
from .summary import HEADER

__all__ = ["write_demo_report"]


def write_demo_report(out: Path, outcomes: list[Outcome], *, data_name: str, description: str, seconds: float,
                      settings: dict) -> Path:
    """Write ``out/report.html``; returns its path."""
    headlines = [h for o in outcomes for h in o.headlines]
    summary = Section("summary", "Headline numbers", tables=[Table(
        f"Each part of latentmix against its plain baseline on {data_name}; where latentmix does not win, the "
        "verdict says so.", (HEADER.what, HEADER.latentmix, HEADER.baseline, HEADER.verdict),
        [(h.what, h.latentmix, h.baseline, h.verdict) for h in headlines])])
    sections = [summary] + [Section(o.key, o.title, list(o.figures), list(o.notes)) for o in outcomes]
    overview = {"command": "latentmix demo", "data": description, "total seconds": round(seconds, 1),
                "settings": settings}
    return write_page(out, title=f"latentmix demo on {data_name}", sections=sections, overview=overview,
                      skip_metrics=("/runs",))  # per-seed / per-class rows stay in metrics.json
