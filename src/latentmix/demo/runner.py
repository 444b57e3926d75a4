"""``run_demo``: the comparisons in turn, with a progress line per step, then metrics.json, the
report and the closing table."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

from .._io import jsonable, write_json
from ..exceptions import InvalidParameterError
from .anomaly import compare_anomaly
from .clustering import compare_clustering
from .data import load_demo_data
from .gan import compare_gan
from .generation import compare_generation
from .mixture import compare_mixtures
from .report import write_demo_report
from .results import Outcome
from .settings import FAST, DemoSettings, recipe_for
from .summary import format_table

__all__ = ["run_demo", "DemoResult", "STEPS"]

STEPS = ("clustering", "generation", "anomaly", "gan", "mixture")


@dataclasses.dataclass
class DemoResult:
    """What a demo run produced: the metrics (as written to metrics.json), the closing table, the
    report's path and the outcomes of the comparisons."""

    metrics: dict
    table: str
    report: Path
    outcomes: list[Outcome]


def run_demo(settings: DemoSettings, say: Callable[[str], None] | None = None) -> DemoResult:
    """Run every comparison of the demo on ``settings.data`` into ``settings.out``; ``say`` gets the
    progress lines (None: silent). Returns a :class:`DemoResult`."""
    import torch

    from .._arrays import resolve_device

    if not isinstance(settings, DemoSettings):
        raise InvalidParameterError(f"settings must be a DemoSettings; got {type(settings).__name__}")
    if say is not None and not callable(say):
        raise InvalidParameterError("say must be a callable taking one string, or None")
    say = say or (lambda message: None)
    resolve_device(settings.device)  # an unknown or unavailable device fails before any work
    start = time.perf_counter()
    data = load_demo_data(settings.data, max_rows=FAST.max_rows if settings.fast else None, seed=settings.seed)
    recipe = recipe_for(data.n_values, fast=settings.fast, epochs=settings.epochs)
    out = settings.out
    out.mkdir(parents=True, exist_ok=True)
    say(data.describe())
    threads = torch.get_num_threads()
    if recipe.threads is not None:
        torch.set_num_threads(recipe.threads)
    try:
        return _run(settings, data, recipe, say, start)
    finally:
        torch.set_num_threads(threads)


def _run(settings: DemoSettings, data, recipe, say, start: float) -> DemoResult:
    out = settings.out
    common = dict(seed=settings.seed, device=settings.device, say=say)
    outcomes: list[Outcome] = []

    def step(i: int, what: str, run):
        say(f"[{i}/{len(STEPS)}] {what}")
        t0 = time.perf_counter()
        outcome = run()
        outcome.seconds = time.perf_counter() - t0
        say(f"  ({outcome.seconds:.1f}s)")
        outcomes.append(outcome)
        return outcome

    clustered = {}

    def clustering():
        outcome, clustered["model"] = compare_clustering(data, recipe, out=out, **common)
        return outcome

    step(1, f"clustering: DeepClustering (latent-gmm, plain autoencoder) vs k-means and GaussianMixture on "
            f"pixels, {recipe.cluster_seeds} seed(s)", clustering)
    step(2, "generation: one row of LatentGMM samples per mixture component",
         lambda: compare_generation(data, clustered["model"], out=out, **common))
    step(3, "anomaly detection: one class held out, AnomalyDetector vs IsolationForest",
         lambda: compare_anomaly(data, recipe, out=out, **common))
    if data.unit_range:
        step(4, f"GAN ({recipe.gan_arch}, {recipe.gan_epochs} epochs): stratified rejection sampling vs plain",
             lambda: compare_gan(data, recipe, out=out, **common))
    else:
        say(f"[4/{len(STEPS)}] GAN: skipped, the data are not in [0, 1] (a GAN's sigmoid generator cannot make them)")
    step(5, "GaussianMixture: latentmix vs scikit-learn from the same initial parameters",
         lambda: compare_mixtures(data, **common))
    seconds = time.perf_counter() - start
    headlines = [h for o in outcomes for h in o.headlines]
    table = format_table(headlines)
    config = {"data": settings.data, "seed": settings.seed, "device": settings.device, "fast": settings.fast,
              "epochs": settings.epochs, "recipe": dataclasses.asdict(recipe)}
    metrics = {"data": data.name, "seconds": seconds, "settings": config,
               **{o.key: {**o.metrics, "step_seconds": o.seconds} for o in outcomes},
               "headlines": [dataclasses.asdict(h) for h in headlines]}
    write_json(out / "metrics.json", jsonable(metrics))
    report = write_demo_report(out, outcomes, data_name=data.name, description=data.describe(), seconds=seconds,
                               settings=config)
    return DemoResult(jsonable(metrics), table, report, outcomes)
