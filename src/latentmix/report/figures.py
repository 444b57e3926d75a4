"""The report's figures: each a small function that draws one PNG and returns its path.

Drawn with matplotlib's object API on the Agg canvas (``matplotlib.figure.Figure``, never
``pyplot``), so making a report neither switches the backend of a notebook nor opens a window, and
works without a display. Inputs are numpy arrays; every file is written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._io import atomic_write

__all__ = ["image_rows", "latent_scatter", "loss_curves", "score_histogram", "roc_curve"]

_DPI = 100


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: Path) -> Path:
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=_DPI, bbox_inches="tight",
                                                      metadata={"Software": None}))


def _strip(images: np.ndarray, pad: int = 1) -> np.ndarray:
    """Images (n, c, h, w) in [0, 1] side by side with a ``pad``-pixel white gap: (h, n*(w+pad)-pad, c)."""
    n, c, h, w = images.shape
    canvas = np.full((h, n * (w + pad) - pad, c), 0.0 if c == 1 else 1.0)  # white: 0 under gray_r, 1 in colour
    for i, image in enumerate(images):
        canvas[:, i * (w + pad): i * (w + pad) + w] = image.transpose(1, 2, 0)
    return canvas


def image_rows(rows: list[tuple[str, np.ndarray]], path: Path, title: str | None = None) -> Path:
    """One labelled row of images per ``(label, images)`` pair, e.g. ``[("input", X),
    ("reconstruction", R)]``. Images: (n, c, h, w) with 1 or 3 channels in [0, 1] (grey drawn
    dark on white, like ``latentmix sample``), or table rows (n, d) drawn as a heat map."""
    from matplotlib.colors import Normalize

    arrays = [np.asarray(images, dtype=np.float64) for _, images in rows]
    tables = arrays[0].ndim == 2
    width_units = max(a.shape[0] * (a.shape[-1] + 1) for a in arrays) if not tables else 8 * 16
    height_units = sum((a.shape[-2] + 1) if not tables else a.shape[0] for a in arrays)
    scale = min(0.12, 11.0 / width_units)  # inches per pixel; at most ~11 in wide
    fig = _figure(1.8 + width_units * scale, 0.3 + max(height_units * scale, 0.45 * len(rows)) + 0.3 * bool(title))
    axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
    shared = Normalize(min(a.min() for a in arrays), max(a.max() for a in arrays))  # one colour scale for tables
    for ax, (label, _), a in zip(axes, rows, arrays, strict=True):
        if tables:  # one line per sample, one column per feature
            ax.imshow(a, aspect="auto", cmap="viridis", norm=shared, interpolation="nearest")
        elif a.shape[1] == 1:
            ax.imshow(_strip(a.clip(0, 1))[..., 0], cmap="gray_r", norm=Normalize(0, 1), interpolation="nearest")
        else:
            ax.imshow(_strip(a.clip(0, 1)), interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=10)
    if title:
        fig.suptitle(title, fontsize=11)
    return _save(fig, path)


def _ellipse_patches(ax, means: np.ndarray, covariances: np.ndarray, colours) -> None:
    """2-sigma ellipses of 2-D Gaussians (k, 2) / (k, 2, 2), each labelled with its index."""
    from matplotlib.patches import Ellipse

    for k, (mean, cov) in enumerate(zip(means, covariances, strict=True)):
        values, vectors = np.linalg.eigh((cov + cov.T) / 2)
        values = values.clip(min=0)
        angle = np.degrees(np.arctan2(vectors[1, -1], vectors[0, -1]))
        ax.add_patch(Ellipse(mean, 4 * np.sqrt(values[-1]), 4 * np.sqrt(values[0]), angle=angle, fill=False,
                             lw=1.5, ec=colours(k % colours.N), alpha=0.9))
        ax.annotate(str(k), mean, ha="center", va="center", fontsize=8, weight="bold")


def latent_scatter(points: np.ndarray, colourings: list[tuple[str, np.ndarray | None]], path: Path,
                   axis_labels: tuple[str, str] = ("PC 1", "PC 2"), ellipses: tuple | None = None) -> Path:
    """2-D points (N, 2), one panel per ``(title, colours)`` (integer labels (N,) or None for one
    colour); ``ellipses = (means (k, 2), covariances (k, 2, 2))`` drawn on every panel."""
    from matplotlib import colormaps

    fig = _figure(5.2 * len(colourings), 4.6)
    axes = fig.subplots(1, len(colourings), squeeze=False)[0]
    for ax, (title, labels) in zip(axes, colourings, strict=True):
        cmap = colormaps["tab10" if labels is None or labels.max(initial=0) < 10 else "tab20"]
        if labels is None:
            ax.scatter(points[:, 0], points[:, 1], s=8, color=cmap(0), alpha=0.7, lw=0)
        else:
            ax.scatter(points[:, 0], points[:, 1], s=8, c=labels % cmap.N, cmap=cmap, vmin=0, vmax=cmap.N - 1,
                       alpha=0.75, lw=0)
            for value in np.unique(labels)[:20]:  # a legend for at most 20 groups
                ax.scatter([], [], s=20, color=cmap(value % cmap.N), label=str(value))
            ax.legend(fontsize=7, markerscale=1, loc="best", ncol=2, framealpha=0.6)
        if ellipses is not None:
            _ellipse_patches(ax, *ellipses, colormaps["tab10" if len(ellipses[0]) <= 10 else "tab20"])
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(axis_labels[0])
        ax.set_ylabel(axis_labels[1])
        ax.autoscale_view()
    fig.tight_layout()
    return _save(fig, path)


def loss_curves(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path, x_label: str = "step") -> Path:
    """One small panel per loss: ``{name: (x, values)}``, three panels a row."""
    n = len(curves)
    columns = min(3, n)
    rows = -(-n // columns)
    fig = _figure(4.0 * columns, 2.8 * rows)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, (name, (x, y)) in zip(axes, curves.items(), strict=False):
        ax.plot(x, y, marker="o" if len(x) <= 30 else None, ms=3, lw=1.4)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(x_label)
        ax.grid(alpha=0.3)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return _save(fig, path)


def score_histogram(scores: np.ndarray, threshold: float, path: Path, outliers: np.ndarray | None = None) -> Path:
    """Histogram of outlier scores (higher = more abnormal) with the decision threshold; split
    into normal / outlier when the true ``outliers`` (N,) 0/1 are known."""
    fig = _figure(6.4, 3.6)
    ax = fig.subplots()
    bins = np.histogram_bin_edges(scores, bins=40)
    if outliers is None:
        ax.hist(scores, bins=bins, color="tab:blue", alpha=0.8, label="scores")
    else:
        ax.hist(scores[outliers == 0], bins=bins, color="tab:blue", alpha=0.6, label="normal")
        ax.hist(scores[outliers == 1], bins=bins, color="tab:red", alpha=0.6, label="outlier")
    ax.axvline(threshold, color="black", ls="--", lw=1.5, label=f"threshold {threshold:.4g}")
    ax.set_xlabel("outlier score (higher = more abnormal)")
    ax.set_ylabel("samples")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def roc_curve(scores: np.ndarray, outliers: np.ndarray, path: Path) -> tuple[Path, float]:
    """ROC curve of outlier scores against the true 0/1 ``outliers``; returns (path, ROC AUC)."""
    from sklearn.metrics import roc_auc_score
    from sklearn.metrics import roc_curve as _roc

    fpr, tpr, _ = _roc(outliers, scores)
    auc = float(roc_auc_score(outliers, scores))
    fig = _figure(4.4, 4.2)
    ax = fig.subplots()
    ax.plot(fpr, tpr, lw=1.8, label=f"ROC AUC {auc:.3f}")
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return _save(fig, path), auc
