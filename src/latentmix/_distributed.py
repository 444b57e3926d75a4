"""Helpers for running under ``torch.distributed`` (torchrun, or ``init_process_group`` by hand).

Each rank passes its own shard of the data; sums are all-reduced so every rank ends with the
same model, equal to the single-process fit on the concatenated data.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

__all__ = ["is_distributed", "rank", "world_size", "all_reduce_sum", "broadcast_from_rank0"]


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def _on_comm_device(t: torch.Tensor) -> torch.Tensor:
    # gloo reduces CPU tensors; NCCL needs CUDA ones.
    if dist.get_backend() == "gloo" and t.device.type != "cpu":
        return t.cpu()
    return t


def all_reduce_sum(tensors: list[torch.Tensor]) -> None:
    """In place: every tensor becomes the sum of its values over all ranks (one flat reduction)."""
    if not is_distributed() or not tensors:
        return
    flat = torch.cat([t.reshape(-1).to(torch.float64) for t in tensors])
    comm = _on_comm_device(flat)
    dist.all_reduce(comm, op=dist.ReduceOp.SUM)
    flat = comm.to(flat.device)
    offset = 0
    for t in tensors:
        t.copy_(flat[offset: offset + t.numel()].view_as(t))
        offset += t.numel()


def broadcast_from_rank0(tensors: list[torch.Tensor]) -> None:
    """In place: every rank gets rank 0's values."""
    if not is_distributed():
        return
    for t in tensors:
        comm = _on_comm_device(t)
        dist.broadcast(comm, src=0)
        if comm is not t:
            t.copy_(comm)
