"""One error hierarchy for latentmix.

Every error a user can trigger with bad input is one of these; each subclasses the builtin
(or scikit-learn) exception that callers would naturally catch, so ``except ValueError`` keeps
working.
"""

from __future__ import annotations

from sklearn.exceptions import ConvergenceWarning as _SklearnConvergenceWarning
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

__all__ = [
    "LatentmixError",
    "InvalidParameterError",
    "NotFittedError",
    "DataError",
    "DataTypeError",
    "DatasetNotFoundError",
    "FittingError",
    "TrainingDivergedError",
    "CheckpointError",
    "ConvergenceWarning",
]


class LatentmixError(Exception):
    """Base class of every exception raised by latentmix."""


class InvalidParameterError(LatentmixError, ValueError, TypeError):
    """A parameter (constructor argument, function argument, CLI option) has a bad type or value."""


class NotFittedError(LatentmixError, _SklearnNotFittedError):
    """A method that needs a fitted estimator was called before ``fit``."""


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


class ConvergenceWarning(_SklearnConvergenceWarning):
    """An iterative fit stopped at ``max_iter`` before reaching ``tol``."""
