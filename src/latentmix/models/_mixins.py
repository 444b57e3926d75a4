"""What a model can do, declared by small mixins that the CLI, the report and the common tests
iterate over (``isinstance(model, GenerativeMixin)``), instead of ``hasattr`` guesses.

- :class:`GenerativeMixin`: ``sample(n, *, seed=None, component=None)`` with one validation and
  one output rule (numpy if the model was fitted on numpy, else a tensor).
- :class:`ClusterMixin`: ``predict`` / ``predict_proba`` / ``fit_predict``, scikit-learn's
  clusterer API (``can_cluster()`` says whether this instance's configuration clusters, e.g.
  a VAE only with a mixture prior).
- :class:`OutlierMixin`: PyOD's conventions (``contamination``, ``decision_scores_``,
  ``threshold_``, ``labels_``, ``decision_function`` higher = more abnormal, ``predict``
  1 = outlier).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch

from .._arrays import to_output
from ..exceptions import InvalidParameterError

__all__ = ["GenerativeMixin", "ClusterMixin", "OutlierMixin", "check_seed"]


def check_seed(seed) -> torch.Generator | None:
    """A CPU generator seeded with ``seed`` (None: the global RNG)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise InvalidParameterError(f"seed must be None or an int >= 0; got {seed!r}")
    return torch.Generator().manual_seed(int(seed))


class GenerativeMixin:
    """A model that generates samples. Subclasses implement ``_generate(n, generator,
    component, **options) -> tensor (n, *input_shape)`` and, for models whose samples come from
    mixture components, ``_n_generation_components() -> int``."""

    def _n_generation_components(self) -> int | None:
        return None

    def sample(self, n_samples: int = 64, *, seed: int | None = None, component: int | None = None, **options):
        """``n_samples`` generated samples (n, *input_shape): numpy if the model was fitted on
        numpy, else a tensor. ``seed`` makes the draw reproducible; ``component=k`` draws from
        mixture component k only (models with a mixture prior or latent mixture)."""
        self._check_is_fitted()
        if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
            raise InvalidParameterError(f"n_samples must be a positive int; got {n_samples!r}")
        generator = check_seed(seed)
        if component is not None:
            k = self._n_generation_components()
            if k is None:
                raise InvalidParameterError(f"component= needs a model whose samples come from mixture components; "
                                            f"this {type(self).__name__} has none")
            if isinstance(component, bool) or not isinstance(component, Integral) or not 0 <= component < k:
                raise InvalidParameterError(f"component must be an int in [0, {k - 1}]; got {component!r}")
            component = int(component)
        out = self._generate(int(n_samples), generator, component, **options)
        return to_output(out, getattr(self, "output_kind_", "torch"))

    def _generate(self, n: int, generator, component, **options) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError


class ClusterMixin:
    """A model that assigns samples to clusters. Subclasses implement ``_cluster_log_proba(x)``
    ((B, ...) tensor -> (B, k) log-probabilities) and may override :meth:`can_cluster`."""

    def can_cluster(self) -> bool:
        return True

    def _require_clusters(self) -> None:
        self._check_is_fitted()
        if not self.can_cluster():
            raise InvalidParameterError(f"this {type(self).__name__} does not cluster: {self._why_no_clusters()}")

    def _why_no_clusters(self) -> str:
        return "its configuration has no clusters"

    def predict_proba(self, X):
        """Probability of each cluster for every sample: (N, k)."""
        self._require_clusters()
        return self._batched(X, lambda x: self._cluster_log_proba(x).softmax(1))

    def predict(self, X):
        """The most probable cluster of every sample: (N,) int64."""
        self._require_clusters()
        return self._batched(X, lambda x: self._cluster_log_proba(x).argmax(1))

    def fit_predict(self, X, y=None, **fit_params):
        """``fit(X)`` then the clusters of X (the training data)."""
        return self.fit(X, **fit_params).predict(X)


class OutlierMixin:
    """PyOD's detector conventions. Subclasses implement ``decision_function(X)`` (higher = more
    abnormal) and call :meth:`_set_threshold` with the training scores at the end of ``fit``."""

    def _set_threshold(self, scores) -> None:
        """``decision_scores_``, ``threshold_`` (the (1 - contamination) quantile of the training
        scores) and ``labels_`` (1 = outlier), as PyOD sets them."""
        contamination = float(self.contamination)
        if not 0 < contamination <= 0.5:
            raise InvalidParameterError(f"contamination must be in (0, 0.5]; got {self.contamination!r}")
        s = np.asarray(torch.as_tensor(scores).double().cpu()) if isinstance(scores, torch.Tensor) \
            else np.asarray(scores, dtype=np.float64)
        self.decision_scores_ = s
        self.threshold_ = float(np.percentile(s, 100 * (1 - contamination)))
        self.labels_ = (s > self.threshold_).astype(int)

    def predict(self, X):
        """1 for outliers (score above ``threshold_``), 0 for inliers: (N,)."""
        scores = self.decision_function(X)
        out = scores > self.threshold_
        return out.long() if isinstance(out, torch.Tensor) else out.astype(int)
