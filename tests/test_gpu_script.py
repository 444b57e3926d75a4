"""benchmarks/gpu.sh --smoke: the prepared GPU run, at tiny sizes on the CPU, writes the JSON that
RESULTS.md is filled from."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_script_smoke_run_writes_every_field(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu.sh"), "--smoke", str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=55)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads((tmp_path / "gpu.json").read_text())
    assert result["smoke"] is True and result["device"] in ("cpu", "cuda")
    rows = {row["covariance_type"]: row for row in result["gaussian_mixture"]}
    assert sorted(rows) == ["diag", "full"]
    for row in rows.values():
        assert row["dtype"] == "float32"
        assert row["latentmix_ms_per_iter"] > 0 and row["sklearn_array_api_ms_per_iter"] > 0
        assert row["speedup"] > 0
        # both ran the same number of EM iterations from the same initial parameters: their
        # bounds agree (to 1e-2 only: in float32 on this data latentmix's second iteration moves
        # the bound by ~1e-3 where float64 stays put, see benchmarks/RESULTS.md)
        assert row["iterations"]["latentmix"] == row["iterations"]["sklearn_array_api"]
        assert row["lower_bound_latentmix"] == pytest.approx(row["lower_bound_sklearn_array_api"], rel=1e-2)
    nets = result["networks"]
    assert nets["images"] == result["config"]["images"]
    for name in ("autoencoder", "dcgan"):
        assert nets[name]["seconds_per_epoch"] > 0
    assert result["total_seconds"] > 0


def test_gpu_script_refuses_a_full_run_without_a_gpu(tmp_path):
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is here: the full run would start")
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu.sh"), str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=55)
    assert done.returncode != 0
    assert "no CUDA device" in done.stderr
    assert not (tmp_path / "gpu.json").exists()
