"""One training run of the resume test (started by test_train_resume.py as a real process).

argv: run_dir out_file [--resume] [--delay SECONDS]. Trains the toy autoencoder (noise and
dropout draw from torch's global RNG; cosine learning rate with warm-up) with a checkpoint
every 2 steps, then writes the final weights to ``out_file`` (safetensors) and the history to ``out_file + ".json"``.
"""

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from _train_toy import ToyAutoEncoder, toy_data  # noqa: E402

from latentmix.train import cosine_schedule, fit_phases, save_weights  # noqa: E402

EPOCHS, BATCH, EVERY = 4, 10, 2  # 64 rows: 7 steps per epoch (last batch of 4), 28 steps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("out")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--delay", type=float, default=0.0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(3)
    model = ToyAutoEncoder(noise=0.1, dropout=0.1, delay=a.delay, schedule=cosine_schedule(warmup=0.2))
    r = fit_phases(model, toy_data(64), epochs=EPOCHS, batch_size=BATCH, seed=7, validation=toy_data(16, seed=1),
                   run_dir=a.run_dir, checkpoint_every=EVERY, resume=a.resume, verbose=0, config={"toy": True})
    save_weights(model.networks_, a.out)
    losses = [{k: v for k, v in h.items() if k not in ("seconds", "elapsed", "samples_per_s")} for h in r.history]
    Path(a.out + ".json").write_text(json.dumps({"history": losses, "resumed_from": r.resumed_from,
                                                 "steps": r.steps}))


if __name__ == "__main__":
    main()
