"""The public builders: encoders, decoders and discriminators chosen from the data's shape.

Shapes exclude the batch dimension: images ``(C, H, W)``, tabular data ``(F,)``. ``arch``
picks the family from a small registry (``dense`` for any shape, ``conv`` for the square image
sizes of :data:`latentmix.nn.conv.CONV_LAYOUTS`). Every built network records its builder
arguments in ``.config`` so :func:`build_from_config` can rebuild it before loading weights.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from ..exceptions import InvalidParameterError
from ._checks import check_options, check_positive_int, check_shape, check_widths
from ._layers import Discriminator, Network, apply_spectral_norm, init_weights
from .conv import ConvSpec, conv_decoder, conv_discriminator, conv_encoder
from .dense import (
    DenseSpec,
    TiedDenseDecoder,
    dense_decoder,
    dense_discriminator,
    dense_encoder,
    tied_linears,
)

__all__ = ["build_encoder", "build_decoder", "build_discriminator", "build_from_config"]

#: Default hidden widths of the dense networks (conv defaults live in CONV_LAYOUTS).
DENSE_HIDDEN = {"encoder": (256,), "decoder": (256,), "discriminator": (512, 256)}

_SPECS = {"dense": DenseSpec, "conv": ConvSpec}
_ENCODERS = {"dense": dense_encoder, "conv": conv_encoder}
_DECODERS = {"dense": dense_decoder, "conv": conv_decoder}
_DISCRIMINATORS = {"dense": dense_discriminator, "conv": conv_discriminator}


def _spec(kind: str, arch: str, hidden, **options):
    """A DenseSpec / ConvSpec with the per-kind default widths filled in."""
    if arch == "dense":
        return DenseSpec(DENSE_HIDDEN[kind] if hidden is None else hidden, **options)
    return ConvSpec(hidden, **options)


def _config(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    """JSON-serialisable builder arguments (tuples as lists, the tied encoder as a flag)."""
    config = {"kind": kind}
    for name, value in args.items():
        if name == "tied_to":
            config["tied"] = value is not None
        else:
            config[name] = list(value) if isinstance(value, tuple) else value
    return config


def _finish(net: nn.Module, config: dict, *, init: str, spectral_norm: bool) -> nn.Module:
    init_weights(net, init)
    if spectral_norm:
        apply_spectral_norm(net)
    net.config = config
    return net


def build_encoder(input_shape, out_features, arch="dense", *, hidden=None, activation="relu",
                  batchnorm=False, dropout=0.0, spectral_norm=False, final_activation=None,
                  init="default") -> Network:
    """Encoder ``(N, *input_shape) -> (N, out_features)``.

    ``hidden``: widths of the hidden Linear layers (dense, default ``(256,)``; ``()`` gives a
    single Linear) or the conv channel widths (default per image size). ``final_activation``
    (None = linear code) is applied to the output, e.g. ``"sigmoid"`` for the classic
    784-256-784 autoencoder. ``init="dcgan"`` draws weights from N(0, 0.02).
    """
    config = _config("encoder", dict(locals()))
    owner = "build_encoder"
    shape = check_shape(owner, "input_shape", input_shape)
    out_features = check_positive_int(owner, "out_features", out_features)
    hidden = check_widths(owner, "hidden", hidden)
    check_options(owner, arch=arch, activation=activation, batchnorm=batchnorm, dropout=dropout,
                  spectral_norm=spectral_norm, final_activation=final_activation, init=init)
    spec = _spec("encoder", arch, hidden, activation=activation, batchnorm=batchnorm,
                 dropout=dropout)
    net = _ENCODERS[arch](shape, out_features, spec, final_activation=final_activation)
    return _finish(net, config, init=init, spectral_norm=spectral_norm)


def build_decoder(latent_dim, output_shape, arch="dense", *, hidden=None, activation="relu",
                  batchnorm=False, dropout=0.0, output_activation="sigmoid", tied_to=None,
                  spectral_norm=False, init="default") -> Network | TiedDenseDecoder:
    """Decoder ``(N, latent_dim) -> (N, *output_shape)``, mirroring :func:`build_encoder`.

    ``hidden`` is given in *encoder* order (pass the encoder's value) and used reversed.
    ``output_activation``: ``"sigmoid"`` (data in [0, 1]), ``"linear"``/None, or any
    activation name (``"tanh"`` for data in [-1, 1]). ``tied_to=<dense encoder>`` returns a
    :class:`TiedDenseDecoder` using the encoder's transposed weights: save, move and optimise
    it together with that encoder (its ``state_dict`` holds only its own biases).
    """
    config = _config("decoder", dict(locals()))
    owner = "build_decoder"
    latent_dim = check_positive_int(owner, "latent_dim", latent_dim)
    shape = check_shape(owner, "output_shape", output_shape)
    hidden = check_widths(owner, "hidden", hidden)
    check_options(owner, arch=arch, activation=activation, batchnorm=batchnorm, dropout=dropout,
                  spectral_norm=spectral_norm, output_activation=output_activation, init=init,
                  tied_to=tied_to)
    if tied_to is not None:
        net = _tied_decoder(latent_dim, shape, arch, hidden, tied_to, spectral_norm,
                            activation=activation, batchnorm=batchnorm, dropout=dropout,
                            output_activation=output_activation)
    else:
        spec = _spec("decoder", arch, hidden, activation=activation, batchnorm=batchnorm,
                     dropout=dropout)
        net = _DECODERS[arch](latent_dim, shape, spec, output_activation=output_activation)
    return _finish(net, config, init=init, spectral_norm=spectral_norm)


def _tied_decoder(latent_dim, shape, arch, hidden, encoder, spectral_norm, **options):
    if arch != "dense" or spectral_norm:
        raise InvalidParameterError(
            "tied_to (weight sharing with the encoder) needs arch='dense' and "
            f"spectral_norm=False; got arch={arch!r}, spectral_norm={spectral_norm!r}."
        )
    linears = tied_linears(encoder, latent_dim, shape)
    widths = tuple(m.out_features for m in linears[:-1])
    if hidden is not None and hidden != widths:
        raise InvalidParameterError(
            f"hidden={hidden!r} does not match the tied encoder's hidden widths {widths!r}; "
            "leave hidden=None with tied_to."
        )
    return TiedDenseDecoder(linears, shape, **options)


def build_discriminator(input_shape, arch="dense", *, hidden=None, activation="leaky_relu",
                        dropout=0.0, spectral_norm=False, output="logit", batchnorm=None,
                        init="default") -> Discriminator:
    """Discriminator ``(N, *input_shape) -> (N, 1)`` raw logits (``output="probability"``
    appends a sigmoid). Dense default hidden ``(512, 256)``; conv is DCGAN-style strided convs
    (default channels per image size, doubled from the encoder's).

    ``batchnorm=None`` means BatchNorm2d on every conv layer but the first for ``arch="conv"``
    without spectral norm (DCGAN), none otherwise; pass ``batchnorm=False`` for losses that
    penalise per-sample gradients (``wgan-gp``). ``.features(x)`` gives the head's input.
    """
    config = _config("discriminator", dict(locals()))
    owner = "build_discriminator"
    shape = check_shape(owner, "input_shape", input_shape)
    hidden = check_widths(owner, "hidden", hidden)
    check_options(owner, arch=arch, activation=activation, batchnorm=batchnorm, dropout=dropout,
                  spectral_norm=spectral_norm, output=output, init=init)
    if batchnorm is None:
        batchnorm = arch == "conv" and not spectral_norm
    spec = _spec("discriminator", arch, hidden, activation=activation, batchnorm=batchnorm,
                 dropout=dropout)
    net = _DISCRIMINATORS[arch](shape, spec, output=output)
    return _finish(net, config, init=init, spectral_norm=spectral_norm)


_BUILDERS = {"encoder": build_encoder, "decoder": build_decoder,
             "discriminator": build_discriminator}


def build_from_config(config: dict, *, tied_to: nn.Module | None = None) -> nn.Module:
    """Rebuild a network from its ``.config`` (e.g. read back from ``config.json``); pass the
    encoder again as ``tied_to`` for a tied decoder. Weights are not restored: load them next.
    """
    if not isinstance(config, dict) or config.get("kind") not in _BUILDERS:
        raise InvalidParameterError(
            f"config must be a network's .config dict with 'kind' among {sorted(_BUILDERS)}; "
            f"got {config!r}."
        )
    args = {k: v for k, v in config.items() if k not in ("kind", "tied")}
    if config.get("tied"):
        if tied_to is None:
            raise InvalidParameterError("this decoder was tied to an encoder: pass tied_to=.")
        args["tied_to"] = tied_to
    return _BUILDERS[config["kind"]](**args)
