"""Datasets: the built-in ``digits`` (ships with scikit-learn), ``fashion-mnist``, ``mnist``,
``cifar10`` and ``svhn`` (found on disk or downloaded once, checksum-verified, cached), and the
user's own ``.npy``/``.npz``/``.csv`` files and image folders.

>>> X, y = load("digits", split="train")      # X float32 (N, 1, 8, 8) in [0, 1], y int64
>>> [info.name for info in list()]             # doctest: +SKIP
['digits', 'fashion-mnist', 'mnist', 'cifar10', 'svhn']

Files are looked for in ``root=``, ``$LATENTMIX_DATA/<name>``, ``$XDG_CACHE_HOME/latentmix/<name>``
(default ``~/.cache/latentmix``) and ``/usr/share/datasets/<name>`` (Debian's
``dataset-fashion-mnist``), then downloaded from the dataset's mirror, which
``$LATENTMIX_MIRROR_<NAME>`` or ``mirror=`` replaces.
"""

from ._api import DatasetInfo, fetch, list_datasets, load
from ._download import sha256_file
from ._idx import read_idx
from ._locations import cache_dir
from ._registry import REGISTRY, SPLITS, DatasetSpec
from ._user_data import load_path

list = list_datasets  # noqa: A001  (``lm.datasets.list()`` is the documented name)

__all__ = [
    "DatasetInfo",
    "DatasetSpec",
    "REGISTRY",
    "SPLITS",
    "cache_dir",
    "fetch",
    "list",
    "list_datasets",
    "load",
    "load_path",
    "read_idx",
    "sha256_file",
]
