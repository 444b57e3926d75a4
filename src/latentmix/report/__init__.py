"""Reports of runs: PNG figures (:mod:`.figures`, matplotlib on the Agg canvas) and a
self-contained ``report.html`` (:mod:`.html`), with sections chosen from what the model can do
(:mod:`.sections`). The top of the one-way flow, used by the command line."""

from .build import write_page, write_report, write_scores_report

__all__ = ["write_report", "write_scores_report", "write_page"]
