"""One rank of the every-neural-model distributed test (started by test_models_distributed.py).

Environment: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT; argv: output prefix. Fits each model on
the same 8x8 digits (each rank trains on its half of every epoch) and writes its weights.
"""

import sys
from pathlib import Path

import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).parent))
from _models_dist_cases import CASES, digits  # noqa: E402

from latentmix.train import save_weights  # noqa: E402


def main(prefix: str) -> None:
    dist.init_process_group("gloo")
    torch.set_num_threads(1)
    X = digits()
    for name, make in CASES.items():
        model = make().fit(X)
        save_weights(model.networks_, f"{prefix}.{name}.rank{dist.get_rank()}.safetensors")
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
