"""The training engine's step context (step, epoch, progress, batch indices, labels, the per-step
cache), phase-scoped gradients, a forward pass shared by the phases of a step, on_epoch_end, and
resuming a checkpoint whose phases were renamed (latentmix.train.loop / phases / state)."""

import sys
from collections import Counter
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from _train_toy import toy_data  # noqa: E402

from latentmix.exceptions import CheckpointError, InvalidParameterError  # noqa: E402
from latentmix.train import Phase, adam, fit_phases  # noqa: E402
from latentmix.train.checkpoint import network_tensors  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")

X = toy_data(50, dim=4)  # batch_size=16: 4 steps per epoch, the last with 2 rows


class Recorder:
    """One phase on one tiny network; records the context it was called with at every step."""

    def __init__(self, epochs_end=False):
        torch.manual_seed(0)
        self.networks_ = nn.ModuleDict({"net": nn.Linear(4, 4)})
        self.seen = []
        if epochs_end:
            self.epochs_ended = []
            self.on_epoch_end = self.epochs_ended.append

    def training_phases(self):
        return [Phase("fit", ("net",), self._loss)]

    def _loss(self, batch, ctx):
        self.seen.append({"step": ctx.step, "epoch": ctx.epoch, "progress": ctx.progress,
                          "index": ctx.index.clone(), "batch": batch.clone(),
                          "y": None if ctx.y is None else ctx.y.clone(), "cache": dict(ctx.cache)})
        return F.mse_loss(self.networks_["net"](batch), batch), {}


def test_step_epoch_progress_and_index():
    m = Recorder()
    r = fit_phases(m, X, epochs=3, batch_size=16, seed=1, verbose=0)
    seen = m.seen
    assert r.steps == 12 and len(seen) == 12
    assert [s["step"] for s in seen] == list(range(12))
    assert [s["epoch"] for s in seen] == [0] * 4 + [1] * 4 + [2] * 4
    for s in seen:
        assert s["progress"] == pytest.approx(s["step"] / 12)
        assert 0.0 <= s["progress"] < 1.0
        assert s["index"].dtype == torch.long
        assert torch.equal(X[s["index"]], s["batch"])  # the rows of X in this batch
        assert s["y"] is None and s["cache"] == {}
    assert [len(s["index"]) for s in seen] == [16, 16, 16, 2] * 3
    for e in range(3):  # each epoch visits every row once, in a new order
        rows = torch.cat([s["index"] for s in seen[4 * e:4 * e + 4]])
        assert sorted(rows.tolist()) == list(range(50))
    assert not torch.equal(torch.cat([s["index"] for s in seen[:4]]), torch.cat([s["index"] for s in seen[4:8]]))


def test_labels_follow_the_batch():
    labels = (torch.arange(50) * 7) % 5
    m = Recorder()
    fit_phases(m, X, epochs=2, batch_size=16, y=labels, verbose=0)
    assert len(m.seen) == 8
    for s in m.seen:
        assert s["y"] is not None and torch.equal(s["y"], labels[s["index"]])


@pytest.mark.parametrize("bad", [torch.zeros(49, dtype=torch.long), torch.zeros(51), list(range(50)),
                                 torch.zeros(50).numpy()])
def test_labels_of_the_wrong_length_or_type(bad):
    m = Recorder()
    with pytest.raises(InvalidParameterError, match="y"):
        fit_phases(m, X, epochs=1, batch_size=16, y=bad, verbose=0)
    assert m.seen == []  # rejected before training


def test_on_epoch_end_once_per_epoch_and_after_resume(tmp_path):
    m = Recorder(epochs_end=True)
    fit_phases(m, X, epochs=3, batch_size=16, verbose=0)
    assert m.epochs_ended == [0, 1, 2]
    # called after the epoch's steps: the epoch numbers seen by the losses are complete by then
    part = Recorder(epochs_end=True)
    fit_phases(part, X, epochs=1, batch_size=16, run_dir=tmp_path, verbose=0)
    assert part.epochs_ended == [0]
    more = Recorder(epochs_end=True)
    r = fit_phases(more, X, epochs=3, batch_size=16, run_dir=tmp_path, resume=True, verbose=0)
    assert r.resumed_from == 4
    assert more.epochs_ended == [1, 2]
    assert [s["step"] for s in more.seen] == list(range(4, 12))  # the global step continues
    assert [s["epoch"] for s in more.seen] == [1] * 4 + [2] * 4


# ---------------------------------------------------------------------------------------- the cache
class TwoPhaseCache:
    """Phase "first" (every step) and "second" (every ``interval`` steps) on separate networks,
    sharing ``ctx.cached("shared", ...)`` and a value ``first`` puts into ``ctx.cache``."""

    def __init__(self, interval=1):
        torch.manual_seed(0)
        self.networks_ = nn.ModuleDict({"a": nn.Linear(4, 4), "b": nn.Linear(4, 4)})
        self.interval = interval
        self.computed = Counter()
        self.log = []

    def training_phases(self):
        return [Phase("first", ("a",), self._first), Phase("second", ("b",), self._second, interval=self.interval)]

    def _compute(self, step):
        self.computed[step] += 1
        return object()

    def _first(self, batch, ctx):
        self.log.append(("first", ctx.step, sorted(ctx.cache)))  # what a previous step left: nothing
        ctx.cache["from_first"] = ("token", ctx.step)
        shared = ctx.cached("shared", lambda: self._compute(ctx.step))
        self.log.append(("first-shared", ctx.step, shared))
        return F.mse_loss(self.networks_["a"](batch), batch), {}

    def _second(self, batch, ctx):
        self.log.append(("second", ctx.step, ctx.cache.get("from_first")))
        shared = ctx.cached("shared", lambda: self._compute(ctx.step))
        self.log.append(("second-shared", ctx.step, shared))
        return F.mse_loss(self.networks_["b"](batch), batch), {}


@pytest.mark.parametrize("interval", [1, 2])
def test_cache_is_shared_within_a_step_and_emptied_after_it(interval):
    m = TwoPhaseCache(interval)
    fit_phases(m, X, epochs=2, batch_size=16, verbose=0)
    first = [e for e in m.log if e[0] == "first"]
    second = [e for e in m.log if e[0] == "second"]
    assert [e[1] for e in first] == list(range(8))
    assert all(e[2] == [] for e in first)  # the cache starts empty at every step
    assert [e[1] for e in second] == list(range(0, 8, interval))
    assert all(e[2] == ("token", e[1]) for e in second)  # the value of this step's first phase
    assert m.computed == Counter({s: 1 for s in range(8)})  # cached() computed once per step
    firsts = {e[1]: e[2] for e in m.log if e[0] == "first-shared"}
    for _, step, value in (e for e in m.log if e[0] == "second-shared"):
        assert value is firsts[step]
    assert len({id(v) for v in firsts.values()}) == 8  # a new value every step


# ---------------------------------------------------------------------------------------- gradients
class Adversarial:
    """A GAN-shaped pair: phase "g" trains ``g`` through ``d``; phase "d" trains ``d`` on real rows
    and on g's output *without* detaching it (``h``: a spare network of g's shape). ``after_step``
    records every network's .grad right after each phase's backward pass and optimizer step."""

    def __init__(self, order=("d", "g"), names=None, d_trains=("d",), g_trains=("g",)):
        torch.manual_seed(0)
        self.networks_ = nn.ModuleDict({"g": nn.Sequential(nn.Linear(2, 6), nn.Tanh(), nn.Linear(6, 4)),
                                        "d": nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 1))})
        # a spare generator of g's shape that no phase trains by default (and no loss uses)
        self.networks_["h"] = nn.Sequential(nn.Linear(2, 6), nn.Tanh(), nn.Linear(6, 4))
        self.order, self.names = order, names or {"d": "d", "g": "g"}
        self.trains = {"d": d_trains, "g": g_trains}
        self.grads = []  # (phase, step, {network: [grad or None per parameter]})
        self.fail_at = None

    def training_phases(self):
        make = {"d": self._d_loss, "g": self._g_loss}
        return [Phase(self.names[k], self.trains[k], make[k], optimizer=adam(1e-2, (0.5, 0.9)),
                      after_step=lambda step, k=k: self._record(k, step)) for k in self.order]

    def _record(self, phase, step):
        self.grads.append((phase, step, {name: [None if p.grad is None else p.grad.clone() for p in net.parameters()]
                                         for name, net in self.networks_.items()}))

    def _fake(self, n):
        return self.networks_["g"](torch.randn(n, 2))

    def _d_loss(self, batch, ctx):
        if self.fail_at is not None and ctx.step == self.fail_at:
            raise KeyboardInterrupt  # an interruption in the middle of a run
        d = self.networks_["d"]
        return F.softplus(-d(batch)).mean() + F.softplus(d(self._fake(len(batch)))).mean(), {}

    def _g_loss(self, batch, ctx):
        return F.softplus(-self.networks_["d"](self._fake(len(batch)))).mean(), {}


def _same(a, b):
    return all((x is None and y is None) or (x is not None and y is not None and torch.equal(x, y))
               for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("order", [("d", "g"), ("g", "d")])
def test_a_phase_computes_gradients_for_its_own_networks_only(order):
    m = Adversarial(order)
    before = {k: v.clone() for k, v in network_tensors(m.networks_).items()}
    fit_phases(m, X, epochs=2, batch_size=16, verbose=0)
    assert len(m.grads) == 16
    last = {"d": None, "g": None}  # each network's grads as its own phase left them
    for phase, step, grads in m.grads:
        own, other = phase, "g" if phase == "d" else "d"
        assert all(g is None for g in grads["h"])
        assert all(g is not None and torch.isfinite(g).all() for g in grads[own])
        assert sum(float(g.abs().sum()) for g in grads[own]) > 0
        # the other network is used by this phase's loss but got no gradient from it
        if last[other] is None:
            assert all(g is None for g in grads[other]), (phase, step)
        else:
            assert _same(grads[other], last[other]), (phase, step)
        last[own] = grads[own]
    after = network_tensors(m.networks_)
    for k in before:  # g and d trained, h untouched
        assert torch.equal(before[k], after[k]) == k.startswith("h."), k


def test_a_phase_that_trains_both_networks_gets_both_gradients():
    """The control of the test above: it would see a leak, since g's loss does reach d."""
    m = Adversarial(("d", "g"), g_trains=("g", "d"))
    fit_phases(m, X, epochs=1, batch_size=16, verbose=0)
    g_steps = [grads for phase, _, grads in m.grads if phase == "g"]
    d_after_d = [grads["d"] for phase, _, grads in m.grads if phase == "d"]
    assert all(not _same(g["d"], dd) for g, dd in zip(g_steps, d_after_d, strict=True))


# ---------------------------------------------------------------------------------------- shared forward
class SharedForward:
    """The VAE-GAN pattern: phase "A" (network a) computes h = a(x), out = b(h) once and caches
    it; phase "B" (network b), later in the same step, takes its loss from the cached graph."""

    def __init__(self, interval_b=1, detach=False):
        torch.manual_seed(0)
        self.networks_ = nn.ModuleDict({"a": nn.Sequential(nn.Linear(4, 3), nn.Tanh()), "b": nn.Linear(3, 4)})
        self.interval_b, self.detach = interval_b, detach
        self.forwards = Counter()
        self.b_losses = []

    def training_phases(self):
        return [Phase("A", ("a",), self._a, optimizer=adam(1e-2)),
                Phase("B", ("b",), self._b, optimizer=adam(1e-2), interval=self.interval_b)]

    def _forward(self, batch, ctx):
        def compute():
            self.forwards[ctx.step] += 1
            h = self.networks_["a"](batch)
            return h, self.networks_["b"](h)
        return ctx.cached("forward", compute)

    def _a(self, batch, ctx):
        _, out = self._forward(batch, ctx)
        return F.mse_loss(out, batch), {}

    def _b(self, batch, ctx):
        h, out = self._forward(batch, ctx)
        loss = F.mse_loss(out, batch) + 0.1 * out.pow(2).mean()
        self.b_losses.append(float(loss.detach()))
        return loss, {}


@pytest.mark.parametrize("interval_b", [1, 2])
def test_shared_forward_pass_across_phases(interval_b):
    m = SharedForward(interval_b)
    before = {k: v.clone() for k, v in network_tensors(m.networks_).items()}
    r = fit_phases(m, X, epochs=3, batch_size=16, verbose=0)
    assert r.steps == 12
    assert m.forwards == Counter({s: 1 for s in range(12)})  # one forward pass per step
    assert len(m.b_losses) == len(range(0, 12, interval_b))
    after = network_tensors(m.networks_)
    for k in before:
        assert not torch.equal(before[k], after[k]), k  # both a and b were trained
    assert r.history[-1]["A/loss"] < r.history[0]["A/loss"]


# ---------------------------------------------------------------------------------------- resume
X48 = toy_data(48, dim=4)  # batch_size=8: 6 steps per epoch


def _interrupted_run(run_dir):
    m = Adversarial()
    m.fail_at = 5  # checkpoints at steps 2 and 4; dies at the last step of epoch 1
    with pytest.raises(KeyboardInterrupt):
        fit_phases(m, X48, epochs=2, batch_size=8, run_dir=run_dir, checkpoint_every=2, verbose=0)
    assert int((run_dir / "checkpoints" / "latest").read_text().strip().split("-")[1]) == 4


@pytest.mark.parametrize("names", [{"d": "critic", "g": "generator"}, {"d": "g", "g": "d"}],
                         ids=["renamed", "names-swapped"])
def test_resume_with_renamed_phases(tmp_path, names):
    ref = Adversarial()
    fit_phases(ref, X48, epochs=2, batch_size=8, verbose=0)
    _interrupted_run(tmp_path)
    renamed = Adversarial(names=names)
    r = fit_phases(renamed, X48, epochs=2, batch_size=8, run_dir=tmp_path, resume=True, verbose=0)
    assert r.resumed_from == 4 and r.steps == 12
    # same weights as the uninterrupted run: each optimizer state went back to the phase that
    # trains its networks, whatever the phase is called now
    want, got = network_tensors(ref.networks_), network_tensors(renamed.networks_)
    for k in want:
        assert torch.equal(want[k], got[k]), k


def test_resume_with_reordered_phases_matches_optimizer_states_by_networks(tmp_path):
    """Phases declared in another order (and renamed): each optimizer still gets its own state, so
    resuming runs (the Adam states of d and g differ in shape: a mix-up could not step)."""
    _interrupted_run(tmp_path)
    m = Adversarial(order=("g", "d"), names={"d": "disc", "g": "gen"})
    r = fit_phases(m, X48, epochs=2, batch_size=8, run_dir=tmp_path, resume=True, verbose=0)
    assert r.resumed_from == 4 and r.steps == 12


@pytest.mark.parametrize("kw", [dict(g_trains=("h",)), dict(g_trains=("g", "d")), dict(d_trains=("d", "g")),
                                dict(order=("d",))],
                         ids=["g-phase-trains-h", "g-trains-more", "d-trains-more", "fewer-phases"])
def test_resume_with_phases_training_other_networks_is_refused(tmp_path, kw):
    """g-phase-trains-h: the same networks and optimizer shapes, so only the phases' networks
    recorded in the checkpoint can tell that it was written by another model."""
    _interrupted_run(tmp_path)
    other = Adversarial(**kw)
    with pytest.raises(CheckpointError, match="phase"):
        fit_phases(other, X48, epochs=2, batch_size=8, run_dir=tmp_path, resume=True, verbose=0)


# ---------------------------------------------------------------------------------------- skipping a step
class SkipOddSteps:
    """Phase "fit" (network ``a``) steps only on even global steps; ``after_step`` records when."""

    def __init__(self, active):
        torch.manual_seed(0)
        self.networks_ = nn.ModuleDict({"a": nn.Linear(4, 4)})
        self.active, self.stepped, self.asked = active, [], []

    def training_phases(self):
        return [Phase("fit", ("a",), self._loss, after_step=self.stepped.append, active=self._ask)]

    def _ask(self, ctx):
        self.asked.append((ctx.step, "loss" in ctx.cache))  # asked after the loss of this step
        return self.active(ctx)

    def _loss(self, batch, ctx):
        ctx.cache["loss"] = True
        return F.mse_loss(self.networks_["a"](batch), batch), {}


def test_an_inactive_phase_logs_its_loss_but_takes_no_step():
    m = SkipOddSteps(lambda ctx: ctx.step % 2 == 0)
    fit_phases(m, X, epochs=2, batch_size=16, verbose=0)
    assert m.stepped == [0, 2, 4, 6]  # after_step runs only after a step that was taken
    assert m.asked == [(s, True) for s in range(8)]
    frozen = SkipOddSteps(lambda ctx: False)
    before = {k: v.clone() for k, v in frozen.networks_.state_dict().items()}
    result = fit_phases(frozen, X, epochs=1, batch_size=16, verbose=0)
    assert all(torch.equal(before[k], v) for k, v in frozen.networks_.state_dict().items())
    assert result.history[-1]["fit/stepped"] == 0.0 and result.history[-1]["fit/loss"] > 0


def test_active_must_be_callable():
    class Bad(SkipOddSteps):
        def training_phases(self):
            return [Phase("fit", ("a",), self._loss, active=True)]

    with pytest.raises(InvalidParameterError, match="active"):
        fit_phases(Bad(None), X, epochs=1, batch_size=16, verbose=0)
