"""The ``latentmix`` command line: a thin layer that validates options and calls the library.

Exit codes: 0 success; 2 a usage or data error (a bad flag, or one of our exceptions), as a
one-line message; 1 anything unexpected (a bug), also one line. The global ``--debug`` shows the
traceback instead, ``--quiet`` silences progress output; both may also be given after the command.
"""

from __future__ import annotations

import sys
import traceback

import click

from ..exceptions import LatentmixError
from .cluster_cmd import cluster
from .datasets_cmd import datasets
from .demo_cmd import demo
from .detect_cmd import detect, fit_detector
from .encode_cmd import encode
from .evaluate_cmd import evaluate
from .report_cmd import report
from .sample_cmd import sample
from .train_cmd import train


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="latentmix")
@click.option("--quiet", "-q", is_flag=True, help="No progress output (bars, 'training ...' lines).")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error instead of one line.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, debug: bool) -> None:
    """latentmix: autoencoders, GANs, Gaussian mixtures and their hybrids.

    \b
    Example:
      latentmix train aae --data digits --prior gmm:10 --latent-dim 8 --epochs 30 --out runs/aae
      latentmix report runs/aae
      latentmix --quiet --debug train ae --data digits   # --quiet/--debug may also come last
    """
    ctx.ensure_object(dict).update(quiet=quiet, debug=debug)


for command in (datasets, demo, train, evaluate, encode, sample, cluster, fit_detector, detect, report):
    cli.add_command(command)


_GLOBAL_FLAGS = {"--debug": "--debug", "--quiet": "--quiet", "-q": "--quiet"}


def _hoist_global_flags(argv: list[str]) -> list[str]:
    """Move ``--debug`` / ``--quiet`` given after the command (``latentmix train ... --debug``) to
    the front, where the group parses them; a command's own option of that name (``datasets
    fetch --quiet``) and anything after ``--`` stay where they are."""
    group, i = cli, 0
    while i < len(argv) and isinstance(group, click.Group):  # walk down to the command being run
        token = argv[i]
        if token == "--":
            return argv
        if not token.startswith("-"):
            sub = group.get_command(None, token)
            if sub is None:
                return argv
            group = sub
        i += 1
    if group is cli:
        return argv
    own = {opt for param in group.params for opt in getattr(param, "opts", ())}
    head, tail = [], []
    for j, token in enumerate(argv):
        if token == "--":
            tail += argv[j:]
            break
        if j >= i and token in _GLOBAL_FLAGS and token not in own:
            head.append(_GLOBAL_FLAGS[token])
        else:
            tail.append(token)
    return head + tail


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the exit code."""
    argv = _hoist_global_flags(list(sys.argv[1:] if argv is None else argv))
    state: dict = {"debug": False, "quiet": False}  # filled in by cli() once the flags are parsed
    try:
        cli.main(args=argv, prog_name="latentmix", standalone_mode=False, obj=state)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except LatentmixError as exc:
        if state["debug"]:
            traceback.print_exc()
        else:
            click.echo(f"Error: {exc}", err=True)
        return 2
    except Exception as exc:  # noqa: BLE001 - a bug: one line, the traceback with --debug
        if state["debug"]:
            traceback.print_exc()
        else:
            message = _one_line(exc)
            click.echo(f"Error: unexpected {type(exc).__name__}{': ' + message if message else ''} "
                       "(run again with --debug for the traceback)", err=True)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
