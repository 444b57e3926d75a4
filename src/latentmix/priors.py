"""Latent priors as objects: what a VAE's KL, a GAN's noise and an adversarial autoencoder's
latent discriminator are measured against.

A prior is a ``torch.nn.Module`` whose state lives in parameters and buffers, so checkpoints,
safetensors files and DDP carry it with the model that holds it (under ``networks_["prior"]``).
Every prior has ``sample(n, generator=None) -> (z (n, dim), component (n,) or None)`` and
``log_prob(z) -> (n,)``; mixtures also have ``predict_proba(z)`` / ``predict(z)``.

The object given to a model's constructor is a specification (scikit-learn's rule: fitting
never changes a parameter); at fit the model calls :meth:`Prior.build` with its latent size and
keeps the returned module. ``dim=None`` means "the model's latent size".

- :class:`StandardNormalPrior`: N(0, I), the prior of Kingma & Welling (2014).
- :class:`GaussianMixturePrior`: a mixture of Gaussians, fixed well-separated means by default
  (the mixture prior of the adversarial autoencoder, Makhzani et al., 2015), optionally
  learnable means, log-variances and weights (VaDE, Jiang et al., 2017), or taken from a fitted
  :class:`~latentmix.GaussianMixture` (:meth:`GaussianMixturePrior.from_mixture`). Its
  densities are :mod:`latentmix.mixture._gaussian`'s functions, not a second implementation.
- :class:`CategoricalPrior`: one-hot vectors over ``n_classes`` (the categorical code of the
  adversarial autoencoder's unsupervised clustering form).
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import torch

from .core.registry import register
from .exceptions import InvalidParameterError
from .mixture import _gaussian as G

__all__ = ["Prior", "StandardNormalPrior", "GaussianMixturePrior", "CategoricalPrior", "check_prior", "prior_from_spec"]


def _positive_int(name: str, value, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise InvalidParameterError(f"{name} must be a positive int{' or None' if allow_none else ''}; got {value!r}")
    return int(value)


def _positive_float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        raise InvalidParameterError(f"{name} must be a positive finite number; got {value!r}")
    return float(value)


class Prior(torch.nn.Module):
    """Base of the priors: ``dim`` (None until built), ``n_components`` (None: not a mixture)."""

    n_components: int | None = None
    #: Models call ``kl``/``log_prob``/``sample``, not ``forward``: under torch.distributed the
    #: training loop averages a learnable prior's gradients itself instead of wrapping it in DDP.
    ddp_forward = False

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = _positive_int("dim", dim, allow_none=True)

    # -- the constructor arguments, so a model's config can record its prior (no pickle)
    def get_params(self, deep: bool = False) -> dict:  # noqa: ARG002 (scikit-learn's signature)
        return dict(self._params)

    def build(self, dim: int) -> Prior:
        """A fresh module of this prior for a ``dim``-dimensional latent space; a prior whose own
        ``dim`` differs is an :class:`InvalidParameterError`."""
        if self.dim is not None and self.dim != dim:
            raise InvalidParameterError(f"the prior {type(self).__name__} has dim={self.dim}, but the model's "
                                        f"latent space has {dim} dimensions; make them equal (or leave dim=None)")
        return type(self)(**{**self.get_params(), "dim": dim})

    def _device(self) -> torch.device:
        for t in (*self.parameters(), *self.buffers()):
            return t.device
        return torch.device("cpu")

    def _noise(self, shape: tuple, generator: torch.Generator | None) -> torch.Tensor:
        """N(0, 1) draws: on the CPU from ``generator`` when given (reproducible on any device)."""
        if generator is not None:
            return torch.randn(*shape, generator=generator).to(self._device())
        return torch.randn(*shape, device=self._device())

    def _check_built(self) -> None:
        if self.dim is None:
            raise InvalidParameterError(f"{type(self).__name__} has no dim yet: give dim= or let a model build it")

    def sample(self, n: int, generator: torch.Generator | None = None, component: int | None = None):
        """``(z (n, dim), component (n,) or None)``; ``component=k``: from mixture component k."""
        raise NotImplementedError  # pragma: no cover

    def log_responsibilities(self, z: torch.Tensor) -> torch.Tensor:
        """log p(component | z) of a mixture prior: (N, d) -> (N, k)."""
        raise InvalidParameterError(f"{type(self).__name__} is not a mixture: it has no components")

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def kl(self, mean: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """KL(N(mean, exp(logvar)) || prior) per sample (N,), by the one-sample Monte-Carlo
        estimate log q(z) - log p(z) at the reparameterised draw ``z`` (N, d)."""
        log_q = -0.5 * (((z - mean) ** 2) / logvar.exp() + logvar + math.log(2 * math.pi)).sum(1)
        return log_q - self.log_prob(z)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if not isinstance(v, list))


@register()
class StandardNormalPrior(Prior):
    """N(0, I) in ``dim`` dimensions."""

    def __init__(self, dim: int | None = None):
        super().__init__(dim)
        self._params = {"dim": self.dim}

    def sample(self, n: int, generator: torch.Generator | None = None, component: int | None = None):
        self._check_built()
        if component is not None:
            raise InvalidParameterError("a StandardNormalPrior has no components")
        return self._noise((n, self.dim), generator), None

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        return -0.5 * (z.pow(2).sum(1) + z.shape[1] * math.log(2 * math.pi))

    def kl(self, mean: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The closed form 0.5 * sum(mean^2 + var - 1 - logvar) per sample (N,)."""
        return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(1)


def _separated_means(k: int, d: int, radius: float) -> torch.Tensor:
    """k points at distance ``radius`` from 0, as far apart as cheaply possible: (k, d).

    k <= 2d: +e_1..+e_d, then -e_1..-e_d (pairwise distance radius * sqrt(2) or 2 * radius).
    k > 2d in 2-D: evenly on the circle (the adversarial autoencoder's 2-D mixture; distance
    2 * radius * sin(pi / k)). k > 2d otherwise: the axes, then greedy farthest-point picks among
    4,096 seeded directions on the sphere (each new mean as far as possible from those chosen).
    """
    if d == 2 and k > 4:
        angle = 2 * math.pi * torch.arange(k, dtype=torch.float64) / k
        return (radius * torch.stack([angle.cos(), angle.sin()], 1)).float()
    eye = torch.eye(d, dtype=torch.float64)
    chosen = torch.cat([eye, -eye])[:k]
    if k > 2 * d:
        pool = torch.randn(4096, d, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        pool = pool / pool.norm(dim=1, keepdim=True)
        nearest = torch.cdist(pool, chosen).min(1).values  # (4096,) distance to the closest chosen mean
        picks = []
        for _ in range(k - 2 * d):
            best = int(nearest.argmax())
            picks.append(pool[best])
            nearest = torch.minimum(nearest, (pool - pool[best]).norm(dim=1))
        chosen = torch.cat([chosen, torch.stack(picks)])
    return (radius * chosen).float()


def _as_tensor(name: str, value, shape: tuple) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(value, dtype=np.float64)).float()
    if tuple(t.shape) != shape:
        raise InvalidParameterError(f"{name} must have shape {shape}; got {tuple(t.shape)}")
    if not bool(torch.isfinite(t).all()):
        raise InvalidParameterError(f"{name} contains NaN or infinity")
    return t


@register()
class GaussianMixturePrior(Prior):
    """A mixture of ``n_components`` Gaussians in ``dim`` dimensions.

    Default: equal weights, means at distance ``radius`` from 0 along distinct axes (pairwise
    distance >= radius * sqrt(2) while ``n_components <= 2 * dim``; beyond that spread on the
    circle or sphere, see ``_separated_means``), isotropic ``std`` (the adversarial autoencoder's mixture
    prior, Makhzani et al., 2015). ``means``/``covariances``/``weights`` set them explicitly
    (``covariance_type`` "diag": covariances (k, d); "full": (k, d, d)). ``learnable=True``
    makes the means, diagonal log-variances and weight logits parameters trained with the model
    (VaDE, Jiang et al., 2017). :meth:`from_mixture` copies a fitted ``GaussianMixture``.
    """

    def __init__(self, n_components: int = 10, dim: int | None = None, *, radius: float = 5.0, std: float = 1.0,
                 learnable: bool = False, means=None, covariances=None, weights=None, covariance_type: str = "diag"):
        super().__init__(dim)
        k = _positive_int("n_components", n_components)
        self.n_components = k
        radius, std = _positive_float("radius", radius), _positive_float("std", std)
        if not isinstance(learnable, bool):
            raise InvalidParameterError(f"learnable must be a bool; got {learnable!r}")
        if covariance_type not in ("diag", "full"):
            raise InvalidParameterError(f"covariance_type must be 'diag' or 'full'; got {covariance_type!r}")
        if learnable and covariance_type != "diag":
            raise InvalidParameterError("learnable=True needs covariance_type='diag'")
        self.covariance_type, self.learnable = covariance_type, learnable
        self._params = {"n_components": k, "dim": self.dim, "radius": radius, "std": std, "learnable": learnable,
                        "means": means, "covariances": covariances, "weights": weights,
                        "covariance_type": covariance_type}
        if self.dim is None:
            return  # a specification; build(dim) makes the module
        d = self.dim
        mu = _separated_means(k, d, radius) if means is None else _as_tensor("means", means, (k, d))
        w = torch.full((k,), 1.0 / k) if weights is None else _as_tensor("weights", weights, (k,))
        if bool((w <= 0).any()) or abs(float(w.sum()) - 1) > 1e-4:
            raise InvalidParameterError(f"weights must be positive and sum to 1; got {w.tolist()}")
        if covariance_type == "diag":
            var = torch.full((k, d), std**2) if covariances is None else _as_tensor("covariances", covariances, (k, d))
            if bool((var <= 0).any()):
                raise InvalidParameterError("diagonal covariances must be positive")
            scale = var.log()  # log-variances (k, d)
        else:
            cov = _as_tensor("covariances", covariances if covariances is not None else
                             torch.eye(d).expand(k, d, d) * std**2, (k, d, d))
            chol, info = torch.linalg.cholesky_ex(cov.double())
            if bool((info != 0).any()):
                raise InvalidParameterError("full covariances must be symmetric positive definite")
            scale = chol.float()  # Cholesky factors of the covariances (k, d, d)
        logits = w.log()
        if learnable:
            self.means, self.scale, self.logits = (torch.nn.Parameter(t) for t in (mu, scale, logits))
        else:
            self.register_buffer("means", mu)
            self.register_buffer("scale", scale)
            self.register_buffer("logits", logits)

    @classmethod
    def from_mixture(cls, gm, learnable: bool = False) -> GaussianMixturePrior:
        """The prior of a fitted :class:`~latentmix.GaussianMixture` (``diag``/``spherical``
        become diagonal, ``full``/``tied`` full covariances)."""
        from .mixture import GaussianMixture

        if not isinstance(gm, GaussianMixture) or not hasattr(gm, "means_"):
            raise InvalidParameterError("from_mixture needs a fitted latentmix.GaussianMixture")
        k, d = gm.means_.shape
        cov = np.asarray(torch.as_tensor(gm.covariances_).double().cpu()) if isinstance(gm.covariances_, torch.Tensor) \
            else np.asarray(gm.covariances_, dtype=np.float64)
        ctype = gm.covariance_type
        if ctype == "spherical":
            cov = np.repeat(cov[:, None], d, 1)
        elif ctype == "tied":
            cov = np.repeat(cov[None], k, 0)
        as_list = lambda a: np.asarray(torch.as_tensor(a).double().cpu() if isinstance(a, torch.Tensor) else a,  # noqa: E731
                                       dtype=np.float64).tolist()
        weights = np.asarray(as_list(gm.weights_))
        return cls(k, d, means=as_list(gm.means_), covariances=cov.tolist(), weights=(weights / weights.sum()).tolist(),
                   covariance_type="diag" if ctype in ("diag", "spherical") else "full", learnable=learnable)

    # ------------------------------------------------------------------ densities
    @property
    def weights(self) -> torch.Tensor:
        """Mixture weights (k,)."""
        return torch.softmax(self.logits, 0)

    def _precision_cholesky(self) -> torch.Tensor:
        if self.covariance_type == "diag":
            return torch.exp(-0.5 * self.scale)  # (k, d): 1 / std
        eye = torch.eye(self.dim, device=self.scale.device, dtype=self.scale.dtype)
        inv = torch.linalg.solve_triangular(self.scale, eye.expand_as(self.scale), upper=False)  # L^-1
        return inv.transpose(-1, -2)  # (k, d, d): P with P P^T = Sigma^-1 (upper triangular)

    def component_log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log w_j + log N(z | mu_j, Sigma_j): (N, d) -> (N, k); differentiable."""
        self._check_built()
        op = G.prepare_log_prob(self.weights, self.means, self._precision_cholesky(), self.covariance_type)
        features = torch.cat([z, z * z], 1) if self.covariance_type == "diag" else None  # (N, 2d)
        return G.apply_log_prob(op, z.float(), features)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        return torch.logsumexp(self.component_log_prob(z), 1)

    def predict_proba(self, z: torch.Tensor) -> torch.Tensor:
        """Responsibilities of the components for each code: (N, d) -> (N, k)."""
        return torch.softmax(self.component_log_prob(z), 1)

    def log_responsibilities(self, z: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(self.component_log_prob(z), 1)

    def predict(self, z: torch.Tensor) -> torch.Tensor:
        return self.component_log_prob(z).argmax(1)

    def sample(self, n: int, generator: torch.Generator | None = None, component: int | None = None):
        """``n`` codes and their components; ``component=k`` draws all from component k."""
        self._check_built()
        if component is None:
            probs = self.weights.detach().double().cpu()
            labels = torch.multinomial(probs, n, replacement=True, generator=generator)
        else:
            labels = torch.full((n,), int(component), dtype=torch.long)
        labels = labels.to(self._device())
        eps = self._noise((n, self.dim), generator)
        if self.covariance_type == "diag":
            z = self.means[labels] + eps * torch.exp(0.5 * self.scale[labels])
        else:
            z = self.means[labels] + torch.einsum("nij,nj->ni", self.scale[labels], eps)
        return z, labels


@register()
class CategoricalPrior(Prior):
    """One-hot vectors of ``n_classes`` classes (equal weights by default): the prior of the
    adversarial autoencoder's categorical code (Makhzani et al., 2015, section 6)."""

    def __init__(self, n_classes: int = 10, dim: int | None = None, *, weights=None):
        k = _positive_int("n_classes", n_classes)
        super().__init__(k if dim is None else dim)
        if self.dim != k:
            raise InvalidParameterError(f"a CategoricalPrior's dim is its number of classes ({k}); got dim={dim}")
        self.n_components = k
        self._params = {"n_classes": k, "dim": k, "weights": weights}
        w = torch.full((k,), 1.0 / k) if weights is None else _as_tensor("weights", weights, (k,))
        if bool((w <= 0).any()) or abs(float(w.sum()) - 1) > 1e-4:
            raise InvalidParameterError(f"weights must be positive and sum to 1; got {w.tolist()}")
        self.register_buffer("logits", w.log())

    def sample(self, n: int, generator: torch.Generator | None = None, component: int | None = None):
        if component is None:
            labels = torch.multinomial(self.logits.exp().double().cpu(), n, replacement=True, generator=generator)
        else:
            labels = torch.full((n,), int(component), dtype=torch.long)
        labels = labels.to(self._device())
        return torch.nn.functional.one_hot(labels, self.dim).float(), labels

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """sum_j z_j log w_j: the log-probability of one-hot vectors (N, k) -> (N,)."""
        return z @ self.logits

    def predict(self, z: torch.Tensor) -> torch.Tensor:
        return z.argmax(1)

    def predict_proba(self, z: torch.Tensor) -> torch.Tensor:
        return z / z.sum(1, keepdim=True).clamp_min(1e-12)

    def log_responsibilities(self, z: torch.Tensor) -> torch.Tensor:
        return self.predict_proba(z).clamp_min(1e-30).log()


def check_prior(prior, dim: int, *, default=StandardNormalPrior) -> Prior:
    """The built prior module of a model with ``dim`` latent dimensions (``None``: ``default``)."""
    if prior is None:
        prior = default()
    if not isinstance(prior, Prior):
        raise InvalidParameterError(f"prior must be a latentmix.priors.Prior (e.g. GaussianMixturePrior(10)); "
                                    f"got {type(prior).__name__}")
    return prior.build(dim)


_PRIOR_KINDS = {"normal": StandardNormalPrior, "gmm": GaussianMixturePrior, "categorical": CategoricalPrior}


def prior_from_spec(spec) -> Prior:
    """A prior from a command-line or TOML spec: ``"normal"``, ``"gmm:10"``, ``"categorical:10"``,
    or a table ``{type = "gmm", n_components = 10, learnable = true, ...}``."""
    if isinstance(spec, Prior):
        return spec
    if isinstance(spec, str):
        kind, _, count = spec.partition(":")
        options = {}
        if count:
            if not (count.isascii() and count.isdecimal()) or int(count) < 1:
                raise InvalidParameterError(f"prior {spec!r}: the number after ':' must be a positive int")
            options["n_classes" if kind == "categorical" else "n_components"] = int(count)
    elif isinstance(spec, dict):
        options = dict(spec)
        kind = options.pop("type", None)
    else:
        raise InvalidParameterError(f"a prior is 'normal', 'gmm:K', 'categorical:K' or a table with 'type'; "
                                    f"got {spec!r}")
    if kind not in _PRIOR_KINDS:
        raise InvalidParameterError(f"unknown prior {kind!r}; choose one of {', '.join(_PRIOR_KINDS)} "
                                    "(e.g. gmm:10)")
    try:
        return _PRIOR_KINDS[kind](**options)
    except TypeError as exc:
        raise InvalidParameterError(f"prior {spec!r}: {exc}") from None
