"""The variational autoencoder (Kingma & Welling, 2014, "Auto-encoding variational Bayes"), with
the beta weight on the KL term of Higgins et al. (2017, "beta-VAE")."""

from __future__ import annotations

import math
from numbers import Real

import torch
import torch.nn.functional as F

from .._validation import Interval, Options
from ._registry import register
from .autoencoder import AutoEncoder

__all__ = ["VAE", "gaussian_kl"]


def gaussian_kl(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) || N(0, I)) per sample: (N, d) -> (N,)."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)


@register("vae")
class VAE(AutoEncoder):
    """Gaussian posterior q(z|x) = N(mu(x), diag sigma^2(x)), standard normal prior, and a
    Bernoulli (``likelihood="bernoulli"``, data in [0, 1]) or unit-variance Gaussian likelihood.

    Loss per sample: reconstruction negative log-likelihood + ``beta`` * KL. ``transform`` returns
    the posterior means; ``sample(n)`` decodes draws from the prior; ``elbo(X)`` is the per-sample
    evidence lower bound (in nats, for the chosen likelihood).
    """

    _parameter_constraints = {
        **AutoEncoder._parameter_constraints,
        "beta": [Interval(Real, 0.0, None, closed="left")],
        "likelihood": [Options({"bernoulli", "gaussian"})],
    }

    def __init__(self, latent_dim=16, *, beta=1.0, likelihood="bernoulli", arch="dense", hidden=None,
                 activation="auto", batchnorm=False, dropout=0.0, output_activation="auto", epochs=20,
                 batch_size=128, lr=1e-3, lr_schedule="constant", weight_decay=0.0, patience=None,
                 checkpoint_every=None, compile=False, device="auto", random_state=None, verbose=1):
        super().__init__(latent_dim, arch=arch, hidden=hidden, activation=activation, batchnorm=batchnorm,
                         dropout=dropout, output_activation=output_activation, epochs=epochs,
                         batch_size=batch_size, lr=lr, lr_schedule=lr_schedule, weight_decay=weight_decay,
                         patience=patience, checkpoint_every=checkpoint_every, compile=compile, device=device,
                         random_state=random_state, verbose=verbose)
        self.beta = beta
        self.likelihood = likelihood

    def _layout(self) -> dict:
        # A VAE needs a hidden layer before the (mean, log-variance) head and a linear code.
        layout = super()._layout()
        if self.arch == "dense" and not layout["hidden"]:
            layout = dict(hidden=(256,), activation="relu" if self.activation == "auto" else self.activation)
        layout["code_activation"] = None
        return layout

    def _on_fit_data(self, X: torch.Tensor) -> None:
        super()._on_fit_data(X)
        if self.likelihood == "bernoulli" and self.output_activation_ != "sigmoid":
            from ..exceptions import DataError

            raise DataError("likelihood='bernoulli' needs data in [0, 1]; scale the data or use "
                            "likelihood='gaussian'")

    def _code_size(self) -> int:
        return 2 * self.latent_dim  # (mean, log-variance)

    def _posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.networks_["encoder"](x).chunk(2, dim=1)  # (N, 2d) -> 2 x (N, d)
        return mean, logvar.clamp(-20.0, 10.0)

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        return self._posterior(x)[0]

    def _negative_log_likelihood(self, recon: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """-log p(x | z) per sample, summed over dimensions: (N,)."""
        recon, x = recon.float().flatten(1), x.float().flatten(1)
        if self.likelihood == "bernoulli":
            return F.binary_cross_entropy(recon.clamp(1e-6, 1 - 1e-6), x, reduction="none").sum(1)
        return 0.5 * ((recon - x) ** 2).sum(1) + 0.5 * x.shape[1] * math.log(2 * math.pi)

    def _terms(self, x: torch.Tensor, sample: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self._posterior(x)
        z = mean + torch.randn_like(mean) * (0.5 * logvar).exp() if sample else mean
        return self._negative_log_likelihood(self.networks_["decoder"](z), x), gaussian_kl(mean, logvar)

    def _training_loss(self, batch: torch.Tensor):
        nll, kl = self._terms(batch)
        return (nll + self.beta * kl).mean(), {"nll": nll.mean().detach(), "kl": kl.mean().detach()}

    def elbo(self, X):
        """Evidence lower bound per sample (one posterior draw): (N,)."""
        return self._batched(X, lambda x: -sum(self._terms(x)))

    def sample(self, n_samples: int = 64, seed: int | None = None):
        """Decode ``n_samples`` draws from the N(0, I) prior: a tensor (n, *input_shape)."""
        from ..exceptions import InvalidParameterError

        self._check_is_fitted()
        if not isinstance(n_samples, int) or isinstance(n_samples, bool) or n_samples < 1:
            raise InvalidParameterError(f"n_samples must be a positive int; got {n_samples!r}")
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        z = torch.randn(n_samples, self.latent_dim, generator=gen).to(self._fitted_device())
        return self._batched(z, self.networks_["decoder"], input_shape=(self.latent_dim,), name="z")
