"""Dense (fully connected) encoders, decoders and discriminators, and the tied decoder.

Every dense network flattens its input: ``(N, *shape) -> (N, prod(shape))``. A hidden layer is
``Linear -> [BatchNorm1d] -> activation -> [Dropout]``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from ..exceptions import InvalidParameterError
from ._checks import check_options, check_widths
from ._layers import Discriminator, Network, hidden_block, make_activation, output_layers

__all__ = [
    "DenseSpec",
    "TiedDenseDecoder",
    "dense_layers",
    "dense_encoder",
    "dense_decoder",
    "dense_discriminator",
    "tied_linears",
]


@dataclass(frozen=True)
class DenseSpec:
    """Layer options of a dense stack (a config beside the network, like nanoGPT's GPTConfig).

    ``hidden`` lists the hidden widths in encoder order (input side first); decoders use them
    reversed. ``DenseSpec(hidden=(512, 128)).as_kwargs()`` can be splatted into any builder;
    the builders (not the layer functions below) apply ``spectral_norm``.
    """

    hidden: tuple[int, ...] = (256,)
    activation: str = "relu"
    batchnorm: bool = False
    dropout: float = 0.0
    spectral_norm: bool = False

    def __post_init__(self):
        widths = check_widths("DenseSpec", "hidden", self.hidden)
        object.__setattr__(self, "hidden", widths)
        check_options(
            "DenseSpec",
            activation=self.activation,
            batchnorm=self.batchnorm,
            dropout=self.dropout,
            spectral_norm=self.spectral_norm,
        )

    def as_kwargs(self) -> dict:
        """The fields as builder keywords, e.g. ``build_encoder(shape, 32, **spec.as_kwargs())``."""
        return asdict(self)

    def reversed(self) -> DenseSpec:
        """The same options with the hidden widths mirrored (for a decoder)."""
        return replace(self, hidden=self.hidden[::-1])


def dense_layers(
    in_features: int,
    out_features: int,
    spec: DenseSpec,
    *,
    final_activation: str | None = None,
    norm_first: bool = True,
) -> list[nn.Module]:
    """Hidden blocks ``in -> hidden[0] -> ... -> hidden[-1]`` then ``Linear(., out_features)``
    and the final activation. ``norm_first=False`` leaves the first block without BatchNorm."""
    widths = (in_features, *spec.hidden)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        norm = nn.BatchNorm1d(b) if spec.batchnorm and (norm_first or i > 0) else None
        layers += hidden_block(nn.Linear(a, b), spec.activation, norm=norm, dropout=spec.dropout)
    layers.append(nn.Linear(widths[-1], out_features))
    return layers + output_layers(final_activation)


def dense_encoder(input_shape, out_features, spec: DenseSpec, *, final_activation=None) -> Network:
    """(N, *input_shape) -> flatten (N, prod(input_shape)) -> (N, out_features)."""
    layers = [nn.Flatten(), *dense_layers(math.prod(input_shape), out_features, spec,
                                          final_activation=final_activation)]
    return Network(layers, input_shape=input_shape, output_shape=(out_features,))


def dense_decoder(latent_dim, output_shape, spec: DenseSpec, *, output_activation) -> Network:
    """(N, latent_dim) -> (N, prod(output_shape)) -> unflatten (N, *output_shape).

    ``spec.hidden`` is in encoder order; the decoder uses it reversed."""
    layers = dense_layers(latent_dim, math.prod(output_shape), spec.reversed(),
                          final_activation=output_activation)
    layers.append(nn.Unflatten(1, output_shape))
    return Network(layers, input_shape=(latent_dim,), output_shape=output_shape)


def dense_discriminator(input_shape, spec: DenseSpec, *, output: str) -> Discriminator:
    """(N, *input_shape) -> flatten -> hidden blocks -> (N, 1) logit (or probability).

    The first hidden block never gets BatchNorm (DCGAN's rule)."""
    layers = [nn.Flatten(), *dense_layers(math.prod(input_shape), 1, spec, norm_first=False)]
    head = layers.pop()
    if output == "probability":
        head = nn.Sequential(head, nn.Sigmoid())
    return Discriminator([*layers, head], input_shape=input_shape, output_shape=(1,))


def _is_allowed_in_tied_stack(module: nn.Module) -> bool:
    if isinstance(module, (nn.Linear, parametrize.ParametrizationList)):
        return True
    if isinstance(module, nn.modules.batchnorm._NormBase | nn.LayerNorm):
        return True
    return next(module.parameters(recurse=False), None) is None


def tied_linears(encoder: nn.Module, latent_dim: int, output_shape) -> list[nn.Linear]:
    """The Linear layers of a dense encoder, input side first, checked to chain
    ``prod(output_shape) -> ... -> latent_dim``; :class:`InvalidParameterError` otherwise."""
    bad = [type(m).__name__ for m in encoder.modules() if not _is_allowed_in_tied_stack(m)]
    linears = [m for m in encoder.modules() if isinstance(m, nn.Linear)]
    if bad or not linears:
        found = ", ".join(sorted(set(bad))) if bad else "no nn.Linear layer"
        raise InvalidParameterError(
            "tied_to must be a dense encoder (a stack of nn.Linear layers, e.g. "
            f"build_encoder(shape, latent_dim, arch='dense')); it contains {found}."
        )
    dims = [linears[0].in_features] + [m.out_features for m in linears]
    chained = all(a.out_features == b.in_features for a, b in zip(linears[:-1], linears[1:]))
    if not chained or dims[0] != math.prod(output_shape) or dims[-1] != latent_dim:
        raise InvalidParameterError(
            f"tied_to maps {dims[0]} -> {dims[-1]} features through widths {dims}; a tied "
            f"decoder from latent_dim={latent_dim} to output_shape={tuple(output_shape)} needs "
            f"an encoder mapping {math.prod(output_shape)} -> {latent_dim}."
        )
    return linears


class TiedDenseDecoder(nn.Module):
    """Dense decoder sharing its weights with a dense encoder (transposed), with its own biases.

    (N, latent_dim) -> ``F.linear(x, W_k.T, b'_k)`` -> ... -> ``F.linear(x, W_1.T, b'_1)``
    -> (N, prod(output_shape)) -> unflatten (N, *output_shape), for encoder layers W_1..W_k.

    The encoder's Linear layers are held in a plain tuple, not as submodules: ``parameters()``
    and ``state_dict()`` of this decoder hold only its biases (and its BatchNorm), so the
    decoder must be saved, loaded, moved (``.to``) and optimised *together with its encoder*.
    Gradients of a loss on the decoder output reach the encoder weights.
    """

    def __init__(self, linears, output_shape, *, activation="relu", batchnorm=False,
                 dropout=0.0, output_activation="sigmoid"):
        super().__init__()
        tied = tuple(reversed(linears))
        object.__setattr__(self, "_tied", tied)  # plain attribute: not registered
        self.biases = nn.ParameterList(
            nn.Parameter(torch.empty(m.in_features).uniform_(-1, 1) / math.sqrt(m.out_features))
            for m in tied
        )
        blocks = []
        for m in tied[:-1]:
            norm = [nn.BatchNorm1d(m.in_features)] if batchnorm else []
            drop = [nn.Dropout(dropout)] if dropout > 0 else []
            blocks.append(nn.Sequential(*norm, make_activation(activation), *drop))
        blocks.append(nn.Sequential(*output_layers(output_activation),
                                    nn.Unflatten(1, tuple(output_shape))))
        self.blocks = nn.ModuleList(blocks)
        self.input_shape = (tied[0].out_features,)
        self.output_shape = tuple(output_shape)
        self.config: dict = {}

    @property
    def tied_layers(self) -> tuple[nn.Linear, ...]:
        """The encoder's Linear layers, latent side first (the order this decoder uses them)."""
        return self._tied

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = z
        for layer, bias, block in zip(self._tied, self.biases, self.blocks):
            x = block(F.linear(x, layer.weight.t(), bias))
        return x
