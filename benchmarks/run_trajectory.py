"""How did a training run's game go? Per-epoch means from the ``metrics.jsonl`` of one or more run
folders, as a markdown table (issue 9: the VAE-GAN's discriminator ran away over 20 epochs).

Each column is one logged key (``phase/name``); ``--keys`` picks them, ``--every`` thins the rows.
The epochs' means are what the training loop wrote; nothing is recomputed.

    python benchmarks/run_trajectory.py benchmarks/out/runs/vaegan-e20-seed0 --every 5
    python benchmarks/run_trajectory.py RUN_A RUN_B --keys discriminate/loss encode/kl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

VAEGAN_KEYS = ("discriminate/loss", "discriminate/real_logit", "discriminate/fake_logit", "decode/adversarial",
               "encode/feature", "encode/nll", "encode/kl")


def epoch_rows(run: Path) -> list[dict]:
    """The run folder's per-epoch lines, in order."""
    path = run / "metrics.jsonl"
    if not path.is_file():
        raise SystemExit(f"{run}: no metrics.jsonl (not a latentmix run folder?)")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def table(run: Path, keys: tuple[str, ...], every: int) -> str:
    rows = epoch_rows(run)
    lines = [f"{run}", "", "| epoch | " + " | ".join(keys) + " |", "|---:|" + "---:|" * len(keys)]
    for row in rows:
        epoch = row["epoch"]
        if epoch == 1 or epoch % every == 0 or row is rows[-1]:
            cells = [f"{row[k]:.3g}" if isinstance(row.get(k), (int, float)) else "-" for k in keys]
            lines.append(f"| {epoch} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", type=Path, nargs="+", help="run folders (each with a metrics.jsonl)")
    p.add_argument("--keys", nargs="+", default=list(VAEGAN_KEYS), help="logged keys to show")
    p.add_argument("--every", type=int, default=1, help="show epoch 1, every k-th epoch and the last")
    args = p.parse_args()
    if args.every < 1:
        p.error("--every must be at least 1")
    print("\n\n".join(table(run, tuple(args.keys), args.every) for run in args.runs))


if __name__ == "__main__":
    main()
