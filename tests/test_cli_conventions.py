"""The command line's conventions: exit code 2 and one line for usage or data errors, 1 and one
line for anything unexpected, the traceback with the global ``--debug``, ``--debug`` / ``--quiet``
accepted before or after the command, and an example in the --help of the commands."""

import pytest

import latentmix.cli.datasets_cmd
from latentmix.cli import _hoist_global_flags, cli, main
from latentmix.exceptions import DataError


def run(args, capsys):
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def broken_datasets_list(monkeypatch):
    def boom(root):
        raise RuntimeError("something broke\nwith a second line")

    monkeypatch.setattr(latentmix.cli.datasets_cmd, "_rows", boom)


def test_unexpected_error_is_exit_1_and_one_line(broken_datasets_list, capsys):
    code, _, err = run(["datasets", "list"], capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "RuntimeError: something broke" in lines[0] and "--debug" in lines[0]
    assert "Traceback" not in err and "second line" not in err


@pytest.mark.parametrize("args", [["--debug", "datasets", "list"], ["datasets", "list", "--debug"]])
def test_debug_shows_the_traceback(broken_datasets_list, capsys, args):
    code, _, err = run(args, capsys)
    assert code == 1
    assert err.startswith("Traceback (most recent call last):") and "_rows" in err
    assert "RuntimeError: something broke" in err


def test_library_errors_stay_exit_2_and_debug_shows_their_traceback(monkeypatch, capsys):
    def bad(root):
        raise DataError("the files are corrupted")

    monkeypatch.setattr(latentmix.cli.datasets_cmd, "_rows", bad)
    code, _, err = run(["datasets", "list"], capsys)
    assert code == 2 and err.strip() == "Error: the files are corrupted"
    code, _, err = run(["--debug", "datasets", "list"], capsys)
    assert code == 2 and "Traceback" in err and "DataError: the files are corrupted" in err


def test_usage_errors_are_exit_2(capsys):
    code, _, err = run(["train"], capsys)
    assert code == 2 and "Missing argument" in err and "Traceback" not in err
    code, _, err = run(["no-such-command"], capsys)
    assert code == 2 and "No such command" in err


def test_global_flags_move_to_the_front_unless_the_command_has_its_own():
    assert _hoist_global_flags(["train", "ae", "--data", "digits", "--quiet", "--debug"]) == [
        "--quiet", "--debug", "train", "ae", "--data", "digits"]
    assert _hoist_global_flags(["train", "ae", "-q"]) == ["--quiet", "train", "ae"]
    assert _hoist_global_flags(["datasets", "fetch", "mnist", "--quiet"]) == ["datasets", "fetch", "mnist", "--quiet"]
    assert _hoist_global_flags(["datasets", "fetch", "mnist", "--debug"]) == ["--debug", "datasets", "fetch", "mnist"]
    assert _hoist_global_flags(["--debug", "report", "runs/x"]) == ["--debug", "report", "runs/x"]
    assert _hoist_global_flags(["report", "--", "--debug"]) == ["report", "--", "--debug"]
    assert _hoist_global_flags(["nonsense", "--debug"]) == ["nonsense", "--debug"]


@pytest.mark.parametrize("command", ["train", "report"])
def test_help_has_an_example(command, capsys):
    code, out, _ = run([command, "--help"], capsys)
    assert code == 0 and "Example:" in out and f"latentmix {command} " in out


def test_group_help_names_the_global_flags(capsys):
    code, out, _ = run(["--help"], capsys)
    assert code == 0 and "--quiet" in out and "--debug" in out and "report" in out
    assert "report" in cli.commands
