"""One PNG writer for image grids, used by ``latentmix demo`` and ``latentmix sample``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._io import atomic_write


def save_grid(images: np.ndarray, path: Path, columns: int = 10, scale: int = 4) -> Path:
    """A PNG grid of images in [0, 1]: (n, h, w) or (n, 1, h, w) grey (drawn with ``gray_r``), or
    (n, 3, h, w) colour; a 1-pixel border of value 1 around every tile; written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim == 3:
        images = images[:, None]
    n, c, h, w = images.shape
    rows = -(-n // columns)
    tiles = np.ones((rows * columns, c, h + 1, w + 1))
    tiles[:n, :, 1:, 1:] = images  # the border above and left of every tile
    # (rows, columns, c, h+1, w+1) -> (rows*(h+1), columns*(w+1), c)
    canvas = tiles.reshape(rows, columns, c, h + 1, w + 1).transpose(0, 3, 1, 4, 2).reshape(
        rows * (h + 1), columns * (w + 1), c)
    canvas = np.pad(canvas, ((0, 1), (0, 1), (0, 0)), constant_values=1.0)  # closing bottom/right border
    canvas = canvas.repeat(scale, 0).repeat(scale, 1)  # nearest-neighbour upscaling
    if c == 1:
        return atomic_write(path, lambda p: plt.imsave(p, canvas[..., 0], cmap="gray_r", vmin=0, vmax=1,
                                                       format="png"))
    return atomic_write(path, lambda p: plt.imsave(p, canvas.clip(0, 1), format="png"))
