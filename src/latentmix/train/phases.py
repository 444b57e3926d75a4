"""Training phases: what one step of a model's training does, written as data.

A model declares its phases (``model.training_phases()``); the one training loop
(:func:`latentmix.train.fit_phases`) runs them in order on every batch. The habit comes from
``stylegan2-ada-pytorch/training/training_loop.py``, where alternating optimisation
(generator, discriminator, regularisation) is a list of phases, not a trainer per model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from numbers import Integral

import torch

from ..exceptions import InvalidParameterError

__all__ = ["Phase", "StepContext", "adam", "default_optimizer", "check_phases", "build_optimizers",
           "cosine_schedule", "SCHEDULES"]


@dataclass
class StepContext:
    """What a phase's loss sees besides the batch, for one global step.

    ``step``: the 0-based global step; ``epoch``: the 0-based epoch; ``progress``: ``step`` over
    the run's total steps, in [0, 1) (for KL or adversarial-weight ramps); ``index``: the rows of
    X in this batch (B,); ``y``: their labels when ``fit_phases`` was given ``y``, else None;
    ``cache``: a dict shared by the phases of this step and emptied after it, so that a hybrid
    computes its forward pass once per step (e.g. a VAE-GAN's encode/decode) and every phase
    takes its own loss from it. The loop keeps the autograd graph of the cached tensors alive
    until the step's last phase has run its backward pass (``retain_graph``).

    ``share_graphs=False`` (the loop sets it under ``torch.distributed``): :meth:`cached`
    computes afresh for every phase. DDP's gradient hooks need each phase's full backward pass,
    which through a shared graph would reach networks an earlier phase of the step has already
    stepped in place (and every DDP-wrapped network must be called through its wrapper in the
    phase whose backward it synchronises).
    """

    step: int
    epoch: int
    progress: float
    index: torch.Tensor
    y: torch.Tensor | None = None
    cache: dict = field(default_factory=dict)
    share_graphs: bool = True

    def cached(self, key: str, compute: Callable[[], object]):
        """``cache[key]``, computed by ``compute()`` on first use within the step (on every use
        when ``share_graphs`` is False)."""
        if not self.share_graphs:
            return compute()
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


LossFn = Callable[[torch.Tensor, StepContext], "tuple[torch.Tensor, dict[str, torch.Tensor]]"]
OptimizerFactory = Callable[[Iterable[torch.nn.Parameter]], torch.optim.Optimizer]
Schedule = Callable[[float], float]  # training progress in [0, 1) -> factor on the optimizer's lr


def cosine_schedule(warmup: float = 0.0) -> Schedule:
    """Linear warm-up over the first ``warmup`` fraction of training, then a half cosine from the
    base learning rate down to 0 (Loshchilov & Hutter, 2017, SGDR, without restarts)."""
    if not 0.0 <= warmup < 1.0:
        raise InvalidParameterError(f"warmup must be in [0, 1); got {warmup!r}")

    def factor(progress: float) -> float:
        if progress < warmup:
            return (progress + 1e-3) / warmup
        return 0.5 * (1.0 + math.cos(math.pi * (progress - warmup) / (1.0 - warmup)))
    return factor


# The names estimators accept for ``lr_schedule`` (None = the optimizer's constant rate).
SCHEDULES: dict[str, Schedule | None] = {"constant": None, "cosine": cosine_schedule()}


def default_optimizer(params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """Adam with lr=1e-3 (Kingma & Ba, 2015), the default of every phase."""
    return torch.optim.Adam(params, lr=1e-3)


def adam(lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), **kwargs) -> OptimizerFactory:
    """An optimizer factory for :class:`Phase`: ``Phase(..., optimizer=adam(2e-4, (0.5, 0.999)))``."""
    def make(params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
        return torch.optim.Adam(params, lr=lr, betas=betas, **kwargs)
    return make


@dataclass
class Phase:
    """One phase of a training step.

    ``networks`` are keys of ``model.networks_`` whose parameters this phase's optimizer updates,
    and the only ones that receive gradients from its loss (other networks it calls are used, not
    trained: no gradient is computed for their weights); ``loss(batch, ctx)`` (ctx a
    :class:`StepContext`) returns ``(scalar loss, {name: 0-d tensor to log})``; the phase runs on the
    global steps where ``step % interval == 0`` (e.g. a GAN's n_critic). ``after_step(step)``, if
    given, is called under ``torch.no_grad()`` after the phase's optimizer step (e.g. to update a
    generator EMA); ``step`` is the 0-based global step. ``active(ctx)``, if given, is asked after
    the phase's loss is computed (so it can read what earlier phases put in ``ctx.cache``): when
    it returns False the loss is logged but the phase takes no backward pass and no optimizer step
    on this step (e.g. a VAE-GAN's equilibrium margin); under ``torch.distributed`` a step is taken
    only if every rank agrees, so the replicas stay identical.
    """

    name: str
    networks: tuple[str, ...]
    loss: LossFn
    optimizer: OptimizerFactory = field(default=default_optimizer)
    interval: int = 1
    after_step: Callable[[int], None] | None = None
    schedule: Schedule | None = None
    active: Callable[[StepContext], bool] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.networks, str):
            self.networks = (self.networks,)
        self.networks = tuple(self.networks)


def check_phases(phases, networks: torch.nn.ModuleDict) -> list[Phase]:
    """Validate a model's phases against its networks; raise :class:`InvalidParameterError`."""
    if not isinstance(phases, (list, tuple)) or not phases:
        raise InvalidParameterError(f"training_phases() must return a non-empty list of Phase; got {phases!r}")
    seen = set()
    for p in phases:
        if not isinstance(p, Phase):
            raise InvalidParameterError(f"training_phases() must return Phase objects; got {p!r}")
        if not isinstance(p.name, str) or not p.name or p.name in seen:
            raise InvalidParameterError(f"phase names must be distinct non-empty strings; got {p.name!r}")
        seen.add(p.name)
        if not p.networks or any(n not in networks for n in p.networks):
            raise InvalidParameterError(
                f"phase {p.name!r} names networks {list(p.networks)}; model.networks_ has {list(networks)}")
        if p.active is not None and not callable(p.active):
            raise InvalidParameterError(f"phase {p.name!r}: active must be callable or None; got {p.active!r}")
        if not callable(p.loss) or not callable(p.optimizer):
            raise InvalidParameterError(f"phase {p.name!r}: loss and optimizer must be callables")
        if isinstance(p.interval, bool) or not isinstance(p.interval, Integral) or p.interval < 1:
            raise InvalidParameterError(f"phase {p.name!r}: interval must be an int >= 1; got {p.interval!r}")
        if p.after_step is not None and not callable(p.after_step):
            raise InvalidParameterError(f"phase {p.name!r}: after_step must be callable or None")
        if p.schedule is not None and not callable(p.schedule):
            raise InvalidParameterError(f"phase {p.name!r}: schedule must be callable or None")
    return list(phases)


def phase_parameters(phase: Phase, networks: torch.nn.ModuleDict) -> list[torch.nn.Parameter]:
    """The trainable parameters of the phase's networks, each once (tied weights are shared)."""
    params, ids = [], set()
    for name in phase.networks:
        for p in networks[name].parameters():
            if p.requires_grad and id(p) not in ids:
                ids.add(id(p))
                params.append(p)
    return params


def build_optimizers(phases: list[Phase], networks: torch.nn.ModuleDict) -> list[torch.optim.Optimizer]:
    """One optimizer per phase, over the parameters of that phase's networks."""
    optimizers = []
    for p in phases:
        params = phase_parameters(p, networks)
        if not params:
            raise InvalidParameterError(f"phase {p.name!r}: networks {list(p.networks)} have no trainable parameters")
        opt = p.optimizer(params)
        if not isinstance(opt, torch.optim.Optimizer):
            raise InvalidParameterError(
                f"phase {p.name!r}: optimizer factory must return a torch.optim.Optimizer; got {opt!r}")
        for group in opt.param_groups:
            group.setdefault("initial_lr", group["lr"])  # the base rate a schedule scales
        optimizers.append(opt)
    return optimizers


def apply_schedule(schedule: Schedule, optimizer: torch.optim.Optimizer, progress: float) -> None:
    """Set every param group's lr to ``initial_lr * schedule(progress)``."""
    factor = float(schedule(progress))
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"] * factor
