"""Autoencoders: plain and denoising (one class each, sharing everything but the corruption)."""

from __future__ import annotations

from functools import partial
from numbers import Integral, Real

import torch
import torch.nn.functional as F

from .._validation import InstanceOf, Interval, Options
from ..core.registry import register
from ..nn import build_decoder, build_encoder
from ..train import SCHEDULES, Phase
from ._neural import NeuralEstimator
from ._noise import NOISE_TYPES, corrupt
from ._params import declared_init, training

__all__ = ["AutoEncoder", "DenoisingAutoEncoder", "AE_ARCHITECTURE"]

#: The network arguments of the autoencoder family, in their constructors' order.
AE_ARCHITECTURE = [("arch", "dense"), ("hidden", None), ("activation", "auto"), ("batchnorm", False),
                   ("dropout", 0.0), ("output_activation", "auto")]

_ARCH_PARAMS = {
    "latent_dim": [Interval(Integral, 1, None, closed="left")],
    "arch": [Options({"dense", "conv"})],
    "hidden": [None, InstanceOf(tuple, list)],
    "activation": [Options({"auto", "relu", "leaky_relu", "sigmoid", "tanh", "elu", "gelu", "silu"})],
    "batchnorm": [InstanceOf(bool)],
    "dropout": [Interval(Real, 0.0, 1.0, closed="left")],
    "output_activation": [Options({"auto", "sigmoid", "linear"})],
    "weight_decay": [Interval(Real, 0.0, None, closed="left")],
}


@register("ae")
class AutoEncoder(NeuralEstimator):
    """An autoencoder: encoder x -> z (``latent_dim``), decoder z -> x, trained to reconstruct.

    ``arch="dense"``: by default one hidden layer of 256 ReLU units on each side of the code
    (784-256-``latent_dim``-256-784 for MNIST); ``hidden=(512, ...)`` sets the widths;
    ``hidden=()`` is the classic autoencoder (Rumelhart, Hinton & Williams, 1986): input ->
    ``latent_dim`` sigmoid units -> sigmoid output (784-256-784 with ``latent_dim=256``);
    ``tied=True`` shares the transposed encoder weights with the decoder.
    ``arch="conv"`` uses strided convolutions sized from the images (28x28, 32x32, 8x8).

    ``transform`` gives the latent codes (features / dimension reduction), ``inverse_transform``
    decodes codes, ``reconstruct`` does both, ``score_samples`` is minus the per-sample mean
    squared reconstruction error (higher = more typical).
    """

    _parameter_constraints = {
        **NeuralEstimator._parameter_constraints, **_ARCH_PARAMS,
        "tied": [InstanceOf(bool)],
        "loss": [Options({"mse", "bce"})],
    }

    __init__ = declared_init([("latent_dim", 32)], [*AE_ARCHITECTURE, ("tied", False), ("loss", "mse"),
                                                    *training()])

    # ------------------------------------------------------------------ networks
    def _on_fit_data(self, X: torch.Tensor) -> None:
        lo, hi = self._data_range  # found while the data were checked
        in_unit_range = lo >= 0 and hi <= 1
        self.output_activation_ = ("sigmoid" if in_unit_range else "linear") \
            if self.output_activation == "auto" else self.output_activation

    def _fitted_extras(self) -> dict:
        return {"output_activation": self.output_activation_}

    def _restore_extras(self, extras: dict) -> None:
        self.output_activation_ = extras["output_activation"]

    def _layout(self) -> dict:
        """Hidden widths and activations. Dense default: one hidden layer of 256 ReLU units on each
        side of the code; ``hidden=()`` is the classic autoencoder whose sigmoid code layer is the
        only hidden layer (784-256-784 with ``latent_dim=256``)."""
        hidden = None if self.hidden is None else tuple(self.hidden)
        classic = self.arch == "dense" and hidden == ()
        activation = self.activation if self.activation != "auto" else ("sigmoid" if classic else "relu")
        if self.arch == "dense" and hidden is None:
            hidden = (256,)
        return dict(hidden=hidden, activation=activation, code_activation=activation if classic else None)

    def _code_size(self) -> int:
        return self.latent_dim

    def _build_networks(self, input_shape: tuple) -> torch.nn.ModuleDict:
        layout = self._layout()
        common = dict(hidden=layout["hidden"], activation=layout["activation"],
                      batchnorm=self.batchnorm, dropout=self.dropout)
        encoder = build_encoder(input_shape, self._code_size(), self.arch,
                                final_activation=layout["code_activation"], **common)
        decoder = build_decoder(self.latent_dim, input_shape, self.arch, output_activation=self.output_activation_,
                                tied_to=encoder if self.tied else None, **common)
        return torch.nn.ModuleDict({"encoder": encoder, "decoder": decoder})

    # ------------------------------------------------------------------ training
    def training_phases(self) -> list[Phase]:
        optimizer = partial(torch.optim.Adam, lr=self.lr, weight_decay=self.weight_decay)
        return [Phase("reconstruct", ("encoder", "decoder"), self._training_loss, optimizer,
                      schedule=SCHEDULES[self.lr_schedule])]

    def _corrupt(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def _reconstruction_error(self, recon: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        recon, target = recon.float(), target.float()
        if self.loss == "bce":
            return F.binary_cross_entropy(recon.clamp(1e-6, 1 - 1e-6), target)
        return F.mse_loss(recon, target)

    def _training_loss(self, batch: torch.Tensor, ctx=None):
        recon = self.networks_["decoder"](self.networks_["encoder"](self._corrupt(batch)))
        return self._reconstruction_error(recon, batch), {}

    def validation_loss(self, batch: torch.Tensor) -> torch.Tensor:
        return self._training_loss(batch)[0]

    # ------------------------------------------------------------------ inference
    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.networks_["encoder"](x)

    def transform(self, X):
        """Latent codes (N, latent_dim): the learned features."""
        return self._batched(X, self._encode)

    def inverse_transform(self, Z):
        """Decode latent codes (N, latent_dim) into data space."""
        return self._batched(Z, self.networks_["decoder"], input_shape=(self.latent_dim,), name="Z")

    def reconstruct(self, X):
        """decoder(encoder(X)), same shape as X."""
        return self._batched(X, lambda x: self.networks_["decoder"](self._encode(x)))

    def score_samples(self, X):
        """Minus the mean squared reconstruction error of every sample: (N,)."""
        def per_sample(x):
            return -((self.networks_["decoder"](self._encode(x)) - x) ** 2).flatten(1).mean(1)
        return self._batched(X, per_sample)


@register("dae")
class DenoisingAutoEncoder(AutoEncoder):
    """An autoencoder trained to restore clean inputs from corrupted ones (Vincent et al., 2008):
    ``noise`` is "gaussian" (``noise_level`` = std), "masking" (a fraction set to 0) or
    "salt_pepper" (a fraction set to 0 or 1). ``denoise(X)`` = ``reconstruct(X)``."""

    _parameter_constraints = {
        **AutoEncoder._parameter_constraints,
        "noise": [Options(set(NOISE_TYPES))],
        "noise_level": [Interval(Real, 0.0, None, closed="left")],
    }

    __init__ = declared_init([("latent_dim", 32)], [("noise", "masking"), ("noise_level", 0.3), *AE_ARCHITECTURE,
                                                    ("tied", False), ("loss", "mse"), *training()])

    def _validate_params(self) -> None:
        super()._validate_params()
        if self.noise != "gaussian" and self.noise_level > 1:
            from ..exceptions import InvalidParameterError

            raise InvalidParameterError(f"noise_level is a fraction for noise={self.noise!r}: it must be "
                                        f"in [0, 1]; got {self.noise_level}")

    def _corrupt(self, x: torch.Tensor) -> torch.Tensor:
        return corrupt(x, self.noise, self.noise_level)

    def corrupt(self, X, seed: int | None = None):
        """The training corruption applied to X (for measuring denoising)."""
        gen = None if seed is None else torch.Generator(device=self._fitted_device()).manual_seed(seed)
        return self._batched(X, lambda x: corrupt(x, self.noise, self.noise_level, gen))

    def denoise(self, X):
        """Restore corrupted inputs: decoder(encoder(X))."""
        return self.reconstruct(X)
