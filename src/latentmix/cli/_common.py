"""Pieces shared by the CLI commands: data by name or path, run folders, option files."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from pathlib import Path

import click

from .._io import jsonable
from ..exceptions import CheckpointError, InvalidParameterError

__all__ = ["load_data", "read_options", "load_toml", "estimator_options", "quiet", "say", "config_option",
           "model_options", "json_option", "to_json"]


def quiet() -> bool:
    """Whether the global ``--quiet`` was given (``latentmix --quiet CMD`` or ``CMD ... --quiet``)."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().params.get("quiet"))


def say(message: str) -> None:
    """A progress or summary line on stdout, unless ``--quiet``."""
    if not quiet():
        click.echo(message)


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


def _constructor_parameters(cls: type) -> set[str]:
    import inspect

    return set(inspect.signature(cls.__init__).parameters) - {"self"}


def estimator_options(cls: type, config, flags: dict) -> dict:
    """Constructor parameters of ``cls``: ``config`` (a TOML file's path, or the model options a
    ``config_option(model=...)`` file gave, see :func:`model_options`; unknown keys are an error
    naming the allowed ones), overridden by the flags that were given; ``verbose`` defaults to 1
    (0 with ``--quiet``)."""
    allowed = _constructor_parameters(cls)
    params = dict(config) if isinstance(config, dict) else load_toml(config) if config else {}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InvalidParameterError(f"config file {config}: unknown option(s) {', '.join(unknown)} for "
                                    f"{cls.__name__}; allowed: {', '.join(sorted(allowed))}")
    params.update({k: v for k, v in flags.items() if v is not None})
    params.setdefault("verbose", 0 if quiet() else 1)  # --quiet: no progress bars
    return params


# ---------------------------------------------------------------------------- --config FILE.toml
def _config_keys(command: click.Command) -> dict[str, str]:
    """TOML key -> parameter name: an option's long names (``--probe-c`` -> ``probe_c``), an
    argument's name (``run``); ``-`` and ``_`` are the same in a key."""
    keys = {}
    for param in command.params:
        if param.name in ("config", "help") or not param.expose_value:
            continue
        if isinstance(param, click.Argument):
            keys[param.name.lower()] = param.name
        for opt in (*param.opts, *param.secondary_opts):
            if opt.startswith("--"):
                keys[opt[2:].replace("-", "_")] = param.name
    return keys


_MODEL_OPTIONS = "latentmix.model_options"


def _apply_config(ctx: click.Context, value: Path | None, model) -> None:
    """Eager ``--config`` callback: the file's values for the command's own options become its
    defaults (click's ``default_map``), so every flag given on the command line overrides them and
    they are checked like flags; with ``model`` (a function returning the estimator class), the
    other keys are that class's parameters, kept for :func:`model_options`. An unknown key or a
    bad file is a one-line error (exit code 2)."""
    if value is None:
        return
    table = load_toml(value)
    keys = _config_keys(ctx.command)
    own = {k: v for k, v in table.items() if k.replace("-", "_") in keys}
    rest = {k: v for k, v in table.items() if k not in own}
    allowed = _constructor_parameters(model()) if model is not None else set()
    unknown = sorted(set(rest) - allowed)
    if unknown:
        command = f"'latentmix {ctx.command_path.split(' ', 1)[-1]}'"
        also = f"; or {model().__name__}'s: {', '.join(sorted(allowed))}" if model is not None else ""
        raise InvalidParameterError(f"config file {value}: unknown option(s) {', '.join(unknown)} for {command}; "
                                    f"allowed: {', '.join(sorted(keys))}{also}")
    ctx.default_map = {**(ctx.default_map or {}), **{keys[k.replace("-", "_")]: v for k, v in own.items()}}
    ctx.meta[_MODEL_OPTIONS] = rest


def model_options() -> dict:
    """The model options the current command's ``--config`` file gave (those that are not
    options of the command itself); {} without a file."""
    ctx = click.get_current_context(silent=True)
    return dict(ctx.meta.get(_MODEL_OPTIONS, {})) if ctx else {}


def config_option(command=None, *, model=None, help: str | None = None):
    """``--config FILE.toml``: the command's own options from a file (keys as the long option
    names, e.g. ``n_samples = 64``) and, with ``model`` (a function returning the estimator
    class), that estimator's parameters (see :func:`model_options`); flags given on the command
    line override the file. Use as ``@config_option`` or ``@config_option(model=...)``."""

    def decorate(f):
        return click.option("--config", type=click.Path(dir_okay=False, path_type=Path), default=None,
                            is_eager=True, expose_value=False, metavar="FILE.toml",
                            callback=lambda ctx, param, value: _apply_config(ctx, value, model),
                            help=help or "TOML file of this command's options, one key per long option "
                                         "(--some-option 8 -> some_option = 8); flags override it.")(f)

    return decorate if command is None else decorate(command)


# ---------------------------------------------------------------------------- --json
def to_json(result: dict) -> str:
    """``result`` as strict JSON text (no NaN), indented."""
    return json.dumps(jsonable(result), indent=2, allow_nan=False)


def json_option(command):
    """``--json``: the command returns a dict of its results; with the flag it is printed to
    stdout as one JSON object, and anything else the command (or a library it calls) would print
    to stdout goes to stderr instead, so ``latentmix CMD --json | jq`` always parses. The command
    gets ``as_json`` to leave out its human summary."""

    @click.option("--json", "as_json", is_flag=True,
                  help="Print the results as one JSON object on stdout (and nothing else there).")
    @functools.wraps(command)
    def wrapper(*args, as_json: bool = False, **kwargs):
        if not as_json:
            return command(*args, as_json=False, **kwargs)
        stdout = sys.stdout
        with contextlib.redirect_stdout(sys.stderr):
            result = command(*args, as_json=True, **kwargs)
        if result is not None:
            click.echo(to_json(result), file=stdout)
        return result

    return wrapper
