"""Two real processes (torch.distributed, gloo on CPU) fit one BayesianGaussianMixture on their
two shards and get the fit of one process on all the rows: the data-dependent priors, the
sufficient statistics and the bound's entropy term are all summed across ranks.

Both start from the same responsibilities (the true labels, one-hot): ``_initial_statistics`` is
replaced by their statistics, summed over the ranks as latentmix's own initialisation sums them.
This file is also the worker: ``python test_bgmm_distributed.py DATA OUT`` runs one rank.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import latentmix as lm
from latentmix import _distributed as ldist
from latentmix.mixture import _gaussian as G

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def fit(X, labels, covariance_type, **kw):
    """A BGMM started from one-hot ``labels`` (statistics summed over ranks when distributed)."""
    def initial_statistics(self, source, gen):
        resp = torch.nn.functional.one_hot(torch.as_tensor(labels), 4).double()
        stats = G.chunk_statistics(torch.as_tensor(X) - self._shift, resp, covariance_type)
        ldist.all_reduce_sum(stats.tensors())
        return stats

    model = lm.BayesianGaussianMixture(4, covariance_type=covariance_type, tol=1e-8, max_iter=200,
                                       device="cpu", **kw)
    model._initial_statistics = initial_statistics.__get__(model)
    return model.fit(X)


def worker(data_path: str, out_path: str) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    data = np.load(data_path)
    X, labels = (np.array_split(data[key], world)[rank] for key in ("X", "labels"))
    results = {}
    for cov in COVARIANCE_TYPES:
        m = fit(X, labels, cov, chunk_size=100)
        results.update({f"{cov}_means": m.means_, f"{cov}_cov": m.covariances_, f"{cov}_w": m.weights_,
                        f"{cov}_prior": m.covariance_prior_, f"{cov}_bound": m.lower_bound_,
                        f"{cov}_iter": m.n_iter_})
    np.savez(f"{out_path}.rank{rank}.npz", **results)
    dist.destroy_process_group()


def test_two_ranks_equal_one_process_on_concatenated_data(tmp_path):
    from _distributed_env import worker_env

    rng = np.random.RandomState(0)
    labels = rng.randint(0, 3, 900)  # three blobs; the fourth component starts and stays empty
    X = rng.randn(900, 3) + 5 * np.eye(3)[labels] + 0.3 * rng.randn(3)
    np.savez(tmp_path / "data.npz", X=X, labels=labels)
    env = worker_env(2)
    procs = [subprocess.Popen([sys.executable, str(Path(__file__)), str(tmp_path / "data.npz"),
                               str(tmp_path / "out")], env={**env, "RANK": str(r)},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for r in range(2)]
    for p in procs:
        out, _ = p.communicate(timeout=240)
        assert p.returncode == 0, out.decode()[-3000:]
    ranks = [np.load(tmp_path / f"out.rank{r}.npz") for r in range(2)]
    for cov in COVARIANCE_TYPES:
        single = fit(X, labels, cov)
        assert single.n_iter_ >= 3
        for res in ranks:
            np.testing.assert_allclose(res[f"{cov}_means"], single.means_, rtol=1e-9)
            np.testing.assert_allclose(res[f"{cov}_cov"], single.covariances_, rtol=1e-9)
            np.testing.assert_allclose(res[f"{cov}_w"], single.weights_, rtol=1e-9, atol=1e-15)
            np.testing.assert_allclose(res[f"{cov}_prior"], single.covariance_prior_, rtol=1e-12)
            assert float(res[f"{cov}_bound"]) == pytest.approx(single.lower_bound_, rel=1e-10)
            assert int(res[f"{cov}_iter"]) == single.n_iter_


if __name__ == "__main__":
    worker(sys.argv[1], sys.argv[2])
