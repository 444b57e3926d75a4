"""Resuming training: a run killed with SIGKILL and resumed ends bit-identical to an uninterrupted
one (real processes); corrupted or foreign checkpoints give CheckpointError."""

import hashlib
import json
import logging
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).parent))
from _train_toy import ToyAutoEncoder, toy_data  # noqa: E402

from latentmix.exceptions import CheckpointError  # noqa: E402
from latentmix.train import fit_phases  # noqa: E402
from latentmix.train.checkpoint import latest_checkpoint, network_tensors, write_checkpoint  # noqa: E402

WORKER = Path(__file__).with_name("_train_resume_worker.py")
X = toy_data(48)


def worker(run_dir, out, *flags):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, str(WORKER), str(run_dir), str(out), *flags], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(proc):
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out.decode()[-3000:]


def test_sigkill_then_resume_is_bit_identical(tmp_path):
    reference = worker(tmp_path / "ref", tmp_path / "ref.safetensors")
    victim = worker(tmp_path / "run", tmp_path / "never.safetensors", "--delay", "0.03")
    latest = tmp_path / "run" / "checkpoints" / "latest"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # kill once the second checkpoint (step 4) is the latest
        if latest.exists() and int(latest.read_text().strip().split("-")[1]) >= 4:
            break
        assert victim.poll() is None, victim.communicate()[0].decode()[-3000:]
        time.sleep(0.005)
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    assert not (tmp_path / "never.safetensors").exists()  # it really died before the end
    finish(reference)
    finish(worker(tmp_path / "run", tmp_path / "resumed.safetensors", "--resume"))
    ref, res = load_file(tmp_path / "ref.safetensors"), load_file(tmp_path / "resumed.safetensors")
    assert ref.keys() == res.keys()
    for k in ref:
        assert torch.equal(ref[k], res[k]), k
    ref_log = json.loads((tmp_path / "ref.safetensors.json").read_text())
    res_log = json.loads((tmp_path / "resumed.safetensors.json").read_text())
    assert 4 <= res_log["resumed_from"] < 28 and res_log["steps"] == ref_log["steps"] == 28
    assert res_log["history"] == ref_log["history"]  # losses of every epoch, the interrupted one too
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3, 4]


def toy(seed=0, **kw):
    torch.manual_seed(seed)
    return ToyAutoEncoder(noise=0.1, **kw)


def state(model):
    return network_tensors(model.networks_)


def test_resume_after_a_finished_run_with_more_epochs(tmp_path):
    full = toy()
    fit_phases(full, X, epochs=4, batch_size=10, validation=X[:8], verbose=0)
    part = toy()
    fit_phases(part, X, epochs=2, batch_size=10, validation=X[:8], run_dir=tmp_path, verbose=0)
    more = toy(seed=9)
    r = fit_phases(more, X, epochs=4, batch_size=10, validation=X[:8], run_dir=tmp_path, resume=True, verbose=0)
    assert r.resumed_from == 10 and len(r.history) == 4
    for k, v in state(full).items():
        assert torch.equal(v, state(more)[k]), k


def test_resume_without_checkpoint_starts_fresh_and_says_so(tmp_path, caplog):
    a = toy()
    fit_phases(a, X, epochs=1, batch_size=16, verbose=0)
    b = toy()
    with caplog.at_level(logging.INFO, logger="latentmix.train"):
        r = fit_phases(b, X, epochs=1, batch_size=16, run_dir=tmp_path, resume=True, verbose=0)
    assert r.resumed_from is None and "starting a fresh run" in caplog.text
    for k, v in state(a).items():
        assert torch.equal(v, state(b)[k])


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("good")
    fit_phases(toy(), X, epochs=1, batch_size=8, run_dir=run, checkpoint_every=2, verbose=0)  # 6 steps
    assert latest_checkpoint(run).name == "step-6"
    return run


def corrupt_copy(good_run, tmp_path, damage):
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    damage(run / "checkpoints" / "step-6")
    return run


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):  # unpickling this would create the marker file
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("damage, match", [
    (lambda f: f.joinpath("weights.safetensors").write_bytes(f.joinpath("weights.safetensors").read_bytes()[:300]),
     "unreadable"),
    (lambda f: f.joinpath("config.json").write_text("{not json"), "not valid JSON"),
    (lambda f: f.joinpath("config.json").write_text('{"format": "something-else"}'), "not a latentmix"),
    (lambda f: f.joinpath("state.pt").unlink(), "state.pt is missing"),
    (lambda f: f.joinpath("weights.safetensors").unlink(), "missing"),
    (lambda f: f.joinpath("state.pt").write_bytes(b"garbage"), "state.pt is unreadable"),
    (lambda f: f.parent.joinpath("latest").write_text("step-99\n"), "not a checkpoint folder"),
    (lambda f: torch.save({"step": 6, "x": _Evil(f / "pwned")}, f / "state.pt"), "state.pt is unreadable"),
])
def test_corrupted_checkpoint_raises_checkpoint_error(good_run, tmp_path, damage, match):
    run = corrupt_copy(good_run, tmp_path, damage)
    before = state(m := toy(seed=4))
    with pytest.raises(CheckpointError, match=match):
        fit_phases(m, X, epochs=2, batch_size=8, run_dir=run, resume=True, verbose=0)
    assert not (run / "checkpoints" / "step-6" / "pwned").exists()  # nothing was unpickled
    for k, v in before.items():
        assert torch.equal(v, state(m)[k])  # the model is untouched


def test_foreign_checkpoint_shapes_and_settings(good_run, tmp_path):
    run = corrupt_copy(good_run, tmp_path, lambda f: None)
    with pytest.raises(CheckpointError, match="encoder.0.weight"):
        fit_phases(toy(hidden=5), X, epochs=2, batch_size=8, run_dir=run, resume=True, verbose=0)
    with pytest.raises(CheckpointError, match="batch_size=8"):
        fit_phases(toy(), X, epochs=2, batch_size=16, run_dir=run, resume=True, verbose=0)


def test_failed_write_never_replaces_a_good_checkpoint(good_run, tmp_path):
    run = corrupt_copy(good_run, tmp_path, lambda f: None)
    folder = run / "checkpoints" / "step-6"
    digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    with pytest.raises((pickle.PicklingError, AttributeError)):  # a lambda cannot be saved: fails midway
        write_checkpoint(run, 8, state(toy(seed=2)), {"step": 8, "bad": lambda: 0}, None)
    with pytest.raises(CheckpointError, match="never overwritten"):
        write_checkpoint(run, 6, state(toy(seed=2)), {"step": 6}, None)
    assert (run / "checkpoints" / "latest").read_text().strip() == "step-6"
    assert not list(run.rglob("*.tmp"))
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()} == digest
    # The run resumes from step-6 (not from the half-written step-8) and gives the uninterrupted result.
    full, m = toy(), toy()
    fit_phases(full, X, epochs=2, batch_size=8, verbose=0)
    r = fit_phases(m, X, epochs=2, batch_size=8, run_dir=run, resume=True, verbose=0)
    assert r.resumed_from == 6 and r.steps == 12
    for k, v in state(full).items():
        assert torch.equal(v, state(m)[k]), k
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["latest", "step-12", "step-6"]
