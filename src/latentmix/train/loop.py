"""The one training loop: runs any model's declared phases (see :mod:`latentmix.train.phases`).

Like NVlabs EDM's ``training/training_loop.py``, the loop's keyword arguments are its
configuration; like ``stylegan2-ada-pytorch``, alternating optimisation is data (phases), not a
trainer per model. Data stay on the device: each epoch draws one permutation from a dedicated
generator and indexes ``X[idx]``; the only host syncs are once per epoch, checkpoint and
``log_every`` (on CPU, reading a loss costs nothing, so a NaN stops training at once).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from ..exceptions import DataError, InvalidParameterError, TrainingDivergedError
from . import distributed
from .arguments import check_arguments
from .checkpoint import (
    apply_weights,
    latest_checkpoint,
    network_tensors,
    write_checkpoint,
)
from .logging import Meter, MetricsFile, Progress
from .phases import StepContext, apply_schedule, build_optimizers, check_phases, phase_parameters
from .state import TrainState, kept_step_records, restore, state_for_checkpoint
from .tensorboard import open_log

__all__ = ["fit_phases", "TrainResult"]

logger = logging.getLogger("latentmix.train")
_NO_BAD = 2**62


@dataclass
class TrainResult:
    """What :func:`fit_phases` returns.

    ``history``: one dict per epoch (the lines of ``metrics.jsonl``); ``best_epoch``: the 1-based
    epoch whose weights were restored (None without validation); ``stopped_early``: patience ran
    out; ``steps``: global steps done in total; ``seconds``: wall time, summed over resumed runs;
    ``resumed_from``: the step of the checkpoint this call resumed from (None for a fresh run).
    """

    history: list[dict]
    best_epoch: int | None
    stopped_early: bool
    steps: int
    seconds: float
    resumed_from: int | None = None


def _epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """The batch generator for one epoch, seeded from (seed, epoch)."""
    digest = hashlib.blake2b(f"latentmix:{seed}:{epoch}".encode(), digest_size=8).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest, "little") >> 1)


def _runs(start: int, n: int, interval: int) -> int:
    """How many global steps in [start, start + n) are multiples of ``interval``."""
    return (start + n - 1) // interval - (start - 1) // interval


def _diverged(phases, step: int, i: int, epoch: int, epochs: int, run_dir) -> TrainingDivergedError:
    where = "" if run_dir is None else f" The last checkpoint in {Path(run_dir) / 'checkpoints'} is intact."
    err = TrainingDivergedError(
        f"Training diverged: phase {phases[i].name!r} gave a NaN or infinite loss at global step {step} "
        f"(0-based), in epoch {epoch + 1} of {epochs}.{where} Try a lower learning rate, gradient "
        "clipping, or a loss that cannot overflow (e.g. logits with a stable cross-entropy).")
    err.step, err.epoch, err.phase = step, epoch + 1, phases[i].name
    return err


def _validation_loss(model, networks, V: torch.Tensor, batch_size: int, dd, use_amp: bool) -> float:
    """Mean of ``model.validation_loss`` over V (sharded over ranks), networks in eval mode."""
    modes = {name: m.training for name, m in networks.items()}
    networks.eval()
    shard = V[dd.rank::dd.world] if dd.active else V
    total = torch.zeros((), dtype=torch.float64, device=V.device if V.device.type != "mps" else "cpu")
    try:
        with torch.no_grad(), torch.autocast(V.device.type, dtype=torch.bfloat16, enabled=use_amp):
            for lo in range(0, len(shard), batch_size):
                b = shard[lo:lo + batch_size]
                total += model.validation_loss(b).detach().to(total.device, torch.float64) * len(b)
    finally:
        for name, m in networks.items():
            m.train(modes[name])
    s, n = dd.sum_([float(total), float(len(shard))])
    return s / n


def _epoch_record(phases, meter: Meter, dd, S: TrainState, start: int, n_steps: int) -> dict:
    """Mean loss per phase and mean extra logs over the epoch so far (averaged over ranks)."""
    sums, log_sums = meter.totals(n_steps)
    keys = sorted(log_sums)
    counts = [_runs(start, n_steps, p.interval) for p in phases] + [meter.log_counts[k] for k in keys]
    totals = dd.sum_(sums + [log_sums[k] for k in keys] + [float(c) for c in counts])
    values, counts = totals[:len(counts)], totals[len(counts):]
    names = [p.name + "/loss" for p in phases] + keys
    record = {"epoch": S.epoch + 1, "step": S.step}
    record.update({n: (v / c if c else None) for n, v, c in zip(names, values, counts)})
    return record


def fit_phases(model, X: torch.Tensor, *, epochs: int, batch_size: int, seed: int = 0,
               validation: torch.Tensor | None = None, run_dir=None, checkpoint_every: int | None = None,
               resume: bool = False, patience: int | None = None, verbose: int = 1, compile: bool = False,
               amp="auto", config: dict | None = None, log_every: int | None = None,
               y: torch.Tensor | None = None) -> TrainResult:
    """Train ``model`` (``networks_``, ``training_phases()``, optionally ``validation_loss``) on X.

    Each global step takes one batch (a slice of the epoch's permutation, last partial batch
    kept) and runs, in declared order, every phase whose ``interval`` divides the 0-based step:
    zero_grad, loss, backward, optimizer step. ``run_dir`` gets ``metrics.jsonl`` (one line per
    epoch; ``metrics_steps.jsonl`` too with ``log_every``; TensorBoard event files beside them when
    the ``tensorboard`` package is installed, see :mod:`latentmix.train.tensorboard`) and checkpoints every
    ``checkpoint_every`` steps and at the end; ``resume=True`` continues from the latest one,
    bit-identically on CPU. With ``validation``, the best epoch's weights are restored at the end
    and ``patience`` epochs without improvement stop training. ``amp="auto"``: bf16 autocast on
    CUDA only. Under ``torch.distributed`` each rank takes ``perm[rank::world]`` and gradients
    are averaged by DDP; only rank 0 writes files. Each phase's ``loss(batch, ctx)`` gets a
    :class:`~latentmix.train.phases.StepContext` (step, epoch, progress, batch indices, the labels
    ``y[idx]`` when ``y`` is given, and a cache shared by the phases of the step); its backward
    pass computes gradients for the phase's own networks only. ``model.on_epoch_end(epoch)``, if
    the model defines it, runs after each epoch (0-based; plain modules installed, before the
    epoch's checkpoint), e.g. to refit a latent mixture. Raises :class:`TrainingDivergedError` on a
    NaN/inf loss and :class:`CheckpointError` for a foreign or corrupted checkpoint.
    """
    if y is not None and (not isinstance(y, torch.Tensor) or len(y) != len(X)):
        raise InvalidParameterError(f"y must be a tensor with one label per row of X ({len(X)}); got "
                                    f"{type(y).__name__} of length {len(y) if hasattr(y, '__len__') else '?'}")
    check_arguments(model, X, validation, epochs=epochs, batch_size=batch_size, seed=seed, run_dir=run_dir,
                     checkpoint_every=checkpoint_every, resume=resume, patience=patience, verbose=verbose,
                     compile=compile, amp=amp, config=config, log_every=log_every)
    t_start = time.perf_counter()
    networks = model.networks_
    phases = check_phases(model.training_phases(), networks)
    optimizers = build_optimizers(phases, networks)
    dd = distributed.current()
    device, N, P = X.device, len(X), len(phases)
    use_amp = amp in (True, "bf16") or (amp == "auto" and device.type == "cuda")
    n_local = N // dd.world
    if n_local < 1:
        raise DataError(f"X has {N} rows, fewer than the {dd.world} processes")
    spe = math.ceil(n_local / batch_size)  # steps per epoch
    run_dir = None if run_dir is None else Path(run_dir)
    writer = run_dir is not None and dd.rank == 0
    meter = Meter(P, spe, device, host=device.type == "cpu")
    immediate = meter.host and not dd.active  # stop at the NaN itself, no sync needed

    S, gen_state, resumed_from = TrainState(), None, None
    folder = latest_checkpoint(run_dir) if resume else None
    if folder is not None:
        S, gen_state = restore(folder, networks, phases, optimizers, meter, device, dd,
                               n_samples=N, batch_size=batch_size)
        resumed_from = S.step
    elif writer and (run_dir / "checkpoints" / "latest").exists():
        (run_dir / "checkpoints" / "latest").unlink()  # a fresh run must never resume a stale one
    progress = Progress(epochs, min(S.epoch, epochs), int(verbose), enabled=dd.rank == 0)
    if resume and folder is None:
        logger.info("no checkpoint in %s: starting a fresh run", run_dir)
        progress.message(f"no checkpoint in {run_dir}: starting a fresh run")
    elif folder is not None:
        logger.info("resuming %s at step %d", folder, S.step)
        progress.message(f"resuming {folder} at step {S.step} (epoch {S.epoch + 1})")
    metrics = steps_file = tensorboard = None
    if writer:
        metrics = MetricsFile(run_dir / "metrics.jsonl", S.history)
        if log_every:
            steps_file = MetricsFile(run_dir / "metrics_steps.jsonl", kept_step_records(run_dir, S.step))
        tensorboard = open_log(run_dir, resumed_step=resumed_from, X=X)  # None without the tensorboard package

    # Networks used during training: DDP wrappers (several processes), compiled (compile=True).
    plain = dict(networks.items())
    ddp = dd.active
    if ddp:
        dd.wrap(networks, phases)
    train_mods = {**plain, **dd.wrapped}
    compiled = compile
    if compile:
        train_mods = {name: torch.compile(m) for name, m in train_mods.items()}
    unverified = [True] * P  # first call of each phase: check its output, fall back from compile
    modes = {name: m.training for name, m in plain.items()}
    for name in {n for p in phases for n in p.networks}:
        plain[name].train()
    # Single process: each backward pass reaches only the phase's own parameters (``inputs=``), so
    # a generator phase computes no gradient for the discriminator's weights. Under DDP the
    # wrappers need the plain backward pass (their gradient hooks), as before.
    owned = [None if ddp else phase_parameters(p, networks) for p in phases]
    plan = [(i, p.loss, opt, p.interval, p.after_step, p.schedule, p.name + "/", owned[i], p.active)
            for i, (p, opt) in enumerate(zip(phases, optimizers, strict=True))]
    on_epoch_end = getattr(model, "on_epoch_end", None)
    labels = None if y is None else y.to(device)
    total_steps = epochs * spe
    last_saved = S.step if folder is not None else -1

    def install(mods: dict) -> None:
        for name, m in mods.items():
            networks[name] = m

    def first_call(i: int, batch: torch.Tensor, ctx: StepContext):
        nonlocal train_mods, compiled
        optimizers[i].zero_grad(set_to_none=True)
        try:
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                out = phases[i].loss(batch, ctx)
        except Exception as exc:
            if not compiled:
                raise
            compiled = False
            warnings.warn(f"torch.compile failed ({type(exc).__name__}: {exc}); training without it",
                          RuntimeWarning, stacklevel=3)
            train_mods = {**plain, **dd.wrapped}
            install(train_mods)
            optimizers[i].zero_grad(set_to_none=True)
            ctx.cache.clear()
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                out = phases[i].loss(batch, ctx)
        if (not isinstance(out, tuple) or len(out) != 2 or not isinstance(out[0], torch.Tensor)
                or out[0].numel() != 1 or not isinstance(out[1], dict)):
            raise InvalidParameterError(f"phase {phases[i].name!r}: loss(batch, ctx) must return "
                                        "(scalar tensor, dict of 0-d tensors)")
        return out

    def check_divergence(upto: int) -> None:
        bad = meter.first_bad(upto)
        code = dd.min_(_NO_BAD if bad is None else bad[0] * P + bad[1])
        if code != _NO_BAD:
            raise _diverged(phases, code // P, code % P, S.epoch, epochs, run_dir)

    def checkpoint(epoch_gen_state: torch.Tensor, epoch_t0: float) -> None:
        nonlocal last_saved
        check_divergence(S.position)
        rng_cpu = dd.gather(torch.get_rng_state())
        rng_cuda = dd.gather(torch.cuda.get_rng_state(device)) if device.type == "cuda" else None
        meter_state = meter.state(S.position)
        if writer:
            best = None if S.best_weights is None else {k: v.to("cpu", copy=True) for k, v in S.best_weights.items()}
            now = time.perf_counter()
            state = state_for_checkpoint(
                S, phases, optimizers, epoch_gen_state, rng_cpu, rng_cuda, meter_state, N, batch_size, seed,
                dd.world, elapsed=S.elapsed + now - t_start, epoch_seconds=(now - epoch_t0) if S.position else 0.0)
            write_checkpoint(run_dir, S.step, network_tensors(networks), state, config, best)
        dd.barrier()
        last_saved = S.step

    try:
        install(train_mods)
        while S.epoch < epochs and not S.stopped_early:
            gen = _epoch_generator(seed, S.epoch)
            if gen_state is not None:  # resumed inside (or at the start of) this epoch
                gen.set_state(gen_state)
                gen_state = None
            epoch_gen_state = gen.get_state()
            perm = torch.randperm(N, generator=gen)
            if dd.active:
                perm = perm[dd.rank::dd.world][:n_local]
            perm = perm.to(device)
            epoch_start = S.step - S.position
            if S.position == 0:
                meter.reset(epoch_start)
                S.epoch_seconds = 0.0
            epoch_t0 = time.perf_counter() - S.epoch_seconds
            pending = False
            for j in range(S.position, spe):
                lo = j * batch_size
                index = perm[lo:lo + batch_size]
                batch = X[index]
                step = S.step
                ctx = StepContext(step, S.epoch, step / total_steps, index,
                                  None if labels is None else labels[index], share_graphs=not ddp)
                last = max((e[0] for e in plan if step % e[3] == 0), default=-1)  # the step's last phase
                for i, loss_fn, opt, interval, after, schedule, prefix, params, active in plan:
                    if step % interval:
                        continue
                    if schedule is not None:
                        apply_schedule(schedule, opt, step / total_steps)
                    if ddp:
                        dd.set_sync(i)
                    if unverified[i]:
                        loss, logs = first_call(i, batch, ctx)
                        unverified[i] = False
                    elif use_amp:
                        opt.zero_grad(set_to_none=True)
                        with torch.autocast(device.type, dtype=torch.bfloat16):
                            loss, logs = loss_fn(batch, ctx)
                    else:
                        opt.zero_grad(set_to_none=True)
                        loss, logs = loss_fn(batch, ctx)
                    takes_step = True
                    if active is not None:
                        takes_step = bool(active(ctx))
                        if ddp:  # every replica steps, or none does
                            takes_step = bool(dd.min_(int(takes_step)))
                        logs = {**logs, "stepped": 1.0 if takes_step else 0.0}
                    meter.add(i, j, step, loss, logs, prefix)
                    if immediate and meter.bad is not None:
                        raise _diverged(phases, step, i, S.epoch, epochs, run_dir)
                    if not takes_step:
                        continue
                    retain = i != last and bool(ctx.cache)  # a later phase reuses the cached graph
                    if params is None:
                        loss.backward(retain_graph=retain)
                        if ddp:
                            dd.average_gradients(i)  # the networks DDP does not wrap (e.g. a learnable prior)
                    else:
                        torch.autograd.backward(loss, inputs=params, retain_graph=retain)
                    opt.step()
                    if after is not None:
                        with torch.no_grad():
                            after(step)
                S.step, S.position = step + 1, j + 1
                if checkpoint_every and S.step % checkpoint_every == 0:
                    if j + 1 < spe:
                        checkpoint(epoch_gen_state, epoch_t0)
                    else:
                        pending = True  # after the epoch's bookkeeping, at position 0 of the next
                if log_every and S.step % log_every == 0:
                    check_divergence(S.position)
                    record = _epoch_record(phases, meter, dd, S, epoch_start, S.position)
                    samples = min(S.position * batch_size, n_local) * dd.world
                    record["samples_per_s"] = samples / max(time.perf_counter() - epoch_t0, 1e-9)
                    record["elapsed"] = S.elapsed + time.perf_counter() - t_start
                    if steps_file is not None:
                        steps_file.append(record)
                    if tensorboard is not None:
                        tensorboard.scalars(record, "step/")
                    progress.update(record, epoch_end=False)

            # ---- end of epoch: losses, validation, early stopping, records
            check_divergence(spe)
            record = _epoch_record(phases, meter, dd, S, epoch_start, spe)
            train_seconds = time.perf_counter() - epoch_t0
            val = None
            if validation is not None:
                dd.sync_buffers()
                install(plain)
                try:
                    val = _validation_loss(model, networks, validation, batch_size, dd, use_amp)
                finally:
                    install(train_mods)
                if val < S.best_loss:
                    S.best_loss, S.best_epoch, S.bad_epochs = val, S.epoch + 1, 0
                    S.best_weights = {k: v.clone() for k, v in network_tensors(networks, copy=False).items()}
                else:
                    S.bad_epochs += 1
                    S.stopped_early = patience is not None and S.bad_epochs >= patience
            record["val_loss"] = val
            record["samples_per_s"] = n_local * dd.world / max(train_seconds, 1e-9)
            record["seconds"] = time.perf_counter() - epoch_t0
            record["elapsed"] = S.elapsed + time.perf_counter() - t_start
            S.history.append(record)
            if metrics is not None:
                metrics.append(record)
            progress.update(record, epoch_end=True)
            if on_epoch_end is not None or tensorboard is not None:
                install(plain)
                try:
                    if on_epoch_end is not None:
                        on_epoch_end(S.epoch)
                    if tensorboard is not None:  # after on_epoch_end: samples from a refitted latent mixture
                        tensorboard.epoch_end(record, model)
                finally:
                    install(train_mods)
            S.epoch, S.position = S.epoch + 1, 0
            if pending:
                checkpoint(_epoch_generator(seed, S.epoch).get_state(), time.perf_counter())
        if run_dir is not None and last_saved != S.step:
            checkpoint(_epoch_generator(seed, S.epoch).get_state(), time.perf_counter())
        dd.sync_buffers()
    finally:
        install(plain)
        dd.unwrap()
        train_mods = {}  # drop the wrappers now (a traceback may keep this frame alive)
        for name, m in plain.items():
            m.train(modes[name])
        progress.close()
        if tensorboard is not None:
            tensorboard.close()
    if S.best_weights is not None:
        apply_weights(networks, S.best_weights)
    return TrainResult(history=S.history, best_epoch=S.best_epoch, stopped_early=S.stopped_early,
                       steps=S.step, seconds=S.elapsed + time.perf_counter() - t_start,
                       resumed_from=resumed_from)
