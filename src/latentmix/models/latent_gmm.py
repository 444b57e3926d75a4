"""A Gaussian mixture fitted in an autoencoder's latent space: "ex-post density estimation"
(Ghosh, Sajjadi, Vergari, Black & Schoelkopf, ICLR 2020, "From variational to deterministic
autoencoders"), which turns any autoencoder into a generative model, a clusterer and a density.

``LatentGMM(autoencoder, n_components)`` holds the autoencoder (fitted already, or trained by
``fit``) and a :class:`~latentmix.GaussianMixture` fitted on its codes. It is a composite: it
saves as one run folder (the autoencoder and the mixture in sub-folders) and
``latentmix.load`` brings it back whole.
"""

from __future__ import annotations

from numbers import Integral, Real
from pathlib import Path

import torch

from .._arrays import input_kind, to_output
from .._estimator import TorchEstimator
from .._validation import InstanceOf, Interval, Options
from ..core.registry import register
from ..exceptions import InvalidParameterError, NotFittedError
from ..mixture import GaussianMixture
from ._mixins import ClusterMixin, GenerativeMixin
from .autoencoder import AutoEncoder

__all__ = ["LatentGMM"]


@register("latent-gmm")
class LatentGMM(GenerativeMixin, ClusterMixin, TorchEstimator):
    """A Gaussian mixture on the codes of ``autoencoder`` (any AutoEncoder, DenoisingAutoEncoder,
    VAE or AdversarialAutoEncoder).

    ``fit(X)`` trains the autoencoder first when it is not fitted (``refit_autoencoder=True``
    retrains it anyway), then fits ``GaussianMixture(n_components, covariance_type, n_init,
    reg_covar)`` on ``autoencoder.transform(X)``. ``sample(n, component=None)`` decodes mixture
    samples; ``predict``/``predict_proba`` cluster; ``score_samples(X)`` is the latent
    log-density log p(z(x)) (higher = more typical); ``transform`` gives the codes.
    """

    _fitted_attribute = "mixture_"
    _parameter_constraints = {
        "autoencoder": [InstanceOf(AutoEncoder)],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [Options({"full", "tied", "diag", "spherical"})],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "refit_autoencoder": [InstanceOf(bool)],
        "random_state": [None, Interval(Integral, 0, None, closed="left")],
        "device": [InstanceOf(str, torch.device)],
    }

    def __init__(self, autoencoder=None, n_components=10, *, covariance_type="full", n_init=3, reg_covar=1e-4,
                 refit_autoencoder=False, random_state=None, device="auto"):
        self.autoencoder = autoencoder
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.n_init = n_init
        self.reg_covar = reg_covar
        self.refit_autoencoder = refit_autoencoder
        self.random_state = random_state
        self.device = device

    def _validate_params(self) -> None:
        if self.autoencoder is None:
            raise InvalidParameterError("LatentGMM needs an autoencoder: LatentGMM(AutoEncoder(...), n_components)")
        super()._validate_params()

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y=None, **fit_params):
        """Train the autoencoder if needed (``fit_params`` go to its ``fit``: ``run_dir``,
        ``resume``, ``validation``), then the mixture on its codes of X; with ``run_dir`` the
        whole model is saved there at the end. Returns self."""
        self._validate_params()
        ae = self.autoencoder
        run_dir = fit_params.get("run_dir")
        if self.refit_autoencoder or not hasattr(ae, "networks_"):
            ae.fit(X, **fit_params)
        elif fit_params:
            raise InvalidParameterError(f"{sorted(fit_params)} are autoencoder fit arguments, but the autoencoder is "
                                        "fitted already; pass refit_autoencoder=True to train it again")
        self.autoencoder_ = ae
        Z = torch.as_tensor(ae.transform(X)).detach().float()
        if len(Z) < self.n_components:
            raise InvalidParameterError(f"n_components={self.n_components} is more than the {len(Z)} samples")
        self.mixture_ = GaussianMixture(self.n_components, covariance_type=self.covariance_type, n_init=self.n_init,
                                        reg_covar=self.reg_covar, random_state=self.random_state,
                                        device=self.device).fit(Z)
        self.output_kind_ = input_kind(X)
        from .._distributed import rank

        if run_dir is not None and rank() == 0:  # under torch.distributed every rank holds the same model
            self.save(run_dir)  # the composite's config.json replaces the autoencoder's
        return self

    def _check_is_fitted(self) -> None:
        if not hasattr(self, "mixture_"):
            ae = self.autoencoder
            hint = "" if ae is None or hasattr(ae, "networks_") else " (its autoencoder is not fitted either)"
            raise NotFittedError(f"This LatentGMM instance is not fitted yet{hint}. Call 'fit' first.")

    # ------------------------------------------------------------------ inference
    def transform(self, X):
        """The autoencoder's codes (N, d)."""
        self._check_is_fitted()
        return self.autoencoder_.transform(X)

    def inverse_transform(self, Z):
        """Decode codes (N, d) with the autoencoder."""
        self._check_is_fitted()
        return self.autoencoder_.inverse_transform(Z)

    def reconstruct(self, X):
        """The autoencoder's reconstruction of X."""
        self._check_is_fitted()
        return self.autoencoder_.reconstruct(X)

    def _codes(self, X) -> tuple[torch.Tensor, str, object]:
        self._check_is_fitted()
        kind, device = input_kind(X), (X.device if isinstance(X, torch.Tensor) else None)
        Z = torch.as_tensor(self.autoencoder_.transform(X)).detach().float()
        return Z, kind, device

    def score_samples(self, X):
        """The latent log-density log p(z(x)) of every sample: (N,)."""
        Z, kind, device = self._codes(X)
        return to_output(torch.as_tensor(self.mixture_.score_samples(Z)), kind, device)

    def predict_proba(self, X):
        Z, kind, device = self._codes(X)
        return to_output(torch.as_tensor(self.mixture_.predict_proba(Z)), kind, device)

    def predict(self, X):
        Z, kind, device = self._codes(X)
        return to_output(torch.as_tensor(self.mixture_.predict(Z)), kind, device)

    def _n_generation_components(self) -> int | None:
        return self.n_components

    def _generate(self, n: int, generator, component) -> torch.Tensor:
        z, _ = self.mixture_.sample(n, generator=generator, component=component)  # generator None: the mixture's own
        return torch.as_tensor(self.autoencoder_.inverse_transform(torch.as_tensor(z).float()))

    # ------------------------------------------------------------------ persistence (a composite)
    def save(self, path: str | Path) -> Path:
        """Write the run folder: config.json, the autoencoder and the mixture in sub-folders."""
        from ..core.persist import save_model

        return save_model(self, path)

    def _saved_children(self) -> dict:
        return {"autoencoder": self.autoencoder_, "mixture": self.mixture_}

    def _attach_children(self, children: dict) -> None:
        self.autoencoder_, self.mixture_ = children["autoencoder"], children["mixture"]
        self.autoencoder = self.autoencoder_  # the fitted one, so get_params shows what is used

    def _save_tensors(self, file: Path) -> None:
        from ..core.persist import save_tensors

        save_tensors({}, file)

    def _fitted_config(self) -> dict:
        return {"output_kind": self.output_kind_}

    def _load_fitted(self, fitted: dict, file: Path) -> None:
        self.output_kind_ = fitted.get("output_kind", "torch")
