"""Several processes (``torch.distributed``, e.g. under ``torchrun``): what the loop needs.

While training, each network that a phase updates is replaced inside ``model.networks_`` by its
``DistributedDataParallel`` wrapper (Li et al., 2020, "PyTorch Distributed"), so the models'
loss code uses it unchanged; the plain modules are put back afterwards. A network's wrapper
averages gradients only during the phases that update that network (a GAN's generator phase
calls the discriminator without synchronising its gradients). DDP's rule applies: in a phase,
every trainable parameter of the phase's networks must receive a gradient.

A network that models use through other methods than ``forward`` (a learnable prior's ``kl``,
``log_prob``, ``sample``: its class sets ``ddp_forward = False``) is not wrapped: DDP only sees
calls through ``forward``. It stays in place, rank 0's values are broadcast at the start, and
after each backward pass of a phase that trains it :meth:`Dist.average_gradients` all-reduces
its gradients (unused parameters count as zeros), which is what DDP would have done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

__all__ = ["Dist", "current"]


@dataclass
class Dist:
    """Rank, world size and the wrappers of one training run (world 1 = a single process)."""

    rank: int = 0
    world: int = 1
    comm_device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    plain: dict = field(default_factory=dict)
    wrapped: dict = field(default_factory=dict)
    _syncs: list = field(default_factory=list)
    _averaged: list = field(default_factory=list)  # per phase: the parameters averaged by hand

    @property
    def active(self) -> bool:
        return self.world > 1

    def wrap(self, networks: torch.nn.ModuleDict, phases) -> None:
        """Build a DDP wrapper for each trained network (kept in ``self.wrapped``, not installed)
        and, per phase, the list ``[(wrapper, whether it averages gradients in that phase)]``."""
        trained = {n for p in phases for n in p.networks}
        covered: set[int] = set()
        by_hand: dict[str, list[torch.nn.Parameter]] = {}
        for name, module in networks.items():
            params = dict(module.named_parameters())
            if name not in trained or not any(p.requires_grad for p in params.values()):
                continue
            if not getattr(module, "ddp_forward", True):  # used through other methods: averaged by hand
                by_hand[name] = [p for p in params.values() if p.requires_grad and id(p) not in covered]
                covered.update(id(p) for p in params.values())
                self._broadcast_from_rank0([*module.parameters(), *module.buffers()])
                continue
            shared = [k for k, p in params.items() if id(p) in covered]  # tied to an earlier network
            covered.update(id(p) for p in params.values())
            if len(shared) == len(params):
                continue
            if shared:
                DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(module, shared)
            dev = next(iter(params.values())).device
            ids = [dev] if dev.type == "cuda" else None
            self.plain[name] = module
            self.wrapped[name] = DistributedDataParallel(module, device_ids=ids)
        self._syncs = [[(w, n in p.networks) for n, w in self.wrapped.items()] for p in phases]
        self._averaged = [[t for n in p.networks for t in by_hand.get(n, [])] for p in phases]

    def average_gradients(self, phase_index: int) -> None:
        """After a phase's backward pass: the mean over ranks of the gradients of its networks
        that are not DDP-wrapped (see the module docstring); a no-op when there are none."""
        params = self._averaged[phase_index] if self._averaged else []
        if not params:
            return
        flat = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in params])
        comm = flat.to(self.comm_device)
        dist.all_reduce(comm, op=dist.ReduceOp.SUM)
        flat = comm.to(flat.device).div_(self.world)
        offset = 0
        for p in params:
            p.grad = flat[offset:offset + p.numel()].view_as(p).clone()
            offset += p.numel()

    def set_sync(self, phase_index: int) -> None:
        """Before a phase: wrappers average gradients only for the networks the phase updates."""
        for wrapper, flag in self._syncs[phase_index]:
            wrapper.require_backward_grad_sync = flag

    def unwrap(self) -> None:
        """Forget the wrappers (the caller has put the plain modules back)."""
        for module in self.plain.values():
            if hasattr(module, "_ddp_params_and_buffers_to_ignore"):
                del module._ddp_params_and_buffers_to_ignore
        self.plain, self.wrapped, self._syncs, self._averaged = {}, {}, [], []

    def sum_(self, values: list[float]) -> list[float]:
        """Sum a list of numbers over ranks (float64)."""
        if not self.active or not values:
            return list(values)
        t = torch.tensor(values, dtype=torch.float64, device=self.comm_device)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.tolist()

    def min_(self, value: int) -> int:
        if not self.active:
            return value
        t = torch.tensor([value], dtype=torch.int64, device=self.comm_device)
        dist.all_reduce(t, op=dist.ReduceOp.MIN)
        return int(t.item())

    def gather(self, t: torch.Tensor) -> list[torch.Tensor]:
        """Every rank's copy of a (same-shape) tensor, on CPU."""
        if not self.active:
            return [t.cpu()]
        comm = t.to(self.comm_device)
        out = [torch.empty_like(comm) for _ in range(self.world)]
        dist.all_gather(out, comm)
        return [o.cpu() for o in out]

    def sync_buffers(self) -> None:
        """Broadcast rank 0's buffers (e.g. BatchNorm statistics) so every rank holds the same model."""
        if not self.active:
            return
        self._broadcast_from_rank0([b for module in self.plain.values() for b in module.buffers()])

    def _broadcast_from_rank0(self, tensors) -> None:
        """Overwrite every tensor with rank 0's value, in place."""
        for t in tensors:
            comm = t.data.to(self.comm_device)
            dist.broadcast(comm, src=0)
            t.data.copy_(comm)

    def barrier(self) -> None:
        if self.active:
            dist.barrier()


def current() -> Dist:
    """The process group's rank and world size, or a single-process :class:`Dist`."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() < 2:
        return Dist()
    backend = dist.get_backend()
    comm = torch.device("cuda", torch.cuda.current_device()) if backend == "nccl" else torch.device("cpu")
    return Dist(rank=dist.get_rank(), world=dist.get_world_size(), comm_device=comm)
