"""Shared pieces of the network builders: activations by name, weight init, spectral norm,
parameter counting and the :class:`Network` container that records its shapes.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

__all__ = [
    "ACTIVATIONS",
    "Network",
    "Discriminator",
    "make_activation",
    "apply_spectral_norm",
    "init_weights",
    "count_parameters",
    "hidden_block",
]

#: Activation name -> factory of a fresh module. ``leaky_relu`` uses slope 0.2 (DCGAN's value).
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}

#: Names meaning "no activation" for a network's last layer.
LINEAR_NAMES = (None, "linear")

_WEIGHTED = (nn.Linear, nn.modules.conv._ConvNd)


def make_activation(name: str) -> nn.Module:
    """A new activation module from its name (a key of :data:`ACTIVATIONS`)."""
    return ACTIVATIONS[name]()


def output_layers(name: str | None) -> list[nn.Module]:
    """The activation of a network's last layer: none for ``None``/"linear"."""
    return [] if name in LINEAR_NAMES else [make_activation(name)]


def hidden_block(
    layer: nn.Module, activation: str, *, norm: nn.Module | None, dropout: float
) -> list[nn.Module]:
    """``layer -> [norm] -> activation -> [dropout]``, the unit every hidden layer is made of."""
    block = [layer]
    if norm is not None:
        block.append(norm)
    block.append(make_activation(activation))
    if dropout > 0:
        block.append(nn.Dropout(dropout))
    return block


def init_weights(module: nn.Module, scheme: str) -> nn.Module:
    """Initialise in place. ``"default"`` keeps PyTorch's init; ``"dcgan"`` draws conv/linear
    weights from N(0, 0.02) and norm scales from N(1, 0.02), biases 0 (Radford et al. 2016,
    "Unsupervised representation learning with deep convolutional GANs").
    """
    if scheme == "default":
        return module
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, _WEIGHTED):
                nn.init.normal_(m.weight, 0.0, 0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.modules.batchnorm._BatchNorm) and m.affine:
                nn.init.normal_(m.weight, 1.0, 0.02)
                nn.init.zeros_(m.bias)
    return module


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectral-normalise the weight of every Linear / Conv / ConvTranspose layer in place
    (Miyato et al. 2018, "Spectral normalization for generative adversarial networks")."""
    for m in list(module.modules()):
        if isinstance(m, _WEIGHTED) and not parametrize.is_parametrized(m, "weight"):
            _spectral_norm(m)
    return module


def count_parameters(module: nn.Module, *, trainable_only: bool = False) -> int:
    """Number of scalars in ``module.parameters()`` (shared tensors counted once)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


class Network(nn.Sequential):
    """Layers applied in order, with the shapes they map recorded (batch dimension excluded).

    ``input_shape``/``output_shape`` are tuples like ``(1, 28, 28)`` or ``(32,)``; ``config``
    holds the builder arguments (JSON-serialisable) so the same network can be rebuilt with
    :func:`latentmix.nn.build_from_config` before loading its ``state_dict``.
    """

    def __init__(self, layers=(), *, input_shape=(), output_shape=(), config: dict | None = None):
        if isinstance(layers, OrderedDict):  # what ``nn.Sequential.__getitem__(slice)`` passes
            super().__init__(layers)
        else:
            super().__init__(*layers)
        self.input_shape = tuple(input_shape)
        self.output_shape = tuple(output_shape)
        self.config = dict(config or {})

    @property
    def in_features(self) -> int:
        return math.prod(self.input_shape)

    @property
    def out_features(self) -> int:
        return math.prod(self.output_shape)


class Discriminator(Network):
    """A :class:`Network` whose last module is the head (logit layer, plus a sigmoid when
    ``output="probability"``); :meth:`features` returns what the head sees, e.g. for feature
    matching in VAE-GAN (Larsen et al. 2016)."""

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, *input_shape) -> (N, n_features): the flattened input of the head."""
        for layer in list(self)[:-1]:
            x = layer(x)
        return x

    def forward(self, x: torch.Tensor, with_features: bool = False):
        """The head's output, or ``(output, features)`` with ``with_features=True``: one pass for
        both, through ``forward`` so that a ``DistributedDataParallel`` wrapper sees the call."""
        h = self.features(x)
        out = self[-1](h)
        return (out, h) if with_features else out
