"""``latentmix datasets [list | fetch NAME]``: what data exist, where they are, and fetching."""

from __future__ import annotations

import click

from ._common import config_option, quiet, say

__all__ = ["datasets"]


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.0f} MB" if n_bytes >= 1e6 else f"{n_bytes / 1e3:.0f} kB"


def _rows(root: str | None) -> list[tuple[str, ...]]:
    from .. import datasets as _datasets

    rows = [("name", "shape", "classes", "splits", "where")]
    for info in _datasets.list_datasets(root=root):
        shape = "x".join(str(d) for d in info.shape)
        splits = " / ".join(f"{k} {v}" for k, v in info.splits.items())
        if info.location is not None:
            where = info.location
        else:
            where = f"not cached (download {_size(info.download_bytes)})"
        rows.append((info.name, shape, str(info.n_classes), splits, where))
    return rows


def _echo_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)]
        click.echo("  ".join([*cells, row[-1]]))


@click.group("datasets", invoke_without_command=True)
@click.pass_context
def datasets(ctx: click.Context) -> None:
    """List the built-in datasets (default) or fetch one.

    \b
    Example:
      latentmix datasets                       # = latentmix datasets list
      latentmix datasets fetch fashion-mnist
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_cmd)


@datasets.command("list")
@click.option("--root", type=click.Path(file_okay=False), default=None,
              help="Also look in this folder (ROOT/NAME or ROOT).")
@config_option
def list_cmd(root: str | None) -> None:
    """Table of datasets: shape, classes, split sizes and where the files were found.

    \b
    Example:
      latentmix datasets list
      latentmix datasets list --root /usr/share/datasets
    """
    _echo_table(_rows(root))


@datasets.command("fetch")
@click.argument("name")
@click.option("--root", type=click.Path(file_okay=False), default=None,
              help="Look here first and download into ROOT/NAME (default: the user cache).")
@click.option("--mirror", default=None, metavar="URL",
              help="Base URL to download from instead of the dataset's mirror.")
@click.option("--quiet", "-q", "no_progress", is_flag=True, help="No progress bar.")
@config_option
def fetch_cmd(name: str, root: str | None, mirror: str | None, no_progress: bool) -> None:
    """Find NAME on disk or download it (checksum-verified), then check that it reads.

    \b
    Example:
      latentmix datasets fetch fashion-mnist
      latentmix datasets fetch mnist --root data/ --mirror https://example.org/mnist/
    """
    from .. import datasets as _datasets

    folder = _datasets.fetch(name, root=root, mirror=mirror, verbose=False if no_progress or quiet() else None)
    say(f"{name}: ready in {folder}")  # the global --quiet leaves this line out too
