"""``latentmix demo``: the parts working together, each against its plain baseline, on one
dataset (default: the embedded 8x8 digits, no download). One module per comparison:

- :mod:`.clustering`: DeepClustering (a mixture on a plain autoencoder's codes) vs k-means and
  scikit-learn's GaussianMixture on the pixels;
- :mod:`.generation`: LatentGMM samples, one row per mixture component;
- :mod:`.anomaly`: one class held out; AnomalyDetector vs IsolationForest (AUROC, AP);
- :mod:`.gan`: a GAN sampled plainly, with DRS and with stratified rejection (FD, precision/recall);
- :mod:`.mixture`: latentmix's GaussianMixture vs scikit-learn's from the same initial parameters.

:func:`run_demo` (:mod:`.runner`) runs them, writes ``metrics.json`` and ``report.html``.
"""

from .results import Headline, Outcome, verdict
from .runner import STEPS, DemoResult, run_demo
from .settings import DemoSettings, Recipe, recipe_for
from .summary import format_table

__all__ = ["run_demo", "DemoResult", "DemoSettings", "Recipe", "recipe_for", "Headline", "Outcome", "verdict",
           "format_table", "STEPS"]
