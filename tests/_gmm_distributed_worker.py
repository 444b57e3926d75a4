"""One rank of the 2-process GaussianMixture test (started by test_gmm_distributed.py).

Environment: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (as torchrun sets them); argv: data
file, output file. Each rank fits on its own half of the rows.
"""

import sys

import numpy as np
import torch.distributed as dist

import latentmix as lm


def init_for(init: dict, cov: str) -> dict:
    return dict(weights_init=init["weights_init"], means_init=init["means_init"],
                precisions_init=init[cov + "_precisions_init"])


def main(data_path: str, out_path: str) -> None:
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    data = np.load(data_path)
    X = data["X"]
    init = {key: data[key] for key in data.files if key != "X"}
    shard = np.array_split(X, world)[rank]
    results = {}
    for cov in ["full", "diag"]:
        g = lm.GaussianMixture(3, covariance_type=cov, **init_for(init, cov), dtype="float64",
                               device="cpu", chunk_size=128).fit(shard)
        results[cov + "_means"], results[cov + "_cov"] = g.means_, g.covariances_
        results[cov + "_bound"], results[cov + "_iter"] = g.lower_bound_, g.n_iter_
    default = lm.GaussianMixture(3, random_state=0, device="cpu").fit(shard)  # default k-means init
    results["default_means"] = default.means_
    np.savez(f"{out_path}.rank{rank}.npz", **results)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
