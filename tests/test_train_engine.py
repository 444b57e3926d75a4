"""The one training loop (latentmix.train.fit_phases) on tiny toy models, for real."""

import dataclasses
import json
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from _train_toy import ToyAdversarial, ToyAutoEncoder, toy_data  # noqa: E402

from latentmix.exceptions import CheckpointError, DataError, InvalidParameterError, TrainingDivergedError  # noqa: E402
from latentmix.train import Phase, TrainResult, cosine_schedule, fit_phases, load_weights, save_weights  # noqa: E402
from latentmix.train.checkpoint import latest_checkpoint  # noqa: E402
from latentmix.train.logging import Meter  # noqa: E402

X = toy_data(96)
V = toy_data(32, seed=1)
RECORD_KEYS = {"epoch", "step", "reconstruct/loss", "reconstruct/code_norm", "val_loss", "samples_per_s",
               "seconds", "elapsed"}


def toy(seed=0, **kw):
    torch.manual_seed(seed)  # the caller's job: seeds the networks' initialisation
    return ToyAutoEncoder(**kw)


def weights(model):
    return model.state()


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_loss_decreases_and_result_fields():
    m = toy()
    r = fit_phases(m, X, epochs=8, batch_size=16, verbose=0)
    assert isinstance(r, TrainResult)
    losses = [h["reconstruct/loss"] for h in r.history]
    assert losses[-1] < 0.5 * losses[0]
    assert r.steps == 8 * 6 and r.best_epoch is None and not r.stopped_early and r.seconds > 0
    assert [h["epoch"] for h in r.history] == list(range(1, 9))
    assert all(net.training for net in m.networks_.values())


def test_same_seed_bit_identical_different_seed_differs():
    runs = []
    for seed in [0, 0, 1]:
        m = toy(noise=0.1, dropout=0.1)  # global RNG in the loss: reproducible too
        fit_phases(m, X, epochs=3, batch_size=10, seed=seed, verbose=0)  # 10 steps/epoch, last batch of 6
        runs.append(weights(m))
    assert_same(runs[0], runs[1])
    assert not torch.equal(runs[0]["encoder.0.weight"], runs[2]["encoder.0.weight"])


def test_phase_intervals_and_order():
    torch.manual_seed(0)
    m = ToyAdversarial()
    r = fit_phases(m, toy_data(40, dim=4), epochs=2, batch_size=8, verbose=0)  # 5 steps/epoch
    assert r.steps == 10
    assert m.calls == {"critic": 10, "generator": 5}  # generator on steps 0, 2, 4, 6, 8
    assert m.order[:6] == ["critic", "generator", "critic", "critic", "generator", "critic"]
    assert {"critic/loss", "generator/loss", "critic/gap"} <= r.history[0].keys()


def test_lr_schedule_is_called_with_the_training_progress_and_scales_the_rate():
    seen = []
    m = toy(schedule=lambda progress: seen.append(progress) or 1.0)
    fit_phases(m, X[:32], epochs=2, batch_size=8, verbose=0)  # 4 steps per epoch
    assert seen == [s / 8 for s in range(8)]
    frozen = toy(schedule=lambda progress: 0.0)  # lr 0: Adam moves nothing
    before = {k: v.clone() for k, v in frozen.networks_.state_dict().items()}
    fit_phases(frozen, X[:32], epochs=1, batch_size=8, verbose=0)
    assert_same(before, frozen.networks_.state_dict())


def test_cosine_schedule_shape():
    f = cosine_schedule(warmup=0.1)
    assert f(0.0) < 0.02 and f(0.05) == pytest.approx(0.5, abs=0.02) and f(0.1) == pytest.approx(1.0)
    assert f(0.55) == pytest.approx(0.5) and f(0.999) < 1e-4
    assert all(f(a) >= f(b) for a, b in zip([0.1, 0.3, 0.6], [0.3, 0.6, 0.9]))
    with pytest.raises(InvalidParameterError, match="warmup"):
        cosine_schedule(warmup=1.0)
    with pytest.raises(InvalidParameterError, match="schedule must be callable"):
        fit_phases(toy(schedule="cosine"), X[:32], epochs=1, batch_size=8, verbose=0)


def test_after_step_hook_runs_after_each_optimizer_step_without_grad():
    m = toy()
    phase = m.training_phases()[0]
    seen = []
    m.training_phases = lambda: [dataclasses.replace(phase, after_step=lambda s: seen.append(
        (s, torch.is_grad_enabled(), m.networks_["encoder"][0].weight.grad is not None)))]
    fit_phases(m, X[:32], epochs=2, batch_size=8, verbose=0)
    assert seen == [(s, False, True) for s in range(8)]


def test_metrics_jsonl_and_checkpoint_layout(tmp_path):
    m = toy()
    r = fit_phases(m, X, epochs=3, batch_size=16, validation=V, run_dir=tmp_path, checkpoint_every=4,
                   verbose=0, config={"model": "toy", "lr": 0.01})
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 3 and all(RECORD_KEYS <= rec.keys() for rec in records)
    assert records == json.loads(json.dumps(r.history))
    assert all(isinstance(rec["val_loss"], float) for rec in records)
    ck = tmp_path / "checkpoints"
    assert (ck / "latest").read_text().strip() == "step-18"
    assert sorted(p.name for p in ck.iterdir()) == ["latest", "step-16", "step-18"]  # newest two kept
    folder = ck / "step-18"
    assert {p.name for p in folder.iterdir()} == {"weights.safetensors", "best.safetensors", "state.pt",
                                                   "config.json"}
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["config"] == {"model": "toy", "lr": 0.01} and cfg["step"] == 18
    assert cfg["shapes"]["encoder.0.weight"] == [16, 8]
    state = torch.load(folder / "state.pt", weights_only=True)
    assert state["step"] == 18 and state["epoch"] == 3 and state["position"] == 0
    assert not list(tmp_path.rglob("*.tmp"))


def test_log_every_writes_step_records(tmp_path):
    fit_phases(toy(), X, epochs=2, batch_size=16, run_dir=tmp_path, log_every=4, verbose=0)
    steps = [json.loads(line) for line in (tmp_path / "metrics_steps.jsonl").read_text().splitlines()]
    assert [s["step"] for s in steps] == [4, 8, 12]
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 2


def test_verbose_zero_prints_nothing_verbose_one_shows_a_bar(capsys):
    fit_phases(toy(), X, epochs=2, batch_size=32, verbose=0)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    fit_phases(toy(), X, epochs=2, batch_size=32, verbose=1)
    out = capsys.readouterr()
    assert out.out == "" and "epoch" in out.err and "reconstruct" in out.err


def test_nan_loss_stops_naming_the_step_and_keeps_the_last_checkpoint(tmp_path):
    # 32 rows, batch 8: 4 steps per epoch; checkpoints at steps 2 and 4; NaN at global step 5.
    data = X[:32]
    with pytest.raises(TrainingDivergedError, match=r"global step 5 .*epoch 2 of 3.*'reconstruct'|"
                                                    r"'reconstruct'.*global step 5 .*epoch 2 of 3") as info:
        fit_phases(toy(nan_at=5), data, epochs=3, batch_size=8, run_dir=tmp_path, checkpoint_every=2,
                   verbose=0)
    assert info.value.step == 5 and info.value.epoch == 2 and info.value.phase == "reconstruct"
    folder = latest_checkpoint(tmp_path)
    assert folder.name == "step-4"
    # Intact: equal to an uninterrupted 1-epoch (4-step) run, and loadable.
    clean = toy()
    fit_phases(clean, data, epochs=1, batch_size=8, verbose=0)
    fresh = toy(seed=5)
    load_weights(fresh.networks_, folder / "weights.safetensors")
    assert_same(weights(fresh), weights(clean))
    # And resumable: finishing the run gives the uninterrupted result.
    full = toy()
    fit_phases(full, data, epochs=3, batch_size=8, verbose=0)
    resumed = toy()
    r = fit_phases(resumed, data, epochs=3, batch_size=8, run_dir=tmp_path, resume=True, verbose=0)
    assert r.resumed_from == 4 and r.steps == 12
    assert_same(weights(resumed), weights(full))


def test_early_stopping_restores_the_best_weights():
    m = toy(val_schedule=[5.0, 4.0, 3.0, 3.5, 3.6, 3.7, 3.8, 3.9])
    r = fit_phases(m, X, epochs=8, batch_size=32, validation=V, patience=2, verbose=0)
    assert r.stopped_early and r.best_epoch == 3 and len(r.history) == 5
    assert [h["val_loss"] for h in r.history] == pytest.approx([5.0, 4.0, 3.0, 3.5, 3.6])
    assert_same(weights(m), m.snapshots[2])  # weights as they were when epoch 3 was validated
    m2 = toy(val_schedule=[5.0, 4.0, 3.0, 3.5, 3.6, 3.7])  # no patience: all epochs, best restored
    r2 = fit_phases(m2, X, epochs=6, batch_size=32, validation=V, verbose=0)
    assert not r2.stopped_early and r2.best_epoch == 3 and len(r2.history) == 6
    assert_same(weights(m2), m2.snapshots[2])


def test_amp_bf16_on_cpu_runs():
    r = fit_phases(toy(), X, epochs=2, batch_size=32, amp=True, verbose=0)
    assert all(torch.isfinite(torch.tensor(h["reconstruct/loss"])) for h in r.history)


@pytest.mark.parametrize("kwargs, match", [
    (dict(epochs=0), "epochs"),
    (dict(batch_size=0), "batch_size"),
    (dict(batch_size=2.5), "batch_size"),
    (dict(seed=-1), "seed"),
    (dict(resume=True), "run_dir"),
    (dict(checkpoint_every=3), "run_dir"),
    (dict(patience=2), "validation"),
    (dict(amp="fp8"), "amp"),
    (dict(config={"f": object()}), "config"),
    (dict(log_every=0), "log_every"),
    (dict(validation=torch.zeros(4, 5)), "validation"),
])
def test_bad_arguments(kwargs, match):
    args = dict(epochs=1, batch_size=8, verbose=0) | kwargs
    with pytest.raises(InvalidParameterError, match=match):
        fit_phases(toy(), X, **args)


def test_bad_data_and_bad_phases():
    with pytest.raises(InvalidParameterError, match="X must be a tensor"):
        fit_phases(toy(), X.numpy(), epochs=1, batch_size=8)
    with pytest.raises(DataError, match="NaN"):
        fit_phases(toy(), torch.full((4, 8), float("nan")), epochs=1, batch_size=8)
    m = toy()
    m.training_phases = lambda: [Phase("r", ("encoder", "nope"), m._loss)]
    with pytest.raises(InvalidParameterError, match="nope"):
        fit_phases(m, X, epochs=1, batch_size=8)
    m.training_phases = lambda: [Phase("r", ("encoder",), m._loss, interval=0)]
    with pytest.raises(InvalidParameterError, match="interval"):
        fit_phases(m, X, epochs=1, batch_size=8)
    m.training_phases = lambda: [Phase("r", ("encoder",), lambda b, ctx: m.networks_["encoder"](b).mean())]
    with pytest.raises(InvalidParameterError, match="must return"):
        fit_phases(m, X, epochs=1, batch_size=8, verbose=0)
    assert isinstance(m.networks_["encoder"], torch.nn.Sequential)  # plain modules are back


def test_save_and_load_weights(tmp_path):
    a, b = toy(seed=1), toy(seed=2)
    save_weights(a.networks_, tmp_path / "w.safetensors")
    load_weights(b.networks_, tmp_path / "w.safetensors")
    assert_same(weights(a), weights(b))
    other = toy(hidden=7)
    with pytest.raises(CheckpointError, match="encoder.0.weight"):
        load_weights(other.networks_, tmp_path / "w.safetensors")
    with pytest.raises(CheckpointError, match="missing"):
        load_weights(b.networks_, tmp_path / "nothing.safetensors")


@pytest.mark.slow
def test_compile_trains_or_falls_back_with_a_warning():
    r = fit_phases(toy(), X[:32], epochs=1, batch_size=16, compile=True, verbose=0)
    assert r.steps == 2 and r.history[0]["reconstruct/loss"] > 0


def test_device_meter_agrees_with_host_meter():
    """The accelerator bookkeeping (losses kept in a device buffer, read once) run on CPU tensors."""
    host, dev = Meter(2, 6, torch.device("cpu"), host=True), Meter(2, 6, torch.device("cpu"), host=False)
    phase0 = [0.5, 0.25, 0.125, 1.0, 1.0, float("nan")]
    phase1 = {0: 1.0, 2: 1.0, 4: float("inf")}  # phase 1 runs on even positions (interval 2)
    for m in (host, dev):
        m.reset(12)
        for j in range(4):
            m.add(0, j, 12 + j, torch.tensor(phase0[j]), {"gap": torch.tensor(float(j))}, "a/")
            if j in phase1:
                m.add(1, j, 12 + j, torch.tensor(phase1[j]), {}, "b/")
    assert host.totals(4) == dev.totals(4) == ([1.875, 2.0], {"a/gap": 6.0})
    assert host.log_counts == dev.log_counts == {"a/gap": 4}
    restored = Meter(2, 6, torch.device("cpu"), host=False)
    restored.reset(12)
    restored.load_state(dev.state(3), 3)
    assert restored.totals(3) == dev.totals(3) == ([0.875, 2.0], {"a/gap": 3.0})
    from_host = Meter(2, 6, torch.device("cpu"), host=False)
    from_host.reset(12)
    from_host.load_state(host.state(4), 4)
    assert from_host.totals(4) == dev.totals(4)
    assert host.bad is None and dev.first_bad(4) is None
    for m in (host, dev):
        for j in (4, 5):
            m.add(0, j, 12 + j, torch.tensor(phase0[j]), {}, "a/")
            if j in phase1:
                m.add(1, j, 12 + j, torch.tensor(phase1[j]), {}, "b/")
    assert host.bad == dev.first_bad(6) == (16, 1)  # the first non-finite loss: step 16, phase 1
