"""``torchrun ... latentmix train ...``: the process group that makes the ranks one training run.

torchrun only starts the processes and sets ``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT``; without ``init_process_group`` every rank would train alone
on all the data and write the same run folder. :func:`process_group` joins them (gloo on the CPU,
NCCL with each rank on GPU ``LOCAL_RANK``), so the training loop shards the batches and DDP
averages the gradients; :func:`rank_zero_output` keeps stdout to rank 0 (the library already
writes files and progress bars on rank 0 only).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    import torch

__all__ = ["launched_rank", "process_group", "rank_zero_output"]

_REQUIRED = ("RANK", "MASTER_ADDR", "MASTER_PORT")


def launched_rank() -> int | None:
    """This process's rank when started by torchrun (or alike) with more than one process, else None."""
    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
    except ValueError:
        return None
    if world < 2 or any(k not in os.environ for k in _REQUIRED):
        return None
    return rank


@contextlib.contextmanager
def process_group(device: str | torch.device = "auto"):
    """Initialise the default process group from torchrun's environment for the block, and destroy
    it after; a no-op without that environment or when a group already exists. ``device`` (the
    model's, ``"auto"`` = CUDA when present) picks the backend: NCCL for CUDA, gloo for the CPU."""
    import torch
    import torch.distributed as dist

    if launched_rank() is None or not dist.is_available() or dist.is_initialized():
        yield
        return
    kind = torch.device(device).type if str(device) != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    if kind == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend="nccl" if kind == "cuda" else "gloo")
    try:
        yield
    finally:
        dist.destroy_process_group()


def rank_zero_output(command):
    """Decorator (outside ``json_option``): on ranks other than 0 of a torchrun launch, the command
    runs with ``--quiet`` and its stdout (summary lines, ``--json``) discarded."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        rank = launched_rank()
        if rank in (None, 0):
            return command(*args, **kwargs)
        ctx = click.get_current_context(silent=True)
        if ctx is not None:
            ctx.find_root().params["quiet"] = True
        with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
            result = command(*args, **kwargs)
            sys.stdout.flush()
        return result

    return wrapper
