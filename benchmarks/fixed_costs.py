"""Fixed costs a user meets before any real work: ``import latentmix``, ``latentmix --help``, and a
GAN's calibration on small data (a 1-epoch DCGAN on 200 8x8 digits, then ``calibrate`` on 20 / 200
held-out digits). Best of ``--repeats``; one JSON line.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/fixed_costs.py
"""

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--repeats", type=int, default=3)
args = parser.parse_args()


def import_ms() -> float:
    """Cumulative microseconds of ``import latentmix`` from ``python -X importtime``, in ms."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import latentmix"], capture_output=True,
                         text=True, check=True).stderr
    line = [ln for ln in err.splitlines() if re.search(r"\|\s*latentmix$", ln)][-1]
    return int(line.split("|")[1]) / 1e3


def help_seconds() -> float:
    cli = Path(sys.executable).with_name("latentmix")
    start = time.perf_counter()
    subprocess.run([str(cli), "--help"], capture_output=True, check=True)
    return time.perf_counter() - start


def gan_seconds() -> dict:
    import latentmix as lm

    X = lm.datasets.load("digits")[0]
    start = time.perf_counter()
    gan = lm.GAN("dcgan", epochs=1, calibration_fraction=0, verbose=0, random_state=0, device="cpu").fit(X[:200])
    fit = time.perf_counter() - start
    out = {"fit_1_epoch_200_digits_s": fit}
    for n in (20, 200):
        start = time.perf_counter()
        gan.calibrate(X[200:200 + n])
        out[f"calibrate_{n}_held_out_s"] = time.perf_counter() - start
    return out


row = {"import_latentmix_ms": min(import_ms() for _ in range(args.repeats)),
       "latentmix_help_s": min(help_seconds() for _ in range(args.repeats))}
runs = [gan_seconds() for _ in range(args.repeats)]
row.update({k: min(r[k] for r in runs) for k in runs[0]})
print(json.dumps(row))
