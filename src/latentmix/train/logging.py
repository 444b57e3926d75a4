"""What the training loop reports: per-step loss bookkeeping, the progress bar, ``metrics.jsonl``.

The :class:`Meter` keeps each epoch's losses without a device sync per step: on CPU it adds
Python floats (``.item()`` costs nothing there); on an accelerator it writes each loss into a
preallocated device buffer and reads the buffer back once per sync point (epoch end, checkpoint,
``log_every``). A record is a flat dict: ``epoch``, ``step``, ``"<phase>/loss"``,
``"<phase>/<extra>"``, ``val_loss``, ``samples_per_s``, ``seconds``, ``elapsed``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .._io import atomic_write

__all__ = ["Meter", "Progress", "MetricsFile", "jsonable"]


class Meter:
    """Loss and extra-log sums of the current epoch, per phase.

    ``add(i, j, step, loss, logs)`` records phase ``i``'s loss at position ``j`` of the epoch;
    ``totals(upto)`` returns host sums over positions ``[0, upto)``; ``bad`` (host mode) or
    ``first_bad(upto)`` gives the first ``(step, phase index)`` with a NaN/inf loss.
    """

    def __init__(self, n_phases: int, capacity: int, device: torch.device, host: bool) -> None:
        self.n, self.capacity, self.device, self.host = n_phases, capacity, device, host
        self.dtype = torch.float32 if device.type == "mps" else torch.float64
        self.reset(0)

    def reset(self, epoch_start_step: int) -> None:
        self.start = epoch_start_step
        self.bad = None
        self.log_counts: dict[str, int] = {}
        if self.host:
            self.sums, self.log_sums = [0.0] * self.n, {}
        else:
            self.buf = torch.zeros(self.capacity, self.n, dtype=self.dtype, device=self.device)
            self.log_bufs: dict[str, torch.Tensor] = {}

    def add(self, i: int, j: int, step: int, loss: torch.Tensor, logs: dict, prefix: str) -> None:
        if self.host:
            v = loss.item()
            self.sums[i] += v
            if self.bad is None and not math.isfinite(v):
                self.bad = (step, i)
            for k, t in logs.items():
                key = prefix + k
                self.log_sums[key] = self.log_sums.get(key, 0.0) + float(t)
                self.log_counts[key] = self.log_counts.get(key, 0) + 1
            return
        self.buf[j, i] = loss.detach()
        for k, t in logs.items():
            key = prefix + k
            b = self.log_bufs.get(key)
            if b is None:
                b = self.log_bufs[key] = torch.zeros(self.capacity, dtype=self.dtype, device=self.device)
            b[j] = t.detach() if isinstance(t, torch.Tensor) else t
            self.log_counts[key] = self.log_counts.get(key, 0) + 1

    def first_bad(self, upto: int) -> tuple[int, int] | None:
        if self.host or self.bad is not None:
            return self.bad
        bad = (~torch.isfinite(self.buf[:upto])).nonzero()  # one sync
        if len(bad):
            j, i = bad[0].tolist()
            self.bad = (self.start + j, i)
        return self.bad

    def totals(self, upto: int) -> tuple[list[float], dict[str, float]]:
        if self.host:
            return list(self.sums), dict(self.log_sums)
        sums = self.buf[:upto].sum(0).tolist()
        return sums, {k: float(b[:upto].sum()) for k, b in self.log_bufs.items()}

    def state(self, upto: int) -> dict:
        """The partial epoch, for a checkpoint (host tensors and numbers only)."""
        sums, log_sums = self.totals(upto)
        buf = None if self.host else self.buf[:upto].cpu()
        logs = None if self.host else {k: b[:upto].cpu() for k, b in self.log_bufs.items()}
        return {"sums": sums, "log_sums": log_sums, "log_counts": dict(self.log_counts),
                "buf": buf, "log_bufs": logs}

    def load_state(self, s: dict, upto: int) -> None:
        self.log_counts = dict(s["log_counts"])
        if self.host and s["buf"] is None:
            self.sums, self.log_sums = list(s["sums"]), dict(s["log_sums"])
        elif self.host:  # checkpoint from an accelerator run
            self.sums = s["buf"].double().sum(0).tolist()
            self.log_sums = {k: float(b.double().sum()) for k, b in s["log_bufs"].items()}
        elif s["buf"] is not None:
            self.buf[:upto] = s["buf"].to(self.device, self.dtype)
            for k, b in s["log_bufs"].items():
                self.log_bufs[k] = torch.zeros(self.capacity, dtype=self.dtype, device=self.device)
                self.log_bufs[k][:upto] = b.to(self.device, self.dtype)
        else:  # checkpoint from a CPU run: put the sums in slot 0
            self.buf[0] = torch.tensor(s["sums"], dtype=self.dtype)
            for k, v in s["log_sums"].items():
                self.log_bufs[k] = torch.zeros(self.capacity, dtype=self.dtype, device=self.device)
                self.log_bufs[k][0] = v


def jsonable(record: dict) -> dict:
    """NaN/inf become None (JSON has no NaN); numbers stay numbers."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()}


class MetricsFile:
    """A ``.jsonl`` file, one record per line; on (re)start it is rewritten from ``records``."""

    def __init__(self, path: Path, records: list[dict]) -> None:
        self.path = Path(path)
        text = "".join(json.dumps(jsonable(r)) + "\n" for r in records)
        atomic_write(self.path, lambda p: p.write_text(text))

    def append(self, record: dict) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps(jsonable(record)) + "\n")


def _short(record: dict) -> dict:
    out = {}
    for k, v in record.items():
        if k.endswith("/loss") or k == "val_loss":
            out[k.removesuffix("/loss")] = "-" if v is None else f"{v:.4g}"
    if record.get("samples_per_s"):
        out["samples/s"] = f"{record['samples_per_s']:.4g}"
    return out


class Progress:
    """A tqdm bar over epochs (loss per phase, validation loss, samples/s); silent when disabled."""

    def __init__(self, epochs: int, initial: int, verbose: int, enabled: bool) -> None:
        self.verbose = verbose if enabled else 0
        self.bar = None
        if self.verbose:
            self.bar = tqdm(total=epochs, initial=initial, unit="epoch", file=sys.stderr,
                            dynamic_ncols=True, leave=True)

    def message(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)

    def update(self, record: dict, epoch_end: bool) -> None:
        """Show a record: after an epoch (advances the bar) or every ``log_every`` steps."""
        if self.bar is None:
            return
        self.bar.set_postfix(_short(record), refresh=not epoch_end)
        if epoch_end:
            self.bar.update(1)
            if self.verbose >= 2:
                fields = [f"epoch={record['epoch']}"] + [f"{k}={v}" for k, v in _short(record).items()]
                self.message(" ".join(fields))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
