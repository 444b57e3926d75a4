"""The command line's conventions, for every command of the ``latentmix`` group (a new command
is checked as soon as it is registered): exit code 2 and one line for usage or data errors, 1 and
one line for anything unexpected, the traceback with the global ``--debug``, ``--debug`` /
``--quiet`` accepted before or after the command, an example in every --help, ``--config
FILE.toml`` (flags override it; a bad file or key is exit code 2 and one line), ``--json`` (one
JSON object and nothing else on stdout) and ``--quiet`` (no output but what was asked for),
the last three on real runs on the 8x8 digits."""

import json
import sys

import click
import numpy as np
import pytest

import latentmix
import latentmix.cli.datasets_cmd
from latentmix.cli import _hoist_global_flags, cli, main
from latentmix.exceptions import DataError


def command_paths(group: click.Group = cli, prefix: tuple = ()) -> list[tuple[str, ...]]:
    """Every command and sub-command of the group, e.g. ("datasets", "fetch")."""
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
    return paths


def resolve(path: tuple[str, ...]) -> click.Command:
    command = cli
    for name in path:
        command = command.commands[name]
    return command


COMMANDS = command_paths()
LEAVES = [p for p in COMMANDS if not isinstance(resolve(p), click.Group)]


def minimal_args(path: tuple[str, ...], tmp_path) -> list[str]:
    """The shortest command line that gets each command past click's parsing to its work (a run
    folder that names its data, an output in tmp_path). A new command needs a line here."""
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    (run / "options.json").write_text('{"data": "digits"}')
    out = str(tmp_path / "out")
    table = {
        ("train",): ["train", "ae", "--data", "digits", "--epochs", "1", "--device", "cpu", "--out", out],
        ("cluster",): ["cluster", "--data", "digits", "--n-clusters", "3", "--epochs", "1", "--device", "cpu",
                       "--out", out],
        ("fit-detector",): ["fit-detector", "--data", "digits", "--epochs", "1", "--device", "cpu", "--out", out],
        ("evaluate",): ["evaluate", str(run)],
        ("encode",): ["encode", str(run), "--data", "digits", "--out", out + ".npy"],
        ("sample",): ["sample", str(run), "--out", out + ".png"],
        ("detect",): ["detect", str(run), "--data", "digits", "--out", out + ".csv"],
        ("report",): ["report", str(run)],
        ("datasets", "list"): ["datasets", "list"],
        ("datasets", "fetch"): ["datasets", "fetch", "digits"],
        ("demo",): ["demo", "--out", out],
    }
    assert path in table, f"add 'latentmix {' '.join(path)}' to minimal_args"
    return table[path]


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


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_help_has_an_example(path, capsys):
    code, out, _ = run([*path, "--help"], capsys)
    assert code == 0
    assert "Example:" in out or "Examples:" in out, f"'latentmix {' '.join(path)} --help' has no Example: paragraph"
    example = out.split("Example", 1)[1]
    assert f"latentmix {' '.join(path)}" in example, example


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_every_command_takes_a_config_file(path):
    options = {opt for param in resolve(path).params for opt in getattr(param, "opts", ())}
    assert "--config" in options


@pytest.fixture
def break_everything(monkeypatch):
    """Make the first thing every command reads (a dataset, a run folder, the dataset list) raise
    the exception given to the returned function."""
    def install(exc: Exception):
        def boom(*args, **kwargs):
            raise exc

        for module, name in [(latentmix.datasets, "load"), (latentmix.datasets, "list_datasets"),
                             (latentmix.datasets, "fetch"), (latentmix.models, "load")]:
            monkeypatch.setattr(module, name, boom)

    return install


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_every_command_exit_codes_and_debug(path, break_everything, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = minimal_args(path, tmp_path)
    break_everything(DataError("the data are broken"))
    code, out, err = run(args, capsys)
    assert (code, err) == (2, "Error: the data are broken\n"), err
    code, _, err = run([*args, "--debug"], capsys)
    assert code == 2 and err.startswith("Traceback (most recent call last):") and "DataError: the data" in err
    break_everything(RuntimeError("a bug\nwith a second line"))
    code, _, err = run(args, capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert "RuntimeError: a bug" in err and "--debug" in err and "second line" not in err
    code, _, err = run(["--debug", *args], capsys)
    assert code == 1 and "Traceback" in err and "second line" in err


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_every_config_file_error_is_exit_2_and_one_line(path, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = minimal_args(path, tmp_path)
    if path in [("train",), ("cluster",), ("fit-detector",)]:
        args.append("--dry-run")
    bad = tmp_path / "bad.toml"
    bad.write_text("no_such_option = 1\n")
    code, _, err = run([*args, "--config", str(bad)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no_such_option" in err, err
    bad.write_text("epochs = = 1\n")
    code, _, err = run([*args, "--config", str(bad)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not valid TOML" in err, err
    code, _, err = run([*args, "--config", str(tmp_path / "missing.toml")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "missing.toml" in err, err


def test_config_values_are_checked_like_flags_and_flags_override_them(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    # the command's own options (data, even a required one) and the model's (n_init) in one file
    cfg.write_text('data = "digits"\nn_clusters = 4\nmethod = "aae"\nepochs = 7\nlatent_dim = 5\nn_init = 2\n')
    code, out, err = run(["cluster", "--n-clusters", "3", "--config", str(cfg), "--epochs", "2", "--dry-run"], capsys)
    assert code == 0, err
    options = json.loads(out)
    resolved = options["resolved"]
    assert options["data"] == "digits" and resolved["n_clusters"] == 3 and resolved["n_init"] == 2
    assert (resolved["method"], resolved["epochs"], resolved["latent_dim"]) == ("aae", 2, 5)
    cfg.with_name("e.toml").write_text("samples = 3\n")  # below --samples' minimum of 10: checked like the flag
    code, _, err = run(["evaluate", str(tmp_path), "--config", str(cfg.with_name("e.toml"))], capsys)
    assert code == 2 and "samples" in err and "Traceback" not in err
    cfg.with_name("s.toml").write_text('rejection = "sometimes"\n')
    code, _, err = run(["sample", str(tmp_path), "--config", str(cfg.with_name("s.toml")), "--out", "x.png"],
                       capsys)
    assert code == 2 and "sometimes" in err and "Traceback" not in err


def test_group_help_names_the_global_flags(capsys):
    code, out, _ = run(["--help"], capsys)
    assert code == 0 and "--quiet" in out and "--debug" in out and "report" in out
    assert "report" in cli.commands


# ---------------------------------------------------------------------------- real runs
COMMON = ["--device", "cpu", "--seed", "0"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Tiny runs through the real command line, each with --json: (folder, {command: parsed JSON})."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("runs")
    results = {}
    commands = {
        "train": ["train", "vae", "--data", "digits", "--epochs", "1", "--latent-dim", "4", *COMMON,
                  "--out", str(root / "vae")],
        "cluster": ["cluster", "--data", "digits", "--n-clusters", "10", "--epochs", "1", *COMMON,
                    "--out", str(root / "clu")],
        "fit-detector": ["fit-detector", "--data", "digits", "--normal-class", "0", "--epochs", "1", *COMMON,
                         "--out", str(root / "det")],
        "detect": ["detect", str(root / "det"), "--data", "digits", "--out", str(root / "scores.csv")],
        "evaluate": ["evaluate", str(root / "det")],
        "sample": ["sample", str(root / "vae"), "-n", "6", "--seed", "1", "--out", str(root / "s.npy")],
    }
    from contextlib import redirect_stderr, redirect_stdout
    from io import StringIO

    try:
        for name, args in commands.items():
            out, err = StringIO(), StringIO()
            with redirect_stdout(out), redirect_stderr(err):
                code = main([*args, "--json"])
            assert code == 0, err.getvalue()
            results[name] = (out.getvalue(), err.getvalue())
    finally:
        torch.set_num_threads(threads)
    return root, results


@pytest.mark.parametrize("command", ["train", "cluster", "fit-detector", "detect", "evaluate", "sample"])
def test_json_is_one_object_and_nothing_else_on_stdout(runs, command):
    root, results = runs
    out, _ = results[command]
    result = json.loads(out)  # the whole of stdout parses
    assert isinstance(result, dict)
    if command == "train":
        assert result["model"] == "VAE" and result["epoch"] == 1 and result["reconstruct/loss"] > 0
        assert result["report"].endswith("report.html")
    elif command == "cluster":
        assert 0 < result["acc"] <= 1 and {"nmi", "ari", "samples"} <= set(result)
    elif command == "fit-detector":
        assert result["threshold"] == pytest.approx(latentmix.load(root / "det").threshold_)
    elif command == "detect":
        assert result["rows"] == 360 and 0.5 < result["auroc"] <= 1 and result["outlier_rate"] > 0.8
    elif command == "evaluate":
        assert result["model"] == "AnomalyDetector" and "outlier/auroc" in result
    elif command == "sample":
        assert result["n_samples"] == 6 and result["shape"] == [1, 8, 8]


def test_reports_after_cluster_fit_detector_and_detect(runs):
    root, results = runs
    for run in ("vae", "clu", "det"):
        assert (root / run / "report.html").is_file(), run
    assert (root / "clu" / "latent.png").is_file() and 'id="fig-clusters"' in (root / "clu" / "report.html").read_text()
    assert (root / "det" / "scores.png").is_file() and (root / "det" / "roc.png").is_file()
    page = root / "scores-report" / "report.html"
    assert json.loads(results["detect"][0])["report"] == str(page)
    html = page.read_text()
    assert html.count("data:image/png;base64,") == 2 and "threshold" in html and "auroc" in html


@pytest.mark.parametrize("args, stdout", [
    (["sample", "{root}/vae", "-n", "4", "--out", "{tmp}/q.png"], ""),
    (["encode", "{root}/vae", "--data", "digits", "--split", "test", "--out", "{tmp}/z.npy"], ""),
    (["detect", "{root}/det", "--data", "digits", "--out", "{tmp}/s.csv", "--no-report"], ""),
    (["report", "{root}/det"], ""),
    (["datasets", "fetch", "digits"], ""),
    (["evaluate", "{root}/det"], "outlier/auroc"),  # the metrics are what evaluate is for
    (["train", "ae", "--data", "digits", "--epochs", "1", "--device", "cpu", "--out", "{tmp}/ae"], ""),
    (["cluster", "--data", "digits", "--n-clusters", "5", "--epochs", "1", "--device", "cpu", "--out", "{tmp}/c",
      "--no-report"], ""),
    (["fit-detector", "--data", "digits", "--epochs", "1", "--device", "cpu", "--out", "{tmp}/d", "--no-report"], ""),
])
def test_quiet_leaves_only_what_was_asked_for(runs, args, stdout, tmp_path, capsys, one_thread):
    root, _ = runs
    args = [a.format(root=root, tmp=tmp_path) for a in args]
    code, out, err = run(["--quiet", *args], capsys)
    assert code == 0 and err == "", err
    assert (stdout in out) if stdout else out == "", out


def test_config_file_feeds_a_command_and_flags_override_it(runs, tmp_path, capsys):
    root, _ = runs
    cfg = tmp_path / "sample.toml"
    cfg.write_text(f'n_samples = 5\nseed = 1\nout = "{tmp_path / "from_file.npy"}"\n')
    code, _, err = run(["sample", str(root / "vae"), "--config", str(cfg)], capsys)
    assert code == 0, err
    from_file = np.load(tmp_path / "from_file.npy")
    assert from_file.shape == (5, 1, 8, 8)
    code, _, _ = run(["sample", str(root / "vae"), "--config", str(cfg), "-n", "3", "--out", str(tmp_path / "f.npy")],
                     capsys)
    flags = np.load(tmp_path / "f.npy")
    assert code == 0 and flags.shape == (3, 1, 8, 8)
    assert main(["sample", str(root / "vae"), "-n", "3", "--seed", "1", "--out", str(tmp_path / "g.npy")]) == 0
    np.testing.assert_array_equal(flags, np.load(tmp_path / "g.npy"))  # seed 1 from the file, as with --seed 1


def test_json_keeps_library_prints_off_stdout(runs, tmp_path, capsys, monkeypatch):
    """A library function that prints (the mixtures' verbose=2 does) cannot spoil --json."""
    root, _ = runs
    import latentmix.cli.detect_cmd as detect_cmd

    original = detect_cmd.load_data

    def chatty(*args, **kwargs):
        print("a line from deep inside")
        sys.stdout.write("and another\n")
        return original(*args, **kwargs)

    monkeypatch.setattr(detect_cmd, "load_data", chatty)
    code, out, err = run(["detect", str(root / "det"), "--data", "digits", "--out", str(tmp_path / "s.csv"),
                          "--no-report", "--json"], capsys)
    assert code == 0 and json.loads(out)["rows"] == 360
    assert "a line from deep inside" in err and "and another" in err
