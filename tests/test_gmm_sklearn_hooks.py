"""scikit-learn's private BaseMixture hooks that latentmix provides, against scikit-learn's own
on models with the same parameters (float64)."""

import numpy as np
import pytest
import torch
from sklearn.mixture import GaussianMixture as SkGaussianMixture

import latentmix as lm
from latentmix.exceptions import InvalidParameterError


def _pair(cov):
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(size=(150, 3)) * [1, 2, 0.5], rng.normal(size=(150, 3)) + 4])
    sk = SkGaussianMixture(3, covariance_type=cov, random_state=0).fit(X)
    ours = lm.GaussianMixture(3, covariance_type=cov, random_state=1, max_iter=2, device="cpu").fit(X)
    ours._set_parameters(sk._get_parameters())  # scikit-learn's parameters into latentmix
    return X, sk, ours


@pytest.mark.parametrize("cov", ["full", "tied", "diag", "spherical"])
def test_hooks_agree_with_scikit_learn(cov):
    X, sk, ours = _pair(cov)
    for a, b in zip(ours._get_parameters(), sk._get_parameters()):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours._estimate_log_weights(), sk._estimate_log_weights(), rtol=1e-12)
    np.testing.assert_allclose(ours._estimate_log_prob(X), sk._estimate_log_prob(X), rtol=1e-10)
    np.testing.assert_allclose(ours._estimate_weighted_log_prob(X), sk._estimate_weighted_log_prob(X), rtol=1e-10)
    ours_norm, ours_resp = ours._estimate_log_prob_resp(X)
    sk_norm, sk_resp = sk._estimate_log_prob_resp(X)
    np.testing.assert_allclose(ours_norm, sk_norm, rtol=1e-10)
    np.testing.assert_allclose(ours_resp, sk_resp, rtol=1e-8, atol=1e-8)
    mean, log_resp = ours._e_step(X)
    assert mean == pytest.approx(sk._e_step(X)[0], rel=1e-12)
    assert ours._compute_lower_bound(log_resp, mean) == sk._compute_lower_bound(log_resp, mean)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), rtol=1e-8, atol=1e-10)


def test_hooks_keep_torch_in_torch_out():
    X = torch.randn(100, 2, dtype=torch.float64)
    gm = lm.GaussianMixture(2, random_state=0, device="cpu").fit(X)
    assert isinstance(gm._estimate_log_weights(), torch.Tensor)
    assert isinstance(gm._e_step(X)[1], torch.Tensor)
    gm._set_parameters(gm._get_parameters())
    assert isinstance(gm.means_, torch.Tensor)


def test_set_parameters_checks_its_input():
    X, sk, ours = _pair("full")
    w, m, c, p = sk._get_parameters()
    with pytest.raises(InvalidParameterError, match="upper triangular"):
        ours._set_parameters((w, m, c, p.transpose(0, 2, 1)))
    with pytest.raises(InvalidParameterError, match="shape"):
        ours._set_parameters((w, m, c, p[:2]))
    with pytest.raises(InvalidParameterError, match="params must be"):
        ours._set_parameters((w, m))
    with pytest.raises(Exception, match="normalized"):
        ours._set_parameters((w * 0.5, m, c, p))
    with pytest.raises(Exception, match="not fitted"):
        lm.GaussianMixture(3)._get_parameters()
