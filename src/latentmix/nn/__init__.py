"""Neural-network building blocks: encoders, decoders and discriminators sized from the data.

>>> from latentmix.nn import build_encoder, build_decoder, build_discriminator
>>> enc = build_encoder((1, 28, 28), 32, "conv")        # (N, 1, 28, 28) -> (N, 32)
>>> dec = build_decoder(32, (1, 28, 28), "conv")        # (N, 32) -> (N, 1, 28, 28) in [0, 1]
>>> disc = build_discriminator((1, 28, 28), "conv")     # (N, 1, 28, 28) -> (N, 1) logits
"""

from ._layers import ACTIVATIONS, Discriminator, Network, count_parameters
from .conv import CONV_LAYOUTS, ConvLayout, ConvSpec
from .dense import DenseSpec, TiedDenseDecoder
from .factory import build_decoder, build_discriminator, build_encoder, build_from_config

__all__ = [
    "ACTIVATIONS",
    "CONV_LAYOUTS",
    "ConvLayout",
    "ConvSpec",
    "DenseSpec",
    "Discriminator",
    "Network",
    "TiedDenseDecoder",
    "build_decoder",
    "build_discriminator",
    "build_encoder",
    "build_from_config",
    "count_parameters",
]
