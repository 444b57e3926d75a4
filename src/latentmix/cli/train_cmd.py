"""``latentmix train MODEL --data DATA ...``: train a registered model and save a run folder."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import click

from .._io import write_json
from ..exceptions import InvalidParameterError
from ._common import json_option, load_data, load_toml, quiet, say
from ._torchrun import process_group, rank_zero_output
from .report_cmd import report_after_training


def _allowed(cls: type) -> set:
    return set(inspect.signature(cls.__init__).parameters) - {"self"}


def _resolve(model: str, data: str | None, config: Path | None, flags: dict) -> tuple[type, dict, str]:
    """Model class, constructor parameters and data name: class defaults < TOML < flags.

    A composite (``latent-gmm``) takes its own options (``n_components``, ...) and passes the
    rest, with ``autoencoder = "dae"`` naming the inner model, to the autoencoder it holds."""
    from ..models import LatentGMM, get_model_class
    from ..models._noise import parse_noise
    from ..priors import prior_from_spec

    cls = get_model_class(model)
    params = load_toml(config) if config else {}
    data = flags.pop("data") or params.pop("data", None) or data
    if cls is LatentGMM:
        inner_name = params.pop("autoencoder", None) or flags.pop("autoencoder", None) or "ae"
        own = {k: params.pop(k) for k in list(params) if k in _allowed(cls) and k != "autoencoder"}
        if flags.get("n_components") is not None:
            own["n_components"] = flags["n_components"]
        if flags.get("random_state") is not None:
            own["random_state"] = flags["random_state"]
        if flags.get("device") is not None:
            own["device"] = flags["device"]
        flags = {k: v for k, v in flags.items() if k not in ("n_components", "autoencoder")}
        given = {k: v for k, v in flags.items() if v is not None}
        inner_flags = {"noise": None, "prior": None, **params, **given, "data": data}
        inner_cls, inner, data = _resolve(inner_name, data, None, inner_flags)
        return cls, {**own, "autoencoder": inner_cls(**inner)}, data
    flags.pop("autoencoder", None)
    if flags.get("n_components") is not None:
        raise InvalidParameterError(f"--n-components applies to latent-gmm, not {model!r}")
    flags.pop("n_components", None)
    allowed = _allowed(cls)
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InvalidParameterError(f"config file {config}: unknown option(s) {', '.join(unknown)} for "
                                    f"{cls.__name__}; allowed: {', '.join(sorted(allowed))}")
    noise = flags.pop("noise")
    if noise is not None:
        if "noise" not in allowed:
            raise InvalidParameterError(f"--noise applies to denoising models (dae), not {model!r}")
        params["noise"], params["noise_level"] = parse_noise(noise)
    if flags.get("prior") is not None and "prior" not in allowed:
        raise InvalidParameterError(f"--prior does not apply to {model!r} (it applies to vae, aae, vaegan and gan)")
    if flags.get("prior") is not None or "prior" in params:
        params["prior"] = prior_from_spec(flags.pop("prior") or params["prior"])
    flags.pop("prior", None)
    for key, value in flags.items():
        if value is not None:
            if key not in allowed:
                raise InvalidParameterError(f"--{key.replace('_', '-')} does not apply to {model!r}")
            params[key] = value
    if not data:
        raise InvalidParameterError("--data is required (a dataset name such as 'digits', or a file)")
    return cls, params, data


def _device(estimator) -> str:
    """The device the estimator (or the autoencoder inside a composite) trains on."""
    inner = getattr(estimator, "autoencoder", None)
    return str(getattr(estimator, "device", None) or getattr(inner, "device", None) or "auto")


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
@click.option("--prior", default=None,
              help="Latent prior (vae, aae, vaegan, gan): normal, gmm:K (mixture of K) or categorical:K.")
@click.option("--n-components", type=click.IntRange(min=1), default=None,
              help="Mixture components of latent-gmm.")
@click.option("--autoencoder", default=None, help="The model inside latent-gmm: ae (default), dae, vae or aae.")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TOML file of model options; flags override it.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run folder (default runs/MODEL-DATA).")
@click.option("--device", default=None, help="auto, cpu, cuda or cuda:N.")
@click.option("--seed", "random_state", type=int, default=None)
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--dry-run", is_flag=True, help="Print the resolved options and exit.")
@click.option("--verbose", type=click.IntRange(min=0), default=None)
@click.option("--no-report", is_flag=True, help="Do not write the figures and report.html at the end.")
@rank_zero_output
@json_option
def train(model, data, config, out, resume, dry_run, no_report, as_json, **flags):
    """Train MODEL on DATA and save the run folder. MODEL is one of: ae, dae, vae, gan, aae
    (adversarial autoencoder), vaegan, latent-gmm (a Gaussian mixture on an autoencoder's codes).
    The run folder gets metrics.jsonl (one line per epoch; TensorBoard event files too when the
    tensorboard package is installed), the model and report.html. --config takes a TOML file of
    the model's options (e.g. latent_dim = 8, and data = "digits"); flags override it. --json
    prints the final metrics as one JSON object. Under torchrun (torchrun --nproc_per_node N -m
    latentmix train ...) the N processes train one model together (DDP: each takes 1/N of every
    epoch; gloo on the CPU, NCCL on GPUs) and rank 0 writes the run folder and prints.

    \b
    Example:
      latentmix train aae --data digits --prior gmm:10 --latent-dim 8 --epochs 30 --out runs/aae
      latentmix train latent-gmm --data digits --autoencoder dae --n-components 10 --out runs/lg
      latentmix train ae --config ae.toml --epochs 5 --json      # flags override the file
      latentmix --quiet train gan --data digits --epochs 5 --no-report
    """
    from ..core.persist import json_params

    flags["data"] = data
    if quiet() and flags["verbose"] is None:
        flags["verbose"] = 0  # --quiet: no progress bar
    cls, params, data = _resolve(model, None, config, flags)
    out = out or Path("runs") / f"{model}-{Path(data).stem}"
    options = {"model": model, "data": data, "out": str(out)}
    estimator = cls(**params)
    resolved = json_params(estimator)
    options.update(params={k: resolved[k] for k in params}, resolved=resolved)  # what was asked; everything
    if dry_run:
        if not as_json:
            click.echo(json.dumps(options, indent=2))
        return options
    estimator._validate_params()  # bad values fail before any data is read
    X, _ = load_data(data, "train")
    with process_group(_device(estimator)):  # torchrun: the ranks train one model (DDP)
        from .._distributed import rank, world_size

        if rank() == 0:
            out.mkdir(parents=True, exist_ok=True)
            write_json(out / "options.json", {**options, "world_size": world_size()})
        if getattr(estimator, "verbose", 1):
            say(f"training {cls.__name__} on {data} {tuple(X.shape)} -> {out}"
                + (f" ({world_size()} processes)" if world_size() > 1 else ""))
        estimator.fit(X, run_dir=out, resume=resume)
        history = getattr(estimator, "history_", None) or getattr(getattr(estimator, "autoencoder_", None),
                                                                  "history_", [])
        last = {k: v for k, v in (history[-1] if history else {}).items() if isinstance(v, (int, float))}
        page = None if no_report else report_after_training(out, estimator)  # rank 0; a failure is a warning
    if not as_json:
        say(f"done: {out} ({json.dumps(last)})" + (f"\nreport: {page}" if page else ""))
    return {"run": str(out), "model": cls.__name__, "data": data, **last, "report": page and str(page)}
