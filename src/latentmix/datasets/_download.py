"""Downloading one file, verified: a temp file in the target folder, renamed into place only
after its SHA-256 matches; on any failure the temp file is deleted and nothing is left behind."""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

from ..exceptions import DataError

__all__ = ["DownloadError", "download", "sha256_file"]

_CHUNK = 1 << 20
_USER_AGENT = "latentmix (https://pypi.org/project/latentmix)"


class DownloadError(DataError):
    """The URL could not be fetched (network, HTTP or disk error)."""


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _reason(exc: BaseException) -> str:
    """A short reason for a failed download: ``HTTP Error 404: Not Found``, ``timed out``..."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def _show_progress(verbose: bool | None) -> bool:
    """``verbose=None`` means: show a progress bar only when stderr is a terminal."""
    if verbose is None:
        return sys.stderr.isatty()
    return bool(verbose)


def _stream(url: str, out, verbose: bool | None, timeout: float) -> str:
    """Copy ``url`` into the open binary file ``out``; return the hex SHA-256 of the bytes."""
    digest = hashlib.sha256()
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        total = response.headers.get("Content-Length")
        with tqdm(
            total=int(total) if total and total.isdigit() else None,
            unit="B", unit_scale=True, unit_divisor=1024,
            desc=url.rsplit("/", 1)[-1], disable=not _show_progress(verbose), leave=False,
        ) as bar:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
    return digest.hexdigest()


def download(
    url: str,
    dest: str | Path,
    sha256: str | tuple[str, ...],
    *,
    verbose: bool | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``dest``, accepting it only if its SHA-256 is one of ``sha256``.

    The bytes go to a hidden temp file next to ``dest``, which is ``os.replace``-d onto ``dest``
    once the checksum matches, so ``dest`` never holds a partial or unverified file.

    Raises
    ------
    DownloadError
        The URL could not be fetched; the message names the URL and the reason.
    DataError
        The checksum does not match; the message names the URL, expected and actual checksum.
    """
    dest = Path(dest)
    accepted = (sha256,) if isinstance(sha256, str) else tuple(sha256)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as exc:
        raise DownloadError(f"cannot write into {dest.parent}: {exc}") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            actual = _stream(url, out, verbose, timeout)
        if actual not in accepted:
            raise DataError(
                f"checksum mismatch for {url}: expected sha256 {' or '.join(accepted)}, "
                f"got {actual}; the download was discarded (a changed mirror or a corrupted "
                "transfer; try again or fetch the file by hand)"
            )
        os.replace(tmp, dest)
    except DataError:
        tmp.unlink(missing_ok=True)
        raise
    except (OSError, ValueError, http.client.HTTPException) as exc:  # URLError is an OSError
        tmp.unlink(missing_ok=True)
        raise DownloadError(f"could not download {url}: {_reason(exc)}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest
