"""What the demo runs: a recipe per data size (the 8x8 digits: about a minute on two CPU cores;
anything larger, e.g. Fashion-MNIST: the longer training its numbers need), and the checked
settings of one run (:class:`DemoSettings`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from numbers import Integral
from pathlib import Path

from ..exceptions import InvalidParameterError

__all__ = ["Recipe", "DemoSettings", "recipe_for", "SMALL", "LARGE", "FAST"]


@dataclass(frozen=True)
class Recipe:
    """Training lengths and sizes of the comparisons (epochs of each network, seeds, rows)."""

    cluster_epochs: int  # DeepClustering's autoencoder
    cluster_seeds: int  # clustering runs, mean +- std over this many seeds
    cluster_latent_dim: int
    detector_epochs: int  # AnomalyDetector's autoencoder
    anomaly_classes: int  # how many classes are held out in turn (0, 1, ...)
    gan_epochs: int
    gan_arch: str  # "mlp" for small images and tables, "dcgan" for 28x28 / 32x32 images
    gan_lr: float
    gan_ema: float
    gan_samples: int  # samples per sampler (at most the test rows: equal counts for the metrics)
    sample_draws: int  # sampling seeds averaged for the GAN metrics
    max_rows: int | None  # cap on the training rows (None: all)
    threads: int | None  # torch threads while the demo runs (None: leave as is); 1 for tiny networks


#: The 8x8 digits (1,797 images): the settings RESULTS.md measured (latent-gmm 100 epochs, the
#: MLP GAN with lr 1e-3 and EMA 0.99 for 150 epochs), AnomalyDetector's default 30 epochs. One
#: torch thread: networks this small gain nothing from more, and a second thread that spins while
#: other work holds the cores made runs several times slower on the shared 2-core machine.
SMALL = Recipe(cluster_epochs=100, cluster_seeds=3, cluster_latent_dim=16, detector_epochs=30, anomaly_classes=10,
               gan_epochs=150, gan_arch="mlp", gan_lr=1e-3, gan_ema=0.99, gan_samples=2000, sample_draws=3,
               max_rows=None, threads=1)
#: Larger images (Fashion-MNIST, MNIST, the user's data): one seed, longer training per row.
LARGE = Recipe(cluster_epochs=20, cluster_seeds=1, cluster_latent_dim=10, detector_epochs=10, anomaly_classes=1,
               gan_epochs=10, gan_arch="dcgan", gan_lr=2e-4, gan_ema=0.999, gan_samples=10_000, sample_draws=1,
               max_rows=None, threads=None)
#: ``--fast``: a smoke run of every comparison in seconds (numbers meaningless; for tests).
FAST = Recipe(cluster_epochs=2, cluster_seeds=1, cluster_latent_dim=8, detector_epochs=2, anomaly_classes=1,
              gan_epochs=2, gan_arch="mlp", gan_lr=1e-3, gan_ema=0.99, gan_samples=100, sample_draws=1, max_rows=400,
              threads=1)


def recipe_for(n_values: int, *, fast: bool = False, epochs: int | None = None) -> Recipe:
    """The recipe for samples of ``n_values`` values (64 for the digits): SMALL up to 256 values,
    else LARGE; ``fast`` gives FAST; ``epochs`` replaces every network's epoch count."""
    if isinstance(n_values, bool) or not isinstance(n_values, Integral) or n_values < 1:
        raise InvalidParameterError(f"n_values must be a positive int; got {n_values!r}")
    recipe = FAST if fast else SMALL if n_values <= 256 else LARGE
    if recipe.gan_arch == "dcgan" and n_values <= 256:
        recipe = replace(recipe, gan_arch="mlp")
    if epochs is not None:
        _check_int(epochs, "epochs", 1)
        recipe = replace(recipe, cluster_epochs=epochs, detector_epochs=epochs, gan_epochs=epochs)
    return recipe


def _check_int(value, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise InvalidParameterError(f"{name} must be an int >= {low}; got {value!r}")
    return int(value)


@dataclass(frozen=True)
class DemoSettings:
    """One demo run: the data (a built-in name or a path), the run folder, device, seed, and
    ``fast`` / ``epochs`` (see :func:`recipe_for`). ``echo`` prints a progress line (None: silent)."""

    data: str = "digits"
    out: Path = Path("runs/demo")
    device: str = "auto"
    seed: int = 0
    epochs: int | None = None
    fast: bool = False

    def __post_init__(self):
        if not isinstance(self.data, str) or not self.data.strip():
            raise InvalidParameterError(f"data must be a dataset name or a path; got {self.data!r}")
        if not isinstance(self.out, (str, Path)):
            raise InvalidParameterError(f"out must be a folder path; got {self.out!r}")
        object.__setattr__(self, "out", Path(self.out))
        if not isinstance(self.device, str):
            raise InvalidParameterError(f"device must be a string such as 'auto', 'cpu' or 'cuda'; got {self.device!r}")
        _check_int(self.seed, "seed", 0)
        if self.epochs is not None:
            _check_int(self.epochs, "epochs", 1)
        if not isinstance(self.fast, bool):
            raise InvalidParameterError(f"fast must be True or False; got {self.fast!r}")
