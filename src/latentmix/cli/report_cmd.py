"""``latentmix report RUN``: the figures and a self-contained ``report.html`` of a run folder."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import config_option, quiet, say

__all__ = ["report", "report_after_training", "quiet"]


def report_after_training(run: Path, model, write=None, retry: str | None = None) -> Path | None:
    """The report at the end of ``latentmix train`` / ``cluster`` / ``fit-detector`` / ``detect``
    (on rank 0 only under ``torchrun``): ``write()`` (default: ``write_report(run, model)``). A
    failure here never fails the work it follows: it becomes a one-line warning on stderr, naming
    ``retry`` (default: ``latentmix --debug report RUN``)."""
    from .._distributed import rank

    if rank() != 0:
        return None
    try:
        if write is None:
            from ..report import write_report

            return write_report(run, model)
        return write()
    except Exception as exc:  # noqa: BLE001 - the trained model is saved; the report is extra
        first = (str(exc).strip().splitlines() or [""])[0]
        click.echo(f"warning: no report written ({type(exc).__name__}: {first}); "
                   f"try '{retry or f'latentmix --debug report {run}'}'", err=True)
        return None


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--data", default=None, help="Draw the figures from this dataset's test split instead of the run's.")
@click.option("--rows", "max_rows", type=click.IntRange(min=2), default=300, show_default=True,
              help="At most this many test rows feed the figures (a seeded subset).")
@config_option
def report(run: Path, data: str | None, max_rows: int) -> None:
    """Write RUN/report.html (one self-contained page: every image embedded, works offline) and
    its PNG figures: input vs reconstruction, samples (one row per mixture component), denoising,
    the latent space with the mixture's ellipses, outlier scores and ROC, loss curves and the
    metrics table, as far as the model can do each. Run 'latentmix evaluate RUN' first to
    include the test metrics.

    \b
    Example:
      latentmix train aae --data digits --prior gmm:10 --latent-dim 8 --epochs 30 --out runs/aae
      latentmix evaluate runs/aae
      latentmix report runs/aae          # then open runs/aae/report.html
    """
    from ..models import load
    from ..report import write_report

    model = load(run)  # a missing or foreign folder is a one-line error
    path = write_report(run, model, data=data, max_rows=max_rows)
    say(f"wrote {path}")
