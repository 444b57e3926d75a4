"""k-means: k-means++ seeding and batched Lloyd iterations on device tensors.

Lloyd (1982), "Least squares quantization in PCM"; seeding by Arthur & Vassilvitskii (2007),
"k-means++: the advantages of careful seeding", in its greedy form (several candidates per step,
as scikit-learn does).
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import torch
from sklearn.base import ClusterMixin, TransformerMixin

from .._arrays import check_array
from .._estimator import TorchEstimator, make_generator
from .._linalg import addmm_padded
from .._validation import ArrayLike, InstanceOf, Interval, Options, RandomStateLike
from ..exceptions import DataError, InvalidParameterError

__all__ = ["KMeans", "kmeans_plusplus", "squared_distances", "assign"]


def squared_distances(X: torch.Tensor, centers: torch.Tensor) -> torch.Tensor:
    """||x_n - c_j||^2 for X (n, d) and centers (k, d) -> (n, k), clamped at 0."""
    d2 = (X * X).sum(1, keepdim=True) + addmm_padded((centers * centers).sum(1), X, -2.0 * centers.T)
    return d2.clamp_(min=0.0)


def assign(X: torch.Tensor, centers: torch.Tensor, chunk_size: int = 65536):
    """Nearest center of every row: labels (n,) int64 and squared distances (n,)."""
    labels = torch.empty(X.shape[0], dtype=torch.long, device=X.device)
    mind = torch.empty(X.shape[0], dtype=X.dtype, device=X.device)
    for start in range(0, X.shape[0], chunk_size):
        stop = start + chunk_size
        torch.min(squared_distances(X[start:stop], centers), dim=1, out=(mind[start:stop], labels[start:stop]))
    return labels, mind


def kmeans_plusplus(X, n_clusters: int, *, random_state=None, n_local_trials: int | None = None):
    """Greedy k-means++ seeding. Returns ``(centers, indices)`` like scikit-learn's function.

    X (n, d) -> centers (k, d) and the indices (k,) of the rows they were taken from.
    """
    kind = "torch" if isinstance(X, torch.Tensor) else "numpy"
    Xt = X if isinstance(X, torch.Tensor) else check_array(X)
    if not isinstance(n_clusters, Integral) or not 1 <= n_clusters <= Xt.shape[0]:
        raise InvalidParameterError(
            f"n_clusters must be an int in [1, n_samples={Xt.shape[0]}]; got {n_clusters!r}"
        )
    centers, indices = _kmeans_plusplus(Xt, int(n_clusters), make_generator(random_state), n_local_trials)
    if kind == "numpy":
        return centers.cpu().numpy(), indices.cpu().numpy()
    return centers, indices


def _kmeans_plusplus(X: torch.Tensor, k: int, gen: torch.Generator, n_local_trials: int | None):
    n = X.shape[0]
    trials = n_local_trials or 2 + int(math.log(k))
    indices = torch.empty(k, dtype=torch.long)
    indices[0] = torch.randint(n, (1,), generator=gen)
    closest = squared_distances(X, X[indices[:1].to(X.device)]).squeeze(1).double()  # (n,)
    potential = closest.sum()
    for c in range(1, k):
        draws = torch.rand(trials, generator=gen, dtype=torch.float64).to(X.device) * potential
        candidates = torch.searchsorted(closest.cumsum(0), draws).clamp_(max=n - 1)  # (trials,)
        cand_d2 = squared_distances(X, X[candidates]).T.double()  # (trials, n)
        cand_d2 = torch.minimum(cand_d2, closest)
        pots = cand_d2.sum(1)
        best = int(torch.argmin(pots))
        closest, potential = cand_d2[best], pots[best]
        indices[c] = candidates[best].cpu()
    return X[indices.to(X.device)].clone(), indices


def lloyd(X: torch.Tensor, centers: torch.Tensor, max_iter: int, tol: float):
    """Batched Lloyd iterations from ``centers``: returns centers, labels, inertia, n_iter.

    Empty clusters are moved to the points farthest from their centers (scikit-learn's rule).
    """
    k = centers.shape[0]
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007
        labels, mind = assign(X, centers)
        sums = torch.zeros_like(centers).index_add_(0, labels, X)  # (k, d)
        counts = torch.bincount(labels, minlength=k).to(X.dtype)
        empty = counts == 0
        if bool(empty.any()):
            far = torch.topk(mind, int(empty.sum())).indices
            sums[empty], counts[empty] = X[far], 1.0
        new_centers = sums / counts[:, None]
        shift = float(((new_centers - centers) ** 2).sum())
        centers = new_centers
        if shift <= tol:
            break
    labels, mind = assign(X, centers)
    return centers, labels, float(mind.double().sum()), n_iter


class KMeans(ClusterMixin, TransformerMixin, TorchEstimator):
    """k-means clustering with scikit-learn's API, on CPU or GPU.

    Parameters follow ``sklearn.cluster.KMeans``: ``n_clusters``, ``init`` ("k-means++",
    "random" or an (n_clusters, n_features) array), ``n_init`` ("auto": 1 for k-means++, 10 for
    random), ``max_iter``, ``tol`` (relative to the mean feature variance), ``random_state``;
    plus ``device`` and ``dtype``.

    Attributes: ``cluster_centers_`` (k, d), ``labels_`` (n,), ``inertia_``, ``n_iter_``,
    ``n_features_in_``.
    """

    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [Options({"k-means++", "random"}), ArrayLike()],
        "n_init": [Options({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": [RandomStateLike()],
        "device": [InstanceOf(str, torch.device)],
        "dtype": [Options({"float32", "float64"})],
        "verbose": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, n_clusters=8, *, init="k-means++", n_init="auto", max_iter=300, tol=1e-4,
                 random_state=None, device="auto", dtype="float32", verbose=0):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.device = device
        self.dtype = dtype
        self.verbose = verbose

    def fit(self, X, y=None):
        """Cluster X (n, d). Returns self."""
        self._validate_params()
        Xt, _, _ = self._input(X, reset=True, min_samples=1)
        if Xt.shape[0] < self.n_clusters:
            raise DataError(f"n_samples={Xt.shape[0]} should be >= n_clusters={self.n_clusters}.")
        gen = make_generator(self.random_state)
        tol = float(self.tol) * float(Xt.var(0, unbiased=False).mean()) if Xt.shape[0] > 1 else 0.0
        best = None
        for _ in range(self._n_init()):
            start = self._initial_centers(Xt, gen)
            result = lloyd(Xt, start, self.max_iter, tol)
            if best is None or result[2] < best[2]:
                best = result
        centers, labels, inertia, n_iter = best
        self.n_features_in_ = Xt.shape[1]
        self.cluster_centers_ = centers.cpu().numpy() if not isinstance(X, torch.Tensor) else centers
        self.labels_ = labels.cpu().numpy() if not isinstance(X, torch.Tensor) else labels
        self.inertia_, self.n_iter_ = inertia, n_iter
        self._centers = centers
        return self

    def _n_init(self) -> int:
        if self.n_init == "auto":
            return 1 if (isinstance(self.init, str) and self.init == "k-means++") else 10
        return 1 if not isinstance(self.init, str) else int(self.n_init)

    def _initial_centers(self, X: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        if not isinstance(self.init, str):
            centers = check_array(self.init, name="init", dtype=X.dtype, device=X.device)
            if tuple(centers.shape) != (self.n_clusters, X.shape[1]):
                raise DataError(f"init should have shape ({self.n_clusters}, {X.shape[1]}); "
                                f"got {tuple(centers.shape)}.")
            return centers
        if self.init == "random":
            idx = torch.randperm(X.shape[0], generator=gen)[: self.n_clusters]
            return X[idx.to(X.device)].clone()
        return _kmeans_plusplus(X, self.n_clusters, gen, None)[0]

    def _fitted_device(self):
        return self._centers.device

    def _fitted_dtype(self):
        return self._centers.dtype

    def predict(self, X):
        """Index of the nearest center for every row of X."""
        self._check_is_fitted()
        Xt, kind, dev = self._input(X, reset=False)
        return self._output(assign(Xt, self._centers)[0], kind, dev)

    def fit_predict(self, X, y=None):
        return self.fit(X).labels_

    def transform(self, X):
        """Euclidean distance of every row to every center: (n, k)."""
        self._check_is_fitted()
        Xt, kind, dev = self._input(X, reset=False)
        return self._output(squared_distances(Xt, self._centers).sqrt_(), kind, dev)

    def score(self, X, y=None):
        """Opposite of the inertia of X under the fitted centers."""
        self._check_is_fitted()
        Xt, _, _ = self._input(X, reset=False)
        return -float(assign(Xt, self._centers)[1].double().sum())

