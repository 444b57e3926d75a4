"""TensorBoard event files beside metrics.jsonl (latentmix.train.tensorboard): nothing changes
without the tensorboard package; with it, the epoch and step scalars, the image grids, the same
weights as without it, and resumed runs that continue the curves without duplicates."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _train_toy import ToyAutoEncoder, toy_data  # noqa: E402

import latentmix as lm  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(autouse=True)
def tensorboard_not_turned_off(monkeypatch):
    monkeypatch.delenv("LATENTMIX_TENSORBOARD", raising=False)


@pytest.fixture(scope="module")
def X():
    X, _ = lm.datasets.load("digits", split="train")
    return X[:256].numpy()


def events(run_dir):
    return sorted(p.name for p in run_dir.glob("events.out.tfevents.*"))


def accumulator(run_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    return acc


def weights(model):
    return {k: v.detach().clone() for k, v in model.networks_.state_dict().items()}


def test_without_tensorboard_nothing_changes(X, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # importing it raises ImportError
    ae = lm.AutoEncoder(latent_dim=4, hidden=(32,), epochs=2, batch_size=64, random_state=0, verbose=0)
    ae.fit(X, run_dir=tmp_path / "run")
    assert events(tmp_path / "run") == []
    assert len((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()) == 2


def test_turned_off_by_the_environment(X, tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    monkeypatch.setenv("LATENTMIX_TENSORBOARD", "0")
    lm.AutoEncoder(latent_dim=4, hidden=(32,), epochs=1, random_state=0, verbose=0).fit(X, run_dir=tmp_path / "r")
    assert events(tmp_path / "r") == []


def test_event_files_hold_the_scalars_and_images(X, tmp_path):
    pytest.importorskip("tensorboard")
    from latentmix.train import fit_phases

    vae = lm.VAE(latent_dim=4, hidden=(32,), epochs=2, batch_size=64, random_state=0, verbose=0)
    vae.fit(X, run_dir=tmp_path / "vae")
    assert len(events(tmp_path / "vae")) == 1
    acc = accumulator(tmp_path / "vae")
    records = [json.loads(line) for line in (tmp_path / "vae" / "metrics.jsonl").read_text().splitlines()]
    tags = acc.Tags()
    for key in ("reconstruct/loss", "reconstruct/kl", "samples_per_s"):
        logged = acc.Scalars(f"epoch/{key}")
        assert [e.step for e in logged] == [r["step"] for r in records]
        np.testing.assert_allclose([e.value for e in logged], [r[key] for r in records], rtol=1e-5)
    assert {"reconstruction", "samples"} <= set(tags["images"])
    assert len(acc.Images("reconstruction")) == 2 and acc.Images("samples")[0].width > 0

    # log_every: the step records too, at their global steps; tables: scalars only
    model, Xtoy = ToyAutoEncoder(), toy_data(128)
    fit_phases(model, Xtoy, epochs=1, batch_size=32, run_dir=tmp_path / "steps", log_every=2, verbose=0)
    acc = accumulator(tmp_path / "steps")
    assert [e.step for e in acc.Scalars("step/reconstruct/loss")] == [2, 4]
    assert [e.step for e in acc.Scalars("epoch/reconstruct/loss")] == [4] and acc.Tags()["images"] == []


def test_same_weights_with_and_without_tensorboard(X, tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    common = dict(latent_dim=4, hidden=(32,), epochs=2, batch_size=64, random_state=0, verbose=0)
    with_tb = lm.VAE(**common).fit(X, run_dir=tmp_path / "a")
    assert events(tmp_path / "a")
    monkeypatch.setenv("LATENTMIX_TENSORBOARD", "0")
    without = lm.VAE(**common).fit(X, run_dir=tmp_path / "b")
    assert not events(tmp_path / "b")
    a, b = weights(with_tb), weights(without)
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_resumed_run_continues_the_curves(X, tmp_path):
    pytest.importorskip("tensorboard")
    run = tmp_path / "run"
    common = dict(latent_dim=4, hidden=(32,), batch_size=64, random_state=0, verbose=0)
    lm.AutoEncoder(epochs=2, **common).fit(X, run_dir=run)
    lm.AutoEncoder(epochs=4, **common).fit(X, run_dir=run, resume=True)
    logged = accumulator(run).Scalars("epoch/reconstruct/loss")
    assert [e.step for e in logged] == [4, 8, 12, 16]
    lm.AutoEncoder(epochs=1, **common).fit(X, run_dir=run)  # a fresh run in the same folder starts over
    assert [e.step for e in accumulator(run).Scalars("epoch/reconstruct/loss")] == [4]
