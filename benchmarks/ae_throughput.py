"""Autoencoder training throughput: latentmix vs a bare PyTorch loop vs pythae, side by side.

Part 1, same work: the dense 784-512-16-512-784 autoencoder (ReLU, sigmoid output, Adam 1e-3,
MSE) on Fashion-MNIST's 60,000 training images, at batch sizes 100 and 256: samples per second.
Part 2, each library's own defaults: pythae's AE (its default MLP nets and trainer settings)
for 10 epochs gives a test MSE; how long does latentmix's AutoEncoder (its defaults, same latent
size) take to reach that test MSE?

    pip install pythae            # into the benchmark environment; not a latentmix dependency
    python benchmarks/ae_throughput.py [--epochs 2] [--skip-defaults]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torch import nn

import latentmix as lm

LATENT = 16


def dense_autoencoder() -> tuple[nn.Module, nn.Module]:
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, LATENT))
    decoder = nn.Sequential(nn.Linear(LATENT, 512), nn.ReLU(), nn.Linear(512, 784), nn.Sigmoid(),
                            nn.Unflatten(1, (1, 28, 28)))
    return encoder, decoder


def bare_loop(X: torch.Tensor, batch_size: int, epochs: int) -> float:
    """The reference: a hand-written loop over shuffled tensor batches. Returns samples/s."""
    torch.manual_seed(0)
    encoder, decoder = dense_autoencoder()
    params = list(encoder.parameters()) + list(decoder.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(len(X), generator=gen)
        for i in range(0, len(X), batch_size):
            batch = X[perm[i:i + batch_size]]
            loss = nn.functional.mse_loss(decoder(encoder(batch)), batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return len(X) * epochs / (time.perf_counter() - start)


def latentmix_fit(X: torch.Tensor, batch_size: int, epochs: int) -> float:
    model = lm.AutoEncoder(latent_dim=LATENT, arch="dense", hidden=(512,), activation="relu",
                           batch_size=batch_size, epochs=epochs, lr=1e-3, device="cpu", verbose=0, random_state=0)
    start = time.perf_counter()
    model.fit(X)
    return len(X) * epochs / (time.perf_counter() - start)


def pythae_models(default_nets: bool):
    from pythae.models import AE, AEConfig
    from pythae.models.base.base_utils import ModelOutput
    from pythae.models.nn import BaseDecoder, BaseEncoder

    config = AEConfig(input_dim=(1, 28, 28), latent_dim=LATENT)
    if default_nets:
        return AE(config)

    class Encoder(BaseEncoder):
        def __init__(self):
            super().__init__()
            self.net = dense_autoencoder()[0]

        def forward(self, x):
            return ModelOutput(embedding=self.net(x))

    class Decoder(BaseDecoder):
        def __init__(self):
            super().__init__()
            self.net = dense_autoencoder()[1]

        def forward(self, z):
            return ModelOutput(reconstruction=self.net(z))

    return AE(config, encoder=Encoder(), decoder=Decoder())


def pythae_fit(X: torch.Tensor, batch_size: int | None, epochs: int, default_nets: bool = False, out=None):
    """Train a pythae AE; returns (samples/s, model). batch_size None = pythae's default."""
    import os

    from pythae.trainers import BaseTrainer, BaseTrainerConfig

    torch.manual_seed(0)
    model = pythae_models(default_nets)
    kw = {} if batch_size is None else dict(per_device_train_batch_size=batch_size, learning_rate=1e-3)
    cfg = BaseTrainerConfig(output_dir=str(out or "/tmp/pythae_bench"), num_epochs=epochs, no_cuda=True,
                            steps_saving=None, **kw)
    os.makedirs(cfg.output_dir, exist_ok=True)
    from pythae.data.preprocessors import DataProcessor

    processor = DataProcessor()
    dataset = processor.to_dataset(processor.process_data(X.numpy()))  # what pythae's pipeline does
    trainer = BaseTrainer(model=model, train_dataset=dataset, training_config=cfg)
    start = time.perf_counter()
    trainer.train()
    return len(X) * epochs / (time.perf_counter() - start), model, time.perf_counter() - start


def same_work(X: torch.Tensor, epochs: int, repeats: int) -> list[dict]:
    """Best of ``repeats`` interleaved runs of each (the machine is shared and noisy)."""
    rows = []
    for batch_size in (100, 256):
        runs = {"bare": [], "latentmix": [], "pythae": []}
        for _ in range(repeats):
            runs["bare"].append(bare_loop(X, batch_size, epochs))
            runs["latentmix"].append(latentmix_fit(X, batch_size, epochs))
            runs["pythae"].append(pythae_fit(X, batch_size, epochs)[0])
        bare, ours, theirs = (max(runs[k]) for k in ("bare", "latentmix", "pythae"))
        row = dict(batch_size=batch_size, bare_samples_per_s=bare, latentmix_samples_per_s=ours,
                   pythae_samples_per_s=theirs, latentmix_vs_bare=ours / bare, latentmix_vs_pythae=ours / theirs,
                   all_runs=runs)
        print(f"batch {batch_size}: bare {bare:,.0f}/s  latentmix {ours:,.0f}/s ({ours / bare:.0%} of bare)  "
              f"pythae {theirs:,.0f}/s (latentmix x{ours / theirs:.2f})", flush=True)
        rows.append(row)
    return rows


def defaults_race(X: torch.Tensor, X_test: torch.Tensor) -> dict:
    """pythae defaults for 10 epochs vs latentmix defaults until the same test MSE."""
    _, model, pythae_seconds = pythae_fit(X, None, 10, default_nets=True)
    model.eval()
    with torch.no_grad():
        recon = model({"data": X_test})["recon_x"].reshape(X_test.shape)
    pythae_mse = float(((recon - X_test) ** 2).mean())
    ours = lm.AutoEncoder(latent_dim=LATENT, epochs=10, device="cpu", verbose=0, random_state=0)
    ours.fit(X, validation=X_test)
    reached = next((h for h in ours.history_ if h["val_loss"] <= pythae_mse), None)
    result = dict(pythae_test_mse=pythae_mse, pythae_seconds=pythae_seconds,
                  latentmix_history=[(h["epoch"], h["val_loss"], h["elapsed"]) for h in ours.history_],
                  latentmix_seconds_to_match=None if reached is None else reached["elapsed"])
    match = "never within 10 epochs" if reached is None else (
        f"after {reached['elapsed']:.1f}s (epoch {reached['epoch']}, "
        f"{reached['elapsed'] / pythae_seconds:.0%} of pythae's time)")
    print(f"pythae defaults, 10 epochs: test MSE {pythae_mse:.5f} in {pythae_seconds:.1f}s; "
          f"latentmix defaults reach it {match}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=1, help="epochs per throughput measurement")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repetitions (best is kept)")
    parser.add_argument("--skip-defaults", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("out"))
    args = parser.parse_args()
    X, _ = lm.datasets.load("fashion-mnist", split="train")
    X_test, _ = lm.datasets.load("fashion-mnist", split="test")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, X {tuple(X.shape)}")
    results = {"same_work": same_work(X, args.epochs, args.repeats)}
    if not args.skip_defaults:
        results["defaults"] = defaults_race(X, X_test)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ae_throughput.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
