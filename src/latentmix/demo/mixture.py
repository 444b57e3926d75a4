"""latentmix's GaussianMixture against scikit-learn's, both started from the same initial
parameters (weights, means and precisions of one k-means partition) with the same settings, on
the same float64 rows: the same fit (lower bound, labels) and the time of each."""

from __future__ import annotations

import numpy as np

from .._arrays import resolve_device
from ..exceptions import InvalidParameterError
from ._common import WIDE, check_step, flat, pca_projection, quiet_warnings, timer
from .clustering import PIXEL_REG_COVAR
from .results import Headline, Outcome

__all__ = ["compare_mixtures", "initial_parameters"]

SAME_BOUND = 1e-6  # |lower bound difference| up to this (nats per sample) is the same fit


def initial_parameters(X: np.ndarray, k: int, reg_covar: float, seed: int):
    """(weights (k,), means (k, d), precisions (k, d, d)) of a full-covariance mixture from one
    k-means partition of X (N, d), as scikit-learn's ``init_params="kmeans"`` derives them."""
    from sklearn.cluster import KMeans

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) < k or k < 1:
        raise InvalidParameterError(f"initial_parameters needs a 2-D array with at least k={k} rows; "
                                    f"got shape {X.shape}")
    labels = KMeans(k, n_init=1, random_state=seed).fit(X).labels_
    resp = np.eye(k)[labels]
    nk = resp.sum(0) + 10 * np.finfo(np.float64).eps
    means = resp.T @ X / nk[:, None]
    precisions = np.empty((k, X.shape[1], X.shape[1]))
    for j in range(k):
        diff = X - means[j]
        cov = (resp[:, j, None] * diff).T @ diff / nk[j] + reg_covar * np.eye(X.shape[1])
        precisions[j] = np.linalg.inv(cov)
    return nk / len(X), means, precisions


def compare_mixtures(data, *, seed: int, device: str, say, repeats: int | None = None) -> Outcome:
    """Fit both from the same start ``repeats`` times each (alternating; default 3, 1 above 10,000
    rows), keep each one's best time."""
    import torch
    from sklearn.mixture import GaussianMixture as SkGaussianMixture
    from threadpoolctl import threadpool_limits

    from ..mixture import GaussianMixture

    check_step(data, seed, say)
    X = flat(data.X_train)
    rows = "pixels"
    if X.shape[1] > WIDE:
        X, rows = pca_projection(X)(X), "50 principal components of the pixels"
    k = data.n_classes
    if repeats is None:
        repeats = 3 if len(X) <= 10_000 else 1
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise InvalidParameterError(f"repeats must be a positive int; got {repeats!r}")
    weights, means, precisions = initial_parameters(X, k, PIXEL_REG_COVAR, seed)
    common = dict(covariance_type="full", reg_covar=PIXEL_REG_COVAR, tol=1e-3, max_iter=100, weights_init=weights,
                  means_init=means, precisions_init=precisions)
    makers = {"latentmix": lambda: GaussianMixture(k, device=device, **common),
              "scikit-learn": lambda: SkGaussianMixture(k, **common)}
    times: dict[str, list[float]] = {name: [] for name in makers}
    fitted = {}
    threads = torch.get_num_threads()  # scikit-learn's BLAS gets as many threads as torch has
    with quiet_warnings(), threadpool_limits(limits=threads):
        for make in makers.values():  # untimed warm-up (imports, torch's first calls)
            make().fit(X[: max(k * 5, 50)])
        for _ in range(repeats):
            for name, make in makers.items():
                with timer() as t:
                    fitted[name] = make().fit(X)
                times[name].append(t())
    ours, theirs = fitted["latentmix"], fitted["scikit-learn"]
    bound_diff = abs(float(ours.lower_bound_) - float(theirs.lower_bound_))
    agree = float((np.asarray(ours.predict(X)) == theirs.predict(X)).mean())
    mean_diff = float(np.abs(np.asarray(ours.means_, dtype=np.float64) - theirs.means_).max())
    t_ours, t_theirs = min(times["latentmix"]), min(times["scikit-learn"])
    metrics_out = {
        "rows": len(X), "dimensions": int(X.shape[1]), "n_components": k, "input": rows,
        "device": str(resolve_device(device)),
        "lower_bound": {"latentmix": float(ours.lower_bound_), "scikit-learn": float(theirs.lower_bound_)},
        "max_abs_lower_bound_difference": bound_diff, "label_agreement": agree, "max_abs_mean_difference": mean_diff,
        "n_iter": {"latentmix": int(ours.n_iter_), "scikit-learn": int(theirs.n_iter_)},
        "seconds": {"latentmix": t_ours, "scikit-learn": t_theirs}, "speedup": t_theirs / t_ours,
        "settings": {"covariance_type": "full", "reg_covar": PIXEL_REG_COVAR, "tol": 1e-3, "max_iter": 100,
                     "init": "weights_init/means_init/precisions_init from one k-means partition (seed "
                             f"{seed}), passed to both", "timing": f"best of {repeats}", "threads": threads},
    }
    same = bound_diff <= SAME_BOUND and agree >= 0.999
    fit_verdict = "same fit" if same else "fits differ"
    speed = t_theirs / t_ours
    time_verdict = (f"latentmix {speed:.1f}x faster" if speed >= 1.1 else
                    f"scikit-learn {1 / speed:.1f}x faster" if speed <= 1 / 1.1 else "same speed (within 10%)")
    headlines = [
        Headline(f"GaussianMixture, same init as sklearn ({len(X):,}x{X.shape[1]})",
                 f"bound {float(ours.lower_bound_):.4f}", f"bound {float(theirs.lower_bound_):.4f}",
                 f"{fit_verdict} (bound diff {bound_diff:.0e}, {agree:.0%} same labels)"),
        Headline("GaussianMixture fit time", f"{t_ours * 1e3:.0f} ms ({ours.n_iter_} it)",
                 f"{t_theirs * 1e3:.0f} ms ({theirs.n_iter_} it)", time_verdict),
    ]
    outcome = Outcome("mixture", "GaussianMixture: latentmix vs scikit-learn from the same start", metrics_out,
                      headlines)
    outcome.notes.append(
        f"both get the same weights_init, means_init and precisions_init (one k-means partition) and "
        f"covariance_type='full', reg_covar={PIXEL_REG_COVAR}, tol=1e-3 on the same float64 {rows} of the training "
        f"rows; times are the best of {repeats} fits each, both on {threads} thread(s). At this size "
        "torch's per-call overhead weighs; "
        "latentmix's speed-up grows with N (benchmarks/RESULTS.md: 3.7-7.4x at N=60,000, D=50)")
    say(f"  lower bounds {float(ours.lower_bound_):.6f} vs {float(theirs.lower_bound_):.6f}, labels {agree:.1%} "
        f"equal; {t_ours * 1e3:.0f} ms vs {t_theirs * 1e3:.0f} ms")
    return outcome
