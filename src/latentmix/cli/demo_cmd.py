"""``latentmix demo``: the main job on the embedded digits, no download.

Today: a Gaussian mixture fitted by EM on the 8x8 digits, side by side with scikit-learn's, its
clustering scores, and digits sampled from it. Autoencoders, GANs and hybrids join as they land.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import click
import numpy as np

from .._io import atomic_write, write_json


@click.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("runs/demo"),
              show_default=True, help="Run folder for the figures and metrics.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--seed", type=int, default=0, show_default=True)
def demo(out: Path, device: str, seed: int) -> None:
    """Cluster and generate the 8x8 digits with a Gaussian mixture (about 10 s on a laptop)."""
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    from .. import GaussianMixture, datasets, metrics

    X, y = datasets.load("digits", split="all")
    flat = X.reshape(len(X), -1).numpy().astype(np.float64)  # (1797, 64)
    y = y.numpy()
    click.echo(f"digits: {flat.shape[0]} images of 8x8 pixels, {len(np.unique(y))} classes")
    kw = dict(n_components=10, covariance_type="full", reg_covar=1e-2, n_init=3, random_state=seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = GaussianMixture(**kw, device=device)
        labels = ours.fit_predict(flat.astype(np.float32))
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk_labels = SkGaussianMixture(**kw).fit_predict(flat)
    sk_s = time.perf_counter() - t0
    rows = {
        "latentmix": dict(seconds=ours_s, acc=metrics.clustering_accuracy(y, labels),
                          nmi=metrics.normalized_mutual_info(y, labels)),
        "scikit-learn": dict(seconds=sk_s, acc=metrics.clustering_accuracy(y, sk_labels),
                             nmi=metrics.normalized_mutual_info(y, sk_labels)),
    }
    click.echo(f"{'GaussianMixture(10, full)':28s} {'time':>8s} {'ACC':>7s} {'NMI':>7s}")
    for name, r in rows.items():
        click.echo(f"{name:28s} {r['seconds']:7.2f}s {r['acc']:7.3f} {r['nmi']:7.3f}")
    samples, _ = ours.sample(100)
    grid = _save_grid(np.clip(samples, 0, 1).reshape(-1, 8, 8), out / "gmm_samples.png")
    write_json(out / "metrics.json", {"gmm_clustering": rows, "device": str(ours._device)})
    click.echo(f"wrote {grid} and {out / 'metrics.json'}")


def _save_grid(images: np.ndarray, path: Path, columns: int = 10, scale: int = 4) -> Path:
    """A PNG grid of (n, h, w) images in [0, 1]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n, h, w = images.shape
    rows = -(-n // columns)
    canvas = np.ones((rows * (h + 1) + 1, columns * (w + 1) + 1))
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        canvas[1 + r * (h + 1): 1 + r * (h + 1) + h, 1 + c * (w + 1): 1 + c * (w + 1) + w] = img
    canvas = np.kron(canvas, np.ones((scale, scale)))  # nearest-neighbour upscaling
    return atomic_write(path, lambda p: plt.imsave(p, canvas, cmap="gray_r", vmin=0, vmax=1, format="png"))
