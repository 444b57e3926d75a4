"""``latentmix datasets [list | fetch NAME]`` through click and as a real subprocess."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _datasets_helpers import files_in, isolate, serve, write_idx_dataset
from click.testing import CliRunner

from latentmix.cli import cli, main
from latentmix.datasets import REGISTRY

SCRIPT = Path(sys.executable).with_name("latentmix")


@pytest.fixture
def cache(monkeypatch, tmp_path):
    return isolate(monkeypatch, tmp_path)


def test_list_is_the_default(cache):
    runner = CliRunner()
    default = runner.invoke(cli, ["datasets"])
    explicit = runner.invoke(cli, ["datasets", "list"])
    assert default.exit_code == 0, default.output
    assert default.output == explicit.output
    lines = default.output.splitlines()
    assert lines[0].split() == ["name", "shape", "classes", "splits", "where"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert list(rows) == list(REGISTRY)
    assert "1x28x28" in rows["mnist"] and "train 60000 / test 10000" in rows["mnist"]
    assert "not cached (download 12 MB)" in rows["mnist"]
    assert "digits.csv.gz" in rows["digits"]


def test_list_shows_where_files_were_found(cache, tmp_path):
    write_idx_dataset(tmp_path / "root" / "mnist")
    result = CliRunner().invoke(cli, ["datasets", "list", "--root", str(tmp_path / "root")])
    [row] = [line for line in result.output.splitlines() if line.startswith("mnist ")]
    assert row.endswith(str(tmp_path / "root" / "mnist"))


def test_fetch_from_local_server(cache, monkeypatch, tmp_path):
    sums = write_idx_dataset(tmp_path / "mirror")
    spec = REGISTRY["mnist"]
    monkeypatch.setitem(REGISTRY, "mnist", dataclasses.replace(
        spec, sha256={name: (digest,) for name, digest in sums.items()}))
    root = tmp_path / "root"
    with serve(tmp_path / "mirror") as served:
        args = ["datasets", "fetch", "mnist", "--root", str(root), "--mirror", served.url, "-q"]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert f"mnist: ready in {root / 'mnist'}" in result.output
        assert files_in(root / "mnist") == sorted(sums)
        assert len(served.requests) == 4
        assert CliRunner().invoke(cli, args).exit_code == 0
        assert len(served.requests) == 4  # already there: nothing downloaded


def test_bad_name_is_exit_code_2(cache, capsys):
    assert main(["datasets", "fetch", "imagenet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: unknown dataset 'imagenet'; valid names are digits, ")
    assert "Traceback" not in err


def _run(args, tmp_path, **env):
    full_env = {k: v for k, v in os.environ.items()
                if k != "LATENTMIX_DATA" and not k.startswith("LATENTMIX_MIRROR_")}
    full_env.update(XDG_CACHE_HOME=str(tmp_path / "xdg"), **env)
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=full_env,
                          timeout=120, check=False)


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"{SCRIPT} missing: run pip install -e .")
def test_real_console_script(tmp_path):
    listed = _run(["datasets", "list"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()[1:]] == list(REGISTRY)
    bad = _run(["datasets", "fetch", "no-such-data"], tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.startswith("Error: unknown dataset 'no-such-data'")
    assert "Traceback" not in bad.stderr


@pytest.mark.skipif(not SCRIPT.exists(), reason=f"{SCRIPT} missing: run pip install -e .")
def test_real_console_script_offline(tmp_path):
    result = _run(["datasets", "fetch", "mnist", "--mirror", "http://127.0.0.1:9/"], tmp_path,
                  no_proxy="127.0.0.1")
    assert result.returncode == 2
    assert "Error: dataset 'mnist' was not found" in result.stderr
    assert "could not download http://127.0.0.1:9/" in result.stderr
    assert str(tmp_path / "xdg" / "latentmix" / "mnist") in result.stderr
    assert "Traceback" not in result.stderr
