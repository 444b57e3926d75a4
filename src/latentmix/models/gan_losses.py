"""GAN losses as small pure functions on discriminator logits, and the table that names them.

Every ``d_loss(real_logits, fake_logits)`` and ``g_loss(fake_logits)`` takes raw discriminator
outputs of shape (N, 1) or (N,) and returns a 0-d tensor (the batch mean). The probability
D(x) of the papers is ``sigmoid(logit)``; the cross-entropies are written with ``softplus``
(``-log sigmoid(t) = softplus(-t)``, ``-log(1 - sigmoid(t)) = softplus(t)``) so they cannot
overflow. ``LOSSES[name]`` is ``(d_loss, g_loss)``; ``PENALTIES[name]`` is the extra
discriminator term a loss needs (only ``wgan-gp``: :func:`gradient_penalty`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
import torch.nn.functional as F

__all__ = [
    "LOSSES",
    "PENALTIES",
    "LossPair",
    "bce_d_loss",
    "minimax_g_loss",
    "ns_g_loss",
    "hinge_d_loss",
    "wasserstein_d_loss",
    "wasserstein_g_loss",
    "lsgan_d_loss",
    "lsgan_g_loss",
    "gradient_penalty",
    "r1_penalty",
]


def bce_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Goodfellow et al. (2014), "Generative adversarial nets": D maximises
    log D(x) + log(1 - D(G(z))), i.e. minimises ``softplus(-real) + softplus(fake)``.
    (N, 1), (M, 1) -> 0-d."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def minimax_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The original minimax generator loss (Goodfellow et al. 2014): G minimises
    log(1 - D(G(z))) = ``-softplus(fake)``. Saturates when D rejects the fakes. (M, 1) -> 0-d."""
    return -F.softplus(fake_logits).mean()


def ns_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss (Goodfellow et al. 2014, section 3): G minimises
    -log D(G(z)) = ``softplus(-fake)``. (M, 1) -> 0-d."""
    return F.softplus(-fake_logits).mean()


def hinge_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Hinge loss (Lim & Ye 2017, "Geometric GAN"; Miyato et al. 2018): E[relu(1 - D(x))] +
    E[relu(1 + D(G(z)))] on the raw critic output. (N, 1), (M, 1) -> 0-d; the generator uses
    :func:`wasserstein_g_loss` (-E[D(G(z))])."""
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def wasserstein_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Wasserstein critic loss (Arjovsky et al. 2017; Gulrajani et al. 2017 add
    :func:`gradient_penalty`): E[D(G(z))] - E[D(x)]. (N, 1), (M, 1) -> 0-d."""
    return fake_logits.mean() - real_logits.mean()


def wasserstein_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """-E[D(G(z))] (WGAN and hinge generators). (M, 1) -> 0-d."""
    return -fake_logits.mean()


def lsgan_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Least squares GAN (Mao et al. 2017) with the 0-1 coding a=0, b=1:
    1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2] on the raw (linear) output. (N, 1), (M, 1) -> 0-d."""
    return 0.5 * (real_logits - 1.0).pow(2).mean() + 0.5 * fake_logits.pow(2).mean()


def lsgan_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """LSGAN generator (c=1): 1/2 E[(D(G(z)) - 1)^2]. (M, 1) -> 0-d."""
    return 0.5 * (fake_logits - 1.0).pow(2).mean()


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     weight: float = 10.0, eps: torch.Tensor | None = None) -> torch.Tensor:
    """WGAN-GP's penalty (Gulrajani et al. 2017, "Improved training of Wasserstein GANs", eq. 3):
    ``weight * E[(||grad_xhat D(xhat)||_2 - 1)^2]`` with ``xhat = eps * real + (1 - eps) * fake``.

    real, fake: (N, *shape), e.g. (N, C, H, W); eps: (N,) uniform in [0, 1] (one per sample;
    drawn when None). The gradient norm is taken per sample over all of its dimensions
    (C*H*W). The graph is kept (``create_graph``) so the penalty trains the critic. -> 0-d.
    """
    real, fake = real.detach(), fake.detach()
    n = real.shape[0]
    if eps is None:
        eps = torch.rand(n, device=real.device, dtype=real.dtype)
    eps = eps.reshape(n, *([1] * (real.dim() - 1))).to(real)
    xhat = (eps * real + (1.0 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(xhat).sum(), xhat, create_graph=True)
    norms = (grad.flatten(1).pow(2).sum(1) + 1e-12).sqrt()  # (N,); the 1e-12 keeps sqrt' finite at 0
    return weight * (norms - 1.0).pow(2).mean()


def r1_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
               weight: float = 1.0) -> torch.Tensor:
    """R1 (Mescheder, Geiger & Nowozin 2018, "Which training methods for GANs do actually
    converge?", eq. 9): ``weight / 2 * E[||grad_x D(x)||^2]`` on real samples only. It damps the
    discriminator's slope where the real data lie, which makes the game locally convergent where
    the unregularised one oscillates or lets D win outright. real: (N, *shape) -> 0-d (graph kept,
    so the penalty trains the critic)."""
    x = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return 0.5 * weight * grad.flatten(1).pow(2).sum(1).mean()


class LossPair(NamedTuple):
    """A GAN loss: ``d_loss(real_logits, fake_logits)`` and ``g_loss(fake_logits)``."""

    d_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g_loss: Callable[[torch.Tensor], torch.Tensor]


#: Loss name -> (discriminator loss, generator loss).
LOSSES: dict[str, LossPair] = {
    "minimax": LossPair(bce_d_loss, minimax_g_loss),
    "ns": LossPair(bce_d_loss, ns_g_loss),
    "hinge": LossPair(hinge_d_loss, wasserstein_g_loss),
    "wgan-gp": LossPair(wasserstein_d_loss, wasserstein_g_loss),
    "lsgan": LossPair(lsgan_d_loss, lsgan_g_loss),
}

#: Loss name -> the extra discriminator term it needs (critic, real, fake, weight) -> 0-d.
PENALTIES: dict[str, Callable[..., torch.Tensor]] = {"wgan-gp": gradient_penalty}
