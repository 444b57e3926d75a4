"""Pieces shared by the CLI commands: data by name or path, run folders, option files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..exceptions import CheckpointError, InvalidParameterError

__all__ = ["load_data", "read_options", "load_toml", "estimator_options"]


def load_data(name: str, split: str):
    """(X, y) of a built-in dataset split, or of the user's file (read whole for any split)."""
    from .. import datasets

    if Path(name).expanduser().exists() and name not in {i.name for i in datasets.list_datasets()}:
        return datasets.load(name, split="all")
    return datasets.load(name, split=split)


def read_options(run: Path) -> dict:
    """The resolved options a run was trained with (``options.json``), or a clear error."""
    path = Path(run) / "options.json"
    if not Path(run).is_dir():
        raise CheckpointError(f"run folder {run} does not exist")
    if not path.is_file():
        raise CheckpointError(f"{run} has no options.json: not a run folder made by 'latentmix train'")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path} is corrupted: {exc}") from None


def load_toml(path: Path) -> dict:
    """A TOML config file as a dict; a syntax error names the file and line."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise InvalidParameterError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidParameterError(f"config file {path} is not valid TOML: {exc}") from None


def estimator_options(cls: type, config, flags: dict) -> dict:
    """Constructor parameters of ``cls``: the TOML ``config`` (unknown keys are an error naming
    the allowed ones), overridden by the flags that were given; ``verbose`` defaults to 1."""
    import inspect

    allowed = set(inspect.signature(cls.__init__).parameters) - {"self"}
    params = load_toml(config) if config else {}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InvalidParameterError(f"config file {config}: unknown option(s) {', '.join(unknown)} for "
                                    f"{cls.__name__}; allowed: {', '.join(sorted(allowed))}")
    params.update({k: v for k, v in flags.items() if v is not None})
    params.setdefault("verbose", 1)
    return params
