"""TensorBoard event files beside ``metrics.jsonl``, when the optional ``tensorboard`` package is
installed (``pip install latentmix[tensorboard]``); without it, training is unchanged.

What is written (``tensorboard --logdir runs/``): every epoch record of ``metrics.jsonl`` as
scalars under ``epoch/`` (each phase's loss, its extra logs, ``val_loss``, samples/s), the
``log_every`` records under ``step/``, and, for image data, once per epoch, a grid of 8 fixed
training images over their reconstructions (autoencoders) and 16 samples with a fixed seed
(generative models). Everything is drawn at the global step, so resumed runs continue the same
curves (events after the checkpoint's step, from a run killed after it, are dropped). Set
``LATENTMIX_TENSORBOARD=0`` to turn it off with the package installed.

Drawing the images runs the networks in eval mode under :func:`torch.random.fork_rng`, so a run
trains to the same weights with or without TensorBoard.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

import torch

__all__ = ["TensorBoardLog", "open_log"]

logger = logging.getLogger("latentmix.train")
_SKIP = ("epoch", "step")


def _summary_writer_class():
    """torch's SummaryWriter, or None when tensorboard is missing, broken or turned off."""
    if os.environ.get("LATENTMIX_TENSORBOARD", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except Exception as exc:  # noqa: BLE001 - ImportError without the package; a broken install is no error either
        logger.debug("no TensorBoard event files: %s: %s", type(exc).__name__, exc)
        return None
    return SummaryWriter


def open_log(run_dir: Path | None, *, resumed_step: int | None, X: torch.Tensor | None = None) -> TensorBoardLog | None:
    """A :class:`TensorBoardLog` writing into ``run_dir``, or None (no run folder, no tensorboard).

    A fresh run removes the event files an earlier run left in the folder (as ``metrics.jsonl`` is
    rewritten); a resumed run keeps them and drops their events after ``resumed_step``."""
    if run_dir is None:
        return None
    writer_class = _summary_writer_class()
    if writer_class is None:
        return None
    run_dir = Path(run_dir)
    if resumed_step is None:
        for old in run_dir.glob("events.out.tfevents.*"):
            old.unlink(missing_ok=True)
    try:
        # events up to the checkpoint's step stay (the resumed run does not write them again)
        writer = writer_class(log_dir=str(run_dir), purge_step=None if resumed_step is None else resumed_step + 1)
    except Exception as exc:  # noqa: BLE001 - the event files are extra; training goes on without them
        logger.warning("no TensorBoard event files in %s (%s: %s)", run_dir, type(exc).__name__, exc)
        return None
    return TensorBoardLog(writer, X)


class TensorBoardLog:
    """Scalars and image grids of one training run (see the module docstring)."""

    def __init__(self, writer, X: torch.Tensor | None = None, n_images: int = 8) -> None:
        self.writer = writer
        images = X is not None and X.ndim == 4 and X.shape[1] in (1, 3) and len(X) > 0
        self.fixed = X[:n_images].detach() if images else None  # the same rows every epoch
        self.draw = images

    def scalars(self, record: dict, prefix: str) -> None:
        """The numbers of one ``metrics.jsonl`` record, as ``prefix + key`` at its global step."""
        step = int(record.get("step", 0))
        for key, value in record.items():
            if key in _SKIP or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if math.isfinite(value):
                self.writer.add_scalar(prefix + key, value, step)

    def epoch_end(self, record: dict, model) -> None:
        """The epoch's scalars and images, flushed so that a running TensorBoard shows them."""
        self.scalars(record, "epoch/")
        if self.draw:
            try:
                self._images(model, int(record.get("step", 0)))
            except Exception as exc:  # noqa: BLE001 - a model that cannot draw mid-training: scalars only
                self.draw = False
                logger.debug("no TensorBoard images: %s: %s", type(exc).__name__, exc)
        self.writer.flush()

    def _images(self, model, step: int) -> None:
        from ..models import GenerativeMixin

        X = self.fixed
        devices = [X.device] if X.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):  # drawing must not change what training does next
            if callable(getattr(model, "reconstruct", None)):
                recon = torch.as_tensor(model.reconstruct(X)).to(X.device, X.dtype)
                self._grid("reconstruction", torch.cat([X, recon.reshape(X.shape)]), len(X), step)
            if isinstance(model, GenerativeMixin):
                drawn = torch.as_tensor(model.sample(2 * len(X), seed=0))
                if drawn.ndim == 4 and drawn.shape[1:] == X.shape[1:]:
                    self._grid("samples", drawn, len(X), step)

    def _grid(self, tag: str, images: torch.Tensor, per_row: int, step: int) -> None:
        """Images (N, C, H, W) as one grid of ``per_row`` columns, 1-pixel gaps, small images
        scaled up (nearest) to at least 32 pixels; values outside [0, 1] are min-max scaled."""
        x = images.detach().float().cpu()
        lo, hi = float(x.min()), float(x.max())
        if lo < 0 or hi > 1:
            x = (x - lo) / max(hi - lo, 1e-12)
        n, c, h, w = x.shape
        scale = max(1, -(-32 // max(h, w)))
        if scale > 1:
            x = x.repeat_interleave(scale, 2).repeat_interleave(scale, 3)
            h, w = h * scale, w * scale
        rows = -(-n // per_row)
        canvas = torch.ones(c, rows * (h + 1) + 1, per_row * (w + 1) + 1)
        for i in range(n):
            r, q = divmod(i, per_row)
            canvas[:, 1 + r * (h + 1): 1 + r * (h + 1) + h, 1 + q * (w + 1): 1 + q * (w + 1) + w] = x[i]
        self.writer.add_image(tag, canvas.clamp(0, 1), step, dataformats="CHW")

    def close(self) -> None:
        try:
            self.writer.close()
        except Exception as exc:  # noqa: BLE001
            logger.debug("closing the TensorBoard writer failed: %s", exc)
