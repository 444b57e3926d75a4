"""Where a dataset's files are looked for, in order:

1. the ``root=`` argument (``root/<name>/`` or ``root/`` itself),
2. ``$LATENTMIX_DATA/<name>/`` (several folders may be joined with ``os.pathsep``),
3. the user cache ``$XDG_CACHE_HOME/latentmix/<name>/`` (default ``~/.cache/latentmix``),
4. system copies ``<dir>/<name>/`` for ``dir`` in :data:`SYSTEM_DATA_DIRS` (Debian's
   ``dataset-fashion-mnist`` installs ``/usr/share/datasets/fashion-mnist``).

A folder counts only if it holds every file the split needs; a ``.gz`` file may also be
present uncompressed (same name without ``.gz``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SYSTEM_DATA_DIRS", "cache_dir", "candidate_dirs", "resolve_in", "find_files",
           "download_dir", "mirror_url"]

#: Folders holding system-wide dataset copies, one sub-folder per dataset.
SYSTEM_DATA_DIRS: tuple[str, ...] = ("/usr/share/datasets", "/usr/local/share/datasets")

ENV_DATA = "LATENTMIX_DATA"
ENV_MIRROR_PREFIX = "LATENTMIX_MIRROR_"


def cache_dir() -> Path:
    """The user cache folder: ``$XDG_CACHE_HOME/latentmix``, default ``~/.cache/latentmix``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "latentmix"


def candidate_dirs(name: str, root: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """``(label, folder)`` pairs to search, in lookup order (folders need not exist)."""
    out: list[tuple[str, Path]] = []
    if root is not None:
        root = Path(root).expanduser()
        out += [("root", root / name), ("root", root)]
    for entry in os.environ.get(ENV_DATA, "").split(os.pathsep):
        if entry.strip():
            out.append((f"${ENV_DATA}", Path(entry).expanduser() / name))
    out.append(("cache", cache_dir() / name))
    out += [("system", Path(d) / name) for d in SYSTEM_DATA_DIRS]
    return out


def resolve_in(folder: Path, names: tuple[str, ...]) -> dict[str, Path] | None:
    """Map each file name to its path in ``folder`` (``x.gz`` may be ``x``); None if one lacks."""
    found: dict[str, Path] = {}
    for name in names:
        options = [folder / name]
        if name.endswith(".gz"):
            options.append(folder / name[:-3])
        hit = next((p for p in options if p.is_file()), None)
        if hit is None:
            return None
        found[name] = hit
    return found


def find_files(
    name: str, names: tuple[str, ...], root: str | os.PathLike | None = None
) -> tuple[dict[str, Path] | None, list[Path]]:
    """First folder (in lookup order) holding all ``names``: ``(paths or None, folders looked)``."""
    looked: list[Path] = []
    for _, folder in candidate_dirs(name, root):
        looked.append(folder)
        found = resolve_in(folder, names)
        if found is not None:
            return found, looked
    return None, looked


def download_dir(name: str, root: str | os.PathLike | None = None) -> Path:
    """Where downloads go: ``root/<name>`` when ``root`` is given, else the user cache."""
    if root is not None:
        return Path(root).expanduser() / name
    return cache_dir() / name


def mirror_url(name: str, default: str | None, mirror: str | None = None) -> str | None:
    """Base URL to download from: ``mirror`` argument, ``$LATENTMIX_MIRROR_<NAME>``, ``default``.

    ``<NAME>`` is the dataset name upper-cased with ``-`` turned into ``_``
    (``LATENTMIX_MIRROR_FASHION_MNIST``). The result always ends with ``/``.
    """
    env = ENV_MIRROR_PREFIX + name.upper().replace("-", "_")
    url = mirror or os.environ.get(env) or default
    if url and not url.endswith("/"):
        url += "/"
    return url
