"""The triangle-skipping full-covariance products (latentmix.mixture._scatter) against the
plain formulas, in float64, for every block count."""

import pytest
import torch

from latentmix.mixture import _scatter as S


def _data(n, d, k, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=torch.float64) * 3 + 1
    resp = torch.rand(n, k, generator=g, dtype=torch.float64)
    resp /= resp.sum(1, keepdim=True)
    means = torch.randn(k, d, generator=g, dtype=torch.float64)
    A = torch.randn(k, d, d, generator=g, dtype=torch.float64)
    prec_chol = torch.linalg.cholesky(A @ A.transpose(1, 2) + d * torch.eye(d, dtype=torch.float64))
    prec_chol = prec_chol.transpose(1, 2).contiguous()  # upper triangular, as the mixture keeps it
    return X, resp, means, prec_chol


@pytest.mark.parametrize("d", [1, 5, 16, 33, 50])
@pytest.mark.parametrize("blocks", [None, 1, 2, 3, "d"])
def test_moments_and_norms_match_the_plain_formulas(d, blocks):
    b = d if blocks == "d" else blocks
    if b is not None and b > d:
        pytest.skip("more blocks than features")
    n, k = 37, 4
    X, resp, means, prec_chol = _data(n, d, k)
    Xa = torch.cat([torch.ones(n, 1, dtype=X.dtype), X], 1).T.contiguous()  # (1 + d, n)
    sx, sxx = S.weighted_moments(Xa, resp, b)
    torch.testing.assert_close(sx, resp.T @ X, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(sxx, torch.einsum("nk,nd,ne->kde", resp, X, X), rtol=1e-12, atol=1e-10)
    if b is None or b > 1:  # the blocks off the diagonal are exact mirror images
        s, e = S.block_bounds(d, b)[-1]
        assert torch.equal(sxx[:, s:, :s], sxx[:, :s, s:].transpose(1, 2))
    mats = S.whitening_blocks(means, prec_chol, b)
    y = torch.einsum("nkd,kde->nke", X[:, None] - means[None], prec_chol)  # (x - mu_j)^T P_j
    torch.testing.assert_close(S.whitened_sq_norms(Xa, mats, k), (y * y).sum(-1), rtol=1e-12, atol=1e-9)


def test_the_blocks_skip_flops():
    """The products' inner sizes shrink block by block: this is where the flops go."""
    mats = S.whitening_blocks(torch.zeros(2, 48), torch.eye(48).expand(2, 48, 48).contiguous())
    assert [m.shape[1] for m in mats] == [1 + 16, 1 + 32, 1 + 48]
    assert S.block_bounds(48) == [(0, 16), (16, 32), (32, 48)]
    assert S.block_bounds(20) == [(0, 20)]


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="n_features"):
        S.n_blocks(0)
    with pytest.raises(ValueError, match="blocks"):
        S.block_bounds(4, 5)
    with pytest.raises(ValueError, match="XaT must be"):
        S.weighted_moments(torch.ones(4, 3), torch.ones(2, 2))
    with pytest.raises(ValueError, match="prec_chol"):
        S.whitening_blocks(torch.zeros(2, 3), torch.zeros(2, 3, 4))
