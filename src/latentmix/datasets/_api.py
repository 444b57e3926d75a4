"""``load``, ``list_datasets``, ``fetch``: finding, downloading, decoding built-in datasets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..exceptions import DataError, DatasetNotFoundError, InvalidParameterError
from . import _locations
from ._download import DownloadError, download
from ._registry import REGISTRY, DatasetSpec, check_split, get_spec, normalize_name
from ._user_data import load_path

__all__ = ["DatasetInfo", "load", "list_datasets", "fetch"]


@dataclass(frozen=True)
class DatasetInfo:
    """What :func:`list_datasets` reports about one built-in dataset."""

    name: str
    shape: tuple[int, int, int]
    n_classes: int
    splits: dict[str, int]
    location: str | None
    description: str = ""
    download_bytes: int = 0

    @property
    def cached(self) -> bool:
        """True when every file is on disk (or the data ship with the library)."""
        return self.location is not None


def _builtin_location() -> str:
    import sklearn.datasets

    return str(Path(sklearn.datasets.__file__).parent / "data" / "digits.csv.gz")


def _location(spec: DatasetSpec, root) -> str | None:
    if not spec.files:
        return _builtin_location()
    paths, _ = _locations.find_files(spec.name, spec.all_files, root)
    return None if paths is None else str(next(iter(paths.values())).parent)


def list_datasets(root: str | os.PathLike | None = None) -> list[DatasetInfo]:
    """Every built-in dataset with its shape, classes, split sizes and where its files are
    (``location`` is None when they would have to be downloaded)."""
    return [
        DatasetInfo(name=s.name, shape=s.shape, n_classes=s.n_classes,
                    splits=dict(s.n_samples), location=_location(s, root),
                    description=s.description, download_bytes=s.download_bytes)
        for s in REGISTRY.values()
    ]


def _not_found(spec: DatasetSpec, names: tuple[str, ...], looked: list[Path], reason: str,
               base_url: str | None) -> DatasetNotFoundError:
    where = "\n".join(f"  - {p}" for p in looked)
    source = f" (from {base_url})" if base_url else ""
    env = _locations.ENV_MIRROR_PREFIX + spec.name.upper().replace("-", "_")
    return DatasetNotFoundError(
        f"dataset {spec.name!r} was not found and {reason}.\nLooked in:\n{where}\n"
        f"To provide it, put the file(s) {', '.join(names)}{source} into one of these folders "
        f"(e.g. {_locations.cache_dir() / spec.name}), or into DIR/{spec.name} and set "
        f"{_locations.ENV_DATA}=DIR or pass root=DIR; or run "
        f"`latentmix datasets fetch {spec.name}` where the network is reachable "
        f"(another mirror: set {env})."
    )


def _ensure_files(spec: DatasetSpec, names: tuple[str, ...], root, download_ok: bool,
                  mirror: str | None, checksums: Mapping[str, str] | None,
                  verbose: bool | None) -> tuple[dict[str, Path], list[Path]]:
    """Paths of ``names`` (found or downloaded) and the list of files downloaded just now."""
    paths, looked = _locations.find_files(spec.name, names, root)
    if paths is not None:
        return paths, []
    base = _locations.mirror_url(spec.name, spec.mirror, mirror)
    if not download_ok:
        raise _not_found(spec, names, looked, "downloading is off (download=False)", base)
    target = _locations.download_dir(spec.name, root)
    paths, fresh = {}, []
    try:
        for name in names:
            have = _locations.resolve_in(target, (name,))
            if have is not None:
                paths.update(have)
                continue
            expected = (checksums or {}).get(name) or spec.sha256[name]
            paths[name] = download(base + name, target / name, expected, verbose=verbose)
            fresh.append(paths[name])
    except DownloadError as exc:
        _remove_if_empty(target)
        raise _not_found(spec, names, looked, f"the download failed: {exc}", base) from exc
    except DataError:
        _remove_if_empty(target)
        raise
    return paths, fresh


def _remove_if_empty(folder: Path) -> None:
    """Leave no empty download folder behind after a failure."""
    try:
        folder.rmdir()
    except OSError:
        pass


def _read(spec: DatasetSpec, paths: Mapping[str, Path], parts: tuple[str, ...],
          fresh: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """Decode the splits ``parts``; a file that fails and was just downloaded is deleted."""
    try:
        arrays = [spec.reader(spec, paths, part) for part in parts]
    except DataError as exc:
        if not fresh:
            raise
        for path in fresh:
            path.unlink(missing_ok=True)
        _remove_if_empty(fresh[0].parent)
        raise DataError(f"{exc} (the file(s) just downloaded were removed: "
                        f"{', '.join(p.name for p in fresh)})") from exc
    if len(arrays) == 1:
        return arrays[0]
    return (np.concatenate([a[0] for a in arrays]), np.concatenate([a[1] for a in arrays]))


def load(
    name: str | os.PathLike,
    split: str = "train",
    root: str | os.PathLike | None = None,
    download: bool = True,
    *,
    mirror: str | None = None,
    checksums: Mapping[str, str] | None = None,
    verbose: bool | None = None,
    label_column: int | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Load a built-in dataset (or the user's file/folder) as ``(X, y)``.

    Parameters
    ----------
    name
        One of ``digits``, ``fashion-mnist``, ``mnist``, ``cifar10``, ``svhn``; or a path to a
        ``.npy``/``.npz``/``.csv`` file or image folder (see :func:`load_path`).
    split
        ``"train"``, ``"test"`` or ``"all"`` (train then test). A path is always read whole.
    root
        Folder searched first (``root/<name>/`` or ``root/``) and downloaded into.
    download
        Fetch missing files from the dataset's mirror (checksum-verified) into ``root`` or the
        user cache. Lookup order: ``root``, ``$LATENTMIX_DATA``, the cache, system copies.
    mirror
        Base URL replacing the canonical mirror (also ``$LATENTMIX_MIRROR_<NAME>``).
    checksums
        ``{file name: sha256}`` replacing the built-in checksums (for a repackaged mirror).
    verbose
        Progress bar while downloading; None shows it when stderr is a terminal.
    label_column
        For a CSV path only: the label column (index or name).

    Returns
    -------
    X : float32 tensor ``(N, C, H, W)`` in [0, 1] (user tables: ``(N, F)``)
    y : int64 tensor ``(N,)``, or None for unlabeled user data.
    """
    if isinstance(name, os.PathLike) or (
            isinstance(name, str) and normalize_name(name) not in REGISTRY
            and Path(name).expanduser().exists()):
        check_split(split)
        if split == "test":
            raise InvalidParameterError(f"{name} is the user's data, which has no 'test' split; "
                                        "use split='train' or 'all' (the whole file)")
        return load_path(name, label_column=label_column)
    spec = get_spec(name)
    check_split(split)
    if label_column is not None:
        raise InvalidParameterError("label_column only applies to the user's CSV files")
    parts = ("train", "test") if split == "all" else (split,)
    paths, fresh = {}, []
    if spec.files:
        paths, fresh = _ensure_files(spec, spec.split_files(split), root, download, mirror,
                                     checksums, verbose)
    images, labels = _read(spec, paths, parts, fresh)
    X = torch.from_numpy(images.astype(np.float32)).div_(spec.pixel_max)  # a writable copy
    return X, torch.from_numpy(labels.astype(np.int64))


def fetch(
    name: str,
    root: str | os.PathLike | None = None,
    *,
    mirror: str | None = None,
    checksums: Mapping[str, str] | None = None,
    verbose: bool | None = None,
) -> Path:
    """Make sure every file of ``name`` is on disk and readable; return the folder holding them.

    Files already found (``root``, ``$LATENTMIX_DATA``, the cache, system copies) are only
    checked; missing ones are downloaded as in :func:`load`. Built-in ``digits`` needs nothing
    and returns the file shipped with scikit-learn.
    """
    spec = get_spec(name)
    if not spec.files:
        return Path(_builtin_location())
    paths, fresh = _ensure_files(spec, spec.all_files, root, True, mirror, checksums, verbose)
    _read(spec, paths, ("train",), fresh)
    _read(spec, paths, ("test",), fresh)
    return next(iter(paths.values())).parent
