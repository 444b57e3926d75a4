"""A GAN sampled three ways: plain, discriminator rejection sampling (DRS) and mixture-stratified
rejection (``rejection="stratified"``), each scored against the test split at equal sample counts
in the feature space of latentmix's frozen classifier for the data (FD, precision, recall)."""

from __future__ import annotations

import numpy as np

from .. import metrics
from ..exceptions import DataError
from ..report import figures
from ..report.sections import Figure
from ._common import check_step, quiet_warnings, timer
from .results import Headline, Outcome, mean_std, verdict

__all__ = ["compare_gan", "SAMPLERS", "README_POINTER"]

SAMPLERS = {"plain": False, "drs": "drs", "stratified": "stratified"}
KEYS = ("frechet_distance", "precision", "recall", "coverage")
#: Where stratified rejection does win (benchmarks/RESULTS.md, README's GAN section).
README_POINTER = "stratified wins on Fashion-MNIST (README)"


def compare_gan(data, recipe, *, seed: int, device: str, out, say) -> Outcome:
    from ..models import GAN

    check_step(data, seed, say, out)
    if not data.unit_range:
        raise DataError(f"{data.name}: a GAN's sigmoid generator makes values in [0, 1], but the data range over "
                        f"[{data.X_train.min():.3g}, {data.X_train.max():.3g}]; rescale them first")
    n = min(recipe.gan_samples, len(data.X_test))
    with timer() as t:
        gan = GAN(arch=recipe.gan_arch, loss="ns", epochs=recipe.gan_epochs, lr_g=recipe.gan_lr, lr_d=recipe.gan_lr,
                  ema=recipe.gan_ema, random_state=seed, device=device, verbose=0).fit(data.X_train)
    train_seconds = t()
    say(f"  trained in {train_seconds:.1f}s; sampling plain / DRS / stratified, {n} samples each")
    real = data.X_test[:n]
    features = data.features
    if features is None:  # no frozen classifier for these data: the metrics on the raw values
        real = real.reshape(n, -1)
    results: dict[str, list[dict]] = {name: [] for name in SAMPLERS}
    acceptance: dict[str, list[float]] = {"drs": [], "stratified": []}
    grids = {}
    for draw in range(recipe.sample_draws):
        for name, rejection in SAMPLERS.items():
            fake = np.asarray(gan.sample(n, seed=seed + draw, rejection=rejection))
            if name in acceptance:
                acceptance[name].append(float(gan.acceptance_rate_))
            grids.setdefault(name, fake[:8])
            with quiet_warnings():
                scores = metrics.evaluate_samples(real, fake if features else fake.reshape(n, -1), features=features,
                                                  seed=seed + draw)
            results[name].append({k: scores[k] for k in KEYS} | {"classifier_score": scores["classifier_score"]})
    summary = {"train_seconds": train_seconds, "n_samples": n, "draws": recipe.sample_draws,
               "features": features or "raw values",
               "settings": {"arch": recipe.gan_arch, "loss": "ns", "epochs": recipe.gan_epochs, "lr": recipe.gan_lr,
                            "ema": recipe.gan_ema}}
    for name, runs in results.items():
        summary[name] = {"runs": runs}
        for key in KEYS:
            summary[name][key], summary[name][f"{key}_std"] = mean_std([r[key] for r in runs])
        if name in acceptance:
            summary[name]["acceptance_rate"] = float(np.mean(acceptance[name]))
    strat, plain = summary["stratified"], summary["plain"]
    tolerance = max(strat["frechet_distance_std"], plain["frechet_distance_std"])
    decided = verdict(strat["frechet_distance"], plain["frechet_distance"], higher_is_better=False,
                      tolerance=tolerance, name="plain")
    if not decided.startswith("latentmix"):
        decided += f" here; {README_POINTER}"
    space = f"{features} classifier features" if features else "raw values"
    drs = summary["drs"]
    drs_tolerance = max(drs["frechet_distance_std"], plain["frechet_distance_std"])
    headlines = [Headline("GAN FD, stratified rejection (lower=better)", f"{strat['frechet_distance']:.1f} stratified",
                          f"{plain['frechet_distance']:.1f} plain", decided),
                 Headline("GAN FD, plain DRS (lower=better)", f"{drs['frechet_distance']:.1f} DRS",
                          f"{plain['frechet_distance']:.1f} plain",
                          verdict(drs["frechet_distance"], plain["frechet_distance"], higher_is_better=False,
                                  tolerance=drs_tolerance, name="plain")),
                 Headline("GAN precision / recall", f"{strat['precision']:.2f} / {strat['recall']:.2f} stratified",
                          f"{plain['precision']:.2f} / {plain['recall']:.2f} plain",
                          f"stratified: precision {strat['precision'] - plain['precision']:+.2f}, "
                          f"recall {strat['recall'] - plain['recall']:+.2f}")]
    outcome = Outcome("gan", "GAN: stratified rejection sampling vs plain sampling", summary, headlines)
    outcome.notes.append(
        f"GAN(arch={recipe.gan_arch!r}, loss='ns', epochs={recipe.gan_epochs}, lr_g=lr_d={recipe.gan_lr}, "
        f"ema={recipe.gan_ema}); {n} samples per sampler against {n} test rows in the {space}, "
        f"{recipe.sample_draws} sampling seed(s); FD differences within the spread over seeds ({tolerance:.2f}) "
        "count as a tie. On the Fashion-MNIST DCGAN the stratified sampler lowers FD (README / "
        "benchmarks/RESULTS.md: 36.2 -> 34.8 for the ns loss, while plain DRS raises it to 46.9)")
    if grids["plain"].ndim == 4:
        rows = [(label, grids[name]) for label, name in (("plain", "plain"), ("DRS", "drs"),
                                                          ("stratified", "stratified"))]
        path = figures.image_rows(rows, out / "gan_samples.png")
        outcome.figures.append(Figure(path, f"GAN samples (sampling seed {seed}): plain, discriminator rejection "
                                            "sampling, and stratified rejection sampling.",
                                      "rows: plain, DRS, stratified", ("plain", "DRS", "stratified")))
    say(f"  FD plain {plain['frechet_distance']:.1f}, DRS {summary['drs']['frechet_distance']:.1f}, "
        f"stratified {strat['frechet_distance']:.1f}")
    return outcome
