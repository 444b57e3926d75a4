"""Self-training of an encoder on its own confident cluster assignments: DEC (Xie, Girshick &
Farhadi, 2016, "Unsupervised deep embedding for clustering analysis") with IDEC's reconstruction
term kept in the loss (Guo, Gao, Liu & Yin, 2017, "Improved deep embedded clustering with local
structure preservation").

The soft assignment Q of a code z is either DEC's Student-t kernel around learnable centres,
``q_ij ~ (1 + |z_i - mu_j|^2 / alpha)^(-(alpha + 1) / 2)``, or the responsibilities of a fixed
Gaussian mixture fitted on the codes. The target P sharpens Q, ``p_ij ~ q_ij^2 / f_j`` with
``f_j = sum_i q_ij`` (confident assignments count more, large clusters are damped), and is
recomputed over the whole data every ``update_interval`` epochs. One phase, trained by the one
loop (:func:`latentmix.train.fit_phases`): loss = the autoencoder's own training loss +
``gamma`` * KL(P || Q).
"""

from __future__ import annotations

import torch

from ..train import Phase, adam, fit_phases

__all__ = ["student_t_assignments", "target_distribution", "kl_to_target", "StudentTKernel", "MixtureKernel",
           "SelfTraining"]


def student_t_assignments(z: torch.Tensor, centres: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """DEC's soft assignments: codes (N, d), centres (k, d) -> (N, k), rows summing to 1."""
    d2 = torch.cdist(z.float(), centres.float()).pow(2)  # (N, k)
    logits = -0.5 * (alpha + 1.0) * torch.log1p(d2 / alpha)
    return torch.softmax(logits, 1)


def target_distribution(q: torch.Tensor) -> torch.Tensor:
    """DEC's sharpened target: (N, k) -> (N, k), ``p_ij ~ q_ij^2 / sum_i q_ij``, rows summing to 1."""
    weight = q.pow(2) / q.sum(0).clamp_min(1e-12)
    return weight / weight.sum(1, keepdim=True).clamp_min(1e-12)


def kl_to_target(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """KL(P || Q) per row, averaged over rows: (N, k), (N, k) -> scalar."""
    p = p.clamp_min(1e-12)
    return (p * (p.log() - q.clamp_min(1e-12).log())).sum(1).mean()


class StudentTKernel(torch.nn.Module):
    """Learnable centres (k, d); ``forward(z)`` = :func:`student_t_assignments`."""

    def __init__(self, centres: torch.Tensor, alpha: float = 1.0):
        super().__init__()
        self.centres = torch.nn.Parameter(centres.detach().clone().float())
        self.alpha = float(alpha)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return student_t_assignments(z, self.centres, self.alpha)


class MixtureKernel(torch.nn.Module):
    """A fixed Gaussian mixture (a :class:`~latentmix.priors.GaussianMixturePrior`); ``forward(z)`` =
    its responsibilities (N, k). Its parameters are buffers: only the encoder moves."""

    def __init__(self, prior):
        super().__init__()
        self.prior = prior
        self.anchor = torch.nn.Parameter(torch.zeros(()), requires_grad=False)  # gives .parameters() a device

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.prior.predict_proba(z)


class SelfTraining:
    """The model :func:`fit_phases` trains: the autoencoder's encoder and decoder plus the kernel.

    ``X``: the (scaled) training data, a tensor on the autoencoder's device; ``gamma``: the weight
    of the clustering loss (IDEC: 0.1); ``update_interval``: epochs between target updates.
    After :meth:`run`, ``history_`` holds the loop's records and ``changed_`` the fraction of
    samples whose assignment changed at each target update (DEC stops below 0.1%).
    """

    def __init__(self, autoencoder, kernel: torch.nn.Module, X: torch.Tensor, *, gamma: float = 0.1,
                 lr: float = 1e-4, update_interval: int = 1):
        self.autoencoder = autoencoder
        self.X = X
        self.gamma, self.lr, self.update_interval = float(gamma), float(lr), int(update_interval)
        nets = autoencoder.networks_
        self.networks_ = torch.nn.ModuleDict({"encoder": nets["encoder"], "decoder": nets["decoder"],
                                              "kernel": kernel.to(X.device)})
        self.target_, self.labels_, self.changed_ = None, None, []

    def assignments(self) -> torch.Tensor:
        """Q over all of X (N, k), networks in eval mode, no gradients."""
        kernel = self.networks_["kernel"]
        with torch.no_grad():
            return self.autoencoder._batched(self.X, lambda x: kernel(self.autoencoder._encode(x)))

    def refresh_target(self) -> None:
        q = self.assignments()
        labels = q.argmax(1)
        if self.labels_ is not None:
            self.changed_.append(float((labels != self.labels_).float().mean()))
        self.target_, self.labels_ = target_distribution(q), labels

    def training_phases(self) -> list[Phase]:
        trained = ("encoder", "decoder") + (("kernel",) if any(p.requires_grad for p in
                                                                self.networks_["kernel"].parameters()) else ())
        return [Phase("self-train", trained, self._loss, adam(self.lr))]

    def _loss(self, batch: torch.Tensor, ctx):
        reconstruction = self.autoencoder._training_loss(batch, None)[0]
        q = self.networks_["kernel"](self.autoencoder._encode(batch))
        kl = kl_to_target(self.target_[ctx.index], q)
        return reconstruction + self.gamma * kl, {"kl": kl.detach(), "reconstruction": reconstruction.detach()}

    def on_epoch_end(self, epoch: int) -> None:
        if (epoch + 1) % self.update_interval == 0:
            self.refresh_target()

    def run(self, *, epochs: int, batch_size: int, seed: int, verbose: int) -> SelfTraining:
        self.refresh_target()
        result = fit_phases(self, self.X, epochs=epochs, batch_size=batch_size, seed=seed, verbose=verbose)
        self.history_ = result.history
        self.autoencoder.networks_.eval()
        return self
