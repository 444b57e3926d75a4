"""Tiny models implementing the training protocol (``networks_``, ``training_phases``,
``validation_loss``), used by the training-engine tests."""

from __future__ import annotations

import time
from collections import Counter

import torch
import torch.nn.functional as F
from torch import nn

from latentmix.train import Phase, adam


def toy_data(n: int = 128, dim: int = 8, seed: int = 0) -> torch.Tensor:
    """Rows near a 3-dimensional subspace of R^dim (an autoencoder can learn them)."""
    g = torch.Generator().manual_seed(seed)
    signal = torch.randn(n, 3, generator=g) @ torch.randn(3, dim, generator=g) / 2
    return signal + 0.05 * torch.randn(n, dim, generator=g)


class ToyAutoEncoder:
    """A dense autoencoder dim -> hidden -> latent -> hidden -> dim, trained in one phase.

    ``noise``: gaussian noise added to the code in training (draws from torch's global RNG);
    ``nan_at``: the loss call (= global step) that returns NaN; ``delay``: seconds slept per
    loss call (so a test can kill a run midway); ``val_schedule``: fixed validation losses per
    epoch (to script early stopping; ``snapshots`` then holds the weights seen at each epoch);
    ``schedule``: the phase's learning-rate schedule.
    """

    def __init__(self, dim=8, hidden=16, latent=3, lr=1e-2, noise=0.0, dropout=0.0, nan_at=None,
                 delay=0.0, val_schedule=None, batchnorm=False, schedule=None):
        def block(i, o):
            layers = [nn.Linear(i, o)] + ([nn.BatchNorm1d(o)] if batchnorm else []) + [nn.Tanh()]
            return layers + ([nn.Dropout(dropout)] if dropout else [])
        self.networks_ = nn.ModuleDict({
            "encoder": nn.Sequential(*block(dim, hidden), nn.Linear(hidden, latent)),
            "decoder": nn.Sequential(*block(latent, hidden), nn.Linear(hidden, dim)),
        })
        self.lr, self.noise, self.nan_at, self.delay = lr, noise, nan_at, delay
        self.val_schedule, self.snapshots, self.schedule = val_schedule, [], schedule
        self.calls = Counter()

    def training_phases(self):
        return [Phase("reconstruct", ("encoder", "decoder"), self._loss, optimizer=adam(self.lr),
                      schedule=self.schedule)]

    def _loss(self, batch, ctx=None):
        n = self.calls["reconstruct"]
        self.calls["reconstruct"] += 1
        if self.delay:
            time.sleep(self.delay)
        z = self.networks_["encoder"](batch)
        if self.noise:
            z = z + self.noise * torch.randn_like(z)
        loss = F.mse_loss(self.networks_["decoder"](z), batch)
        if self.nan_at is not None and n == self.nan_at:
            loss = loss * float("nan")
        return loss, {"code_norm": z.detach().pow(2).mean()}

    def validation_loss(self, batch):
        if self.val_schedule is not None:
            self.snapshots.append({k: v.clone() for k, v in self.state().items()})
            return torch.tensor(self.val_schedule[len(self.snapshots) - 1])
        return F.mse_loss(self.networks_["decoder"](self.networks_["encoder"](batch)), batch)

    def state(self) -> dict[str, torch.Tensor]:
        return {f"{n}.{k}": v for n, m in self.networks_.items() for k, v in m.state_dict().items()}


class ToyAdversarial:
    """A two-phase toy in the shape of a WGAN: ``critic`` every step, ``generator`` every second
    step (interval=2). ``order`` lists the phases as they were called."""

    def __init__(self, dim=4, latent=2):
        self.networks_ = nn.ModuleDict({
            "generator": nn.Sequential(nn.Linear(latent, 8), nn.Tanh(), nn.Linear(8, dim)),
            "critic": nn.Sequential(nn.Linear(dim, 8), nn.Tanh(), nn.Linear(8, 1)),
        })
        self.latent = latent
        self.calls, self.order = Counter(), []

    def training_phases(self):
        return [Phase("critic", ("critic",), self._critic_loss, optimizer=adam(1e-3, (0.5, 0.9))),
                Phase("generator", ("generator",), self._generator_loss, interval=2)]

    def _fake(self, n):
        return self.networks_["generator"](torch.randn(n, self.latent))

    def _critic_loss(self, batch, ctx=None):
        self.calls["critic"] += 1
        self.order.append("critic")
        critic = self.networks_["critic"]
        real, fake = critic(batch), critic(self._fake(len(batch)).detach())
        gap = fake.mean() - real.mean()
        return gap + 0.1 * (real.pow(2).mean() + fake.pow(2).mean()), {"gap": gap.detach()}

    def _generator_loss(self, batch, ctx=None):
        self.calls["generator"] += 1
        self.order.append("generator")
        return -self.networks_["critic"](self._fake(len(batch))).mean(), {}
