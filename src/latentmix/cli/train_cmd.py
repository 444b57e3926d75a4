"""``latentmix train MODEL --data DATA ...``: train a registered model and save a run folder."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import click

from .._io import write_json
from ..exceptions import InvalidParameterError
from ._common import load_data, load_toml


def _resolve(model: str, data: str | None, config: Path | None, flags: dict) -> tuple[type, dict, str]:
    """Model class, constructor parameters and data name: class defaults < TOML < flags."""
    from ..models import get_model_class
    from ..models._noise import parse_noise

    cls = get_model_class(model)
    allowed = set(inspect.signature(cls.__init__).parameters) - {"self"}
    params = load_toml(config) if config else {}
    data = flags.pop("data") or params.pop("data", None) or data
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InvalidParameterError(f"config file {config}: unknown option(s) {', '.join(unknown)} for "
                                    f"{cls.__name__}; allowed: {', '.join(sorted(allowed))}")
    noise = flags.pop("noise")
    if noise is not None:
        if "noise" not in allowed:
            raise InvalidParameterError(f"--noise applies to denoising models (dae), not {model!r}")
        params["noise"], params["noise_level"] = parse_noise(noise)
    for key, value in flags.items():
        if value is not None:
            if key not in allowed:
                raise InvalidParameterError(f"--{key.replace('_', '-')} does not apply to {model!r}")
            params[key] = value
    if not data:
        raise InvalidParameterError("--data is required (a dataset name such as 'digits', or a file)")
    return cls, params, data


@click.command()
@click.argument("model")
@click.option("--data", default=None, help="Dataset name (digits, fashion-mnist, ...) or a .npy/.npz/.csv/folder.")
@click.option("--epochs", type=click.IntRange(min=1), default=None)
@click.option("--latent-dim", type=click.IntRange(min=1), default=None)
@click.option("--arch", default=None, help="Network family: dense or conv (autoencoders), mlp or dcgan (GANs).")
@click.option("--noise", default=None, help="Corruption of a denoising model, e.g. masking:0.3.")
@click.option("--loss", default=None,
              help="Training loss: mse or bce (autoencoders); minimax, ns, hinge, wgan-gp or lsgan (GANs).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None)
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None)
@click.option("--lr-schedule", type=click.Choice(["constant", "cosine"]), default=None,
              help="Learning rate over training: constant, or a cosine decay to 0 (autoencoders).")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TOML file of model options; flags override it.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run folder (default runs/MODEL-DATA).")
@click.option("--device", default=None, help="auto, cpu, cuda or cuda:N.")
@click.option("--seed", "random_state", type=int, default=None)
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--dry-run", is_flag=True, help="Print the resolved options and exit.")
@click.option("--verbose", type=click.IntRange(min=0), default=None)
def train(model, data, config, out, resume, dry_run, **flags):
    """Train MODEL (ae, dae, vae, ...) on DATA and save the run folder."""
    flags["data"] = data
    cls, params, data = _resolve(model, None, config, flags)
    out = out or Path("runs") / f"{model}-{Path(data).stem}"
    options = {"model": model, "data": data, "params": params, "out": str(out)}
    if dry_run:
        click.echo(json.dumps(options, indent=2))
        return
    estimator = cls(**params)
    estimator._validate_params()  # bad values fail before any data is read
    X, _ = load_data(data, "train")
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "options.json", options)
    if estimator.verbose:
        click.echo(f"training {cls.__name__} on {data} {tuple(X.shape)} -> {out}")
    estimator.fit(X, run_dir=out, resume=resume)
    last = estimator.history_[-1] if estimator.history_ else {}
    click.echo(f"done: {out} ({json.dumps({k: v for k, v in last.items() if isinstance(v, (int, float))})})")
