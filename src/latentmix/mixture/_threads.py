"""Small problems run on one CPU thread.

EM on small data is a long sequence of small tensor operations (an N=1,000 x 16 diag fit: ~80
per iteration, each on a few thousand numbers). Splitting such an operation over threads gains
nothing, and every split waits for all threads: on a machine whose other cores are busy (a
laptop, a shared server) a waiting matrix product took ~1 ms on average instead of ~15 us
(measured with torch 2.13 + MKL, 2 threads, another process on the second core), which made a
small fit 10x slower than scikit-learn's. So below :data:`SMALL_WORK` floats of work per pass
the mixture's computations run with ``torch.set_num_threads(1)`` and the previous setting is
restored afterwards. The setting is process-wide: a reference count under a lock makes nested or
concurrent small fits restore it once, when the last one ends.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import torch

__all__ = ["SMALL_WORK", "one_thread_if_small"]

SMALL_WORK = 1 << 18  # floats of per-pass work (rows x row width) below which one thread is used

_lock = threading.Lock()
_state = {"depth": 0, "saved": None}


@contextmanager
def one_thread_if_small(work: int, device):
    """Run the block on one CPU thread when ``work`` (rows x floats per row of one pass over the
    data) is below :data:`SMALL_WORK` and ``device`` is the CPU; otherwise change nothing."""
    if isinstance(work, bool) or not isinstance(work, int) or work < 0:
        raise ValueError(f"work must be an int >= 0; got {work!r}")
    if torch.device(device).type != "cpu" or work >= SMALL_WORK:
        yield
        return
    with _lock:
        if _state["depth"] == 0:
            _state["saved"] = torch.get_num_threads()
            if _state["saved"] != 1:
                torch.set_num_threads(1)
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0 and _state["saved"] != 1:
                torch.set_num_threads(_state["saved"])
