"""``torchrun --nproc_per_node 2 -m latentmix train ...`` is one distributed training run: the CLI
joins torchrun's processes into a process group (gloo on the CPU), each rank trains on half of
every epoch with DDP, and rank 0 alone writes the run folder and prints.

Run for real: two processes started by torch's own launcher (``python -m torch.distributed.run``,
what the ``torchrun`` script runs), on the CPU.
"""

import json
import math
import os
import subprocess
import sys

import latentmix as lm


def test_torchrun_trains_one_model_over_two_processes(tmp_path):
    run = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "latentmix", "train", "ae", "--data", "digits", "--epochs", "2", "--latent-dim", "4",
           "--device", "cpu", "--seed", "0", "--out", str(run), "--json"]
    result = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]

    summary = json.loads(result.stdout)  # one JSON object: rank 1 printed nothing
    assert summary["run"] == str(run) and summary["epoch"] == 2

    names = {p.name for p in run.iterdir()}
    assert {"options.json", "config.json", "weights.safetensors", "metrics.jsonl", "report.html"} <= names
    assert len([n for n in names if n.startswith("events.out.tfevents")]) <= 1  # TensorBoard: one writer
    assert json.loads((run / "options.json").read_text())["world_size"] == 2

    # Each rank takes half of every epoch: half the steps of one process over the 1437 digits.
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steps_per_epoch = math.ceil((1437 // 2) / 128)
    assert [r["epoch"] for r in lines] == [1, 2]  # written once
    assert [r["step"] for r in lines] == [steps_per_epoch, 2 * steps_per_epoch]
    assert (run / "checkpoints" / "latest").read_text().strip() == f"step-{2 * steps_per_epoch}"

    model = lm.load(run)
    assert model.transform(lm.datasets.load("digits")[0][:5]).shape == (5, 4)
