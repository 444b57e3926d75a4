"""Corruptions for denoising autoencoders (Vincent et al., 2008, "Extracting and composing robust
features with denoising autoencoders"): additive Gaussian, masking (zeroing a fraction of the
inputs) and salt-and-pepper (setting a fraction to the min or max)."""

from __future__ import annotations

import torch

from ..exceptions import InvalidParameterError

NOISE_TYPES = ("gaussian", "masking", "salt_pepper")

__all__ = ["NOISE_TYPES", "corrupt", "parse_noise"]


def corrupt(x: torch.Tensor, kind: str, level: float, generator: torch.Generator | None = None,
            low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    """A corrupted copy of ``x`` (any shape). ``level``: std (gaussian) or fraction (others)."""
    if kind == "gaussian":
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return x + level * noise
    u = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    if kind == "masking":
        return x.masked_fill(u < level, 0.0)
    if kind == "salt_pepper":
        out = x.masked_fill(u < level / 2, low)
        return out.masked_fill((u >= level / 2) & (u < level), high)
    raise InvalidParameterError(f"noise must be one of {NOISE_TYPES}; got {kind!r}")


def parse_noise(text: str) -> tuple[str, float]:
    """``"masking:0.3"`` -> ("masking", 0.3); a bare kind gets level 0.3 (0.1 for gaussian)."""
    kind, _, level = text.partition(":")
    kind = kind.strip().replace("-", "_")
    if kind not in NOISE_TYPES:
        raise InvalidParameterError(f"noise must be one of {', '.join(NOISE_TYPES)} (optionally "
                                    f"with ':LEVEL', e.g. masking:0.3); got {text!r}")
    try:
        value = float(level) if level else (0.1 if kind == "gaussian" else 0.3)
    except ValueError:
        raise InvalidParameterError(f"noise level must be a number; got {level!r} in {text!r}") from None
    if not (0.0 <= value <= (10.0 if kind == "gaussian" else 1.0)):
        raise InvalidParameterError(f"noise level {value} is out of range for {kind}")
    return kind, value
