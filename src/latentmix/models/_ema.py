"""An exponential moving average of a generator's weights, used for sampling (Yazici et al., 2019,
"The unusual effectiveness of averaging in GAN training"): the average of the last few thousand
generator steps sits nearer the game's equilibrium than any one iterate, which oscillates around it.

Shared by :class:`~latentmix.GAN` (its generator) and :class:`~latentmix.VAEGAN` (its decoder):
the averaged copy is one more network of the model (so checkpoints, resume and DDP carry it) that
no optimizer trains; the generator's phase updates it after each of its steps.
"""

from __future__ import annotations

import copy

import torch

__all__ = ["averaged_copy", "ema_decay", "update_average"]


def averaged_copy(network: torch.nn.Module) -> torch.nn.Module:
    """The starting average: a frozen copy of ``network``."""
    return copy.deepcopy(network).requires_grad_(False)


def ema_decay(ema: float, update: int) -> float:
    """The decay at the generator's ``update``-th step (0-based): ``min(ema, (1 + t) / (10 + t))``,
    the warm-up of TensorFlow's ExponentialMovingAverage, so that a run with few generator steps
    does not keep a share of the random initial weights."""
    return min(float(ema), (1.0 + update) / (10.0 + update))


@torch.no_grad()
def update_average(average: torch.nn.Module, live: torch.nn.Module, decay: float) -> None:
    """average <- decay * average + (1 - decay) * live; buffers (BatchNorm statistics) copied."""
    for p_avg, p in zip(average.parameters(), live.parameters(), strict=True):
        p_avg.lerp_(p, 1.0 - decay)
    for b_avg, b in zip(average.buffers(), live.buffers(), strict=True):
        b_avg.copy_(b)
