"""Sample-quality metrics of generative models: distances between two feature arrays.

Every metric takes ``real`` ``(N, F)`` and ``fake`` ``(M, F)`` feature arrays (numpy or torch;
computed on the tensors' device, in float64 for the moment-based metrics and in the inputs'
precision, at least float32, for the k-NN ones). Features come from
:mod:`latentmix.metrics.features`; pass ``features="fashion-mnist"`` (a dataset name, a module or
a callable) to give ``(N, C, H, W)`` images instead. Compare models at equal sample counts: FD
and KID depend on N (Chong & Forsyth, 2020).

Pairwise distances are computed with ``torch.cdist`` in row chunks of bounded size: memory stays
O(chunk x N), never N x N, and no Python loop runs per sample.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch

from ..exceptions import DataError, InvalidParameterError

__all__ = ["feature_statistics", "frechet_distance_from_statistics", "frechet_distance", "kernel_distance",
           "precision_recall", "density_coverage", "one_nn_accuracy", "classifier_score",
           "nearest_training_images", "evaluate_samples"]

#: Largest distance block (rows x columns) held in memory at once.
_CHUNK_ELEMENTS = 1 << 22


# ----------------------------------------------------------------------------- input checks

def _tensor(x, name: str) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach()
    try:
        arr = np.asarray(x)
        if arr.dtype == object:
            raise TypeError
        return torch.as_tensor(arr)
    except (TypeError, ValueError) as err:
        raise DataError(f"{name} must be a numeric array or tensor; got {type(x).__name__}") from err


def _features(x, name: str, *, min_rows: int = 2, why: str = "", flatten: bool = False) -> torch.Tensor:
    """``x`` as a finite 2-D float tensor (float64 stays float64, anything else float32)."""
    t = _tensor(x, name)
    if flatten and t.ndim > 2:
        t = t.reshape(t.shape[0], -1)
    if t.ndim != 2:
        hint = "; pass features=... (e.g. 'fashion-mnist') to compare images" if t.ndim in (3, 4) else ""
        raise DataError(f"{name} must be a 2-D (N, F) feature array; got shape {tuple(t.shape)}{hint}")
    if t.shape[1] == 0:
        raise DataError(f"{name} has no feature columns")
    if t.shape[0] < min_rows:
        raise DataError(f"{name} has {t.shape[0]} rows; at least {min_rows} are needed{why}")
    t = t.double() if t.dtype == torch.float64 else t.float()
    if not bool(torch.isfinite(t).all()):
        raise DataError(f"{name} contains NaN or infinity")
    return t


def _pair(real, fake, *, min_rows: int = 2, why: str = "", flatten: bool = False):
    r = _features(real, "real", min_rows=min_rows, why=why, flatten=flatten)
    f = _features(fake, "fake", min_rows=min_rows, why=why, flatten=flatten)
    if r.shape[1] != f.shape[1]:
        raise DataError(f"real and fake have different feature widths: {r.shape[1]} vs {f.shape[1]}")
    dtype = torch.float64 if torch.float64 in (r.dtype, f.dtype) else torch.float32
    return r.to(dtype), f.to(device=r.device, dtype=dtype)


def _check_k(k, name: str = "k") -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InvalidParameterError(f"{name} must be an int >= 1; got {k!r}")
    return int(k)


def _extract(real, fake, features, device, batch_size):
    """Images -> features with ``features`` (None: the inputs already are features)."""
    if features is None:
        return real, fake
    from .features import get_feature_extractor

    fx = get_feature_extractor(features, device=device, batch_size=batch_size)
    return fx.features(real), fx.features(fake)


def _row_chunks(n_rows: int, n_cols: int):
    step = max(1, _CHUNK_ELEMENTS // max(n_cols, 1))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def _knn_distances(x: torch.Tensor, k: int) -> torch.Tensor:
    """``(N, F) -> (N, k)``: sorted distances of each row to its ``k`` nearest *other* rows."""
    out = torch.empty(len(x), k, dtype=x.dtype, device=x.device)
    for rows in _row_chunks(len(x), len(x)):
        d = torch.cdist(x[rows], x)
        local = torch.arange(rows.stop - rows.start, device=x.device)
        d[local, local + rows.start] = math.inf
        out[rows] = d.topk(k, dim=1, largest=False).values
    return out


def _manifold_pass(real, fake, r_real_pr=None, r_fake_pr=None, r_real_dc=None) -> dict:
    """One chunked pass over the fake x real distances, ``d[j, i] = ||fake_j - real_i||``.

    ``r_*``: k-NN radii ``(N,)`` of the real / ``(M,)`` of the fake samples (None skips the
    statistics that need them). Returns precision, recall, density, coverage as floats.
    """
    n, m = len(real), len(fake)
    in_real = torch.zeros(m, dtype=torch.bool, device=real.device)      # fake_j inside a real ball
    in_fake = torch.zeros(n, dtype=torch.bool, device=real.device)      # real_i inside a fake ball
    covered = torch.zeros(n, dtype=torch.bool, device=real.device)      # real ball i holds a fake
    density_hits = torch.zeros((), dtype=torch.float64, device=real.device)
    for rows in _row_chunks(m, n):
        d = torch.cdist(fake[rows], real)
        if r_real_pr is not None:
            in_real[rows] = (d <= r_real_pr[None, :]).any(1)
        if r_fake_pr is not None:
            in_fake |= (d <= r_fake_pr[rows, None]).any(0)
        if r_real_dc is not None:
            hits = d <= r_real_dc[None, :]
            density_hits += hits.sum(dtype=torch.float64)
            covered |= hits.any(0)
    out = {}
    if r_real_pr is not None:
        out["precision"] = float(in_real.double().mean())
    if r_fake_pr is not None:
        out["recall"] = float(in_fake.double().mean())
    if r_real_dc is not None:
        out["density_hits"] = float(density_hits)
        out["coverage"] = float(covered.double().mean())
    return out


# ----------------------------------------------------------------------------- Frechet distance

def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """``(N, F) -> (mu (F,), sigma (F, F))``: mean and unbiased covariance, float64 numpy."""
    x = _features(features, "features").double()
    mu = x.mean(0)
    xc = x - mu
    sigma = xc.T @ xc / (len(x) - 1)
    return mu.cpu().numpy(), sigma.cpu().numpy()


def _sqrt_psd(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance_from_statistics(mu1, sigma1, mu2, sigma2) -> float:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2) (Heusel et al., 2017, FID)::

        ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2))

    ``mu*``: ``(F,)``, ``sigma*``: ``(F, F)`` symmetric PSD. Computed in float64 without complex
    numbers: tr((S1 S2)^(1/2)) = tr((S1^(1/2) S2 S1^(1/2))^(1/2)) = sum of the square roots of the
    (clipped) eigenvalues of the symmetric PSD matrix S1^(1/2) S2 S1^(1/2).
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != mu1.shape * 2:
        raise DataError(f"statistics have mismatched shapes: mu {mu1.shape} vs {mu2.shape}, "
                        f"sigma {s1.shape} vs {s2.shape}")
    root = _sqrt_psd(s1)
    middle = root @ s2 @ root
    tr_covmean = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    fd = float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)
    return max(fd, 0.0)


def frechet_distance(real, fake, *, features=None, device=None, batch_size: int = 500) -> float:
    """Frechet distance between Gaussians fitted to ``real`` ``(N, F)`` and ``fake`` ``(M, F)``
    features (Heusel et al., 2017: FID, with our classifier's features instead of Inception's).

    With ``features`` (a dataset name, module or callable), ``real``/``fake`` are ``(N, C, H, W)``
    images and their features are extracted first. 0 for identical distributions; biased
    upwards at small N (use the same N when comparing, ideally N >> F).
    """
    real, fake = _extract(real, fake, features, device, batch_size)
    r, f = _pair(real, fake)
    if min(len(r), len(f)) <= r.shape[1]:
        warnings.warn(f"only {min(len(r), len(f))} samples for {r.shape[1]} features: the covariances are "
                      "singular and the Frechet distance is strongly biased; use more samples", UserWarning,
                      stacklevel=2)
    return frechet_distance_from_statistics(*feature_statistics(r), *feature_statistics(f))


# ----------------------------------------------------------------------------- kernel distance

def kernel_distance(real, fake, *, n_subsets: int = 100, subset_size: int = 1000, seed: int = 0,
                    features=None, device=None, batch_size: int = 500) -> tuple[float, float]:
    """Kernel Inception Distance (Bińkowski et al., 2018): the unbiased MMD^2 estimate with the
    cubic polynomial kernel k(x, y) = (x.y / F + 1)^3 on ``n_subsets`` random subsets of
    ``min(subset_size, N, M)`` rows drawn without replacement from ``real`` ``(N, F)`` and
    ``fake`` ``(M, F)``. Returns ``(mean, std)`` over the subsets; the mean is ~0 (and may be
    slightly negative) for identical distributions.
    """
    n_subsets, subset_size = _check_k(n_subsets, "n_subsets"), _check_k(subset_size, "subset_size")
    real, fake = _extract(real, fake, features, device, batch_size)
    r, f = _pair(real, fake)
    r, f = r.double(), f.double()
    m = min(subset_size, len(r), len(f))
    if m < 2:
        raise InvalidParameterError(f"subset_size must be >= 2; got {subset_size}")
    rng = np.random.default_rng(seed)
    width = r.shape[1]
    values = np.empty(n_subsets)
    for s in range(n_subsets):  # one loop step per subset (each an m x m kernel block)
        x = r[torch.as_tensor(rng.choice(len(r), m, replace=False), device=r.device)]
        y = f[torch.as_tensor(rng.choice(len(f), m, replace=False), device=f.device)]
        kxx, kyy, kxy = ((a @ b.T / width + 1) ** 3 for a, b in ((x, x), (y, y), (x, y)))
        same = (kxx.sum() - kxx.diagonal().sum() + kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
        values[s] = float(same - 2 * kxy.mean())
    return float(values.mean()), float(values.std())


# ----------------------------------------------------------------------------- k-NN manifolds

def precision_recall(real, fake, k: int = 3, *, features=None, device=None,
                     batch_size: int = 500) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al., 2019) of ``fake`` ``(M, F)`` against
    ``real`` ``(N, F)``: each set's manifold is the union of balls around its points with
    radius the distance to the point's ``k``-th nearest neighbour in its own set. Precision =
    fraction of fake points inside the real manifold (fidelity); recall = fraction of real
    points inside the fake manifold (diversity). Returns ``(precision, recall)`` in [0, 1].
    """
    k = _check_k(k)
    real, fake = _extract(real, fake, features, device, batch_size)
    r, f = _pair(real, fake, min_rows=k + 1, why=f" for k={k} nearest neighbours")
    out = _manifold_pass(r, f, r_real_pr=_knn_distances(r, k)[:, -1], r_fake_pr=_knn_distances(f, k)[:, -1])
    return out["precision"], out["recall"]


def density_coverage(real, fake, k: int = 5, *, features=None, device=None,
                     batch_size: int = 500) -> tuple[float, float]:
    """Density and coverage (Naeem et al., 2020) of ``fake`` ``(M, F)`` against ``real``
    ``(N, F)``, with balls of radius the ``k``-NN distance around the real points only::

        density  = 1 / (k M) sum_j sum_i 1[fake_j in B(real_i)]   (~1 for identical distributions)
        coverage = 1 / N     sum_i 1[some fake_j in B(real_i)]     (in [0, 1])

    Returns ``(density, coverage)``; density is unbounded above (fakes crowding dense regions).
    """
    k = _check_k(k)
    real, fake = _extract(real, fake, features, device, batch_size)
    r, f = _pair(real, fake, min_rows=1, why=f" for k={k} nearest neighbours")
    if len(r) <= k:
        raise DataError(f"real has {len(r)} rows; at least {k + 1} are needed for k={k} nearest neighbours")
    out = _manifold_pass(r, f, r_real_dc=_knn_distances(r, k)[:, -1])
    return out["density_hits"] / (k * len(f)), out["coverage"]


def one_nn_accuracy(real, fake, *, features=None, device=None, batch_size: int = 500) -> float:
    """Leave-one-out 1-nearest-neighbour two-sample test (Lopez-Paz & Oquab, 2017; Xu et al.,
    2018): pool ``real`` ``(N, F)`` and ``fake`` ``(M, F)``, label each point by the set of its
    nearest other point, and return the accuracy. 0.5: indistinguishable; 1.0: fully
    separable; well below 0.5: the fakes copy the real points (memorisation).
    """
    real, fake = _extract(real, fake, features, device, batch_size)
    r, f = _pair(real, fake)
    z = torch.cat([r, f])
    is_real = torch.arange(len(z), device=z.device) < len(r)
    correct = 0
    for rows in _row_chunks(len(z), len(z)):
        d = torch.cdist(z[rows], z)
        local = torch.arange(rows.stop - rows.start, device=z.device)
        d[local, local + rows.start] = math.inf
        correct += int((is_real[d.argmin(1)] == is_real[rows]).sum())
    return correct / len(z)


# ----------------------------------------------------------------------------- classifier score

def classifier_score(probabilities) -> float:
    """Inception Score formula exp(E_x KL(p(y|x) || p(y))) (Salimans et al., 2016) on class
    probabilities ``(N, n_classes)`` from our classifier. Between 1 (every sample gets the same
    prediction) and ``n_classes`` (confident predictions spread evenly over the classes).
    """
    p = _features(probabilities, "probabilities", min_rows=1).double()
    if bool((p < 0).any()) or not bool(torch.allclose(p.sum(1), torch.ones(len(p), dtype=p.dtype), atol=1e-3)):
        raise DataError("probabilities must be non-negative with rows summing to 1 (apply softmax to logits)")
    marginal = p.mean(0, keepdim=True)
    kl = (torch.xlogy(p, p) - torch.xlogy(p, marginal.expand_as(p))).sum(1)
    return float(torch.exp(kl.mean()))


# ----------------------------------------------------------------------------- memorisation

def nearest_training_images(samples, train, k: int = 1, *, features=None, device=None, batch_size: int = 500):
    """Memorisation check: the ``k`` training images nearest (Euclidean) to each sample.

    ``samples`` ``(M, ...)`` and ``train`` ``(N, ...)`` are compared flattened (pixel space), or
    in feature space when ``features`` is given (then they are images for that extractor).
    Returns ``(indices (M, k) int64, distances (M, k))``, nearest first, numpy or torch like
    ``samples``. Candidates are ranked with ``torch.cdist`` in chunks, then the best ``k + 4``
    are re-measured exactly in float64, so an exact copy of train[i] gives i at distance 0.
    """
    k = _check_k(k)
    as_numpy = not isinstance(samples, torch.Tensor)
    out_device = samples.device if isinstance(samples, torch.Tensor) else None
    samples, train = _extract(samples, train, features, device, batch_size)
    s = _features(samples, "samples", min_rows=1, flatten=True)
    t = _features(train, "train", min_rows=k, why=f" for k={k}", flatten=True).to(s.device)
    if s.shape[1] != t.shape[1]:
        raise DataError(f"samples and train have different sizes per image: {s.shape[1]} vs {t.shape[1]}")
    n_cand = min(k + 4, len(t))
    rows_cap = max(1, _CHUNK_ELEMENTS // (n_cand * t.shape[1]))
    indices = torch.empty(len(s), k, dtype=torch.int64, device=s.device)
    distances = torch.empty(len(s), k, dtype=torch.float64, device=s.device)
    t64, t = t.double(), t.to(s.dtype)
    for rows in _row_chunks(len(s), len(t)):
        for start in range(rows.start, rows.stop, rows_cap):
            sub = slice(start, min(start + rows_cap, rows.stop))
            cand = torch.cdist(s[sub], t).topk(n_cand, dim=1, largest=False).indices
            exact = (s[sub].double()[:, None, :] - t64[cand]).pow(2).sum(-1).sqrt()
            best, order = exact.topk(k, dim=1, largest=False)
            indices[sub], distances[sub] = cand.gather(1, order), best
    if as_numpy:
        return indices.cpu().numpy(), distances.cpu().numpy()
    return indices.to(out_device), distances.to(out_device)


# ----------------------------------------------------------------------------- all at once

def evaluate_samples(real_images, fake_images, features="fashion-mnist", *, k_pr: int = 3, k_dc: int = 5,
                     kid_subsets: int = 100, kid_subset_size: int = 1000, seed: int = 0, device=None,
                     batch_size: int = 500) -> dict:
    """All generation metrics of ``fake_images`` against ``real_images`` in one call.

    ``features``: the feature extractor (a dataset name, a module or a callable; see
    :func:`latentmix.metrics.features.get_feature_extractor`), or None when both inputs already
    are ``(N, F)`` features (then there is no classifier score). Compare at equal sample counts
    (e.g. 10k samples vs the 10k test split); a warning says when they differ by more than 10%.

    Returns a JSON-ready dict: ``frechet_distance``, ``kid_mean``, ``kid_std``, ``precision``,
    ``recall`` (k=``k_pr``), ``density``, ``coverage`` (k=``k_dc``), ``one_nn_accuracy``,
    ``classifier_score`` and ``classifier_score_real`` (None without class probabilities),
    ``n_real``, ``n_fake``, ``features``.
    """
    k_pr, k_dc = _check_k(k_pr, "k_pr"), _check_k(k_dc, "k_dc")
    probs_real = probs_fake = None
    name = None
    if features is not None:
        from .features import get_feature_extractor

        fx = get_feature_extractor(features, device=device, batch_size=batch_size)
        real_images, probs_real = fx.features_and_probabilities(real_images)
        fake_images, probs_fake = fx.features_and_probabilities(fake_images)
        name = fx.name
    r, f = _pair(real_images, fake_images, min_rows=max(k_pr, k_dc) + 1,
                 why=f" for k_pr={k_pr} and k_dc={k_dc} nearest neighbours")
    n, m = len(r), len(f)
    if abs(n - m) > 0.1 * max(n, m):
        warnings.warn(f"comparing {n} real with {m} fake samples: FD, KID and the k-NN metrics depend on "
                      "the sample count; use equal counts", UserWarning, stacklevel=2)
    kid_mean, kid_std = kernel_distance(r, f, n_subsets=kid_subsets, subset_size=kid_subset_size, seed=seed)
    real_knn = _knn_distances(r, max(k_pr, k_dc))
    manifold = _manifold_pass(r, f, r_real_pr=real_knn[:, k_pr - 1], r_fake_pr=_knn_distances(f, k_pr)[:, -1],
                              r_real_dc=real_knn[:, k_dc - 1])
    return {
        "frechet_distance": frechet_distance(r, f),
        "kid_mean": kid_mean,
        "kid_std": kid_std,
        "precision": manifold["precision"],
        "recall": manifold["recall"],
        "density": manifold["density_hits"] / (k_dc * m),
        "coverage": manifold["coverage"],
        "one_nn_accuracy": one_nn_accuracy(r, f),
        "classifier_score": None if probs_fake is None else classifier_score(probs_fake),
        "classifier_score_real": None if probs_real is None else classifier_score(probs_real),
        "n_real": n,
        "n_fake": m,
        "features": name,
    }
