"""Two real processes (torch.distributed, gloo on CPU) train the toy models with fit_phases.

What is asserted: both ranks end with bit-identical weights; with the same global batch
(2 ranks x 8 rows) the result matches one process with batch 16 up to float rounding (DDP
averages the two ranks' mean-loss gradients, which is the gradient of the mean over the union
of the two batches: the batches are perm[r::2] of one shared permutation); the logged losses
are averaged over ranks; only rank 0 writes metrics.jsonl and checkpoints; a NaN loss on one
rank stops both. (BatchNorm in training
mode normalises with each rank's own batch, so a BatchNorm model is only checked for identical
weights and buffers across ranks.)
"""

import json
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).parent))
from _distributed_env import worker_env  # noqa: E402
from _train_toy import ToyAutoEncoder, toy_data  # noqa: E402

from latentmix.train import fit_phases  # noqa: E402
from latentmix.train.checkpoint import network_tensors  # noqa: E402

WORKER = Path(__file__).with_name("_train_dist_worker.py")


def test_two_ranks_match_each_other_and_one_process_with_the_global_batch(tmp_path):
    env = worker_env(2)
    prefix, run = tmp_path / "out", tmp_path / "run"
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(prefix), str(run)], env={**env, "RANK": str(r)},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for r in range(2)]
    for p in procs:
        out, _ = p.communicate(timeout=180)
        assert p.returncode == 0, out.decode()[-3000:]
    for kind in ["ae", "adv", "skip", "bn"]:
        w0, w1 = (load_file(f"{prefix}.{kind}.rank{r}.safetensors") for r in range(2))
        assert w0.keys() == w1.keys()
        for k in w0:
            assert torch.equal(w0[k], w1[k]), (kind, k)
    logs = [json.loads(Path(f"{prefix}.rank{r}.json").read_text()) for r in range(2)]
    assert logs[0]["history"] == [{**h, **{k: logs[0]["history"][i][k] for k in ("seconds", "elapsed",
                                                                                  "samples_per_s")}}
                                  for i, h in enumerate(logs[1]["history"])]  # same losses on both ranks
    assert logs[0]["calls"] == {"critic": 10, "generator": 5}  # 20 rows per rank, batch 4: 5 steps/epoch
    # a step that one rank declines (Phase.active) is skipped by every rank: steps 2 and 6 only
    assert logs[0]["stepped"] == logs[1]["stepped"] == [2, 6]

    torch.manual_seed(0)
    single = ToyAutoEncoder()
    ref = fit_phases(single, toy_data(64), epochs=3, batch_size=16, seed=0, validation=toy_data(20, seed=1),
                     verbose=0)
    w0 = load_file(f"{prefix}.ae.rank0.safetensors")
    for k, v in network_tensors(single.networks_).items():
        torch.testing.assert_close(w0[k], v, rtol=1e-4, atol=1e-5, msg=k)
    hist = logs[0]["history"]
    for h, r in zip(hist, ref.history, strict=True):
        assert abs(h["reconstruct/loss"] - r["reconstruct/loss"]) < 1e-5
    assert hist[-1]["reconstruct/loss"] < hist[0]["reconstruct/loss"]

    # A NaN on rank 1 alone stops both ranks (in lockstep) naming its step; step-2 stays the latest.
    assert logs[0]["diverged"] == logs[1]["diverged"] == {"step": 3, "epoch": 1, "phase": "reconstruct"}
    assert (tmp_path / "run-nan" / "checkpoints" / "latest").read_text().strip() == "step-2"

    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3]  # written once, by rank 0
    assert (run / "checkpoints" / "latest").read_text().strip() == "step-12"
