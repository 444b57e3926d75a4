"""Weights and resumable checkpoints, written so that a crash at any moment leaves a loadable one.

Layout of a run folder's checkpoints::

    run_dir/checkpoints/latest                  # text: the name of the newest complete folder
    run_dir/checkpoints/step-<N>/weights.safetensors   # every network's state_dict, "<network>.<key>"
    run_dir/checkpoints/step-<N>/best.safetensors      # best-validation weights (with validation)
    run_dir/checkpoints/step-<N>/state.pt       # optimizers, step/epoch/position, RNG states, history
    run_dir/checkpoints/step-<N>/config.json    # the caller's config, parameter shapes, step

``N`` counts completed global steps. Every file is written to a temp name, flushed to disk and
renamed; ``latest`` is replaced only once the folder is complete; then every other folder is
deleted but the one ``latest`` named before (the newest two complete checkpoints are kept).
Nothing is unpickled on load: weights come from safetensors and ``state.pt`` is read with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch.nn.parallel import DistributedDataParallel

from .._io import atomic_write, write_json
from ..exceptions import CheckpointError

__all__ = ["save_weights", "load_weights", "plain_module", "network_tensors", "read_weights",
           "apply_weights", "write_checkpoint", "latest_checkpoint", "read_checkpoint"]

FORMAT = "latentmix-train-checkpoint"
VERSION = 1
_STEP_DIR = re.compile(r"^step-(\d+)$")


def plain_module(module: torch.nn.Module) -> torch.nn.Module:
    """The user's module under a ``DistributedDataParallel`` and/or ``torch.compile`` wrapper."""
    while True:
        if isinstance(module, DistributedDataParallel):
            module = module.module
        elif type(module).__name__ == "OptimizedModule":  # torch.compile's wrapper
            module = module._orig_mod
        else:
            return module


def network_tensors(networks, *, copy: bool = True) -> dict[str, torch.Tensor]:
    """Every network's state_dict in one flat dict, keys ``"<network>.<key>"`` (CPU copies)."""
    out = {}
    for name, module in networks.items():
        for key, t in plain_module(module).state_dict().items():
            t = t.detach()
            out[f"{name}.{key}"] = t.to("cpu", copy=True).contiguous() if copy else t
    return out


def _fsynced(write):
    def run(tmp: Path) -> None:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return run


def save_weights(networks, path: str | os.PathLike) -> Path:
    """Write every network's weights to one safetensors file, atomically."""
    tensors = network_tensors(networks)
    return atomic_write(path, _fsynced(lambda p: save_file(tensors, str(p), metadata={"format": "pt"})))


def read_weights(networks, path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a safetensors file and check it against ``networks`` (keys and shapes); the first
    mismatch raises :class:`CheckpointError`. Nothing is loaded into the networks."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file {path} is missing")
    try:
        tensors = load_file(str(path))
    except Exception as exc:  # truncated or foreign file
        raise CheckpointError(f"weights file {path} is unreadable (truncated or not safetensors): {exc}") from None
    expected = network_tensors(networks, copy=False)
    for key, t in expected.items():
        if key not in tensors:
            raise CheckpointError(f"weights file {path} does not match the model: it lacks {key!r}")
        if tuple(tensors[key].shape) != tuple(t.shape):
            raise CheckpointError(f"weights file {path} does not match the model: {key!r} has shape "
                                  f"{tuple(tensors[key].shape)}, the model has {tuple(t.shape)}")
    extra = [k for k in tensors if k not in expected]
    if extra:
        raise CheckpointError(f"weights file {path} does not match the model: unexpected {extra[0]!r}")
    return tensors


def apply_weights(networks, tensors: dict[str, torch.Tensor]) -> None:
    """Copy checked tensors (from :func:`read_weights` or :func:`network_tensors`) into the networks."""
    for name, module in networks.items():
        prefix = name + "."
        sub = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        plain_module(module).load_state_dict(sub, strict=True)


def load_weights(networks, path: str | os.PathLike) -> None:
    """Load a file written by :func:`save_weights` into ``networks`` (keys and shapes checked)."""
    apply_weights(networks, read_weights(networks, path))


def _shapes(tensors: dict[str, torch.Tensor]) -> dict[str, list[int]]:
    return {k: list(v.shape) for k, v in tensors.items()}


def write_checkpoint(run_dir: Path, step: int, weights: dict, state: dict, config: dict | None,
                     best: dict | None = None) -> Path:
    """Write ``checkpoints/step-<step>/``, then point ``latest`` at it, then prune old folders.

    The folder ``latest`` names is never written into (CheckpointError); a stale folder of the
    same name (left by a crash before its pointer was written) is replaced."""
    root = Path(run_dir) / "checkpoints"
    folder = root / f"step-{step}"
    pointer = root / "latest"
    previous = pointer.read_text(errors="replace").strip() if pointer.is_file() else None
    if previous == folder.name:
        raise CheckpointError(f"{folder} is the latest checkpoint; it is never overwritten")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    meta = {"format": "pt"}
    atomic_write(folder / "weights.safetensors", _fsynced(lambda p: save_file(weights, str(p), metadata=meta)))
    if best is not None:
        atomic_write(folder / "best.safetensors", _fsynced(lambda p: save_file(best, str(p), metadata=meta)))
    atomic_write(folder / "state.pt", _fsynced(lambda p: torch.save(state, p)))
    write_json(folder / "config.json", {"format": FORMAT, "version": VERSION, "step": step,
                                        "epoch": state.get("epoch"), "config": config or {},
                                        "shapes": _shapes(weights)})
    atomic_write(pointer, _fsynced(lambda p: p.write_text(folder.name + "\n")))
    _prune(root, {folder.name, previous})
    return folder


def _prune(root: Path, keep: set) -> None:
    """Delete every ``step-*`` folder but the new latest and the previous one (both complete)."""
    for d in root.iterdir():
        if d.is_dir() and _STEP_DIR.match(d.name) and d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)


def latest_checkpoint(run_dir: str | os.PathLike) -> Path | None:
    """The folder ``checkpoints/latest`` names, or None when there is no pointer."""
    pointer = Path(run_dir) / "checkpoints" / "latest"
    if not pointer.is_file():
        return None
    name = pointer.read_text(errors="replace").strip()
    folder = pointer.parent / name
    if not _STEP_DIR.match(name) or not folder.is_dir():
        raise CheckpointError(f"{pointer} names {name!r}, which is not a checkpoint folder")
    return folder


def _read_config(folder: Path) -> dict:
    path = folder / "config.json"
    try:
        cfg = json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {folder} is incomplete: config.json is missing") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"checkpoint {folder}: config.json is not valid JSON ({exc})") from None
    if not isinstance(cfg, dict) or cfg.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {folder}: config.json is not a latentmix training checkpoint")
    if cfg.get("version") != VERSION:
        raise CheckpointError(f"checkpoint {folder}: format version {cfg.get('version')!r} is not {VERSION}")
    return cfg


_STATE_KEYS = ("step", "epoch", "position", "phases", "optimizers", "batch_generator", "rng_cpu",
               "history", "best", "stopped_early", "n_samples", "batch_size", "world_size", "meter")


def read_checkpoint(folder: Path, networks) -> tuple[dict, dict, dict | None, dict]:
    """Read and check a checkpoint folder: (weights, state, best weights or None, config.json)."""
    cfg = _read_config(folder)
    weights = read_weights(networks, folder / "weights.safetensors")
    best_path = folder / "best.safetensors"
    best = read_weights(networks, best_path) if best_path.exists() else None
    try:
        state = torch.load(folder / "state.pt", map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint {folder} is incomplete: state.pt is missing") from None
    except Exception as exc:
        raise CheckpointError(f"checkpoint {folder}: state.pt is unreadable ({exc})") from None
    missing = [k for k in _STATE_KEYS if not isinstance(state, dict) or k not in state]
    if missing:
        raise CheckpointError(f"checkpoint {folder}: state.pt lacks {missing[0]!r}")
    if state["step"] != cfg.get("step"):
        raise CheckpointError(f"checkpoint {folder}: state.pt (step {state['step']}) and config.json "
                              f"(step {cfg.get('step')}) disagree")
    return weights, state, best, cfg
