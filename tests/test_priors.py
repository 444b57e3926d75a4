"""latentmix.priors: densities against scipy, sampling statistics, KL, build/validation, spec parsing,
the categorical prior, and a learnable mixture prior surviving save/load inside a VAE."""

import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp, softmax
from scipy.stats import multivariate_normal
from sklearn.datasets import make_blobs

import latentmix as lm
from latentmix.exceptions import InvalidParameterError
from latentmix.priors import (
    CategoricalPrior,
    GaussianMixturePrior,
    Prior,
    StandardNormalPrior,
    check_prior,
    prior_from_spec,
)

pytestmark = pytest.mark.usefixtures("one_thread")

# A 3-component mixture in 3 dimensions, unequal weights, explicit diagonal and full covariances.
MEANS = np.array([[0.0, 1.0, -1.0], [3.0, -2.0, 0.5], [-2.5, 0.0, 2.0]])
WEIGHTS = np.array([0.2, 0.3, 0.5])
DIAG = np.array([[0.5, 1.0, 2.0], [1.5, 0.3, 0.8], [1.0, 1.0, 0.25]])


def _full_covariances() -> np.ndarray:
    rng = np.random.default_rng(0)
    covs = []
    for _ in range(3):
        a = rng.normal(size=(3, 3))
        covs.append(a @ a.T + 0.5 * np.eye(3))
    return np.stack(covs)


FULL = _full_covariances()


def _prior(covariance_type: str, **kw) -> GaussianMixturePrior:
    covs = DIAG if covariance_type == "diag" else FULL
    return GaussianMixturePrior(3, 3, means=MEANS.tolist(), covariances=covs.tolist(), weights=WEIGHTS.tolist(),
                                covariance_type=covariance_type, **kw)


def _reference_component_log_prob(z: np.ndarray, covariance_type: str) -> np.ndarray:
    """log w_j + log N(z | mu_j, Sigma_j) with scipy: (n, k)."""
    covs = DIAG if covariance_type == "diag" else FULL
    cols = []
    for j in range(3):
        cov = np.diag(covs[j]) if covariance_type == "diag" else covs[j]
        cols.append(np.log(WEIGHTS[j]) + multivariate_normal(MEANS[j], cov).logpdf(z))
    return np.stack(cols, 1)


def _points(n=300, seed=1) -> np.ndarray:
    return np.random.default_rng(seed).normal(scale=2.0, size=(n, 3))


# ---------------------------------------------------------------------------------------- densities
@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_log_prob_matches_scipy(covariance_type):
    z = _points()
    prior = _prior(covariance_type)
    ref = _reference_component_log_prob(z, covariance_type)
    zt = torch.tensor(z, dtype=torch.float32)
    comp = prior.component_log_prob(zt).double().numpy()
    assert comp.shape == (300, 3)
    np.testing.assert_allclose(comp, ref, rtol=1e-5, atol=1e-4)
    lp = prior.log_prob(zt).double().numpy()
    assert lp.shape == (300,)
    np.testing.assert_allclose(lp, logsumexp(ref, axis=1), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_predict_proba_matches_scipy_responsibilities(covariance_type):
    z = _points(seed=2)
    prior = _prior(covariance_type)
    zt = torch.tensor(z, dtype=torch.float32)
    proba = prior.predict_proba(zt).double().numpy()
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-5)
    ref = softmax(_reference_component_log_prob(z, covariance_type), axis=1)
    np.testing.assert_allclose(proba, ref, atol=1e-4)
    np.testing.assert_allclose(prior.log_responsibilities(zt).exp().double().numpy(), ref, atol=1e-4)
    np.testing.assert_array_equal(prior.predict(zt).numpy(), ref.argmax(1))


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_gradient_wrt_z_is_the_mixture_score(covariance_type):
    """d log p / dz = sum_j r_j Sigma_j^-1 (mu_j - z), checked against the closed form."""
    z = _points(50, seed=3)
    prior = _prior(covariance_type)
    zt = torch.tensor(z, dtype=torch.float32, requires_grad=True)
    (grad,) = torch.autograd.grad(prior.log_prob(zt).sum(), zt)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    resp = softmax(_reference_component_log_prob(z, covariance_type), axis=1)
    covs = DIAG if covariance_type == "diag" else FULL
    expected = np.zeros_like(z)
    for j in range(3):
        prec = np.diag(1 / covs[j]) if covariance_type == "diag" else np.linalg.inv(covs[j])
        expected += resp[:, j:j + 1] * ((MEANS[j] - z) @ prec.T)
    np.testing.assert_allclose(grad.double().numpy(), expected, rtol=1e-3, atol=1e-4)


def test_learnable_prior_has_parameters_with_gradients():
    prior = GaussianMixturePrior(3, dim=2, learnable=True)
    names = {n for n, _ in prior.named_parameters()}
    assert names == {"means", "scale", "logits"}
    z = torch.randn(64, 2, generator=torch.Generator().manual_seed(0)) * 4
    grads = torch.autograd.grad(prior.log_prob(z).mean(), [prior.means, prior.scale, prior.logits])
    for g in grads:
        assert torch.isfinite(g).all() and g.abs().sum() > 0
    # fixed priors keep their state in buffers: nothing for an optimizer to train
    fixed = GaussianMixturePrior(3, dim=2)
    assert list(fixed.parameters()) == []
    assert {n for n, _ in fixed.named_buffers()} == {"means", "scale", "logits"}


# ---------------------------------------------------------------------------------------- sampling
@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_sample_statistics_per_component(covariance_type):
    prior = _prior(covariance_type)
    z, labels = prior.sample(20000, generator=torch.Generator().manual_seed(0))
    assert z.shape == (20000, 3) and z.dtype == torch.float32
    assert labels.shape == (20000,) and labels.dtype == torch.long
    assert set(labels.unique().tolist()) == {0, 1, 2}
    freq = torch.bincount(labels, minlength=3).double().numpy() / 20000
    np.testing.assert_allclose(freq, WEIGHTS, atol=0.015)
    covs = DIAG if covariance_type == "diag" else FULL
    zn, ln = z.double().numpy(), labels.numpy()
    for j in range(3):
        part = zn[ln == j]
        cov = np.diag(covs[j]) if covariance_type == "diag" else covs[j]
        scale = np.sqrt(np.diag(cov))
        np.testing.assert_allclose(part.mean(0), MEANS[j], atol=0.08 * scale.max())
        np.testing.assert_allclose(np.cov(part.T), cov, atol=0.1 * np.abs(cov).max())


def test_sample_component_k_draws_only_from_k():
    prior = _prior("full")
    for k in range(3):
        z, labels = prior.sample(5000, generator=torch.Generator().manual_seed(k), component=k)
        assert (labels == k).all()
        np.testing.assert_allclose(z.double().mean(0).numpy(), MEANS[k], atol=0.15)
        np.testing.assert_allclose(np.cov(z.double().numpy().T), FULL[k], atol=0.1 * np.abs(FULL[k]).max())


def test_same_generator_seed_gives_identical_draws():
    prior = GaussianMixturePrior(4, dim=3)
    a = prior.sample(100, generator=torch.Generator().manual_seed(7))
    b = prior.sample(100, generator=torch.Generator().manual_seed(7))
    c = prior.sample(100, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    s1 = StandardNormalPrior(3).sample(10, generator=torch.Generator().manual_seed(1))
    s2 = StandardNormalPrior(3).sample(10, generator=torch.Generator().manual_seed(1))
    assert torch.equal(s1[0], s2[0]) and s1[1] is None and s1[0].shape == (10, 3)


@pytest.mark.parametrize("k,d", [(3, 2), (4, 2), (10, 5), (6, 3), (2, 1)])
def test_default_means_are_separated(k, d):
    radius = 4.0
    prior = GaussianMixturePrior(k, dim=d, radius=radius)
    m = prior.means.double()
    assert m.shape == (k, d)
    np.testing.assert_allclose(m.norm(dim=1).numpy(), radius, rtol=1e-6)
    dist = torch.cdist(m, m) + torch.diag(torch.full((k,), math.inf, dtype=torch.float64))
    assert dist.min() >= radius * math.sqrt(2) * (1 - 1e-6)


@pytest.mark.parametrize("k,d", [(10, 2), (10, 3), (20, 8)])
def test_default_means_are_separated_beyond_2d_components(k, d):
    prior = GaussianMixturePrior(k, dim=d, radius=5.0)
    m = prior.means.double()
    dist = torch.cdist(m, m) + torch.diag(torch.full((k,), math.inf, dtype=torch.float64))
    # 2-D: evenly on the circle; more dimensions: farthest-point picks, far beyond a std of 1
    bound = 2 * 5.0 * math.sin(math.pi / k) if d == 2 else 0.7 * 5.0
    assert dist.min() >= bound * (1 - 1e-6)


def test_unbuilt_prior_cannot_sample():
    with pytest.raises(InvalidParameterError, match="dim"):
        GaussianMixturePrior(3).sample(5)
    with pytest.raises(InvalidParameterError, match="dim"):
        StandardNormalPrior().sample(5)
    with pytest.raises(InvalidParameterError):
        StandardNormalPrior(2).sample(5, component=0)


# ---------------------------------------------------------------------------------------- from_mixture
@pytest.mark.parametrize("covariance_type,d", [("full", 2), ("diag", 3), ("full", 3), ("diag", 2),
                                               ("tied", 2), ("spherical", 3)])
def test_from_mixture_matches_score_samples(covariance_type, d):
    X, _ = make_blobs(n_samples=3000, n_features=d, centers=3, cluster_std=[0.5, 1.0, 1.5], random_state=0)
    gm = lm.GaussianMixture(n_components=3, covariance_type=covariance_type, random_state=0, device="cpu").fit(X)
    prior = GaussianMixturePrior.from_mixture(gm)
    assert prior.dim == d and prior.n_components == 3
    assert prior.covariance_type == ("diag" if covariance_type in ("diag", "spherical") else "full")
    ref = np.asarray(gm.score_samples(X[:500]), dtype=np.float64)
    got = prior.log_prob(torch.tensor(X[:500], dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(prior.predict(torch.tensor(X[:500], dtype=torch.float32)).numpy(),
                                  np.asarray(gm.predict(X[:500])))


def test_from_mixture_needs_a_fitted_mixture():
    with pytest.raises(InvalidParameterError):
        GaussianMixturePrior.from_mixture(lm.GaussianMixture(2))
    with pytest.raises(InvalidParameterError):
        GaussianMixturePrior.from_mixture("gmm")


# ---------------------------------------------------------------------------------------- KL
def test_standard_normal_kl_is_the_closed_form():
    g = torch.Generator().manual_seed(0)
    mean, logvar = torch.randn(20, 4, generator=g), torch.randn(20, 4, generator=g)
    kl = StandardNormalPrior(4).kl(mean, logvar, torch.zeros(20, 4))
    q = torch.distributions.Normal(mean, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(4), torch.ones(4))
    expected = torch.distributions.kl_divergence(q, p).sum(1)
    assert kl.shape == (20,)
    torch.testing.assert_close(kl, expected, rtol=1e-5, atol=1e-5)
    assert torch.allclose(StandardNormalPrior(4).kl(torch.zeros(3, 4), torch.zeros(3, 4), torch.zeros(3, 4)),
                          torch.zeros(3))


def _mc_kl(prior: Prior, mean: torch.Tensor, logvar: torch.Tensor, n: int, seed: int = 0) -> float:
    g = torch.Generator().manual_seed(seed)
    m, lv = mean.expand(n, -1), logvar.expand(n, -1)
    z = m + torch.randn(n, mean.shape[1], generator=g) * (0.5 * lv).exp()
    return float(prior.kl(m, lv, z).double().mean())


def test_single_component_mixture_kl_matches_standard_normal():
    d = 3
    mix = GaussianMixturePrior(1, dim=d, means=[[0.0] * d], weights=[1.0], std=1.0)
    mean, logvar = torch.tensor([[0.8, -0.5, 1.2]]), torch.tensor([[-0.7, 0.3, 0.0]])
    closed = float(StandardNormalPrior(d).kl(mean, logvar, mean)[0])
    mc = _mc_kl(mix, mean, logvar, 200_000)
    assert closed > 0.5
    assert abs(mc - closed) < 0.02 * closed


def test_mixture_kl_monte_carlo_approaches_numerical_kl():
    """1-D: KL(q || p) by quadrature on a fine grid vs the mean of the one-sample MC estimates."""
    prior = GaussianMixturePrior(2, dim=1, means=[[-2.0], [2.0]], covariances=[[1.0], [0.5]], weights=[0.3, 0.7])
    mu, sigma = 0.5, 0.8
    x = np.linspace(mu - 12 * sigma, mu + 12 * sigma, 200_001)
    log_q = -0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma * math.sqrt(2 * math.pi))
    log_p = logsumexp(np.stack([np.log(0.3) + multivariate_normal(-2.0, 1.0).logpdf(x),
                                np.log(0.7) + multivariate_normal(2.0, 0.5).logpdf(x)]), axis=0)
    f = np.exp(log_q) * (log_q - log_p)
    numeric = float(np.sum(0.5 * (f[1:] + f[:-1]) * np.diff(x)))  # the trapezoidal rule
    mc = _mc_kl(prior, torch.tensor([[mu]]), torch.tensor([[2 * math.log(sigma)]]), 200_000)
    assert numeric > 0.3
    assert abs(mc - numeric) < 0.02 * numeric


# ---------------------------------------------------------------------------------------- build
def test_build_checks_dim():
    with pytest.raises(InvalidParameterError, match="dim"):
        GaussianMixturePrior(3, dim=5).build(4)
    with pytest.raises(InvalidParameterError, match="dim"):
        StandardNormalPrior(2).build(3)
    spec = GaussianMixturePrior(3, radius=2.0, learnable=True)
    built = spec.build(4)
    assert built is not spec and spec.dim is None and built.dim == 4
    assert built.means.shape == (3, 4) and isinstance(built.means, torch.nn.Parameter)
    np.testing.assert_allclose(built.means.detach().norm(dim=1).numpy(), 2.0, rtol=1e-6)
    assert GaussianMixturePrior(3, dim=4).build(4).dim == 4
    assert check_prior(None, 6).dim == 6 and isinstance(check_prior(None, 6), StandardNormalPrior)
    with pytest.raises(InvalidParameterError, match="prior"):
        check_prior("gmm:3", 4)
    with pytest.raises(InvalidParameterError, match="dim"):
        check_prior(CategoricalPrior(4), 5)
    assert check_prior(CategoricalPrior(4), 4).dim == 4


def test_model_rejects_a_prior_of_another_dim():
    X = lm.datasets.load("digits")[0][:100]
    with pytest.raises(InvalidParameterError, match="dim"):
        lm.VAE(latent_dim=4, prior=GaussianMixturePrior(3, dim=5), epochs=1, device="cpu", verbose=0).fit(X)


# ---------------------------------------------------------------------------------------- validation
@pytest.mark.parametrize("kwargs", [
    dict(n_components=0, dim=2),
    dict(n_components=2.5, dim=2),
    dict(n_components=True, dim=2),
    dict(n_components=2, dim=0),
    dict(n_components=2, dim=2, std=-1),
    dict(n_components=2, dim=2, std=0.0),
    dict(n_components=2, dim=2, radius=float("nan")),
    dict(n_components=2, dim=2, weights=[0.5, 0.6]),
    dict(n_components=2, dim=2, weights=[1.5, -0.5]),
    dict(n_components=2, dim=2, weights=[1.0]),
    dict(n_components=2, dim=2, means=[[0.0, 0.0]]),
    dict(n_components=2, dim=2, means=[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]),
    dict(n_components=2, dim=2, means=[[0.0, float("nan")], [1.0, 1.0]]),
    dict(n_components=2, dim=2, covariances=[[1.0, -1.0], [1.0, 1.0]]),
    dict(n_components=2, dim=2, covariance_type="full", covariances=[[[1.0, 2.0], [2.0, 1.0]], np.eye(2).tolist()]),
    dict(n_components=2, dim=2, covariance_type="full", covariances=[[[1.0, 0.0], [0.0, 0.0]], np.eye(2).tolist()]),
    dict(n_components=2, dim=2, covariance_type="full", covariances=[[1.0, 1.0], [1.0, 1.0]]),
    dict(n_components=2, dim=2, covariance_type="full", learnable=True),
    dict(n_components=2, dim=2, covariance_type="tied"),
    dict(n_components=2, dim=2, learnable="yes"),
])
def test_bad_arguments(kwargs):
    with pytest.raises(InvalidParameterError):
        GaussianMixturePrior(**kwargs)


def test_bad_arguments_of_a_specification_fail_at_build():
    spec = GaussianMixturePrior(2, weights=[0.5, 0.6])  # dim=None: a specification
    with pytest.raises(InvalidParameterError, match="weights"):
        spec.build(2)
    with pytest.raises(InvalidParameterError, match="means"):
        GaussianMixturePrior(2, means=[[0.0, 0.0], [1.0, 1.0]]).build(3)


@pytest.mark.parametrize("kwargs", [dict(n_classes=0), dict(n_classes=3, dim=4), dict(n_classes=2, weights=[0.2, 0.2]),
                                    dict(n_classes=2, weights=[0.5, 0.5, 0.0])])
def test_categorical_bad_arguments(kwargs):
    with pytest.raises(InvalidParameterError):
        CategoricalPrior(**kwargs)


# ---------------------------------------------------------------------------------------- specs
def test_prior_from_spec():
    p = prior_from_spec("gmm:10")
    assert isinstance(p, GaussianMixturePrior) and p.n_components == 10 and p.dim is None
    c = prior_from_spec("categorical:4")
    assert isinstance(c, CategoricalPrior) and c.n_components == 4 and c.dim == 4
    n = prior_from_spec("normal")
    assert isinstance(n, StandardNormalPrior) and n.n_components is None
    d = prior_from_spec({"type": "gmm", "n_components": 5, "learnable": True, "std": 0.5})
    assert isinstance(d, GaussianMixturePrior) and d.n_components == 5
    assert d.get_params()["learnable"] is True and d.get_params()["std"] == 0.5
    built = d.build(3)
    assert len(list(built.parameters())) == 3
    torch.testing.assert_close(built.scale.detach(), torch.full((5, 3), math.log(0.25)))
    same = GaussianMixturePrior(2)
    assert prior_from_spec(same) is same
    assert prior_from_spec("gmm").n_components == 10


@pytest.mark.parametrize("spec", ["gmm:x", "gmm:0", "gmm:-2", "nope", "nope:3", 3, None, ["gmm"], "normal:3",
                                  {"type": "gmm", "bogus": 1}, {"n_components": 3}, {"type": "wat"}])
def test_prior_from_spec_errors(spec):
    with pytest.raises(InvalidParameterError):
        prior_from_spec(spec)


def test_prior_from_spec_with_a_non_ascii_digit():
    with pytest.raises(InvalidParameterError):
        prior_from_spec("gmm:\u00b2")


# ---------------------------------------------------------------------------------------- categorical
def test_categorical_prior():
    w = [0.1, 0.2, 0.3, 0.4]
    prior = CategoricalPrior(4, weights=w)
    z, labels = prior.sample(20000, generator=torch.Generator().manual_seed(0))
    assert z.shape == (20000, 4) and labels.shape == (20000,)
    assert set(z.unique().tolist()) == {0.0, 1.0} and (z.sum(1) == 1).all()
    assert torch.equal(z.argmax(1), labels) and torch.equal(prior.predict(z), labels)
    np.testing.assert_allclose(torch.bincount(labels, minlength=4).double().numpy() / 20000, w, atol=0.015)
    eye = torch.eye(4)
    torch.testing.assert_close(prior.log_prob(eye), torch.tensor(w).log())
    soft = torch.tensor([[0.1, 0.7, 0.1, 0.1], [2.0, 0.0, 0.0, 3.0]])
    assert prior.predict(soft).tolist() == [1, 3]
    torch.testing.assert_close(prior.predict_proba(soft).sum(1), torch.ones(2))
    zk, lk = prior.sample(50, component=2)
    assert (lk == 2).all() and torch.equal(zk, eye[[2] * 50])
    a = prior.sample(30, generator=torch.Generator().manual_seed(3))[0]
    b = prior.sample(30, generator=torch.Generator().manual_seed(3))[0]
    assert torch.equal(a, b)
    assert prior.build(4).dim == 4


# ---------------------------------------------------------------------------------------- persistence
def test_learnable_mixture_prior_survives_save_and_load(tmp_path):
    X = lm.datasets.load("digits")[0]
    latent = 4
    initial = GaussianMixturePrior(3, dim=latent, learnable=True).means.detach().clone()
    model = lm.VAE(latent_dim=latent, prior=GaussianMixturePrior(3, learnable=True), epochs=2, batch_size=64,
                   device="cpu", verbose=0, random_state=0).fit(X)
    trained = model.networks_["prior"]
    assert isinstance(trained.means, torch.nn.Parameter)
    assert not torch.allclose(trained.means.detach(), initial)  # the prior was trained with the model
    assert model.prior.dim is None  # the constructor's specification is untouched
    model.save(tmp_path / "vade")
    loaded = lm.load(tmp_path / "vade")
    lp = loaded.networks_["prior"]
    assert isinstance(lp, GaussianMixturePrior) and lp.learnable
    for name in ("means", "scale", "logits"):
        assert torch.equal(getattr(lp, name).detach().cpu(), getattr(trained, name).detach().cpu()), name
    np.testing.assert_array_equal(np.asarray(loaded.predict(X[:300])), np.asarray(model.predict(X[:300])))
