"""latentmix: autoencoders, GANs, Gaussian mixtures fitted by EM, and the hybrids that combine them.

The names below are imported on first use (PEP 562), so ``import latentmix`` is quick and pulls in
neither torch's model code nor scikit-learn until a model, a dataset or a metric is asked for;
``from latentmix import GaussianMixture`` and ``lm.GaussianMixture`` work as usual.
"""

from __future__ import annotations

import importlib
import importlib.util

__version__ = "0.1.0"

#: public name -> the submodule that defines it (a submodule itself when the name is the module's)
_LAZY = {
    "datasets": "latentmix.datasets",
    "exceptions": "latentmix.exceptions",
    "metrics": "latentmix.metrics",
    "priors": "latentmix.priors",
    "KMeans": "latentmix.cluster",
    "kmeans_plusplus": "latentmix.cluster",
    "BayesianGaussianMixture": "latentmix.mixture",
    "GaussianMixture": "latentmix.mixture",
    "select_n_components": "latentmix.mixture",
    "GAN": "latentmix.models",
    "VAE": "latentmix.models",
    "VAEGAN": "latentmix.models",
    "AdversarialAutoEncoder": "latentmix.models",
    "AutoEncoder": "latentmix.models",
    "DenoisingAutoEncoder": "latentmix.models",
    "LatentGMM": "latentmix.models",
    "load": "latentmix.models",
    "AnomalyDetector": "latentmix.tasks",
    "DeepClustering": "latentmix.tasks",
}

__all__ = [
    "AutoEncoder",
    "DenoisingAutoEncoder",
    "VAE",
    "GAN",
    "AdversarialAutoEncoder",
    "VAEGAN",
    "LatentGMM",
    "DeepClustering",
    "AnomalyDetector",
    "priors",
    "load",
    "metrics",
    "GaussianMixture",
    "BayesianGaussianMixture",
    "KMeans",
    "datasets",
    "exceptions",
    "kmeans_plusplus",
    "select_n_components",
    "__version__",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:  # a subpackage such as latentmix.models, as before when all were imported
        if name.startswith("__") or importlib.util.find_spec(f"latentmix.{name}") is None:
            raise AttributeError(f"module 'latentmix' has no attribute {name!r}")
        module = f"latentmix.{name}"
    mod = importlib.import_module(module)
    value = mod if module == f"latentmix.{name}" else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
