"""``latentmix cluster --data DATA --n-clusters K --out RUN``: deep clustering of a dataset into a run
folder (the model, labels.npy, metrics when the data has labels, a grid of each cluster's most
central samples for images)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .._io import write_json
from ._common import config_option, estimator_options, json_option, load_data, model_options, say
from .report_cmd import report_after_training


def cluster_metrics(y, labels) -> dict:
    """ACC (Hungarian), NMI and ARI of ``labels`` against the true classes ``y``."""
    from .. import metrics

    return {"acc": metrics.clustering_accuracy(y, labels), "nmi": metrics.normalized_mutual_info(y, labels),
            "ari": metrics.adjusted_rand_index(y, labels)}


def write_cluster_grid(model, X, path: Path, n: int = 10) -> Path:
    """A PNG with one row per cluster: the ``n`` samples nearest its centre (blank where a cluster
    has fewer)."""
    import numpy as np

    from ._grid import save_grid

    idx = model.representatives(X, n=n)  # (k, n), -1 = none
    images = np.asarray(X, dtype=np.float32)
    tiles = np.zeros((idx.size, *images.shape[1:]), dtype=np.float32)
    flat = idx.reshape(-1)
    tiles[flat >= 0] = images[flat[flat >= 0]]
    return save_grid(tiles.clip(0, 1), path, columns=n)


def _model_class() -> type:
    from ..tasks import DeepClustering

    return DeepClustering


@click.command()
@click.option("--data", required=True, help="Dataset name (digits, fashion-mnist, ...) or a .npy/.npz/.csv/folder.")
@click.option("--n-clusters", "n_clusters", type=click.IntRange(min=1), required=True, help="Number of clusters K.")
@click.option("--method", type=click.Choice(["latent-gmm", "manifold", "aae", "vade"]), default=None,
              help="latent-gmm (default): mixture on a denoising autoencoder's codes; manifold: N2D (needs "
                   "umap-learn); aae: adversarial autoencoder with a mixture prior; vade: mixture-prior VAE.")
@click.option("--refine", is_flag=True, default=None, help="DEC/IDEC self-training of the encoder afterwards.")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Autoencoder training epochs.")
@click.option("--latent-dim", type=click.IntRange(min=1), default=None)
@click.option("--split", type=click.Choice(["train", "test", "all"]), default="train", show_default=True,
              help="Which split of a built-in dataset to cluster (a file is always read whole).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run folder (default runs/cluster-DATA).")
@click.option("--device", default=None, help="auto, cpu, cuda or cuda:N.")
@click.option("--seed", "random_state", type=int, default=None)
@click.option("--verbose", type=click.IntRange(min=0), default=None)
@click.option("--dry-run", is_flag=True, help="Print the resolved options and exit.")
@click.option("--no-report", is_flag=True, help="Do not write the figures and report.html at the end.")
@config_option(model=lambda: _model_class(), help="TOML file of this command's options and DeepClustering's (e.g. "
                                                  'data = "digits", method = "aae"); flags override it.')
@json_option
def cluster(data, split, out, dry_run, no_report, as_json, **flags):
    """Cluster DATA into K groups with DeepClustering and save the run folder: the model
    (loadable with latentmix.load), labels.npy, metrics.json (ACC/NMI/ARI when the data has
    labels), clusters.png (each row: the samples nearest one cluster's centre, for images) and
    report.html (the latent space coloured by cluster with the mixture's ellipses, the losses,
    the metrics). --config takes a TOML file of this command's options and DeepClustering's
    (e.g. data = "digits", method = "aae", n_init = 3); flags override it. --json prints the
    metrics as one JSON object.

    \b
    Example:
      latentmix cluster --data digits --n-clusters 10 --epochs 50 --out runs/clusters
      latentmix cluster --data fashion-mnist --split all --n-clusters 10 --refine --out runs/fmnist
      latentmix cluster --data digits --n-clusters 10 --config clusters.toml --json
      latentmix evaluate runs/clusters
    """
    import numpy as np

    from ..core.persist import json_params
    from ..tasks import DeepClustering

    params = estimator_options(DeepClustering, model_options(), flags)
    out = out or Path("runs") / f"cluster-{Path(data).stem}"
    model = DeepClustering(**params)
    resolved = json_params(model)
    options = {"model": "deep-clustering", "data": data, "split": split, "out": str(out),
               "params": {k: resolved[k] for k in params}, "resolved": resolved}
    if dry_run:
        if not as_json:
            click.echo(json.dumps(options, indent=2))
        return options
    model._validate_params()  # bad values (and a missing umap-learn) fail before any data is read
    X, y = load_data(data, split)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "options.json", options)
    if model.verbose:
        say(f"clustering {tuple(X.shape)} rows of {data} into {model.n_clusters} clusters -> {out}")
    model.fit(X, run_dir=out)
    labels = np.asarray(model.labels_)
    np.save(out / "labels.npy", labels)
    summary = {"samples": int(len(labels)), "clusters_used": int(len(np.unique(labels))),
               "fit_seconds": model.fit_seconds_}
    if y is not None:
        summary.update(cluster_metrics(y, labels))
    write_json(out / "metrics.json", summary)
    if X.ndim == 4:
        write_cluster_grid(model, X, out / "clusters.png")
    page = None if no_report else report_after_training(out, model)  # a failure is a warning, not an error
    if not as_json:
        say(f"done: {out} " + json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in summary.items()})
            + (f"\nreport: {page}" if page else ""))
    return {"run": str(out), "data": data, "split": split, **summary, "report": page and str(page)}
