"""``latentmix encode RUN --data DATA --out Z.npy``: latent codes of a trained model."""

from __future__ import annotations

from pathlib import Path

import click

from .._io import atomic_write
from ..exceptions import InvalidParameterError
from ._common import config_option, load_data, say


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--data", required=True, help="Dataset name or file to encode.")
@click.option("--split", type=click.Choice(["train", "test", "all"]), default="all", show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Output .npy file.")
@config_option
def encode(run: Path, data: str, split: str, out: Path) -> None:
    """Write the latent codes of DATA under the model in RUN to a .npy file (float32, one row per
    sample), e.g. as features for another model.

    \b
    Example:
      latentmix encode runs/aae --data digits --split test --out codes.npy
      latentmix encode runs/aae --data my_images/ --out my_codes.npy
    """
    import numpy as np

    from ..models import load

    if out.suffix != ".npy":
        raise InvalidParameterError(f"--out must end in .npy; got {out}")
    model = load(run)
    X, _ = load_data(data, split)
    Z = np.asarray(model.transform(X.numpy()), dtype=np.float32)

    def write(path: Path) -> None:
        with open(path, "wb") as f:  # a file object: np.save would append .npy to a temp name
            np.save(f, Z)

    atomic_write(out, write)
    say(f"wrote {out} {Z.shape}")
