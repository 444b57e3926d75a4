"""Convolutional encoders, decoders (generators) and DCGAN-style discriminators, sized from the
image: each supported side length has a fixed number of stride-2 steps (:data:`CONV_LAYOUTS`).

A stride-2 layer is a 4x4 convolution with padding 1 (side ``s -> s/2``; the decoder uses the
matching 4x4 ``ConvTranspose2d``, ``s -> 2s``); any extra leading channel widths become 3x3,
stride-1 convolutions. A hidden layer is ``conv -> [BatchNorm2d] -> activation -> [Dropout]``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from torch import nn

from ..exceptions import InvalidParameterError
from ._checks import check_options, check_widths
from ._layers import Discriminator, Network, hidden_block, output_layers

__all__ = [
    "CONV_LAYOUTS",
    "ConvLayout",
    "ConvSpec",
    "conv_layout",
    "conv_encoder",
    "conv_decoder",
    "conv_discriminator",
]


@dataclass(frozen=True)
class ConvLayout:
    """How images of one side length are processed: ``n_down`` stride-2 steps and the default
    channel widths (encoder/decoder and discriminator), input side first."""

    n_down: int
    channels: tuple[int, ...]
    disc_channels: tuple[int, ...]


#: Supported side length -> layout. 28: 28->14->7; 32: 32->16->8->4; 8: 8 (3x3) ->4.
CONV_LAYOUTS: dict[int, ConvLayout] = {
    8: ConvLayout(1, (32, 64), (64, 128)),
    28: ConvLayout(2, (32, 64), (64, 128)),
    32: ConvLayout(3, (32, 64, 128), (64, 128, 256)),
    64: ConvLayout(4, (32, 64, 128, 256), (64, 128, 256, 512)),
}


@dataclass(frozen=True)
class ConvSpec:
    """Layer options of a convolutional stack. ``channels`` in encoder order (None = the
    layout's default); decoders use them reversed; the builders apply ``spectral_norm``."""

    channels: tuple[int, ...] | None = None
    activation: str = "relu"
    batchnorm: bool = False
    dropout: float = 0.0
    spectral_norm: bool = False

    def __post_init__(self):
        object.__setattr__(self, "channels", check_widths("ConvSpec", "channels", self.channels))
        check_options(
            "ConvSpec",
            activation=self.activation,
            batchnorm=self.batchnorm,
            dropout=self.dropout,
            spectral_norm=self.spectral_norm,
        )

    def as_kwargs(self) -> dict:
        """Builder keywords (``channels`` becomes ``hidden``)."""
        kwargs = asdict(self)
        kwargs["hidden"] = kwargs.pop("channels")
        return kwargs


def conv_layout(owner: str, shape: tuple[int, ...]) -> ConvLayout:
    """The layout of a ``(C, H, W)`` image shape; :class:`InvalidParameterError` otherwise."""
    sizes = ", ".join(f"{s}x{s}" for s in sorted(CONV_LAYOUTS))
    if len(shape) != 3:
        raise InvalidParameterError(
            f"{owner}: arch='conv' needs image data of shape (channels, height, width); got "
            f"tabular shape {shape}. Use arch='dense' for tabular data."
        )
    if shape[1] != shape[2] or shape[1] not in CONV_LAYOUTS:
        raise InvalidParameterError(
            f"{owner}: arch='conv' supports square images of side {sizes}; got "
            f"{shape[1]}x{shape[2]} (shape {shape}). Use arch='dense' for other sizes."
        )
    return CONV_LAYOUTS[shape[1]]


def _plan(owner: str, shape, channels, default) -> tuple[tuple[int, ...], list[int], int]:
    """Channel widths, per-layer strides and the smallest side length for an image shape."""
    layout = conv_layout(owner, shape)
    channels = default(layout) if channels is None else channels
    if len(channels) < layout.n_down:
        raise InvalidParameterError(
            f"{owner}: {shape[1]}x{shape[2]} images take {layout.n_down} stride-2 convolutions, "
            f"so hidden needs at least {layout.n_down} channel widths; got {channels!r}."
        )
    strides = [1] * (len(channels) - layout.n_down) + [2] * layout.n_down
    return channels, strides, shape[1] // 2**layout.n_down


def _conv(c_in: int, c_out: int, stride: int, *, transpose: bool = False) -> nn.Module:
    if stride == 1:
        return nn.Conv2d(c_in, c_out, 3, 1, 1)
    return (nn.ConvTranspose2d if transpose else nn.Conv2d)(c_in, c_out, 4, 2, 1)


def _conv_body(in_channels, channels, strides, spec: ConvSpec, *, norm_first=True):
    """(N, C, H, W) -> (N, channels[-1], H / 2**n_down, W / 2**n_down)."""
    layers: list[nn.Module] = []
    for i, (a, b, s) in enumerate(zip((in_channels, *channels), channels, strides)):
        norm = nn.BatchNorm2d(b) if spec.batchnorm and (norm_first or i > 0) else None
        layers += hidden_block(_conv(a, b, s), spec.activation, norm=norm, dropout=spec.dropout)
    return layers


def conv_encoder(input_shape, out_features, spec: ConvSpec, *, final_activation=None) -> Network:
    """(N, C, H, W) -> convs (N, c_last, s, s) -> flatten (N, c_last*s*s) -> (N, out_features)."""
    channels, strides, side = _plan("build_encoder", input_shape, spec.channels,
                                    lambda layout: layout.channels)
    layers = _conv_body(input_shape[0], channels, strides, spec)
    layers += [nn.Flatten(), nn.Linear(channels[-1] * side * side, out_features)]
    layers += output_layers(final_activation)
    return Network(layers, input_shape=input_shape, output_shape=(out_features,))


def conv_decoder(latent_dim, output_shape, spec: ConvSpec, *, output_activation) -> Network:
    """(N, latent_dim) -> Linear (N, c_last*s*s) -> unflatten (N, c_last, s, s)
    -> transposed convs mirroring the encoder -> (N, C, H, W)."""
    channels, strides, side = _plan("build_decoder", output_shape, spec.channels,
                                    lambda layout: layout.channels)
    rev, rev_strides = channels[::-1], strides[::-1]
    norm = nn.BatchNorm1d(rev[0] * side * side) if spec.batchnorm else None
    layers = hidden_block(nn.Linear(latent_dim, rev[0] * side * side), spec.activation,
                          norm=norm, dropout=spec.dropout)
    layers.append(nn.Unflatten(1, (rev[0], side, side)))
    outs = (*rev[1:], output_shape[0])
    for i, (a, b, s) in enumerate(zip(rev, outs, rev_strides)):
        layer = _conv(a, b, s, transpose=True)
        if i == len(rev) - 1:
            layers += [layer, *output_layers(output_activation)]
        else:
            norm = nn.BatchNorm2d(b) if spec.batchnorm else None
            layers += hidden_block(layer, spec.activation, norm=norm, dropout=spec.dropout)
    return Network(layers, input_shape=(latent_dim,), output_shape=output_shape)


def conv_discriminator(input_shape, spec: ConvSpec, *, output: str) -> Discriminator:
    """(N, C, H, W) -> strided convs (no BatchNorm on the first) -> flatten -> (N, 1) logit."""
    channels, strides, side = _plan("build_discriminator", input_shape, spec.channels,
                                    lambda layout: layout.disc_channels)
    layers = _conv_body(input_shape[0], channels, strides, spec, norm_first=False)
    layers.append(nn.Flatten())
    head = nn.Linear(channels[-1] * side * side, 1)
    if output == "probability":
        head = nn.Sequential(head, nn.Sigmoid())
    return Discriminator([*layers, head], input_shape=input_shape, output_shape=(1,))
