"""``write_report(run_dir)``: the figures and ``report.html`` of a run folder."""

from __future__ import annotations

import datetime
from pathlib import Path

from . import html
from .sections import SECTION_BUILDERS, Context, load_rows, metrics_rows, read_json

__all__ = ["write_report"]


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
