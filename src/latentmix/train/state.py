"""What a checkpoint's ``state.pt`` holds besides weights, and putting it back on resume."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..exceptions import CheckpointError
from .checkpoint import apply_weights, read_checkpoint
from .logging import Meter

__all__ = ["TrainState", "state_for_checkpoint", "restore", "kept_step_records"]


@dataclass
class TrainState:
    """Everything a checkpoint must hold besides weights and optimizers."""

    step: int = 0
    epoch: int = 0  # epochs completed
    position: int = 0  # steps done inside the current epoch
    history: list = field(default_factory=list)
    best_loss: float = math.inf
    best_epoch: int | None = None
    bad_epochs: int = 0
    best_weights: dict | None = None
    stopped_early: bool = False
    elapsed: float = 0.0  # seconds of earlier (resumed) runs
    epoch_seconds: float = 0.0  # seconds spent in the current epoch by an earlier run


def state_for_checkpoint(S: TrainState, phases, optimizers, gen_state, rng_cpu, rng_cuda, meter_state,
                         n_samples: int, batch_size: int, seed: int, world: int, *, elapsed: float,
                         epoch_seconds: float) -> dict:
    """The dict saved as ``state.pt`` (tensors, numbers, strings, lists, dicts: ``weights_only``-safe)."""
    return {"step": S.step, "epoch": S.epoch, "position": S.position,
            "phases": [{"name": p.name, "networks": list(p.networks)} for p in phases],
            "optimizers": [o.state_dict() for o in optimizers], "batch_generator": gen_state,
            "seed": seed, "rng_cpu": rng_cpu, "rng_cuda": rng_cuda, "history": S.history,
            "best": {"loss": S.best_loss, "epoch": S.best_epoch, "bad_epochs": S.bad_epochs},
            "stopped_early": S.stopped_early, "elapsed": elapsed, "epoch_seconds": epoch_seconds,
            "n_samples": n_samples, "batch_size": batch_size,
            "world_size": world, "meter": meter_state}


def restore(folder: Path, networks, phases, optimizers, meter: Meter, device, dd, *, n_samples: int,
            batch_size: int) -> tuple[TrainState, torch.Tensor]:
    """Load a checkpoint into the networks, optimizers and RNGs; returns the state and the batch
    generator's state at the start of the current epoch."""
    weights, st, best, _ = read_checkpoint(folder, networks)
    order = match_phases(st["phases"], phases, folder)
    for key, now in [("n_samples", n_samples), ("batch_size", batch_size), ("world_size", dd.world)]:
        if st[key] != now:
            raise CheckpointError(f"checkpoint {folder} was made with {key}={st[key]}, this run has {now}: "
                                  "resume with the same data, batch_size and number of processes")
    try:
        for opt, j in zip(optimizers, order, strict=True):
            opt.load_state_dict(st["optimizers"][j])
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"checkpoint {folder}: optimizer state does not fit the model ({exc})") from None
    apply_weights(networks, weights)
    rngs = st["rng_cpu"]
    torch.set_rng_state(rngs[dd.rank if len(rngs) > dd.rank else 0])
    if device.type == "cuda" and st.get("rng_cuda"):
        torch.cuda.set_rng_state(st["rng_cuda"][dd.rank if len(st["rng_cuda"]) > dd.rank else 0], device)
    b = st["best"]
    S = TrainState(step=st["step"], epoch=st["epoch"], position=st["position"], history=list(st["history"]),
               best_loss=b["loss"], best_epoch=b["epoch"], bad_epochs=b["bad_epochs"],
               stopped_early=st["stopped_early"], elapsed=st["elapsed"],
               epoch_seconds=st["epoch_seconds"])
    if best is not None:
        S.best_weights = {k: v.to(device) for k, v in best.items()}
    meter.reset(S.step - S.position)
    if S.position:
        meter.load_state(st["meter"], S.position)
    return S, st["batch_generator"]


def match_phases(saved: list, phases, folder: Path) -> list[int]:
    """For each phase of the model, the index of its saved optimizer state.

    A phase is recognised by the networks it trains (renaming a phase keeps a run resumable);
    its name decides only between saved phases that train the same networks. Checkpoints of the
    first format stored the names alone."""
    saved = [{"name": s, "networks": None} if isinstance(s, str) else s for s in saved]
    if len(saved) != len(phases):
        raise CheckpointError(f"checkpoint {folder} has {len(saved)} phases "
                              f"({[s['name'] for s in saved]}), the model {len(phases)} "
                              f"({[p.name for p in phases]}): it was written by another model")
    order, free = [], set(range(len(saved)))
    for p in phases:
        same_nets = [j for j in sorted(free) if saved[j]["networks"] in (None, list(p.networks))]
        named = [j for j in same_nets if saved[j]["name"] == p.name]
        pick = named or (same_nets if all(saved[j]["networks"] is not None for j in same_nets) else [])
        if not pick:
            raise CheckpointError(f"checkpoint {folder}: no saved phase trains the networks "
                                  f"{list(p.networks)} of phase {p.name!r}; saved: {saved}")
        order.append(pick[0])
        free.discard(pick[0])
    return order


def kept_step_records(run_dir: Path, step: int) -> list[dict]:
    """Lines of an earlier ``metrics_steps.jsonl`` up to ``step`` (those a resumed run keeps)."""
    path = run_dir / "metrics_steps.jsonl"
    kept = []
    if step and path.is_file():
        for line in path.read_text().splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict) and isinstance(rec.get("step"), int) and rec["step"] <= step:
                kept.append(rec)
    return kept
