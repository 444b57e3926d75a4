"""Generation on Fashion-MNIST: latentmix's hybrids against pythae's, same epoch budget for all.

latentmix: the adversarial autoencoder with a 10-component Gaussian-mixture prior (Makhzani et
al., 2016; ``aae-gmm``: a deterministic encoder, ``aae-gmm-gaussian``: the paper's
Gaussian-posterior encoder), VAE-GAN (Larsen et al., 2016), the mixture-prior VAE (VaDE; Jiang
et al., 2017) and
an autoencoder (MSE, or BCE: ``ae-bce+latentgmm``) + a 10-component Gaussian mixture in its latent
space, all with conv networks and
latent size 16. pythae (benchmark-only dependency, never imported by latentmix): ``AE`` +
``GaussianMixtureSampler`` (10 components), ``Adversarial_AE`` and ``VAEGAN``, each with pythae's
default networks and with latentmix's conv networks wrapped in pythae's base classes, trained by
pythae's own trainers at their default learning rates and batch size, sampled with pythae's
samplers from the model pythae saves as ``final_model`` (its best epoch by training loss).

Every model: fit seconds, then FD, KID, precision, recall, density, coverage, 1-NN accuracy and
classifier score of ``--samples`` samples against as many test images, in the feature space of
latentmix's frozen Fashion-MNIST classifier; clustering ACC/NMI on the test split where the model
clusters. Mixture models of latentmix: per-component purity (the share of ``sample(1000,
component=k)`` that the classifier puts in the component's majority class) and a PNG grid with
one row of ``sample(8, component=k)`` per component. One JSON line per model is appended to
``--out`` as soon as the model finishes, so a killed run keeps what finished.

    pip install pythae            # into the benchmark environment; not a latentmix dependency
    OMP_NUM_THREADS=1 python benchmarks/generation_hybrids.py --epochs 1 --train-rows 2000 --samples 500  # smoke
    python benchmarks/generation_hybrids.py --epochs 20        # the full run: hours on 2 CPU cores
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import traceback
from pathlib import Path

import numpy as np
import torch

import latentmix as lm
from latentmix.priors import GaussianMixturePrior

SHAPE, LATENT, K = (1, 28, 28), 16, 10
OURS = ("aae-gmm", "aae-gmm-gaussian", "vaegan", "vade", "ae+latentgmm", "ae-bce+latentgmm")
THEIRS = ("pythae-ae+gmm", "pythae-aae", "pythae-vaegan")
MIXTURES = ("aae-gmm", "aae-gmm-gaussian", "ae+latentgmm", "ae-bce+latentgmm", "vade")  # per-component purity and grid


# ---------------------------------------------------------------------------------- latentmix
def latentmix_model(name: str, epochs: int, seed: int = 0, latent_components: int = K):
    common = dict(latent_dim=LATENT, arch="conv", epochs=epochs, random_state=seed)
    if name in ("aae-gmm", "aae-gmm-gaussian"):  # deterministic or Gaussian-posterior encoder
        posterior = "gaussian" if name == "aae-gmm-gaussian" else "deterministic"
        return lm.AdversarialAutoEncoder(prior=GaussianMixturePrior(K), posterior=posterior, **common)
    if name == "vaegan":
        return lm.VAEGAN(**common)
    if name == "vade":
        return lm.VAE(prior=GaussianMixturePrior(K, learnable=True), **common)
    loss = "bce" if name == "ae-bce+latentgmm" else "mse"  # BCE: sharper decodings of [0, 1] images
    return lm.LatentGMM(lm.AutoEncoder(loss=loss, **common), n_components=latent_components,
                        random_state=seed)  # fit trains both


def component_purity(model, extractor, n: int) -> dict:
    """For each component k: the classifier's labels of ``sample(n, component=k, seed=k)``, the
    majority class and its share (purity)."""
    rows = []
    for k in range(K):
        labels = torch.as_tensor(extractor.probabilities(model.sample(n, component=k, seed=k))).argmax(1).cpu()
        counts = torch.bincount(labels, minlength=K)
        rows.append({"component": k, "majority_class": int(counts.argmax()),
                     "purity": float(counts.max()) / n, "class_counts": counts.tolist()})
    return {"per_component": rows, "mean_purity": float(np.mean([r["purity"] for r in rows])),
            "distinct_majority_classes": len({r["majority_class"] for r in rows}), "samples_per_component": n}


def component_grid(model, path: Path) -> str:
    """One row of ``sample(8, component=k, seed=k)`` per component k."""
    from latentmix.cli._grid import save_grid

    rows = [torch.as_tensor(model.sample(8, component=k, seed=k)).cpu() for k in range(K)]
    save_grid(torch.cat(rows).numpy(), path, columns=8)
    return str(path)


def run_latentmix(name: str, X, X_test, y_test, args, extractor) -> dict:
    model = latentmix_model(name, args.epochs, args.seed, args.latent_components)
    if name.startswith("aae") and args.aae_r1 is not None:
        model.set_params(r1_weight=args.aae_r1)
    if name.startswith("aae") and args.aae_updates is not None:
        model.set_params(encoder_updates=args.aae_updates)
    if name == "vaegan" and args.vaegan_margin is not None:
        model.set_params(equilibrium_margin=args.vaegan_margin)
    if name == "vaegan" and args.vaegan_sn:
        model.set_params(spectral_norm=True)
    if name == "vaegan" and args.vaegan_r1 is not None:
        model.set_params(r1_weight=args.vaegan_r1)
    if name == "vaegan" and args.vaegan_ema is not None:
        model.set_params(ema=args.vaegan_ema)
    fit_params = {}
    if args.run_dir is not None and "checkpoint_every" in model.get_params():
        # a checkpoint every epoch, so a run killed at the end of a session resumes in the next
        model.set_params(checkpoint_every=-(-len(X) // model.batch_size))
        fit_params = {"run_dir": args.run_dir / f"{name}-e{args.epochs}-seed{args.seed}", "resume": True}
    start = time.perf_counter()
    model.fit(X, **fit_params)
    row = {"fit_seconds": time.perf_counter() - start}
    if name.startswith("aae"):
        row["r1_weight"], row["encoder_updates"] = model.r1_weight, model.encoder_updates
    if name == "vaegan":
        row["equilibrium_margin"] = model.equilibrium_margin
        row["spectral_norm"], row["r1_weight"], row["ema"] = model.spectral_norm, model.r1_weight, model.ema
        row["discriminator_loss_last_epoch"] = model.history_[-1]["discriminate/loss"]
        row["discriminator_stepped"] = model.history_[-1].get("discriminate/stepped")
    if fit_params:  # wall time summed over the resumed runs
        row["fit_seconds"] = float(model.history_[-1]["elapsed"])
    row["metrics"] = lm.metrics.evaluate_samples(X_test[:args.samples], model.sample(args.samples, seed=0),
                                                 features="fashion-mnist", seed=0)
    if name == "vaegan" and model.ema is not None:  # the same draw through the live decoder: what the average adds
        average = model.networks_.pop("decoder_ema")
        row["metrics_live_decoder"] = lm.metrics.evaluate_samples(
            X_test[:args.samples], model.sample(args.samples, seed=0), features="fashion-mnist", seed=0)
        model.networks_["decoder_ema"] = average
    per_class = name not in ("ae+latentgmm", "ae-bce+latentgmm") or args.latent_components == K
    if per_class and isinstance(model, lm.models.ClusterMixin) and model.can_cluster():
        row["clustering"] = clustering(y_test, model.predict(X_test))
    if per_class and name in MIXTURES:
        row["purity"] = component_purity(model, extractor, args.purity_samples)
        slug = name.replace("+", "_")
        row["component_grid"] = component_grid(model, args.out.parent / f"generation_hybrids_{slug}_components.png")
    return row


def clustering(y_true, labels) -> dict:
    return {"acc": lm.metrics.clustering_accuracy(y_true, labels),
            "nmi": lm.metrics.normalized_mutual_info(y_true, labels)}


# ---------------------------------------------------------------------------------- pythae
def conv_networks(kind: str):
    """latentmix's conv networks in pythae's wrappers: (encoder, decoder, discriminator or None).
    ``kind``: ``ae`` (deterministic code), ``aae`` (mean + log-variance, latent discriminator as
    latentmix's AAE builds it) or ``vaegan`` (mean + log-variance, conv image discriminator)."""
    from pythae.models.base.base_utils import ModelOutput
    from pythae.models.nn import BaseDecoder, BaseDiscriminator, BaseEncoder

    from latentmix.nn import build_decoder, build_discriminator, build_encoder

    class Encoder(BaseEncoder):
        def __init__(self, variational: bool):
            super().__init__()
            self.variational = variational
            self.net = build_encoder(SHAPE, 2 * LATENT if variational else LATENT, "conv")

        def forward(self, x):
            h = self.net(x)
            if not self.variational:
                return ModelOutput(embedding=h)
            return ModelOutput(embedding=h[:, :LATENT], log_covariance=h[:, LATENT:])

    class Decoder(BaseDecoder):
        def __init__(self):
            super().__init__()
            self.net = build_decoder(LATENT, SHAPE, "conv", output_activation="sigmoid")

        def forward(self, z):
            return ModelOutput(reconstruction=self.net(z))

    class Discriminator(BaseDiscriminator):
        """Layer 1: the features the head sees; layer 2 (= ``embedding``): the probability."""

        def __init__(self, net):
            super().__init__()
            self.net, self.depth = net, 2

        def forward(self, x, output_layer_levels=None):
            features = self.net.features(x)
            prob = torch.sigmoid(self.net[-1](features))
            out = ModelOutput()
            levels = output_layer_levels or ()
            if 1 in levels:
                out["embedding_layer_1"] = features
            if 2 in levels or -1 in levels:
                out["embedding_layer_2"] = prob
            out["embedding"] = prob
            return out

    if kind == "ae":
        return Encoder(False), Decoder(), None
    if kind == "aae":
        return Encoder(True), Decoder(), Discriminator(build_discriminator((LATENT,), "dense", hidden=(256, 256)))
    return Encoder(True), Decoder(), Discriminator(build_discriminator(SHAPE, "conv"))


def pythae_model(name: str, nets: str):
    """The pythae model and the trainer it needs."""
    from pythae.models import AE, VAEGAN, Adversarial_AE, Adversarial_AE_Config, AEConfig, VAEGANConfig
    from pythae.trainers import (
        AdversarialTrainer,
        AdversarialTrainerConfig,
        BaseTrainer,
        BaseTrainerConfig,
        CoupledOptimizerAdversarialTrainer,
        CoupledOptimizerAdversarialTrainerConfig,
    )

    kind = {"pythae-ae+gmm": "ae", "pythae-aae": "aae", "pythae-vaegan": "vaegan"}[name]
    encoder, decoder, disc = conv_networks(kind) if nets == "conv" else (None, None, None)
    if kind == "ae":
        model = AE(AEConfig(input_dim=SHAPE, latent_dim=LATENT), encoder=encoder, decoder=decoder)
        return model, BaseTrainer, BaseTrainerConfig
    if kind == "aae":
        model = Adversarial_AE(Adversarial_AE_Config(input_dim=SHAPE, latent_dim=LATENT), encoder=encoder,
                               decoder=decoder, discriminator=disc)
        return model, AdversarialTrainer, AdversarialTrainerConfig
    # with latentmix's discriminator, match features at its penultimate layer (Larsen et al.); pythae's
    # default (-1) is its own discriminator's last layer
    config = VAEGANConfig(input_dim=SHAPE, latent_dim=LATENT, reconstruction_layer=1 if nets == "conv" else -1)
    model = VAEGAN(config, encoder=encoder, decoder=decoder, discriminator=disc)
    return model, CoupledOptimizerAdversarialTrainer, CoupledOptimizerAdversarialTrainerConfig


def run_pythae(name: str, nets: str, X, X_test, y_test, args) -> dict:
    from pythae.data.preprocessors import DataProcessor
    from pythae.samplers import GaussianMixtureSampler, GaussianMixtureSamplerConfig, NormalSampler

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)  # noqa: NPY002 (pythae fits and samples an unseeded scikit-learn mixture: global state)
    model, trainer_cls, config_cls = pythae_model(name, nets)
    out_dir = args.out.parent / "pythae" / f"{name.replace('+', '_')}-{nets}"
    out_dir.mkdir(parents=True, exist_ok=True)
    config = config_cls(output_dir=str(out_dir), num_epochs=args.epochs, seed=args.seed)  # default lr(s), batch 64
    processor = DataProcessor()
    dataset = processor.to_dataset(processor.process_data(X.numpy()))  # what pythae's pipeline does
    trainer = trainer_cls(model=model, train_dataset=dataset, training_config=config)
    start = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - start
    trained = trainer._best_model  # what pythae saves as final_model (best train loss)
    row = {"train_seconds": train_seconds, "trainer": trainer_cls.__name__,
           "batch_size": config.per_device_train_batch_size, "run_dir": str(trainer.training_dir),
           "learning_rates": {k: v for k, v in vars(config).items() if k.endswith("learning_rate")}}
    if name == "pythae-vaegan":
        row["reconstruction_layer"] = model.model_config.reconstruction_layer
    start = time.perf_counter()
    if name == "pythae-ae+gmm":
        sampler = GaussianMixtureSampler(trained, GaussianMixtureSamplerConfig(n_components=args.latent_components))
        sampler.fit(X)
    else:
        sampler = NormalSampler(trained)
    row["fit_seconds"] = train_seconds + time.perf_counter() - start  # the mixture is part of the model
    row["sampler"] = type(sampler).__name__
    torch.manual_seed(args.seed)
    with torch.no_grad():
        fake = sampler.sample(num_samples=args.samples, batch_size=500).reshape(-1, *SHAPE).cpu()
    row["metrics"] = lm.metrics.evaluate_samples(X_test[:args.samples], fake, features="fashion-mnist", seed=0)
    if name == "pythae-ae+gmm" and args.latent_components == K:  # pythae's latent mixture as a clusterer
        with torch.no_grad():
            Z = torch.cat([trained.encoder(x.to(sampler.device)).embedding.cpu() for x in X_test.split(500)])
        row["clustering"] = clustering(y_test, sampler.gmm.predict(Z.numpy()))
    return row


def quiet_pythae() -> None:
    """pythae attaches INFO handlers to each of its module loggers at import (the trainers print
    their optimizers at every start); keep its warnings."""
    import pythae.models  # noqa: F401  (import the modules whose loggers are quietened)
    import pythae.samplers  # noqa: F401
    import pythae.trainers  # noqa: F401

    for logger_name in list(logging.root.manager.loggerDict):
        if logger_name.startswith("pythae"):
            logging.getLogger(logger_name).setLevel(logging.WARNING)


# ---------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=[*OURS, *THEIRS], choices=[*OURS, *THEIRS])
    parser.add_argument("--pythae-nets", nargs="+", default=["default", "conv"], choices=["default", "conv"],
                        help="pythae's own default networks and/or latentmix's conv networks")
    parser.add_argument("--epochs", type=int, default=20, help="the same epoch budget for every model")
    parser.add_argument("--seed", type=int, default=0, help="training (and pythae's sampling) seed of every model")
    parser.add_argument("--latent-components", type=int, default=K,
                        help="components of the latent mixture of both AE + mixture models (latentmix's LatentGMM "
                             "and pythae's GaussianMixtureSampler); per-class clustering/purity only with 10")
    parser.add_argument("--aae-r1", type=float, default=None,
                        help="the AAEs' r1_weight (default: the model's own default)")
    parser.add_argument("--aae-updates", choices=["separate", "joint"], default=None,
                        help="the AAEs' encoder_updates (default: the model's own default)")
    parser.add_argument("--vaegan-margin", type=float, default=None,
                        help="the VAE-GAN's equilibrium_margin (default: the model's own default)")
    parser.add_argument("--vaegan-sn", action="store_true", help="spectral norm on the VAE-GAN's discriminator")
    parser.add_argument("--vaegan-r1", type=float, default=None,
                        help="the VAE-GAN's r1_weight (default: the model's own default)")
    parser.add_argument("--vaegan-ema", type=float, default=None,
                        help="the VAE-GAN's decoder EMA decay, e.g. 0.999 (default: the model's own default)")
    parser.add_argument("--samples", type=int, default=10_000, help="generated samples, against as many test images")
    parser.add_argument("--purity-samples", type=int, default=1000, help="samples per mixture component")
    parser.add_argument("--train-rows", type=int, default=None, help="random subset of the 60k (smoke runs)")
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="checkpoint latentmix's neural models here every epoch and resume from it")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("out") / "generation_hybrids.jsonl")
    args = parser.parse_args()

    X, _ = lm.datasets.load("fashion-mnist", split="train")
    X_test, y_test = lm.datasets.load("fashion-mnist", split="test")
    if args.train_rows is not None and args.train_rows < len(X):
        X = X[torch.randperm(len(X), generator=torch.Generator().manual_seed(0))[:args.train_rows]]
    from latentmix.metrics.features import get_feature_extractor

    extractor = get_feature_extractor("fashion-mnist")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    context = {"epochs": args.epochs, "seed": args.seed, "latent_components": args.latent_components,
               "train_rows": len(X), "samples": args.samples,
               "latent_dim": LATENT,
               "torch": torch.__version__, "threads": torch.get_num_threads(), "cuda": torch.cuda.is_available()}
    print(json.dumps(context), flush=True)
    if any(m in THEIRS for m in args.models):
        quiet_pythae()
    jobs = [(m, "conv") for m in args.models if m in OURS]
    jobs += [(m, nets) for m in args.models if m in THEIRS for nets in args.pythae_nets]
    for name, nets in jobs:
        row = {"model": name, "library": "pythae" if name in THEIRS else "latentmix", "nets": nets, **context}
        try:
            if name in OURS:
                row.update(run_latentmix(name, X, X_test, y_test, args, extractor))
            else:
                row.update(run_pythae(name, nets, X, X_test, y_test, args))
        except Exception as exc:  # one configuration that cannot run must not stop the others
            traceback.print_exc()
            row["error"] = f"{type(exc).__name__}: {exc}"
        with args.out.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
