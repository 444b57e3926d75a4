"""What every latentmix estimator shares: scikit-learn's BaseEstimator (constructor = config,
``get_params``/``set_params``), declared parameter checking, device/dtype resolution, input
conversion (numpy in -> numpy out, torch in -> torch out) and seeding."""

from __future__ import annotations

import secrets
from numbers import Integral
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator

from ._arrays import check_array, input_kind, resolve_device, resolve_dtype, to_output
from ._validation import validate_params_of
from .exceptions import InvalidParameterError, NotFittedError

__all__ = ["TorchEstimator", "make_generator"]


def make_generator(random_state: Any) -> torch.Generator:
    """A CPU ``torch.Generator`` from scikit-learn's ``random_state`` conventions
    (None, an int, a ``np.random.RandomState`` or a ``np.random.Generator``)."""
    if random_state is None:
        seed = secrets.randbits(63)
    elif isinstance(random_state, Integral) and not isinstance(random_state, bool):
        seed = int(random_state)
    elif isinstance(random_state, np.random.RandomState):
        seed = int(random_state.randint(np.iinfo(np.int32).max))
    elif isinstance(random_state, np.random.Generator):
        seed = int(random_state.integers(np.iinfo(np.int64).max))
    else:
        raise InvalidParameterError(
            f"random_state must be None, an int, a numpy RandomState or Generator; got {random_state!r}"
        )
    return torch.Generator().manual_seed(seed)


class TorchEstimator(BaseEstimator):
    """Base of latentmix's tensor estimators. Subclasses declare ``_parameter_constraints``."""

    _parameter_constraints: dict = {}
    _fitted_attribute = "n_features_in_"

    def _validate_params(self) -> None:
        validate_params_of(self)
        self._device = resolve_device(getattr(self, "device", "cpu"))
        self._dtype = resolve_dtype(getattr(self, "dtype", "float32"))

    def _check_is_fitted(self) -> None:
        if not hasattr(self, self._fitted_attribute):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    def _input(self, X: Any, *, reset: bool, min_samples: int = 1) -> tuple[torch.Tensor, str, Any]:
        """Validate X; returns (tensor on the model's device, "numpy"/"torch", input device)."""
        n_features = None if reset else self.n_features_in_
        device = self._device if reset else self._fitted_device()
        t = check_array(X, dtype=self._dtype if reset else self._fitted_dtype(), device=device,
                        n_features=n_features, min_samples=min_samples, owner=type(self).__name__)
        return t, input_kind(X), X.device if isinstance(X, torch.Tensor) else None

    def _fitted_device(self) -> torch.device:
        return self._device

    def _fitted_dtype(self) -> torch.dtype:
        return self._dtype

    @staticmethod
    def _output(t: torch.Tensor, kind: str, device: Any) -> Any:
        return to_output(t, kind, device)

    # ------------------------------------------------------------------ persistence hooks
    def _saved_children(self) -> dict:
        """Fitted sub-models saved in sub-folders of this model's run folder (composites)."""
        return {}

    def _attach_children(self, children: dict) -> None:
        """Receive the loaded sub-models (before ``_load_fitted``)."""
        if children:
            raise NotImplementedError(f"{type(self).__name__} has no sub-models")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
