"""Turning user input into device tensors, and results back into what the user gave.

numpy in -> numpy out; torch in -> torch out on the input's device.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import torch

from .exceptions import DataError, DataTypeError, InvalidParameterError

__all__ = ["resolve_device", "resolve_dtype", "check_array", "to_output", "input_kind"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _is_sparse(X) -> bool:
    """Whether X is a scipy sparse matrix/array, without importing scipy (0.7 s): such an object
    can only exist once ``scipy.sparse`` is imported."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and sparse.issparse(X)


def resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when present, else CPU. An unavailable device is a parameter error."""
    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str):
        if device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            dev = torch.device(device)
        except RuntimeError as exc:
            raise InvalidParameterError(
                f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {device!r}"
            ) from exc
    else:
        raise InvalidParameterError(f"device must be a str or torch.device; got {type(device).__name__}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidParameterError(f"device={str(device)!r} was asked for but CUDA is not available; "
                                    "use device='auto' or 'cpu'")
    return dev


def resolve_dtype(dtype: Any) -> torch.dtype:
    """Accept "float32"/"float64", torch or numpy float dtypes."""
    if isinstance(dtype, torch.dtype) and dtype in (torch.float32, torch.float64):
        return dtype
    if isinstance(dtype, str) and dtype in _DTYPES:
        return _DTYPES[dtype]
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name in _DTYPES:
        return _DTYPES[name]
    raise InvalidParameterError(f"dtype must be 'float32' or 'float64'; got {dtype!r}")


def input_kind(X: Any) -> str:
    """"torch" for tensors, "numpy" for everything else (lists come back as numpy)."""
    return "torch" if isinstance(X, torch.Tensor) else "numpy"


def check_array(
    X: Any,
    *,
    name: str = "X",
    dtype: torch.dtype = torch.float32,
    device: torch.device | None = None,
    ndim: int = 2,
    min_samples: int = 1,
    n_features: int | None = None,
    owner: str = "the estimator",
) -> torch.Tensor:
    """Validate ``X`` and return it as a contiguous ``dtype`` tensor on ``device``.

    Raises :class:`DataError` naming the problem: wrong number of dimensions, too few samples,
    wrong number of features, non-numeric values, NaN or infinity.
    """
    device = device or torch.device("cpu")
    if _is_sparse(X):
        raise DataTypeError(f"Sparse input is not supported for {name}; pass a dense array "
                            "(for example X.toarray()).")
    if isinstance(X, torch.Tensor):
        t = X.detach()
        if t.is_complex():
            raise DataError(f"Complex data not supported: {name} has dtype {t.dtype}.")
        if t.is_sparse:
            raise DataTypeError(f"Sparse input is not supported for {name}; pass a dense tensor.")
    elif isinstance(X, (np.ndarray, list, tuple)) or hasattr(X, "__array__"):
        t = torch.from_numpy(np.ascontiguousarray(_numeric_array(X, name)))
    else:
        raise InvalidParameterError(
            f"{name} must be a numpy array, a torch tensor or a list; got {type(X).__name__}"
        )
    if t.ndim != ndim:
        hint = ""
        if ndim == 2 and t.ndim == 1:
            hint = (" Reshape your data with X.reshape(-1, 1) if it has a single feature or "
                    "X.reshape(1, -1) if it is a single sample.")
        raise DataError(
            f"Expected a {ndim}-D array for {name}, got {t.ndim}-D with shape {tuple(t.shape)}.{hint}"
        )
    if t.shape[0] < min_samples:
        raise DataError(
            f"{name} has {t.shape[0]} sample(s) (shape={tuple(t.shape)}) while a minimum of "
            f"{min_samples} is required."
        )
    if ndim == 2 and t.shape[1] == 0:
        raise DataError(f"0 feature(s) (shape={tuple(t.shape)}) while a minimum of 1 is required.")
    if n_features is not None and t.shape[1] != n_features:
        raise DataError(
            f"{name} has {t.shape[1]} features, but {owner} is expecting {n_features} features "
            "as input."
        )
    t = t.to(device=device, dtype=dtype).contiguous()
    check_finite(t, name)
    return t


def _numeric_array(X: Any, name: str) -> np.ndarray:
    """``X`` as a numpy array of real numbers (object arrays of numbers are converted)."""
    try:
        arr = np.asarray(X)
    except (ValueError, TypeError) as exc:
        raise DataError(f"{name} could not be converted to a numeric array: {exc}") from exc
    if arr.dtype.kind == "c":
        raise DataError(f"Complex data not supported: {name} has dtype {arr.dtype}.")
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise DataTypeError(f"{name} holds values that are not numbers: {exc}") from exc
    if arr.dtype.kind not in "biuf":
        raise DataTypeError(f"{name} must hold real numbers; got an array of dtype {arr.dtype} "
                            "(strings and other objects are not supported)")
    return arr


def check_finite(t: torch.Tensor, name: str = "X", where: str = "") -> None:
    """Raise :class:`DataError` if ``t`` holds NaN or infinity."""
    if not bool(torch.isfinite(t).all()):
        what = "NaN" if bool(torch.isnan(t).any()) else "infinity"
        raise DataError(f"Input {name}{where} contains {what}; remove or impute those values first.")


def to_output(t: torch.Tensor, kind: str, device: torch.device | None = None) -> Any:
    """Give back numpy for numpy input, a tensor (on the input's device) for torch input."""
    if kind == "torch":
        return t if device is None else t.to(device)
    return t.detach().cpu().numpy()
