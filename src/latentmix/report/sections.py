"""What goes into a run's report, decided by what the model can do (its capability mixins and
classes, read with ``isinstance``): each builder returns a :class:`Section` or None.

The figures use the run's test split (``options.json``'s ``data``, or ``data=``), a seeded
subset of at most ``max_rows`` rows, so a report takes seconds on any dataset.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import figures

__all__ = ["Figure", "Table", "Section", "Context", "SECTION_BUILDERS", "metrics_rows", "load_rows", "read_json",
           "score_section"]


@dataclass
class Figure:
    path: Path
    caption: str
    alt: str
    rows: tuple[str, ...] = ()  # the labelled rows of an image-row figure, for the page and its tests


@dataclass
class Table:
    """A small table of text cells: ``header`` (column names) and ``rows`` of the same width."""
    caption: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass
class Section:
    id: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)  # drawn before the figures


@dataclass
class Context:
    """What the builders share: the run folder, the model, its options and the figure data."""
    run_dir: Path
    model: object
    options: dict
    X: torch.Tensor | None
    y: np.ndarray | None
    facts: dict = field(default_factory=dict)  # numbers measured while drawing, for the metrics table


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def load_rows(data: str | None, max_rows: int) -> tuple[torch.Tensor | None, np.ndarray | None, str | None]:
    """(X, y, note): a seeded subset of at most ``max_rows`` test rows of ``data``, or a note
    saying why there are none (the figures that need data are then left out)."""
    from ..cli._common import load_data
    from ..exceptions import LatentmixError

    if not data:
        return None, None, "the run does not name its data (no options.json): figures that need data are left out"
    try:
        X, y = load_data(data, "test")
    except (LatentmixError, OSError) as exc:
        return None, None, f"data {data!r} could not be read ({exc}): figures that need data are left out"
    keep = np.sort(np.random.default_rng(0).permutation(len(X))[:max_rows])
    return X[keep], (None if y is None else _np(y)[keep]), None


# ---------------------------------------------------------------------------- image rows
def reconstruction(c: Context) -> Section | None:
    from .. import metrics
    from ..models import AutoEncoder, LatentGMM

    if not isinstance(c.model, (AutoEncoder, LatentGMM)) or c.X is None:
        return None
    recon = c.model.reconstruct(c.X)
    c.facts["reconstruction_psnr_db"] = metrics.psnr(c.X, recon)
    rows = ("input", "reconstruction")
    path = figures.image_rows(list(zip(rows, (_np(c.X[:12]), _np(recon[:12])), strict=True)),
                              c.run_dir / "reconstruction.png")
    caption = (f"Test images (top) and the autoencoder's reconstructions (below); PSNR "
               f"{c.facts['reconstruction_psnr_db']:.2f} dB over {len(c.X)} test rows.")
    return Section("reconstruction", "Input vs reconstruction",
                   [Figure(path, caption, "rows: input, reconstruction", rows)])


def denoising(c: Context) -> Section | None:
    from .. import metrics
    from ..models import DenoisingAutoEncoder, LatentGMM

    inner = c.model.autoencoder_ if isinstance(c.model, LatentGMM) else c.model  # a composite denoises with its AE
    if not isinstance(inner, DenoisingAutoEncoder) or c.X is None:
        return None
    noisy = inner.corrupt(c.X, seed=0)
    clean = inner.denoise(noisy)
    c.facts["noisy_psnr_db"] = metrics.psnr(c.X, noisy.clamp(0, 1))
    c.facts["denoised_psnr_db"] = metrics.psnr(c.X, clean)
    rows = ("input", "corrupted", "denoised")
    path = figures.image_rows(list(zip(rows, (_np(c.X[:12]), _np(noisy[:12].clamp(0, 1)), _np(clean[:12])),
                                       strict=True)), c.run_dir / "denoising.png")
    caption = (f"Denoising ({inner.noise} noise, level {inner.noise_level}): PSNR {c.facts['noisy_psnr_db']:.2f} dB "
               f"corrupted, {c.facts['denoised_psnr_db']:.2f} dB denoised, over {len(c.X)} test rows.")
    figure = Figure(path, caption, "rows: " + ", ".join(rows), rows)
    return Section("denoising", "Denoising: before and after", [figure])


def samples(c: Context) -> Section | None:
    from ..models import GenerativeMixin
    from ..models._rejecting import RejectionMixin

    model = c.model
    if not isinstance(model, GenerativeMixin):
        return None
    k = model._n_generation_components()
    notes = []
    if k is not None:
        shown = min(k, 20)
        rows = [(f"component {j}", _np(model.sample(8, component=j, seed=j))) for j in range(shown)]
        caption = f"One row per mixture component ({k} components), 8 samples each, drawn with seed = component."
        if shown < k:
            notes.append(f"the first {shown} of {k} components are shown")
    else:
        drawn = _np(model.sample(32, seed=0))
        rows = [("samples" if i == 0 else "", drawn[i: i + 8]) for i in range(0, 32, 8)]
        caption = "32 samples (seed 0)."
    if isinstance(model, RejectionMixin) and model.calibration_ is not None:
        rows.append(("rejection (DRS)", _np(model.sample(8, seed=0, rejection="drs"))))
        caption += " Last row: discriminator rejection sampling (seed 0)."
    path = figures.image_rows(rows, c.run_dir / "samples.png")
    labels = tuple(label for label, _ in rows if label)
    return Section("samples", "Samples", [Figure(path, caption, "rows: " + ", ".join(labels), labels)], notes)


# ---------------------------------------------------------------------------- latent space
def _full_covariances(cov: np.ndarray, kind: str, k: int, d: int) -> np.ndarray:
    """(k, d, d) covariances from scikit-learn's four storage forms."""
    if kind == "full":
        return cov
    if kind == "tied":
        return np.repeat(cov[None], k, 0)
    if kind == "diag":
        return np.einsum("kd,de->kde", cov, np.eye(d))
    return cov[:, None, None] * np.eye(d)  # spherical


def _mixture_parameters(gm) -> tuple[np.ndarray, np.ndarray]:
    means = _np(gm.means_).astype(np.float64)
    k, d = means.shape
    return means, _full_covariances(_np(gm.covariances_).astype(np.float64), gm.covariance_type, k, d)


def mixture_in_latent_space(model) -> tuple[np.ndarray, np.ndarray] | None:
    """(means (k, d), covariances (k, d, d)) of the Gaussian mixture in the model's code space:
    a LatentGMM's fitted mixture, or a Gaussian-mixture prior, or the one a DeepClustering
    clusters the codes with; None when there is none (or it lives in another space)."""
    from ..models import AutoEncoder, LatentGMM
    from ..priors import GaussianMixturePrior
    from ..tasks import DeepClustering

    if isinstance(model, DeepClustering):  # "manifold" fits its mixture on an embedding, not on the codes
        if model.clusterer_ == "mixture" and model.mixture_ is not None:
            return _mixture_parameters(model.mixture_)
        return mixture_in_latent_space(model.autoencoder_) if model.clusterer_ == "prior" else None
    if isinstance(model, LatentGMM):
        return _mixture_parameters(model.mixture_)
    prior = model.networks_["prior"] if isinstance(model, AutoEncoder) and "prior" in model.networks_ else None
    if not isinstance(prior, GaussianMixturePrior):
        return None
    means = _np(prior.means).astype(np.float64)
    scale = _np(prior.scale).astype(np.float64)
    if prior.covariance_type == "diag":
        return means, np.einsum("kd,de->kde", np.exp(scale), np.eye(means.shape[1]))  # scale: log-variances
    return means, scale @ scale.transpose(0, 2, 1)  # scale: Cholesky factors


def _encodes(model) -> bool:
    from ..models import AutoEncoder, LatentGMM
    from ..tasks import DeepClustering

    return isinstance(model, (AutoEncoder, LatentGMM, DeepClustering))


def latent_space(c: Context) -> Section | None:
    from ..models import ClusterMixin

    if not _encodes(c.model) or c.X is None:
        return None
    Z = _np(c.model.transform(c.X)).reshape(len(c.X), -1).astype(np.float64)
    d = Z.shape[1]
    mu = Z.mean(0)
    if d <= 2:
        W = np.eye(d, 2)
        labels, how = ("z 1", "z 2"), "the codes themselves (2-D or less)"
    else:
        _, S, Vt = np.linalg.svd(Z - mu, full_matrices=False)
        W = Vt[:2].T
        share = S**2 / (S**2).sum()
        labels = (f"PC 1 ({share[0]:.0%})", f"PC 2 ({share[1]:.0%})")
        how = f"their first two principal components ({share[:2].sum():.0%} of the variance of the {d}-d codes)"
    points = (Z - mu) @ W
    colourings = []
    if isinstance(c.model, ClusterMixin) and c.model.can_cluster():
        colourings.append(("coloured by cluster", _np(c.model.predict(c.X)).astype(int)))
    if c.y is not None:
        colourings.append(("coloured by label", c.y.astype(int)))
    mixture = mixture_in_latent_space(c.model)
    ellipses = None
    if mixture is not None:
        means, covs = mixture
        ellipses = ((means - mu) @ W, np.einsum("di,kde,ej->kij", W, covs, W))
    path = figures.latent_scatter(points, colourings or [("codes", None)], c.run_dir / "latent.png", labels, ellipses)
    caption = f"Codes of {len(c.X)} test rows, shown on {how}."
    if ellipses is not None:
        caption += (" Ellipses: 2-sigma contours of the mixture's components in the same projection (ellipse k,"
                    " in the colour of cluster k, is component k).")
    return Section("latent", "Latent space", [Figure(path, caption, "scatter plot of the codes in 2-D")])


# ---------------------------------------------------------------------------- detectors
def outlier_truth(y: np.ndarray | None, options: dict) -> np.ndarray | None:
    """True outliers (1) among the rows, where known: labels of 0/1 (1 = outlier), or, when the
    run's options name ``normal_classes`` (or ``normal_class``), every other class."""
    if y is None:
        return None
    normal = options.get("normal_classes", options.get("normal_class"))
    if normal is not None:
        return (~np.isin(y, np.atleast_1d(normal))).astype(int)
    return y.astype(int) if set(np.unique(y).tolist()) == {0, 1} else None


def score_section(folder: Path, scores: np.ndarray, threshold: float, truth: np.ndarray | None, facts: dict,
                  rows: str = "test rows", threshold_note: str = "set on the training data") -> Section:
    """The outlier-score section: the histogram of ``scores`` with the ``threshold`` (split into
    normal / outlier where ``truth`` is known) and the ROC curve where both kinds are present."""
    scores = np.asarray(scores, dtype=np.float64).ravel()
    section = Section("outliers", "Outlier scores")
    path = figures.score_histogram(scores, threshold, Path(folder) / "scores.png", truth)
    flagged = float((scores > threshold).mean())
    section.figures.append(Figure(path, f"Scores of {len(scores)} {rows}; {flagged:.1%} are above the threshold "
                                        f"{threshold:.4g} ({threshold_note}).", "histogram of outlier scores"))
    if truth is not None and 0 < truth.sum() < len(truth):
        path, auc = figures.roc_curve(scores, truth, Path(folder) / "roc.png")
        facts["roc_auc"] = auc
        section.figures.append(Figure(path, f"ROC curve against the known outliers: AUC {auc:.3f}.", "ROC curve"))
    else:
        section.notes.append("no outlier labels for these rows: no ROC curve")
    return section


def outliers(c: Context) -> Section | None:
    from ..models import OutlierMixin

    if not isinstance(c.model, OutlierMixin) or c.X is None:
        return None
    scores = _np(c.model.decision_function(c.X)).astype(np.float64).ravel()
    return score_section(c.run_dir, scores, float(c.model.threshold_), outlier_truth(c.y, c.options), c.facts)


# ---------------------------------------------------------------------------- clusters
def cluster_grid(c: Context) -> Section | None:
    """``clusters.png`` of a ``latentmix cluster`` run (each row: the training samples nearest one
    cluster's centre), when the run folder has it."""
    from ..tasks import DeepClustering

    path = c.run_dir / "clusters.png"
    if not isinstance(c.model, DeepClustering) or not path.is_file():
        return None
    caption = (f"Each row: the samples nearest one cluster's centre (row k = cluster k, "
               f"{c.model.n_clusters} clusters), from the rows the model was fitted on.")
    return Section("clusters", "Clusters", [Figure(path, caption, "one row of images per cluster")])


# ---------------------------------------------------------------------------- training
def _records(run_dir: Path) -> list[tuple[str, list[dict]]]:
    """(prefix, records) of the run's metrics.jsonl and those of the models it holds (one level down)."""
    found = []
    for path in [run_dir / "metrics.jsonl", *sorted(run_dir.glob("*/metrics.jsonl"))]:
        if not path.is_file():
            continue
        records = []
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by a killed run
                continue
            if isinstance(record, dict):
                records.append(record)
        prefix = "" if path.parent == run_dir else f"{path.parent.name}/"
        found.append((prefix, records))
    return found


def loss_curves(c: Context) -> Section | None:
    curves = {}
    for prefix, records in _records(c.run_dir):
        keys = dict.fromkeys(k for r in records for k in r if k.endswith("/loss") or k == "val_loss")
        for key in keys:
            points = [(r.get("step", i), r[key]) for i, r in enumerate(records)
                      if isinstance(r.get(key), (int, float))]
            if points:
                x, y = map(np.asarray, zip(*points, strict=True))
                curves[prefix + key] = (x, y)
    if not curves:
        return None
    path = figures.loss_curves(curves, c.run_dir / "losses.png")
    return Section("losses", "Training losses",
                   [Figure(path, "Each training phase's loss (from metrics.jsonl) against the training step.",
                           "loss curves: " + ", ".join(curves))])


def _flat(d: dict, prefix: str = "") -> dict:
    """Nested dicts flattened with '/' between the keys."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}/"))
        else:
            out[prefix + str(k)] = v
    return out


def metrics_rows(run_dir: Path, facts: dict) -> list[tuple[str, str, object]]:
    """(source, metric, value) rows: evaluation.json / metrics.json, the last line of each
    metrics.jsonl, and what the report itself measured on its rows."""
    rows = []
    for name in ("evaluation.json", "metrics.json"):  # latentmix evaluate; latentmix cluster / demo
        rows += [(name, k, v) for k, v in _flat(read_json(run_dir / name) or {}).items()
                 if k not in ("run", "model", "data")]
    for prefix, records in _records(run_dir):
        if records:
            rows += [(f"training, last record{' of ' + prefix.rstrip('/') if prefix else ''}", k, v)
                     for k, v in records[-1].items() if v is not None]
    rows += [("this report's test rows", k, v) for k, v in facts.items()]
    return rows


SECTION_BUILDERS = (reconstruction, denoising, samples, cluster_grid, latent_space, outliers, loss_curves)
