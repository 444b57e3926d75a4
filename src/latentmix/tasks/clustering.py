"""Deep clustering as compositions of the library's models (no training loop of its own).

``DeepClustering(n_clusters, method=...)`` has scikit-learn's clusterer API (``fit``,
``fit_predict``, ``labels_``, ``predict``, ``predict_proba``, ``transform`` = the codes,
``score_samples``) on images or tables. Methods:

- ``"latent-gmm"``: an autoencoder (denoising by default) and a :class:`~latentmix.GaussianMixture`
  on its codes, i.e. :class:`~latentmix.LatentGMM` (ex-post density estimation, Ghosh et al., 2020);
- ``"manifold"``: N2D (McConville et al., 2020): the autoencoder's codes -> UMAP -> a Gaussian
  mixture (needs ``umap-learn``: ``pip install 'latentmix[umap]'``);
- ``"aae"``: the adversarial autoencoder with a Gaussian-mixture prior (or ``prior="categorical"``,
  its softmax-head form; Makhzani et al., 2015): the clusters are the prior's components;
- ``"vade"``: the VAE with a learnable mixture prior (Jiang et al., 2017).

``refine=True`` then self-trains the encoder on the clustering's own sharpened assignments (DEC,
Xie et al., 2016, with IDEC's reconstruction term, Guo et al., 2017; :mod:`._refine`) and fits the
final Gaussian mixture on the refined codes, started at the refined centres.
"""

from __future__ import annotations

import time
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch

from .._arrays import to_output
from .._estimator import TorchEstimator
from .._validation import InstanceOf, Interval, Options, RandomStateLike
from ..core.persist import load_tensors, save_tensors
from ..core.registry import register
from ..exceptions import InvalidParameterError
from ..mixture import GaussianMixture
from ..models._mixins import ClusterMixin
from ..priors import CategoricalPrior, GaussianMixturePrior, Prior
from . import _manifold
from ._common import TableScaler, build_autoencoder, check_input, resolve_arch, resolve_hidden
from ._refine import MixtureKernel, SelfTraining, StudentTKernel

__all__ = ["DeepClustering", "CLUSTERING_METHODS"]

CLUSTERING_METHODS = ("latent-gmm", "manifold", "aae", "vade")


@register()  # loadable by class name; not a `latentmix train` alias (`latentmix cluster` trains it)
class DeepClustering(ClusterMixin, TorchEstimator):
    """Cluster images (N, C, H, W) or a table (N, F) into ``n_clusters`` groups.

    ``latent_dim``: the code size; ``arch``/``hidden``: the networks (``"auto"``: dense, with
    DEC's d-500-500-2000 encoder for inputs of 256 values or more); ``autoencoder``: ``"dae"``
    (masking noise ``noise_level``) or ``"ae"`` for the latent-gmm and manifold methods;
    ``prior``: ``"gmm"`` or ``"categorical"`` for ``method="aae"`` (or a prior object with
    ``n_clusters`` components); ``covariance_type``/``n_init``/``reg_covar``: the mixture;
    ``manifold_dim`` (default ``n_clusters``)/``manifold_neighbors``: UMAP; ``refine_*``: the
    self-training stage (epochs; ``"mixture"``: Q = the responsibilities of the full-covariance
    mixture fitted on the codes, or DEC's ``"student-t"`` kernel around learnable centres; gamma;
    learning rate; epochs between target updates). Tables are standardised per column (``scale="auto"``).
    """

    _fitted_attribute = "labels_"
    _parameter_constraints = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "method": [Options(set(CLUSTERING_METHODS))],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "arch": [Options({"auto", "dense", "conv"})],
        "hidden": [None, InstanceOf(tuple, list)],
        "autoencoder": [Options({"ae", "dae"})],
        "noise_level": [Interval(Real, 0.0, 1.0, closed="both")],
        "prior": [Options({"gmm", "categorical"}), InstanceOf(Prior)],
        "covariance_type": [Options({"full", "tied", "diag", "spherical"})],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0.0, None, closed="neither")],
        "refine": [InstanceOf(bool)],
        "refine_epochs": [Interval(Integral, 1, None, closed="left")],
        "refine_kernel": [Options({"student-t", "mixture"})],
        "refine_gamma": [Interval(Real, 0.0, None, closed="left")],
        "refine_lr": [Interval(Real, 0.0, None, closed="neither")],
        "refine_update": [Interval(Integral, 1, None, closed="left")],
        "manifold_dim": [None, Interval(Integral, 1, None, closed="left")],
        "manifold_neighbors": [Interval(Integral, 2, None, closed="left")],
        "scale": [Options({"auto", "none"})],
        "random_state": [RandomStateLike()],
        "device": [InstanceOf(str, torch.device)],
        "verbose": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, n_clusters=10, *, method="latent-gmm", latent_dim=10, arch="auto", hidden=None,
                 autoencoder="dae", noise_level=0.2, prior="gmm", covariance_type="full", n_init=3, reg_covar=1e-4,
                 epochs=50, batch_size=256, lr=1e-3, refine=False, refine_epochs=20, refine_kernel="mixture",
                 refine_gamma=0.1, refine_lr=1e-3, refine_update=1, manifold_dim=None, manifold_neighbors=20,
                 scale="auto", random_state=None, device="auto", verbose=0):
        self.n_clusters = n_clusters
        self.method = method
        self.latent_dim = latent_dim
        self.arch = arch
        self.hidden = hidden
        self.autoencoder = autoencoder
        self.noise_level = noise_level
        self.prior = prior
        self.covariance_type = covariance_type
        self.n_init = n_init
        self.reg_covar = reg_covar
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.refine = refine
        self.refine_epochs = refine_epochs
        self.refine_kernel = refine_kernel
        self.refine_gamma = refine_gamma
        self.refine_lr = refine_lr
        self.refine_update = refine_update
        self.manifold_dim = manifold_dim
        self.manifold_neighbors = manifold_neighbors
        self.scale = scale
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _validate_params(self) -> None:
        super()._validate_params()
        if isinstance(self.prior, Prior) and self.prior.n_components != self.n_clusters:
            raise InvalidParameterError(f"prior has {self.prior.n_components} components but n_clusters="
                                        f"{self.n_clusters}; they must agree")
        if self.method == "manifold":
            _manifold.require_umap()  # before any training

    def _seed(self) -> int | None:
        rs = self.random_state
        if rs is None or isinstance(rs, Integral):
            return rs
        return int(rs.randint(2**31 - 1)) if isinstance(rs, np.random.RandomState) else int(rs.integers(2**31 - 1))

    # ------------------------------------------------------------------ fitting
    def _make_model(self, X: torch.Tensor):
        k, seed = self.n_clusters, self._seed()
        shape = tuple(X.shape[1:])
        arch = resolve_arch(self.arch, shape)
        kind, prior, likelihood = self.autoencoder, None, "bernoulli"
        if self.method == "aae":
            kind = "aae"
            prior = self.prior if isinstance(self.prior, Prior) else \
                GaussianMixturePrior(k) if self.prior == "gmm" else CategoricalPrior(k)
        elif self.method == "vade":
            kind = "vae"
            prior = self.prior if isinstance(self.prior, Prior) else GaussianMixturePrior(k, learnable=True)
            in_unit = bool(X.min() >= 0) and bool(X.max() <= 1)
            likelihood = "bernoulli" if in_unit else "gaussian"
        hidden = resolve_hidden(self.hidden, arch, shape)
        return build_autoencoder(kind, latent_dim=self.latent_dim, arch=arch, hidden=hidden, noise="masking",
                                 noise_level=self.noise_level, prior=prior, epochs=self.epochs,
                                 batch_size=self.batch_size, lr=self.lr, random_state=seed, device=self.device,
                                 verbose=self.verbose, likelihood=likelihood)

    def _mixture(self, **kwargs) -> GaussianMixture:
        opts = dict(covariance_type=self.covariance_type, n_init=self.n_init, reg_covar=self.reg_covar,
                    random_state=self._seed(), device=self.device)
        opts.update(kwargs)
        return GaussianMixture(self.n_clusters, **opts)

    def fit(self, X, y=None, *, run_dir: str | Path | None = None, resume: bool = False):
        """Train the autoencoder (``run_dir``/``resume``: its checkpoints and metrics, then the whole
        model saved there), cluster, and refine if asked. Returns self."""
        self._validate_params()
        Xt, kind, _ = check_input(X, device=self._device, owner=type(self).__name__)
        if self.n_clusters > len(Xt):
            raise InvalidParameterError(f"n_clusters={self.n_clusters} is more than the {len(Xt)} samples")
        t0 = time.perf_counter()
        self.scaler_ = TableScaler.fit(Xt, enabled=self.scale == "auto")
        Xs = self.scaler_(Xt)
        self.input_shape_ = tuple(int(s) for s in Xt.shape[1:])
        model = self._make_model(Xs)
        fit_params = {} if run_dir is None else {"run_dir": run_dir, "resume": resume}
        self.mixture_, self.manifold_codes_, self.manifold_embedding_ = None, None, None
        if self.method == "latent-gmm":
            from ..models import LatentGMM

            lg = LatentGMM(model, self.n_clusters, covariance_type=self.covariance_type, n_init=self.n_init,
                           reg_covar=self.reg_covar, random_state=self._seed(), device=self.device)
            lg.fit(Xs, **fit_params)
            self.autoencoder_, self.mixture_, self.clusterer_ = lg.autoencoder_, lg.mixture_, "mixture"
        else:
            self.autoencoder_ = model.fit(Xs, **fit_params)
            self.clusterer_ = "prior"
            if self.method == "vade" and not isinstance(self.prior, Prior):
                self._vade_restart(Xs)
            if self.method == "manifold":
                codes = self._codes(Xs)
                emb = _manifold.umap_embedding(codes, self.manifold_dim or self.n_clusters, self.manifold_neighbors,
                                               self._seed())
                self.manifold_codes_, self.manifold_embedding_ = codes.cpu(), emb
                self.mixture_, self.clusterer_ = self._mixture().fit(emb), "manifold"
        if self.refine:
            self._refine(Xs)
        if self.clusterer_ == "manifold":  # the training rows' embedding is known: no nearest-neighbour search
            proba = self.mixture_.predict_proba(self.manifold_embedding_.to(self._mixture_device()))
        else:
            proba = self._proba(Xs)
        self.labels_ = to_output(torch.as_tensor(proba).argmax(1), kind)
        self.output_kind_ = kind
        self.fit_seconds_ = time.perf_counter() - t0
        if run_dir is not None:
            self.save(run_dir)
        return self

    def _vade_restart(self, Xs: torch.Tensor) -> None:
        """VaDE's initialisation (Jiang et al., 2017, section 3.4): the mixture prior is set from a
        Gaussian mixture fitted on the trained encoder's codes, then training continues for
        ``epochs`` more (a learnable prior trained from scratch tends to let one component take
        every code)."""
        from ..train import fit_phases

        vae = self.autoencoder_
        gm = self._mixture(covariance_type="diag").fit(self._codes(Xs))
        vae.networks_["prior"] = GaussianMixturePrior.from_mixture(gm, learnable=True).to(vae._fitted_device())
        seed = self._seed()
        result = fit_phases(vae, Xs.to(vae._fitted_device()), epochs=self.epochs, batch_size=self.batch_size,
                            seed=1 if seed is None else seed + 1, verbose=self.verbose)
        vae.history_ = vae.history_ + result.history
        vae.networks_.eval()

    def _refine(self, Xs: torch.Tensor) -> None:
        """DEC/IDEC self-training of the encoder, then the mixture refitted on the refined codes."""
        ae = self.autoencoder_
        codes, proba = self._codes(Xs).float(), self._proba(Xs).float()
        centres = (proba.T @ codes) / proba.sum(0).clamp_min(1e-12).unsqueeze(1)  # (k, d) soft cluster means
        if self.refine_kernel == "student-t":
            kernel = StudentTKernel(centres)
        else:  # the mixture on the codes itself (full covariances keep the clusters' shapes), fixed
            start = self.mixture_ if self.clusterer_ == "mixture" and self.covariance_type == "full" else \
                self._mixture(means_init=centres.cpu(), n_init=1, covariance_type="full").fit(codes)
            kernel = MixtureKernel(GaussianMixturePrior.from_mixture(start))
        seed = self._seed()
        torch.manual_seed(0 if seed is None else seed)
        st = SelfTraining(ae, kernel, Xs.to(ae._fitted_device()), gamma=self.refine_gamma, lr=self.refine_lr,
                          update_interval=self.refine_update)
        st.run(epochs=self.refine_epochs, batch_size=self.batch_size, seed=0 if seed is None else seed,
               verbose=self.verbose)
        self.refine_history_, self.refine_changed_ = st.history_, st.changed_
        codes = self._codes(Xs).float()
        q = st.assignments().float()
        init = {"means_init": ((q.T @ codes) / q.sum(0).clamp_min(1e-12).unsqueeze(1)).cpu()}
        if isinstance(kernel, MixtureKernel) and self.covariance_type == "full":  # start EM where Q was
            precisions = torch.as_tensor(start.precisions_).double().cpu()
            init.update(weights_init=(q.mean(0) / q.mean(0).sum()).double().cpu(),
                        precisions_init=0.5 * (precisions + precisions.transpose(1, 2)))
        self.mixture_ = self._mixture(n_init=1, **init).fit(codes)
        self.clusterer_, self.manifold_codes_, self.manifold_embedding_ = "mixture", None, None

    # ------------------------------------------------------------------ inference (tensors in, tensors out)
    def _codes(self, Xs: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(self.autoencoder_.transform(Xs)).detach().float()

    def _space(self, Xs: torch.Tensor) -> torch.Tensor:
        """Where the mixture lives: the codes, or their manifold embedding."""
        codes = self._codes(Xs)
        if self.clusterer_ == "manifold":
            return _manifold.extend_embedding(self.manifold_codes_, self.manifold_embedding_, codes.cpu())
        return codes

    def _proba(self, Xs: torch.Tensor) -> torch.Tensor:
        if self.clusterer_ == "prior":
            return torch.as_tensor(self.autoencoder_.predict_proba(Xs)).float()
        return torch.as_tensor(self.mixture_.predict_proba(self._space(Xs).to(self._mixture_device()))).float()

    def _log_density(self, Xs: torch.Tensor) -> torch.Tensor:
        if self.clusterer_ != "prior":
            return torch.as_tensor(self.mixture_.score_samples(self._space(Xs).to(self._mixture_device())))
        ae, codes = self.autoencoder_, self._codes(Xs)
        nets = ae.networks_
        with torch.no_grad():
            if "style_prior" in nets:  # categorical AAE: log N(style) + log of the most probable class
                k = nets["prior"].n_components
                return nets["style_prior"].log_prob(codes[:, k:]) + codes[:, :k].max(1).values.clamp_min(1e-30).log()
            return nets["prior"].log_prob(codes.to(ae._fitted_device()))

    def _mixture_device(self):
        return self.mixture_._fitted_device()

    def _input(self, X):
        self._check_is_fitted()
        Xt, kind, device = check_input(X, device=self._fitted_device(), shape=self.input_shape_,
                                       owner=f"this {type(self).__name__}")
        return self.scaler_(Xt), kind, device

    def _fitted_device(self):
        return self.autoencoder_._fitted_device()

    # ------------------------------------------------------------------ scikit-learn's clusterer API
    def predict_proba(self, X):
        """Probability of each cluster for every sample: (N, n_clusters)."""
        Xs, kind, device = self._input(X)
        return to_output(self._proba(Xs), kind, device)

    def predict(self, X):
        """The cluster of every sample: (N,) int64."""
        Xs, kind, device = self._input(X)
        return to_output(self._proba(Xs).argmax(1), kind, device)

    def transform(self, X):
        """The codes of the (refined) encoder: (N, latent_dim)."""
        Xs, kind, device = self._input(X)
        return to_output(self._codes(Xs), kind, device)

    def score_samples(self, X):
        """Log-density of every sample's code under the clustering's mixture (the mixture on the
        codes or on their embedding; for ``aae``/``vade`` the prior): (N,), higher = more typical."""
        Xs, kind, device = self._input(X)
        return to_output(self._log_density(Xs).double(), kind, device)

    def representatives(self, X, n: int = 10):
        """For each cluster, the indices of the ``n`` samples of X (assigned to it) nearest its centre
        in the clustering space: (n_clusters, n) int64, -1 where a cluster has fewer samples."""
        Xs, _, _ = self._input(X)
        space = self._space(Xs).cpu()
        labels = self._proba(Xs).argmax(1).cpu()
        out = np.full((self.n_clusters, n), -1, dtype=np.int64)
        for j in range(self.n_clusters):
            members = torch.nonzero(labels == j).flatten()
            if len(members):
                d = (space[members] - space[members].mean(0)).norm(dim=1)
                best = members[d.argsort()[:n]]
                out[j, :len(best)] = best.numpy()
        return out

    # ------------------------------------------------------------------ persistence (a composite)
    def save(self, path: str | Path) -> Path:
        """One run folder: config.json, the autoencoder and the mixture in sub-folders."""
        from ..core.persist import save_model

        return save_model(self, path)

    def _saved_children(self) -> dict:
        children = {"autoencoder": self.autoencoder_}
        if self.mixture_ is not None:
            children["mixture"] = self.mixture_
        return children

    def _attach_children(self, children: dict) -> None:
        self.autoencoder_, self.mixture_ = children["autoencoder"], children.get("mixture")

    def _save_tensors(self, file: Path) -> None:
        tensors = {"labels": torch.as_tensor(self.labels_).cpu(), **self.scaler_.tensors()}
        if self.manifold_codes_ is not None:
            tensors.update(manifold_codes=self.manifold_codes_, manifold_embedding=self.manifold_embedding_)
        save_tensors(tensors, file)

    def _fitted_config(self) -> dict:
        return {"clusterer": self.clusterer_, "input_shape": list(self.input_shape_), "output_kind": self.output_kind_,
                "fit_seconds": self.fit_seconds_, "refine_changed": getattr(self, "refine_changed_", None)}

    def _load_fitted(self, fitted: dict, file: Path) -> None:
        t = load_tensors(file, "cpu")
        self.clusterer_, self.output_kind_ = fitted["clusterer"], fitted.get("output_kind", "torch")
        self.input_shape_ = tuple(fitted["input_shape"])
        self.fit_seconds_ = fitted.get("fit_seconds")
        if fitted.get("refine_changed") is not None:
            self.refine_changed_ = fitted["refine_changed"]
        self.scaler_ = TableScaler.from_tensors(t)
        self.manifold_codes_, self.manifold_embedding_ = t.get("manifold_codes"), t.get("manifold_embedding")
        self.labels_ = to_output(t["labels"], self.output_kind_)
