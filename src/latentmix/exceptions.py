"""One error hierarchy for latentmix.

Every error a user can trigger with bad input is one of these; each subclasses the builtin
(or scikit-learn) exception that callers would naturally catch, so ``except ValueError`` keeps
working.

``NotFittedError`` and ``ConvergenceWarning`` subclass scikit-learn's (``except
sklearn.exceptions.NotFittedError`` and scikit-learn's warning filters keep working), but importing
scikit-learn takes seconds, so they are created on first use (module ``__getattr__``, PEP 562): code
that only loads data or raises the other errors never imports it. Each is created once, so
``isinstance`` and ``except`` see one class.
"""

from __future__ import annotations

import threading

__all__ = [
    "LatentmixError",
    "InvalidParameterError",
    "NotFittedError",  # noqa: F822 - made on first use, see __getattr__
    "DataError",
    "DataTypeError",
    "DatasetNotFoundError",
    "FittingError",
    "TrainingDivergedError",
    "CheckpointError",
    "ConvergenceWarning",  # noqa: F822 - made on first use, see __getattr__
]


class LatentmixError(Exception):
    """Base class of every exception raised by latentmix."""


class InvalidParameterError(LatentmixError, ValueError, TypeError):
    """A parameter (constructor argument, function argument, CLI option) has a bad type or value."""


class DataError(LatentmixError, ValueError):
    """Input data is unusable: wrong shape, NaN/inf, empty, corrupted or unreadable file."""


class DataTypeError(DataError, TypeError):
    """Input data has a type that cannot be used (sparse matrices, objects that are not numbers)."""


class DatasetNotFoundError(DataError, FileNotFoundError):
    """A dataset is neither on disk nor downloadable; the message lists where we looked."""


class FittingError(LatentmixError, ValueError):
    """Fitting failed numerically; the message says what to change."""


class TrainingDivergedError(FittingError):
    """A training loss became NaN or infinite; the message names the step and the phase."""


class CheckpointError(LatentmixError, ValueError):
    """A run folder or checkpoint is missing, foreign or corrupted."""


def _not_fitted_error() -> type:
    from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

    class NotFittedError(LatentmixError, _SklearnNotFittedError):
        """A method that needs a fitted estimator was called before ``fit``."""

    return NotFittedError


def _convergence_warning() -> type:
    from sklearn.exceptions import ConvergenceWarning as _SklearnConvergenceWarning

    class ConvergenceWarning(_SklearnConvergenceWarning):
        """An iterative fit stopped at ``max_iter`` before reaching ``tol``."""

    return ConvergenceWarning


_LAZY = {"NotFittedError": _not_fitted_error, "ConvergenceWarning": _convergence_warning}
_LOCK = threading.Lock()


def __getattr__(name: str):
    if name in _LAZY:
        with _LOCK:
            if name not in globals():  # created once: later look-ups find it in the module
                cls = _LAZY[name]()
                cls.__module__, cls.__qualname__ = __name__, name  # pickles by name
                globals()[name] = cls
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
