"""What each built-in dataset is: its files per split, where it is published, their checksums,
and the function that reads them. Adding a dataset = adding one :class:`DatasetSpec` here.

Checksums (SHA-256 of the files as served by each mirror) are those recorded by TensorFlow
Datasets in ``tensorflow_datasets/url_checksums/{mnist,fashion_mnist,cifar10,svhn_cropped}.txt``.
The Fashion-MNIST ones were cross-checked against Debian's ``dataset-fashion-mnist`` package:
its ``.gz`` files carry the same deflate streams with a normalised gzip header (no file name,
another mtime), so they hash differently; their SHA-256 values are accepted too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ..exceptions import InvalidParameterError
from ._cifar import ARCHIVE as CIFAR_ARCHIVE
from ._cifar import read_cifar_archive
from ._idx import load_idx_split
from ._svhn import FILES as SVHN_FILES
from ._svhn import read_svhn_mat

__all__ = ["DatasetSpec", "REGISTRY", "SPLITS", "get_spec"]

SPLITS = ("train", "test", "all")

#: ``reader(spec, paths, split)`` -> ``(X (N, C, H, W) uint8 or float, y int64 (N,))`` for
#: ``split`` in ("train", "test"); ``paths`` maps each file name of the split to where it lies.
Reader = Callable[["DatasetSpec", Mapping[str, Path], str], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class DatasetSpec:
    """Static description of a built-in dataset."""

    name: str
    shape: tuple[int, int, int]
    n_classes: int
    n_samples: Mapping[str, int]
    reader: Reader
    files: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sha256: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sizes: Mapping[str, int] = field(default_factory=dict)
    mirror: str | None = None
    pixel_max: float = 255.0
    description: str = ""

    def split_files(self, split: str) -> tuple[str, ...]:
        """File names needed for ``split`` ("all" = train + test, no repeats)."""
        parts = ("train", "test") if split == "all" else (split,)
        names: list[str] = []
        for part in parts:
            names += [f for f in self.files.get(part, ()) if f not in names]
        return tuple(names)

    @property
    def all_files(self) -> tuple[str, ...]:
        return self.split_files("all")

    @property
    def download_bytes(self) -> int:
        return sum(self.sizes.get(f, 0) for f in self.all_files)


def _read_idx(spec: DatasetSpec, paths: Mapping[str, Path], split: str):
    images, labels = spec.files[split]
    return load_idx_split(paths[images], paths[labels], spec.shape, spec.n_classes)


def _read_cifar(spec: DatasetSpec, paths: Mapping[str, Path], split: str):
    return read_cifar_archive(paths[CIFAR_ARCHIVE], split)


def _read_svhn(spec: DatasetSpec, paths: Mapping[str, Path], split: str):
    return read_svhn_mat(paths[SVHN_FILES[split]])


DIGITS_N_TRAIN = 1437


def _read_digits(spec: DatasetSpec, paths: Mapping[str, Path], split: str):
    """scikit-learn's bundled 8x8 digits; the first 1437 images train, the last 360 test."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images.reshape(-1, 1, 8, 8)
    labels = bunch.target.astype(np.int64)
    part = slice(None, DIGITS_N_TRAIN) if split == "train" else slice(DIGITS_N_TRAIN, None)
    return images[part], labels[part]


def _idx_files(prefix: str) -> tuple[str, str]:
    return (f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz")


_IDX_FILES = MappingProxyType({"train": _idx_files("train"), "test": _idx_files("t10k")})

_SPECS = (
    DatasetSpec(
        name="digits", shape=(1, 8, 8), n_classes=10,
        n_samples={"train": DIGITS_N_TRAIN, "test": 360}, reader=_read_digits, pixel_max=16.0,
        description="8x8 handwritten digits bundled with scikit-learn (no download)",
    ),
    DatasetSpec(
        name="fashion-mnist", shape=(1, 28, 28), n_classes=10,
        n_samples={"train": 60000, "test": 10000}, reader=_read_idx, files=_IDX_FILES,
        mirror="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        sha256={
            "train-images-idx3-ubyte.gz": (
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",  # Debian
            ),
            "train-labels-idx1-ubyte.gz": (
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",  # Debian
            ),
            "t10k-images-idx3-ubyte.gz": (
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",  # Debian
            ),
            "t10k-labels-idx1-ubyte.gz": (
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",  # Debian
            ),
        },
        sizes={"train-images-idx3-ubyte.gz": 26421880, "train-labels-idx1-ubyte.gz": 29515,
               "t10k-images-idx3-ubyte.gz": 4422102, "t10k-labels-idx1-ubyte.gz": 5148},
        description="Zalando's 28x28 grayscale clothing images (Xiao et al., 2017)",
    ),
    DatasetSpec(
        name="mnist", shape=(1, 28, 28), n_classes=10,
        n_samples={"train": 60000, "test": 10000}, reader=_read_idx, files=_IDX_FILES,
        mirror="https://storage.googleapis.com/cvdf-datasets/mnist/",
        sha256={
            "train-images-idx3-ubyte.gz": (
                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",),
            "train-labels-idx1-ubyte.gz": (
                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",),
            "t10k-images-idx3-ubyte.gz": (
                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",),
            "t10k-labels-idx1-ubyte.gz": (
                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",),
        },
        sizes={"train-images-idx3-ubyte.gz": 9912422, "train-labels-idx1-ubyte.gz": 28881,
               "t10k-images-idx3-ubyte.gz": 1648877, "t10k-labels-idx1-ubyte.gz": 4542},
        description="28x28 grayscale handwritten digits (LeCun et al., 1998)",
    ),
    DatasetSpec(
        name="cifar10", shape=(3, 32, 32), n_classes=10,
        n_samples={"train": 50000, "test": 10000}, reader=_read_cifar,
        files={"train": (CIFAR_ARCHIVE,), "test": (CIFAR_ARCHIVE,)},
        mirror="https://www.cs.toronto.edu/~kriz/",
        sha256={CIFAR_ARCHIVE: (
            "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",)},
        sizes={CIFAR_ARCHIVE: 170052171},
        description="32x32 colour images in 10 classes, binary version (Krizhevsky, 2009)",
    ),
    DatasetSpec(
        name="svhn", shape=(3, 32, 32), n_classes=10,
        n_samples={"train": 73257, "test": 26032}, reader=_read_svhn,
        files={"train": (SVHN_FILES["train"],), "test": (SVHN_FILES["test"],)},
        mirror="http://ufldl.stanford.edu/housenumbers/",
        sha256={
            SVHN_FILES["train"]: (
                "435e94d69a87fde4fd4d7f3dd208dfc32cb6ae8af2240d066de1df7508d083b8",),
            SVHN_FILES["test"]: (
                "cdce80dfb2a2c4c6160906d0bd7c68ec5a99d7ca4831afa54f09182025b6a75b",),
        },
        sizes={SVHN_FILES["train"]: 182040794, SVHN_FILES["test"]: 64275384},
        description="32x32 cropped house-number digits, label 0 for digit 0 (Netzer et al., 2011)",
    ),
)

#: name -> spec, in the order ``list()`` shows them.
REGISTRY: dict[str, DatasetSpec] = {spec.name: spec for spec in _SPECS}

_ALIASES = {"fashion_mnist": "fashion-mnist", "fmnist": "fashion-mnist", "cifar-10": "cifar10",
            "cifar_10": "cifar10"}


def normalize_name(name: str) -> str:
    """Case-insensitive name with the few common spellings folded onto the registered one."""
    key = name.strip().lower()
    return _ALIASES.get(key, key)


def get_spec(name: str) -> DatasetSpec:
    """The spec of a built-in dataset; :class:`InvalidParameterError` listing the valid names."""
    if not isinstance(name, str):
        raise InvalidParameterError(f"dataset name must be a str; got {type(name).__name__}")
    spec = REGISTRY.get(normalize_name(name))
    if spec is None:
        raise InvalidParameterError(
            f"unknown dataset {name!r}; valid names are {', '.join(REGISTRY)} "
            "(or a path to a .npy/.npz/.csv file or an image folder)"
        )
    return spec


def check_split(split: str) -> str:
    """Return ``split`` if valid, else :class:`InvalidParameterError` listing the choices."""
    if split not in SPLITS:
        raise InvalidParameterError(
            f"split must be one of {', '.join(repr(s) for s in SPLITS)}; got {split!r}"
        )
    return split
