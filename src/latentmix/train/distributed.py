"""Several processes (``torch.distributed``, e.g. under ``torchrun``): what the loop needs.

While training, each network that a phase updates is replaced inside ``model.networks_`` by its
``DistributedDataParallel`` wrapper (Li et al., 2020, "PyTorch Distributed"), so the models'
loss code uses it unchanged; the plain modules are put back afterwards. A network's wrapper
averages gradients only during the phases that update that network (a GAN's generator phase
calls the discriminator without synchronising its gradients). DDP's rule applies: in a phase,
every trainable parameter of the phase's networks must receive a gradient.
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

    @property
    def active(self) -> bool:
        return self.world > 1

    def wrap(self, networks: torch.nn.ModuleDict, phases) -> None:
        """Build a DDP wrapper for each trained network (kept in ``self.wrapped``, not installed)
        and, per phase, the list ``[(wrapper, whether it averages gradients in that phase)]``."""
        trained = {n for p in phases for n in p.networks}
        covered: set[int] = set()
        for name, module in networks.items():
            params = dict(module.named_parameters())
            if name not in trained or not any(p.requires_grad for p in params.values()):
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

    def set_sync(self, phase_index: int) -> None:
        """Before a phase: wrappers average gradients only for the networks the phase updates."""
        for wrapper, flag in self._syncs[phase_index]:
            wrapper.require_backward_grad_sync = flag

    def unwrap(self) -> None:
        """Forget the wrappers (the caller has put the plain modules back)."""
        for module in self.plain.values():
            if hasattr(module, "_ddp_params_and_buffers_to_ignore"):
                del module._ddp_params_and_buffers_to_ignore
        self.plain, self.wrapped, self._syncs = {}, {}, []

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
        for module in self.plain.values():
            for b in module.buffers():
                comm = b.data.to(self.comm_device)
                dist.broadcast(comm, src=0)
                b.data.copy_(comm)

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
