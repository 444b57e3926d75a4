"""``latentmix evaluate RUN``: the test-split metrics of a trained run."""

from __future__ import annotations

from pathlib import Path

import click

from .._io import write_json
from ..exceptions import InvalidParameterError
from ._common import config_option, json_option, load_data, read_options


def evaluate_autoencoder(model, data: str, probe_samples: int | None, probe_C: float | str = 1.0) -> dict:
    """Reconstruction MSE/PSNR on the test split, denoising PSNR, linear-probe accuracy."""
    from .. import metrics

    X_test, y_test = load_data(data, "test")
    recon = model.reconstruct(X_test)
    result = {"test_samples": int(len(X_test)), "reconstruction_mse": metrics.mse(X_test, recon),
              "reconstruction_psnr_db": metrics.psnr(X_test, recon)}
    from ..models import DenoisingAutoEncoder, LatentGMM

    inner = model.autoencoder_ if isinstance(model, LatentGMM) else model  # a composite denoises with its AE
    if isinstance(inner, DenoisingAutoEncoder):
        noisy = inner.corrupt(X_test, seed=0)
        result["noisy_psnr_db"] = metrics.psnr(X_test, noisy.clamp(0, 1))
        result["denoised_psnr_db"] = metrics.psnr(X_test, inner.denoise(noisy))
    if y_test is not None:
        X_train, y_train = load_data(data, "train")
        if probe_samples and probe_samples < len(X_train):
            X_train, y_train = X_train[:probe_samples], y_train[:probe_samples]
        result["linear_probe_accuracy"], result["linear_probe_C"] = metrics.linear_probe_accuracy(
            model.transform(X_train), y_train, model.transform(X_test), y_test, C=probe_C, return_C=True)
    return result


def evaluate_generator(model, data: str, n_samples: int, seed: int) -> dict:
    """Sample-quality metrics of ``n_samples`` generated images against the test split (fewer
    where the split is smaller), in the feature space of the dataset's frozen classifier."""
    from .. import metrics
    from ..metrics.features import FEATURE_DATASETS

    if data not in FEATURE_DATASETS:
        return {"generation_metrics": f"skipped: no feature extractor for {data!r} "
                                      f"(built-in ones: {', '.join(sorted(FEATURE_DATASETS))})"}
    X_test, _ = load_data(data, "test")
    n = min(n_samples, len(X_test))
    fake = model.sample(n, seed=seed)
    result = {f"generation/{k}": v for k, v in metrics.evaluate_samples(X_test[:n], fake, features=data,
                                                                      seed=seed).items()}
    for kind in _rejection_kinds(model):
        rejected = model.sample(n, seed=seed, rejection=kind)
        drs = metrics.evaluate_samples(X_test[:n], rejected, features=data, seed=seed)
        prefix = "rejection" if kind == "drs" else f"rejection_{kind}"
        result.update({f"{prefix}/{k}": v for k, v in drs.items()})
        result[f"{prefix}/acceptance_rate"] = model.acceptance_rate_
    return result


def _rejection_kinds(model) -> list[str]:
    """The rejection samplers a fitted model supports (a GAN fitted with calibration_fraction=0
    has none)."""
    from ..models._rejecting import RejectionMixin

    if not isinstance(model, RejectionMixin) or model.calibration_ is None:
        return []
    return ["drs"] + (["stratified"] if getattr(model, "stratified_calibration_", None) is not None else [])


def evaluate_clusters(model, data: str) -> dict:
    """Clustering ACC (Hungarian), NMI and ARI of ``model.predict`` on the test split."""
    from .. import metrics

    X_test, y_test = load_data(data, "test")
    if y_test is None:
        return {"clustering": "skipped: the data has no labels"}
    labels = model.predict(X_test)
    return {"clustering/acc": metrics.clustering_accuracy(y_test, labels),
            "clustering/nmi": metrics.normalized_mutual_info(y_test, labels),
            "clustering/ari": metrics.adjusted_rand_index(y_test, labels)}


def evaluate_outliers(model, data: str, normal_class) -> dict:
    """An outlier detector on the test split: the share it flags and, when the rows' outlier truth
    is known (the run's normal class, or 0/1 labels), AUROC, average precision and
    precision/recall at its threshold."""
    import numpy as np

    from .detect_cmd import outlier_metrics, outlier_truth

    X_test, y_test = load_data(data, "test")
    scores = np.asarray(model.decision_function(X_test), dtype=np.float64)
    labels = (scores > model.threshold_).astype(int)
    truth = outlier_truth(y_test, normal_class)
    if truth is None:
        return {"outlier/flagged_rate": float(labels.mean()),
                "outlier/auroc": "skipped: no outlier truth (train with --normal-class, or 0/1 labels)"}
    return {f"outlier/{k}": v for k, v in outlier_metrics(truth, scores, labels).items()}


def _probe_C(ctx, param, value: str) -> float | str:
    from ..metrics.probe import check_C

    try:
        return check_C(value if value == "auto" else float(value))
    except (ValueError, InvalidParameterError) as exc:  # float("x") or a C the probe refuses
        raise click.BadParameter(f"must be a positive number or 'auto'; got {value!r}") from exc


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--data", default=None, help="Evaluate on this dataset instead of the training one.")
@click.option("--probe-samples", type=click.IntRange(min=10), default=None,
              help="Train rows used by the linear probe (default: all).")
@click.option("--probe-c", "probe_C", callback=_probe_C, default="1.0", show_default=True,
              help="Inverse regularisation of the probe, or 'auto' (chosen on 10% of the train rows held out).")
@click.option("--samples", "n_samples", type=click.IntRange(min=10), default=10_000, show_default=True,
              help="Generated samples compared with the test split (generative models).")
@click.option("--seed", type=int, default=0, show_default=True)
@config_option
@json_option
def evaluate(run: Path, data: str | None, probe_samples: int | None, probe_C: float | str, n_samples: int,
             seed: int, as_json: bool) -> None:
    """Metrics of the model in RUN on the test split; also written to RUN/evaluation.json.

    What is measured follows what the model can do. Autoencoders (and LatentGMM): reconstruction
    MSE/PSNR, denoising PSNR, linear-probe accuracy. Generative models: FD, KID,
    precision/recall, density/coverage, 1-NN accuracy and classifier score of generated samples
    (and of rejection samples for calibrated GANs). Clusterers: ACC, NMI, ARI. Outlier detectors:
    AUROC, average precision, precision/recall at the threshold (the run's --normal-class is the
    inliers' class).

    \b
    Example:
      latentmix evaluate runs/aae
      latentmix evaluate runs/aae --data fashion-mnist --probe-c auto --json > metrics.json
    """
    from ..models import AutoEncoder, ClusterMixin, GenerativeMixin, LatentGMM, OutlierMixin, load

    options = read_options(run)
    model = load(run)
    data = data or options["data"]
    result = {"run": str(run), "model": type(model).__name__, "data": data}
    if isinstance(model, (AutoEncoder, LatentGMM)):
        result.update(evaluate_autoencoder(model, data, probe_samples, probe_C))
    if isinstance(model, GenerativeMixin):
        result.update(evaluate_generator(model, data, n_samples, seed))
    if isinstance(model, ClusterMixin) and model.can_cluster():
        result.update(evaluate_clusters(model, data))
    if isinstance(model, OutlierMixin):
        result.update(evaluate_outliers(model, data, options.get("normal_class")))
    write_json(run / "evaluation.json", result)
    if not as_json:  # the metrics are what the command is for: printed even with --quiet
        for key, value in result.items():
            click.echo(f"{key:28s} {value:.4f}" if isinstance(value, float) else f"{key:28s} {value}")
    return result
