#!/usr/bin/env bash
# One prepared GPU benchmark run (under 8 minutes on one GPU), written to OUT/gpu.json:
#   - GaussianMixture, N=1,000,000, D=64, K=64, float32, full and diag, 100 EM iterations,
#     against scikit-learn's array-API path (torch tensors) on the same GPU;
#   - seconds per epoch of the dense autoencoder and of the DCGAN (Fashion-MNIST, 60,000 images).
# Details: benchmarks/_gpu_bench.py.
#
#   bash benchmarks/gpu.sh [OUT]            # OUT defaults to benchmarks/out/gpu
#   bash benchmarks/gpu.sh --smoke [OUT]    # tiny sizes on whatever device there is (CPU: ~10 s)
#
# PYTHON picks the interpreter (default: the repository's .venv, else python3).
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=()
if [[ "${1:-}" == "--smoke" ]]; then
    smoke=(--smoke)
    shift
fi
out="${1:-benchmarks/out/gpu}"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
    if [[ -x .venv/bin/python ]]; then python=.venv/bin/python; else python=python3; fi
fi

mkdir -p "$out"
if [[ ${#smoke[@]} -eq 0 ]]; then
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv \
        | tee "$out/nvidia-smi.csv" || true
fi
# scikit-learn's array-API path needs this before scipy is imported.
export SCIPY_ARRAY_API=1
exec timeout 470 "$python" benchmarks/_gpu_bench.py --out "$out" "${smoke[@]}"
