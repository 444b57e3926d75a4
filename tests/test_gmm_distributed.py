"""Two real processes (torch.distributed, gloo on CPU) fit one mixture on their two shards."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _distributed_env import worker_env

import latentmix as lm

WORKER = Path(__file__).with_name("_gmm_distributed_worker.py")


def test_two_ranks_equal_one_process_on_concatenated_data(tmp_path):
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.randn(700, 3) + 4 * c for c in range(3)])
    rng.shuffle(X)
    init = dict(weights_init=np.full(3, 1 / 3), means_init=X[:3] + 0.1,
                full_precisions_init=np.stack([np.eye(3)] * 3), diag_precisions_init=np.ones((3, 3)))
    np.savez(tmp_path / "data.npz", X=X, **init)
    env = worker_env(2)
    procs = [subprocess.Popen([sys.executable, str(WORKER), str(tmp_path / "data.npz"),
                               str(tmp_path / "out")], env={**env, "RANK": str(r)},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for r in range(2)]
    for p in procs:
        out, _ = p.communicate(timeout=240)
        assert p.returncode == 0, out.decode()[-3000:]
    ranks = [np.load(tmp_path / f"out.rank{r}.npz") for r in range(2)]
    for cov in ["full", "diag"]:
        single = lm.GaussianMixture(3, covariance_type=cov, dtype="float64", device="cpu",
                                    weights_init=init["weights_init"], means_init=init["means_init"],
                                    precisions_init=init[cov + "_precisions_init"]).fit(X)
        for res in ranks:
            np.testing.assert_allclose(res[cov + "_means"], single.means_, rtol=1e-9)
            np.testing.assert_allclose(res[cov + "_cov"], single.covariances_, rtol=1e-9)
            assert float(res[cov + "_bound"]) == pytest.approx(single.lower_bound_, rel=1e-10)
            assert int(res[cov + "_iter"]) == single.n_iter_
    # With the default initialisation every rank still ends with the same model.
    np.testing.assert_array_equal(ranks[0]["default_means"], ranks[1]["default_means"])
