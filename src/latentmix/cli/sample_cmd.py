"""``latentmix sample RUN -n 64 [--seed S] [--component K] [--rejection [drs|stratified]] [--gamma G]
--out grid.png|samples.npy``: draw samples from the generative model of a run folder and write an
image grid or the array. What a model can do is read from its capability mixins."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .._io import atomic_write
from ..exceptions import InvalidParameterError
from ._common import config_option, json_option, say

if TYPE_CHECKING:
    import numpy as np


def _write_npy(samples: np.ndarray, path: Path) -> None:
    import numpy as np

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:  # a file object: np.save would append .npy to the temp name
            np.save(f, samples)

    atomic_write(path, write)


def _write_png(samples: np.ndarray, path: Path) -> None:
    from ._grid import save_grid

    if samples.ndim == 4 and samples.shape[1] in (1, 3):
        save_grid(samples, path)
    else:
        raise InvalidParameterError(f"a .png grid needs images with 1 or 3 channels; the samples have shape "
                                    f"{tuple(samples.shape[1:])}: write them to a .npy file instead")


_WRITERS = {".png": _write_png, ".npy": _write_npy}


def _sample_options(model, run: Path, seed: int | None, component: int | None, rejection: str | None,
                   gamma: float | None) -> dict:
    """The keyword arguments for ``model.sample``, or an error saying what the model cannot do."""
    from ..models import GenerativeMixin
    from ..models._rejecting import RejectionMixin

    name = type(model).__name__
    if not isinstance(model, GenerativeMixin):
        raise InvalidParameterError(f"the model in {run} is a {name}, which cannot generate samples; train a "
                                    "generative model such as 'gan', 'vae', 'aae' or 'latent-gmm'")
    options = {"seed": seed, "component": component}
    if rejection is not None:
        if not isinstance(model, RejectionMixin):
            raise InvalidParameterError(f"--rejection (discriminator rejection sampling) needs a model with a "
                                        f"discriminator (gan, vaegan); the model in {run} is a {name}")
        options.update(rejection=rejection, gamma=gamma)
    return options


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("-n", "--n-samples", "n_samples", type=click.IntRange(min=1), default=64, show_default=True,
              help="How many samples.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed of the draw (reproducible output).")
@click.option("--component", type=click.IntRange(min=0), default=None,
              help="Generate from this mixture component only (mixture priors, latent-gmm).")
@click.option("--rejection", type=click.Choice(["drs", "stratified"]), is_flag=False, flag_value="drs", default=None,
              help="Rejection sampling (GANs): plain discriminator rejection (--rejection) or within the "
                   "components of a mixture of real data (--rejection stratified).")
@click.option("--gamma", type=float, default=None,
              help="With --rejection: higher = stricter (default: the calibrated 80th percentile).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output file: .png (an image grid) or .npy (the samples, float32).")
@config_option
@json_option
def sample(run: Path, n_samples: int, seed: int | None, component: int | None, rejection: str | None,
           gamma: float | None, out: Path, as_json: bool) -> dict:
    """Draw samples from the generative model in RUN and write a PNG grid or a .npy array.
    --json prints what was written (and the acceptance rate of rejection sampling) as JSON.

    \b
    Example:
      latentmix sample runs/aae -n 64 --component 3 --out digit3.png
      latentmix sample runs/gan -n 64 --rejection stratified --seed 0 --out grid.png --json
    """
    import numpy as np
    import torch

    from ..models import load

    writer = _WRITERS.get(out.suffix.lower())
    if writer is None:
        raise InvalidParameterError(f"--out must end in .png (an image grid) or .npy (the samples); got {out}")
    if gamma is not None and rejection is None:
        raise InvalidParameterError("--gamma applies to discriminator rejection sampling: add --rejection")
    model = load(run)
    options = _sample_options(model, run, seed, component, rejection, gamma)
    result = model.sample(n_samples, **options)
    samples = (result.detach().cpu().numpy() if isinstance(result, torch.Tensor) else np.asarray(result))
    writer(samples.astype(np.float32, copy=False), out)
    rate = getattr(model, "acceptance_rate_", None) if rejection else None
    if not as_json:
        say(f"wrote {out} ({len(samples)} samples of shape {tuple(samples.shape[1:])}"
            + (f", acceptance rate {rate:.3f})" if rate is not None else ")"))
    result = {"run": str(run), "out": str(out), "n_samples": int(len(samples)), "shape": list(samples.shape[1:]),
              "seed": seed, "component": component, "rejection": rejection}
    if rate is not None:
        result["acceptance_rate"] = float(rate)
    return result
