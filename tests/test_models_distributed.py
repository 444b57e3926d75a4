"""Every neural model trains as one model over two real processes (torch.distributed, gloo on
the CPU): both ranks see different halves of each epoch, so they end with the same weights only
if DDP averaged every phase's gradients. (VAEGAN failed here before: its shared discriminator
pass called ``.features`` around the DDP wrapper, and its phases walked a graph shared across
phases that an earlier phase had already stepped.)"""

import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).parent))
from _distributed_env import worker_env  # noqa: E402
from _models_dist_cases import CASES, digits  # noqa: E402

WORKER = Path(__file__).with_name("_models_dist_worker.py")


def test_every_neural_model_trains_over_two_ranks(tmp_path):
    env = worker_env(2)
    prefix = tmp_path / "w"
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(prefix)], env={**env, "RANK": str(r)},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for r in range(2)]
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0, out.decode()[-3000:]
    X = digits()
    for name, make in CASES.items():
        w0, w1 = (load_file(f"{prefix}.{name}.rank{r}.safetensors") for r in range(2))
        assert w0.keys() == w1.keys(), name
        for key in w0:
            assert torch.equal(w0[key], w1[key]), (name, key)
        single = make().fit(X)  # one process, the whole of every epoch: other batches, other weights
        moved = [k for k, v in single.networks_.state_dict().items()
                 if v.is_floating_point() and k in w0 and not torch.equal(v, w0[k])]
        assert moved, f"{name}: the two-rank run did not train differently from one process"
