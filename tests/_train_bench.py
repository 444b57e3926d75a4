"""Per-step overhead of ``fit_phases`` against a bare PyTorch loop (not a test; run by hand)::

    .venv/bin/python tests/_train_bench.py [--dim 64 --hidden 32 --batch 64 --epochs 5]

Both loops train the same dense autoencoder on the same CPU data: one permutation per epoch,
``X[idx]`` batches, forward, MSE, backward, Adam step. Runs alternate (bare, engine, bare, ...)
so machine load hits both; times are the main thread's CPU time (``--threads 1``: all the work
is on it); the report gives the median and minimum of each and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from latentmix.train import Phase, fit_phases


class BenchAE:
    def __init__(self, dim: int, hidden: int, latent: int) -> None:
        torch.manual_seed(0)
        self.networks_ = nn.ModuleDict({
            "encoder": nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, latent)),
            "decoder": nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, dim)),
        })

    def training_phases(self):
        return [Phase("reconstruct", ("encoder", "decoder"), self.loss)]

    def loss(self, batch, ctx=None):
        recon = self.networks_["decoder"](self.networks_["encoder"](batch))
        return F.mse_loss(recon, batch), {}


def bare_loop(model: BenchAE, X: torch.Tensor, epochs: int, batch_size: int) -> None:
    enc, dec = model.networks_["encoder"], model.networks_["decoder"]
    opt = torch.optim.Adam(model.networks_.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        perm = torch.randperm(len(X), generator=gen)
        for lo in range(0, len(X), batch_size):
            batch = X[perm[lo:lo + batch_size]]
            opt.zero_grad(set_to_none=True)
            loss = F.mse_loss(dec(enc(batch)), batch)
            loss.backward()
            opt.step()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--latent", type=int, default=8)
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    X = torch.rand(a.n, a.dim)
    steps = a.epochs * -(-a.n // a.batch)
    times = {"bare": [], "engine": []}
    bare_loop(BenchAE(a.dim, a.hidden, a.latent), X, 1, a.batch)  # warm-up (imports, allocator)
    fit_phases(BenchAE(a.dim, a.hidden, a.latent), X, epochs=1, batch_size=a.batch, verbose=0)
    for _ in range(a.repeats):
        for name in times:
            model = BenchAE(a.dim, a.hidden, a.latent)
            t = time.thread_time()  # CPU time of this thread: robust to other processes' load
            if name == "bare":
                bare_loop(model, X, a.epochs, a.batch)
            else:
                fit_phases(model, X, epochs=a.epochs, batch_size=a.batch, verbose=0)
            times[name].append(time.thread_time() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    print("min: engine / bare = %.3f" % (min(times["engine"]) / min(times["bare"])))
    for k, v in med.items():
        print(f"{k:7s} median {v:.3f} s  ({v / steps * 1e6:.1f} us/step over {steps} steps)")
    print(f"engine / bare = {med['engine'] / med['bare']:.3f}; "
          f"overhead {(med['engine'] - med['bare']) / steps * 1e6:+.1f} us/step")


if __name__ == "__main__":
    main()
