"""The strata of mixture-stratified rejection sampling: a Gaussian mixture on a low-dimensional
projection of a feature map (a discriminator's penultimate layer), fitted on held-out real data.

``FeatureStrata(n_strata, dim).fit(features)`` projects on the top ``dim`` principal directions
of the real features and fits latentmix's :class:`~latentmix.GaussianMixture` there;
``assign(features)`` gives each row its component; ``shares_`` are the real rows' shares of the
components (the target of :func:`latentmix.models.stratified.fit_stratified`). It saves and loads
as a composite (its mixture in a sub-folder), so a GAN carries it in its run folder.
"""

from __future__ import annotations

from numbers import Integral

import torch

from .._estimator import TorchEstimator
from .._validation import Interval
from ..core.persist import load_tensors, save_tensors
from ..core.registry import register
from ..exceptions import DataError
from ..mixture import GaussianMixture

__all__ = ["FeatureStrata"]


@register()
class FeatureStrata(TorchEstimator):
    """``n_strata`` mixture components on the top-``dim`` principal components of the features."""

    _parameter_constraints = {
        "n_strata": [Interval(Integral, 1, None, closed="left")],
        "dim": [Interval(Integral, 1, None, closed="left")],
        "random_state": [Interval(Integral, 0, None, closed="left")],
    }
    _fitted_attribute = "shares_"

    def __init__(self, n_strata: int = 10, dim: int = 16, random_state: int = 0, device: str = "cpu"):
        self.n_strata = n_strata
        self.dim = dim
        self.random_state = random_state
        self.device = device

    def fit(self, features: torch.Tensor) -> FeatureStrata:
        """features: (N, F) float tensor of held-out real samples."""
        self._validate_params()
        f = features.detach().flatten(1).float().cpu()
        if len(f) < 2 * self.n_strata:
            raise DataError(f"stratification needs at least {2 * self.n_strata} held-out samples; got {len(f)}")
        self.center_ = f.mean(0)
        q = min(self.dim, f.shape[1], len(f) - 1)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.random_state)
            _, _, V = torch.pca_lowrank(f - self.center_, q=q, center=False, niter=4)  # V: (F, q)
        self.components_ = V.contiguous()
        z = (f - self.center_) @ self.components_  # (N, q)
        self.mixture_ = GaussianMixture(self.n_strata, covariance_type="full", n_init=2, reg_covar=1e-4,
                                        random_state=self.random_state, device="cpu").fit(z)
        labels = self.mixture_.predict(z)
        self.shares_ = torch.bincount(labels, minlength=self.n_strata).double() / len(labels)
        return self

    def assign(self, features: torch.Tensor) -> torch.Tensor:
        """The component of each row: (M, F) -> (M,) int64 on the CPU."""
        self._check_is_fitted()
        z = (features.detach().flatten(1).float().cpu() - self.center_) @ self.components_
        return self.mixture_.predict(z).long()

    # ------------------------------------------------------------------ persistence (a composite)
    def save(self, path):
        from ..core.persist import save_model

        return save_model(self, path)

    def _saved_children(self) -> dict:
        return {"mixture": self.mixture_}

    def _attach_children(self, children: dict) -> None:
        self.mixture_ = children["mixture"]

    def _save_tensors(self, file) -> None:
        save_tensors({"center": self.center_, "components": self.components_, "shares": self.shares_}, file)

    def _fitted_config(self) -> dict:
        return {}

    def _load_fitted(self, fitted: dict, file) -> None:
        t = load_tensors(file, "cpu")
        self.center_, self.components_, self.shares_ = t["center"], t["components"], t["shares"]
