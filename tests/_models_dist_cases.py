"""The neural models that the distributed test trains over two ranks (one small fit each)."""

import latentmix as lm
from latentmix.priors import CategoricalPrior, GaussianMixturePrior

COMMON = dict(epochs=2, batch_size=32, device="cpu", verbose=0, random_state=0)


def digits():
    return lm.datasets.load("digits")[0][:256]


CASES = {
    "ae": lambda: lm.AutoEncoder(latent_dim=4, **COMMON),
    "dae": lambda: lm.DenoisingAutoEncoder(latent_dim=4, noise="masking", noise_level=0.2, **COMMON),
    "vae": lambda: lm.VAE(latent_dim=4, **COMMON),
    "vade": lambda: lm.VAE(latent_dim=4, prior=GaussianMixturePrior(3, learnable=True), **COMMON),
    "aae-gmm": lambda: lm.AdversarialAutoEncoder(latent_dim=4, prior=GaussianMixturePrior(3), **COMMON),
    "aae-categorical": lambda: lm.AdversarialAutoEncoder(latent_dim=4, prior=CategoricalPrior(3), **COMMON),
    "gan": lambda: lm.GAN("mlp", latent_dim=8, calibration_fraction=0, **COMMON),
    "vaegan": lambda: lm.VAEGAN(latent_dim=4, **COMMON),
}
