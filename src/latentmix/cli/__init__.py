"""The ``latentmix`` command line: a thin layer that validates options and calls the library.

Library errors (our exception hierarchy) become a one-line message and exit code 2, like a bad
flag; nothing else is caught, so real bugs still show their traceback.
"""

from __future__ import annotations

import sys

import click

from ..exceptions import LatentmixError
from .cluster_cmd import cluster
from .datasets_cmd import datasets
from .demo_cmd import demo
from .detect_cmd import detect, fit_detector
from .encode_cmd import encode
from .evaluate_cmd import evaluate
from .sample_cmd import sample
from .train_cmd import train


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="latentmix")
def cli() -> None:
    """latentmix: autoencoders, GANs, Gaussian mixtures and their hybrids."""


for command in (datasets, demo, train, evaluate, encode, sample, cluster, fit_detector, detect):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the exit code."""
    try:
        cli.main(args=argv, prog_name="latentmix", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except LatentmixError as exc:
        click.echo(f"Error: {exc}", err=True)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
