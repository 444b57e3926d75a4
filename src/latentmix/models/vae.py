"""The variational autoencoder (Kingma & Welling, 2014, "Auto-encoding variational Bayes"), with
the beta weight on the KL term of Higgins et al. (2017, "beta-VAE") and a pluggable prior: with a
learnable :class:`~latentmix.priors.GaussianMixturePrior` it is VaDE (Jiang et al., 2017,
"Variational deep embedding"), which clusters through the prior's responsibilities."""

from __future__ import annotations

import math
from numbers import Real

import torch
import torch.nn.functional as F

from .._validation import InstanceOf, Interval, Options
from ..core.registry import register
from ..priors import Prior, check_prior
from ._mixins import ClusterMixin, GenerativeMixin
from ._params import declared_init, training
from .autoencoder import AE_ARCHITECTURE, AutoEncoder

__all__ = ["VAE", "gaussian_kl", "split_gaussian", "reparameterize"]


def split_gaussian(h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """An encoder's output (N, 2d) -> (mean (N, d), log-variance (N, d) clamped to [-20, 10])."""
    mean, logvar = h.chunk(2, dim=1)
    return mean, logvar.clamp(-20.0, 10.0)


def reparameterize(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """A draw of N(mean, exp(logvar)) that gradients flow through (Kingma & Welling, 2014)."""
    return mean + torch.randn_like(mean) * (0.5 * logvar).exp()


def gaussian_kl(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) || N(0, I)) per sample: (N, d) -> (N,)."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)


@register("vae")
class VAE(GenerativeMixin, ClusterMixin, AutoEncoder):
    """Gaussian posterior q(z|x) = N(mu(x), diag sigma^2(x)), a prior (``prior=None``: N(0, I)),
    and a Bernoulli (``likelihood="bernoulli"``, data in [0, 1]) or unit-variance Gaussian likelihood.

    Loss per sample: reconstruction negative log-likelihood + ``beta`` * KL(q(z|x) || prior)
    (closed form for N(0, I), a one-sample Monte-Carlo estimate otherwise). ``transform`` returns
    the posterior means; ``sample(n)`` decodes draws from the prior; ``elbo(X)`` is the per-sample
    evidence lower bound (in nats, for the chosen likelihood). With a mixture prior
    (``prior=GaussianMixturePrior(10, learnable=True)``: VaDE) ``predict``/``predict_proba`` give
    the prior's responsibilities of the posterior means and ``sample(n, component=k)`` draws from
    one component.
    """

    _parameter_constraints = {
        **AutoEncoder._parameter_constraints,
        "beta": [Interval(Real, 0.0, None, closed="left")],
        "likelihood": [Options({"bernoulli", "gaussian"})],
        "prior": [None, InstanceOf(Prior)],
    }

    tied = False  # not a parameter of this model: its decoder never shares the encoder's weights
    __init__ = declared_init([("latent_dim", 16)], [("beta", 1.0), ("likelihood", "bernoulli"), ("prior", None),
                                                    *AE_ARCHITECTURE, *training()])

    def _build_networks(self, input_shape: tuple) -> torch.nn.ModuleDict:
        networks = super()._build_networks(input_shape)
        networks["prior"] = check_prior(self.prior, self.latent_dim)
        return networks

    def training_phases(self):
        phases = super().training_phases()
        if any(p.requires_grad for p in self.networks_["prior"].parameters()):  # VaDE: learn the mixture too
            phases[0].networks = (*phases[0].networks, "prior")
        return phases

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
        return split_gaussian(self.networks_["encoder"](x))

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
        z = reparameterize(mean, logvar) if sample else mean
        nll = self._negative_log_likelihood(self.networks_["decoder"](z), x)
        return nll, self.networks_["prior"].kl(mean, logvar, z)

    def _training_loss(self, batch: torch.Tensor, ctx=None):
        nll, kl = self._terms(batch)
        return (nll + self.beta * kl).mean(), {"nll": nll.mean().detach(), "kl": kl.mean().detach()}

    def elbo(self, X):
        """Evidence lower bound per sample (one posterior draw): (N,)."""
        return self._batched(X, lambda x: -sum(self._terms(x)))

    def _n_generation_components(self) -> int | None:
        return self.networks_["prior"].n_components

    def _generate(self, n: int, generator, component) -> torch.Tensor:
        prior = self.networks_["prior"]
        z = prior.sample(n, generator) if component is None else prior.sample(n, generator, component=component)
        return self._batched(z[0], self._sampling_decoder(), input_shape=(self.latent_dim,), name="z")

    def _sampling_decoder(self) -> torch.nn.Module:
        """The decoder that turns prior draws into samples."""
        return self.networks_["decoder"]

    # ------------------------------------------------------------------ clusters (mixture prior)
    def can_cluster(self) -> bool:
        prior = self.prior
        return prior is not None and prior.n_components is not None

    def _why_no_clusters(self) -> str:
        return "its prior is not a mixture; use prior=GaussianMixturePrior(k)"

    def _cluster_log_proba(self, x: torch.Tensor) -> torch.Tensor:
        return self.networks_["prior"].log_responsibilities(self._encode(x))
