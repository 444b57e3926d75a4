"""Anomaly detection with PyOD's conventions, as a composition of an autoencoder and a Gaussian
mixture on its codes (no training loop of its own).

Scores (higher = more abnormal), each usable alone:

- ``"reconstruction"``: the autoencoder's reconstruction error. By default
  (``reconstruction="standardized"``) each feature's residual is standardised by the mean and
  spread of that feature's residuals on the training data, and the squares are averaged: the
  negative log-likelihood, up to constants, of the residual under a per-feature Gaussian fitted to
  the normal data's residuals. A pixel the normal class always reconstructs well (the background
  around a trouser) then counts for much more than one it never does (a shirt's pattern); on
  Fashion-MNIST one-class detection this lifts the reconstruction score's AUROC by 1-8 points over
  the plain mean squared error (``reconstruction="mse"``; ``benchmarks/RESULTS.md``);
- ``"latent-density"``: minus the log-density of the code under a :class:`~latentmix.GaussianMixture`
  fitted on the training codes: the energy of DAGMM (Zong et al., 2018, "Deep autoencoding
  Gaussian mixture model for unsupervised anomaly detection"), here without end-to-end training;
- ``"discriminator"``: for an adversarial autoencoder, its latent discriminator's logit of the code.
  The discriminator learns to tell prior samples (label 1) from the codes of the training data, so
  its logit estimates log p_prior(z) / q(z): high where the normal data's codes are rare;
- ``"combined"``: each of the above (the discriminator's only with an AAE) standardised on the
  training data (median and MAD by default, or mean and standard deviation) and summed: fixed
  weights, no labels.

PyOD's attributes and methods (``pyod/models/base.py``): ``decision_scores_``, ``threshold_`` (the
``1 - contamination`` quantile of the training scores), ``labels_``, ``decision_function``,
``predict`` (1 = outlier), ``predict_proba(X, method="linear"|"unify")`` and
``predict_confidence`` (Perini, Vercruyssen & Davis, 2020, "Quantifying the confidence of anomaly
detectors in their example-wise predictions").
"""

from __future__ import annotations

import time
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch

from .._arrays import to_output
from .._estimator import TorchEstimator
from .._validation import InstanceOf, Interval, Options
from ..core.persist import load_tensors, save_tensors
from ..core.registry import register
from ..exceptions import CheckpointError, InvalidParameterError
from ..mixture import GaussianMixture
from ..models._mixins import OutlierMixin
from ._common import TableScaler, build_autoencoder, check_input, resolve_arch, resolve_hidden

__all__ = ["AnomalyDetector", "ANOMALY_METHODS"]

ANOMALY_METHODS = ("combined", "reconstruction", "latent-density", "discriminator")
_MAD_TO_STD = 1.4826  # MAD of a normal distribution times this = its standard deviation


def _check_contamination(value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 < float(value) <= 0.5:
        raise InvalidParameterError(f"contamination must be a float in (0, 0.5]; got {value!r}")
    return float(value)


@register()  # loadable by class name; `latentmix fit-detector` trains it
class AnomalyDetector(OutlierMixin, TorchEstimator):
    """An unsupervised detector for images (N, C, H, W) or tables (N, F), trained on (mostly) normal data.

    ``method``: the score (see the module docstring); ``contamination``: the expected share of
    outliers in the training data, which sets ``threshold_``; ``autoencoder``: ``"ae"``,
    ``"dae"`` (masking noise ``noise_level``), ``"aae"`` or ``"auto"`` (an AAE for
    ``method="discriminator"``, else a denoising autoencoder); ``n_components`` /
    ``covariance_type`` / ``reg_covar``: the latent mixture; ``reconstruction``:
    ``"standardized"`` (per-feature standardised residuals) or ``"mse"``; ``standardize``: ``"median"``
    (median/MAD) or ``"mean"`` (mean/std) for the combined score. Tables are standardised per
    column (``scale="auto"``).
    """

    _fitted_attribute = "decision_scores_"
    _parameter_constraints = {
        "method": [Options(set(ANOMALY_METHODS))],
        "contamination": [Interval(Real, 0.0, 0.5, closed="right")],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "arch": [Options({"auto", "dense", "conv"})],
        "hidden": [None, InstanceOf(tuple, list)],
        "autoencoder": [Options({"auto", "ae", "dae", "aae"})],
        "noise_level": [Interval(Real, 0.0, 1.0, closed="both")],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [Options({"full", "tied", "diag", "spherical"})],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "standardize": [Options({"median", "mean"})],
        "reconstruction": [Options({"standardized", "mse"})],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0.0, None, closed="neither")],
        "scale": [Options({"auto", "none"})],
        "random_state": [None, Interval(Integral, 0, None, closed="left")],
        "device": [InstanceOf(str, torch.device)],
        "verbose": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, method="combined", contamination=0.1, *, latent_dim=16, arch="auto", hidden=None,
                 autoencoder="auto", noise_level=0.2, n_components=4, covariance_type="full", reg_covar=1e-4,
                 standardize="median", reconstruction="standardized", epochs=30, batch_size=128, lr=1e-3,
                 scale="auto", random_state=None, device="auto", verbose=0):
        self.method = method
        self.contamination = contamination
        self.latent_dim = latent_dim
        self.arch = arch
        self.hidden = hidden
        self.autoencoder = autoencoder
        self.noise_level = noise_level
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.standardize = standardize
        self.reconstruction = reconstruction
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.scale = scale
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _validate_params(self) -> None:
        _check_contamination(self.contamination)  # PyOD's wording of the range, before the generic check
        super()._validate_params()
        if self.method == "discriminator" and self._kind() != "aae":
            raise InvalidParameterError("method='discriminator' needs the adversarial autoencoder's latent "
                                        f"discriminator: use autoencoder='aae' or 'auto' (got {self.autoencoder!r})")

    def _kind(self) -> str:
        if self.autoencoder != "auto":
            return self.autoencoder
        return "aae" if self.method == "discriminator" else "dae"

    def _score_names(self) -> list[str]:
        if self.method != "combined":
            return [self.method]
        return ["reconstruction", "latent-density"] + (["discriminator"] if self._kind() == "aae" else [])

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y=None, *, run_dir: str | Path | None = None, resume: bool = False):
        """Train on X (normal data, with up to ``contamination`` outliers); ``y`` is ignored, as in
        PyOD. ``run_dir``/``resume``: the autoencoder's checkpoints, then the whole detector saved
        there. Returns self."""
        self._validate_params()
        Xt, kind, _ = check_input(X, device=self._device, owner=type(self).__name__, min_samples=2)
        if self.n_components > len(Xt):
            raise InvalidParameterError(f"n_components={self.n_components} is more than the {len(Xt)} samples")
        t0 = time.perf_counter()
        self.scaler_ = TableScaler.fit(Xt, enabled=self.scale == "auto")
        Xs = self.scaler_(Xt)
        shape = tuple(int(s) for s in Xt.shape[1:])
        arch = resolve_arch(self.arch, shape)
        ae = build_autoencoder(self._kind(), latent_dim=self.latent_dim, arch=arch,
                               hidden=resolve_hidden(self.hidden, arch, shape), noise="masking",
                               noise_level=self.noise_level, prior=None, epochs=self.epochs,
                               batch_size=self.batch_size, lr=self.lr, random_state=self.random_state,
                               device=self.device, verbose=self.verbose)
        self.autoencoder_ = ae.fit(Xs, **({} if run_dir is None else {"run_dir": run_dir, "resume": resume}))
        self.residual_mean_, self.residual_scale_ = self._residual_statistics(Xs)
        codes = torch.as_tensor(ae.transform(Xs)).detach().float()
        self.mixture_ = GaussianMixture(self.n_components, covariance_type=self.covariance_type, n_init=2,
                                        reg_covar=self.reg_covar, random_state=self.random_state,
                                        device=self.device).fit(codes)
        self.input_shape_, self.output_kind_ = shape, kind
        raw = self._raw_scores(Xs)
        self.score_center_, self.score_scale_ = {}, {}
        for name, s in raw.items():
            center, spread = self._location_scale(s)
            self.score_center_[name], self.score_scale_[name] = center, spread
        self._set_scores(self._combine(raw).cpu().numpy())
        self.fit_seconds_ = time.perf_counter() - t0
        if run_dir is not None:
            self.save(run_dir)
        return self

    def _residuals(self, Xs: torch.Tensor) -> torch.Tensor:
        """Input minus reconstruction, flattened: (N, F) float32."""
        recon = torch.as_tensor(self.autoencoder_.reconstruct(Xs)).to(Xs.device)
        return (Xs - recon).reshape(len(Xs), -1).float()

    def _residual_statistics(self, Xs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-feature mean and spread of the training residuals: (F,), (F,). The spread is the
        standard deviation plus a tenth of its mean over features, so a feature the autoencoder
        reconstructs perfectly (a constant border) cannot dominate through a near-zero divisor."""
        r = self._residuals(Xs)
        std = r.std(0, unbiased=False)
        return r.mean(0).cpu(), (std + 0.1 * std.mean() + 1e-12).cpu()

    def _reconstruction_score(self, Xs: torch.Tensor) -> torch.Tensor:
        if self.reconstruction == "mse":
            return -torch.as_tensor(self.autoencoder_.score_samples(Xs)).double()
        r = self._residuals(Xs)
        z = (r - self.residual_mean_.to(r.device)) / self.residual_scale_.to(r.device)
        return z.pow(2).mean(1).double()

    def _location_scale(self, s: torch.Tensor) -> tuple[float, float]:
        s = s.double().cpu()
        if self.standardize == "median":
            center = float(s.median())
            spread = _MAD_TO_STD * float((s - center).abs().median())
        else:
            center, spread = float(s.mean()), float(s.std(unbiased=False))
        if not spread > 1e-12:  # a constant score (or MAD 0): fall back to the std, then to 1
            spread = float(s.std(unbiased=False)) if float(s.std(unbiased=False)) > 1e-12 else 1.0
        return center, spread

    def _set_scores(self, scores: np.ndarray) -> None:
        """PyOD's ``_process_decision_scores``: threshold_, labels_, and the mean/std used by
        ``predict_proba(method="unify")``."""
        self._set_threshold(scores)
        self._mu, self._sigma = float(np.mean(self.decision_scores_)), float(np.std(self.decision_scores_))

    # ------------------------------------------------------------------ scores
    def _raw_scores(self, Xs: torch.Tensor, names=None) -> dict:
        """{score name: (N,) float64 tensor, higher = more abnormal} on scaled data."""
        ae, out = self.autoencoder_, {}
        names = self._score_names() if names is None else names
        if "reconstruction" in names:
            out["reconstruction"] = self._reconstruction_score(Xs)
        if "latent-density" in names:
            codes = torch.as_tensor(ae.transform(Xs)).float().to(self.mixture_._fitted_device())
            out["latent-density"] = -torch.as_tensor(self.mixture_.score_samples(codes)).double().to(Xs.device)
        if "discriminator" in names:
            d = ae.networks_["discriminator"]
            out["discriminator"] = ae._batched(Xs, lambda x: d(ae._encode(x)).flatten()).double()
        return {k: v.to(Xs.device) for k, v in out.items()}

    def _combine(self, raw: dict) -> torch.Tensor:
        if self.method != "combined":
            return raw[self.method]
        return sum((raw[n] - self.score_center_[n]) / self.score_scale_[n] for n in self._score_names())

    def _input(self, X):
        self._check_is_fitted()
        Xt, kind, device = check_input(X, device=self.autoencoder_._fitted_device(), shape=self.input_shape_,
                                       owner=f"this {type(self).__name__}")
        return self.scaler_(Xt), kind, device

    def decision_function(self, X):
        """The outlier score of every sample (higher = more abnormal): (N,) float64."""
        Xs, kind, device = self._input(X)
        return to_output(self._combine(self._raw_scores(Xs)), kind, device)

    def score_components(self, X) -> dict:
        """Every score this detector can compute, unstandardised (higher = more abnormal):
        {"reconstruction", "latent-density" (+ "discriminator" with an AAE): (N,) float64}."""
        Xs, kind, device = self._input(X)
        names = ["reconstruction", "latent-density"] + (["discriminator"] if self._kind() == "aae" else [])
        return {k: to_output(v, kind, device) for k, v in self._raw_scores(Xs, names).items()}

    # ------------------------------------------------------------------ PyOD's methods
    def _scores_np(self, X) -> tuple[np.ndarray, str, object]:
        Xs, kind, device = self._input(X)
        return self._combine(self._raw_scores(Xs)).cpu().numpy(), kind, device

    @staticmethod
    def _out(a: np.ndarray, kind: str, device):
        return torch.as_tensor(a).to(device) if kind == "torch" else a

    def predict(self, X, return_confidence: bool = False):
        """1 for outliers (score above ``threshold_``), 0 for inliers: (N,); with
        ``return_confidence``, also :meth:`predict_confidence`."""
        scores, kind, device = self._scores_np(X)
        labels = (scores > self.threshold_).astype(int)
        if return_confidence:
            return self._out(labels, kind, device), self._out(self._confidence(scores), kind, device)
        return self._out(labels, kind, device)

    def fit_predict(self, X, y=None, **fit_params):
        """``fit(X)`` then ``labels_`` (PyOD's and scikit-learn's outlier convention)."""
        return self.fit(X, **fit_params).labels_

    def predict_proba(self, X, method: str = "linear", return_confidence: bool = False):
        """(N, 2) probabilities of [inlier, outlier]: ``"linear"`` min-max scales the score by the
        training scores' range (clipped to [0, 1]); ``"unify"`` is ``erf((s - mu) / (sigma sqrt 2))``
        clipped to [0, 1] with the training scores' mean and std (Kriegel et al., 2011)."""
        if method not in ("linear", "unify"):
            raise InvalidParameterError(f"method must be 'linear' or 'unify'; got {method!r}")
        scores, kind, device = self._scores_np(X)
        train = self.decision_scores_
        if method == "linear":
            lo, hi = float(train.min()), float(train.max())
            p = ((scores - lo) / (hi - lo if hi > lo else 1.0)).clip(0, 1)
        else:
            from scipy.special import erf

            p = erf((scores - self._mu) / (self._sigma * np.sqrt(2))).clip(0, 1)
        probs = np.stack([1 - p, p], axis=1)
        if return_confidence:
            return self._out(probs, kind, device), self._out(self._confidence(scores), kind, device)
        return self._out(probs, kind, device)

    def predict_confidence(self, X):
        """How stable each prediction is to perturbations of the training set, in [0, 1] (PyOD's
        ``predict_confidence``, Perini et al., 2020): (N,)."""
        scores, kind, device = self._scores_np(X)
        return self._out(self._confidence(scores), kind, device)

    def _confidence(self, scores: np.ndarray) -> np.ndarray:
        train = np.sort(self.decision_scores_)
        n = len(train)
        n_below = np.searchsorted(train, scores, side="right")  # training scores <= each score
        posterior = (1 + n_below) / (2 + n)
        from scipy.stats import binom  # here, not at import: scipy.stats takes a second

        confidence = 1 - binom.cdf(n - int(n * float(self.contamination)), n, posterior)
        inlier = scores <= self.threshold_
        confidence[inlier] = 1 - confidence[inlier]
        return confidence

    def threshold_for(self, contamination: float) -> float:
        """The threshold another ``contamination`` would give: that quantile of ``decision_scores_``."""
        self._check_is_fitted()
        return float(np.percentile(self.decision_scores_, 100 * (1 - _check_contamination(contamination))))

    # ------------------------------------------------------------------ persistence (a composite)
    def save(self, path: str | Path) -> Path:
        """One run folder: config.json, the autoencoder and the mixture in sub-folders."""
        from ..core.persist import save_model

        return save_model(self, path)

    def _saved_children(self) -> dict:
        return {"autoencoder": self.autoencoder_, "mixture": self.mixture_}

    def _attach_children(self, children: dict) -> None:
        self.autoencoder_, self.mixture_ = children["autoencoder"], children["mixture"]

    def _save_tensors(self, file: Path) -> None:
        save_tensors({"decision_scores": torch.as_tensor(self.decision_scores_), "residual_mean": self.residual_mean_,
                      "residual_scale": self.residual_scale_, **self.scaler_.tensors()}, file)

    def _fitted_config(self) -> dict:
        return {"input_shape": list(self.input_shape_), "output_kind": self.output_kind_,
                "score_center": self.score_center_, "score_scale": self.score_scale_,
                "fit_seconds": self.fit_seconds_}

    def _load_fitted(self, fitted: dict, file: Path) -> None:
        t = load_tensors(file, "cpu")
        self.input_shape_ = tuple(fitted["input_shape"])
        self.output_kind_ = fitted.get("output_kind", "torch")
        self.score_center_ = {k: float(v) for k, v in fitted["score_center"].items()}
        self.score_scale_ = {k: float(v) for k, v in fitted["score_scale"].items()}
        self.fit_seconds_ = fitted.get("fit_seconds")
        self.scaler_ = TableScaler.from_tensors(t)
        if "residual_mean" not in t and self.reconstruction == "standardized":
            raise CheckpointError(f"{file} has no residual statistics (saved before "
                                        "reconstruction='standardized' existed): refit the detector")
        self.residual_mean_, self.residual_scale_ = t.get("residual_mean"), t.get("residual_scale")
        self._set_scores(t["decision_scores"].double().numpy())
