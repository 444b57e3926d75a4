"""``write_report(run_dir)``: the figures and ``report.html`` of a run folder."""

from __future__ import annotations

import datetime
from pathlib import Path

from . import html
from .sections import SECTION_BUILDERS, Context, load_rows, metrics_rows, read_json, score_section

__all__ = ["write_report", "write_scores_report", "write_page"]


def write_report(run_dir: str | Path, model=None, *, data: str | None = None, max_rows: int = 300) -> Path:
    """Write the PNG figures and a self-contained ``report.html`` into ``run_dir``; returns the
    page's path.

    Reads ``config.json`` (through ``latentmix.load(run_dir)`` unless ``model`` is given),
    ``options.json`` (the data the run was trained on), ``metrics.jsonl`` and ``evaluation.json``
    when present. Which sections appear follows what the model can do: input vs reconstruction
    and a 2-D view of the latent space (coloured by cluster and by label, with the mixture's
    ellipses) for autoencoders, samples (one row per mixture component where there are
    components) for generative models, before/after for denoising autoencoders, the score
    histogram and ROC curve for outlier detectors; loss curves and the metrics table always.
    The figures use at most ``max_rows`` rows of the test split of ``data`` (default: the run's).
    """
    from .. import __version__
    from ..exceptions import InvalidParameterError
    from ..models import load

    run_dir = Path(run_dir)
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 2:
        raise InvalidParameterError(f"max_rows must be an int >= 2; got {max_rows!r}")
    if model is None:
        model = load(run_dir)
    options = read_json(run_dir / "options.json") or {}
    data = data or options.get("data")
    X, y, note = load_rows(data, max_rows)
    context = Context(run_dir, model, options, X, y)
    sections = [s for s in (build(context) for build in SECTION_BUILDERS) if s is not None]
    name = type(model).__name__
    overview = {"model": name, "data": data or "unknown", "run folder": str(run_dir.resolve()),
                "options": options.get("params")}
    config = read_json(run_dir / "config.json") or {}
    if config.get("class") and config["class"] != name:
        overview["saved as"] = config["class"]
    now = datetime.datetime.now().astimezone()
    return html.render(run_dir / "report.html", title=f"{name} on {data or 'unknown data'}",
                       meta=f"latentmix report of {run_dir}", run=str(run_dir), version=__version__,
                       date=now.strftime("%Y-%m-%d %H:%M %Z"), overview=overview,
                       metrics=metrics_rows(run_dir, context.facts), sections=sections,
                       notes=[note] if note else [])


def write_scores_report(folder: str | Path, scores, threshold: float, truth=None, *, model=None, run=None,
                        data: str | None = None, metrics: dict | None = None) -> Path:
    """The report of a detector's scores on some rows (``latentmix detect``): ``folder/report.html``
    with the score histogram and the ``threshold``, the ROC curve where the true 0/1 outliers
    ``truth`` are known, and the ``metrics`` table; returns the page's path."""
    import numpy as np

    from .. import __version__

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    facts: dict = {}
    section = score_section(folder, np.asarray(scores, dtype=np.float64), float(threshold),
                            None if truth is None else np.asarray(truth).astype(int), facts, rows="rows scored",
                            threshold_note="the detector's, or the one asked for with --contamination")
    name = type(model).__name__ if model is not None else "detector"
    rows = [("latentmix detect", k, v) for k, v in (metrics or {}).items()
            if k not in ("run", "data", "split", "out", "report")]
    rows += [("this report", k, v) for k, v in facts.items()]
    overview = {"model": name, "run folder": str(Path(run).resolve()) if run else "unknown",
                "data": data or "unknown", "rows scored": int(np.size(scores))}
    now = datetime.datetime.now().astimezone()
    return html.render(folder / "report.html", title=f"{name} scores on {data or 'unknown data'}",
                       meta=f"latentmix detect report of {run}", run=str(run), version=__version__,
                       date=now.strftime("%Y-%m-%d %H:%M %Z"), overview=overview, metrics=rows,
                       sections=[section], notes=[])


def write_page(run_dir: str | Path, *, title: str, sections: list, overview: dict | None = None,
               notes: list[str] | tuple[str, ...] = (), facts: dict | None = None,
               skip_metrics: tuple[str, ...] = ()) -> Path:
    """``report.html`` in ``run_dir`` from sections made elsewhere (figures already written, e.g.
    by ``latentmix demo``): the overview, the sections, then the metrics table (``metrics.json``
    and the like, read as :func:`write_report` reads them, plus ``facts``; metrics whose name ends
    with one of ``skip_metrics``, e.g. ``"/runs"``, are left out). Returns the page's path."""
    from .. import __version__
    from ..exceptions import InvalidParameterError
    from .sections import Section

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InvalidParameterError(f"run folder {run_dir} does not exist")
    if not isinstance(title, str) or not title:
        raise InvalidParameterError(f"title must be a non-empty string; got {title!r}")
    if not all(isinstance(s, Section) for s in sections):
        raise InvalidParameterError("sections must be latentmix.report.sections.Section objects")
    if not all(isinstance(n, str) for n in notes):
        raise InvalidParameterError("notes must be strings")
    if isinstance(skip_metrics, str) or not all(isinstance(k, str) for k in skip_metrics):
        raise InvalidParameterError(f"skip_metrics must be a tuple of strings; got {skip_metrics!r}")
    rows = [r for r in metrics_rows(run_dir, dict(facts or {})) if not r[1].endswith(tuple(skip_metrics))]
    now = datetime.datetime.now().astimezone()
    return html.render(run_dir / "report.html", title=title, meta=f"latentmix report of {run_dir}", run=str(run_dir),
                       version=__version__, date=now.strftime("%Y-%m-%d %H:%M %Z"),
                       overview={"run folder": str(run_dir.resolve()), **(overview or {})},
                       metrics=rows, sections=list(sections), notes=list(notes), metrics_last=True)
