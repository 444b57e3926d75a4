"""The GAN losses against their papers' formulas, written directly with sigmoid and log."""

import pytest
import torch

from latentmix.models import gan_losses as gl

torch.manual_seed(0)
REAL = torch.randn(16, 1) * 2 + 1
FAKE = torch.randn(24, 1) * 2 - 1


def D(t):  # the discriminator's probability of "real"
    return torch.sigmoid(t)


@pytest.mark.parametrize("name", ["minimax", "ns", "hinge", "wgan-gp", "lsgan"])
def test_every_loss_rewards_the_right_player(name):
    # A pair wired the wrong way round (d and g swapped, a sign lost, real and fake exchanged)
    # would still run; it fails here: a discriminator that separates real (+3) from fake (-3)
    # must score better than one that confuses them, and a generator whose fakes pass as real
    # must score better than one whose fakes are caught.
    d_loss, g_loss = gl.LOSSES[name]
    sure, fooled = torch.full((8, 1), 3.0), torch.full((8, 1), -3.0)
    assert d_loss(REAL, FAKE).shape == () and g_loss(FAKE).shape == ()
    assert float(d_loss(sure, fooled)) < float(d_loss(fooled, sure))
    assert float(g_loss(sure)) < float(g_loss(fooled))
    assert (name in gl.PENALTIES) == (name == "wgan-gp")  # only WGAN-GP adds a penalty term


def test_minimax_and_ns_goodfellow_2014():
    # D maximises log D(x) + log(1 - D(G(z))): its loss is the negative.
    d_expected = -(torch.log(D(REAL)).mean() + torch.log(1 - D(FAKE)).mean())
    for name in ("minimax", "ns"):
        torch.testing.assert_close(gl.LOSSES[name].d_loss(REAL, FAKE), d_expected)
    torch.testing.assert_close(gl.LOSSES["minimax"].g_loss(FAKE), torch.log(1 - D(FAKE)).mean())
    torch.testing.assert_close(gl.LOSSES["ns"].g_loss(FAKE), -torch.log(D(FAKE)).mean())


def test_hinge_lim_ye_2017_miyato_2018():
    d_expected = -torch.clamp(-1 + REAL, max=0).mean() - torch.clamp(-1 - FAKE, max=0).mean()
    torch.testing.assert_close(gl.LOSSES["hinge"].d_loss(REAL, FAKE), d_expected)
    torch.testing.assert_close(gl.LOSSES["hinge"].g_loss(FAKE), -FAKE.mean())


def test_wasserstein_critic_and_generator():
    torch.testing.assert_close(gl.LOSSES["wgan-gp"].d_loss(REAL, FAKE), FAKE.mean() - REAL.mean())
    torch.testing.assert_close(gl.LOSSES["wgan-gp"].g_loss(FAKE), -FAKE.mean())


def test_lsgan_mao_2017():
    a, b, c = 0.0, 1.0, 1.0
    d_expected = 0.5 * ((REAL - b) ** 2).mean() + 0.5 * ((FAKE - a) ** 2).mean()
    torch.testing.assert_close(gl.LOSSES["lsgan"].d_loss(REAL, FAKE), d_expected)
    torch.testing.assert_close(gl.LOSSES["lsgan"].g_loss(FAKE), 0.5 * ((FAKE - c) ** 2).mean())


def test_cross_entropies_are_stable_for_confident_logits():
    big = torch.tensor([[100.0], [-100.0]])
    for d_loss, g_loss in gl.LOSSES.values():
        assert torch.isfinite(d_loss(big, big)) and torch.isfinite(g_loss(big))
    torch.testing.assert_close(gl.ns_g_loss(torch.tensor([[-100.0]])), torch.tensor(100.0))


class Linear(torch.nn.Module):
    """D(x) = w . flatten(x)."""

    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(w.flatten().clone())

    def forward(self, x):
        return (x.flatten(1) * self.w).sum(1, keepdim=True)


@pytest.mark.parametrize("shape", [(6,), (2, 3, 3)])
def test_gradient_penalty_of_a_linear_critic(shape):
    real, fake = torch.rand(8, *shape), torch.rand(8, *shape)
    w = torch.randn(shape)
    unit = Linear(w / w.norm())
    assert float(gl.gradient_penalty(unit, real, fake, weight=10.0).detach()) == pytest.approx(0.0, abs=1e-6)
    critic = Linear(3 * w / w.norm())  # ||grad|| = 3 everywhere: 10 * (3 - 1)^2 = 40
    penalty = gl.gradient_penalty(critic, real, fake, weight=10.0)
    assert float(penalty.detach()) == pytest.approx(40.0, rel=1e-5)
    penalty.backward()  # create_graph: the penalty trains the critic
    assert critic.w.grad is not None and float(critic.w.grad.norm()) > 0


def test_r1_penalty_of_a_linear_critic():
    # D(x) = w . x has grad w everywhere: R1 = weight / 2 * |w|^2, whatever the samples
    w = torch.tensor([3.0, -4.0])
    critic = Linear(w)
    penalty = gl.r1_penalty(critic, torch.randn(7, 2), weight=2.0)
    assert float(penalty.detach()) == pytest.approx(25.0, rel=1e-6)
    penalty.backward()  # the graph is kept: the penalty trains the critic (d/dw = weight * w)
    torch.testing.assert_close(critic.w.grad, 2.0 * w)


def test_gradient_penalty_uses_the_per_sample_norm_over_all_dimensions():
    real, fake = torch.rand(5, 3, 4, 4), torch.rand(5, 3, 4, 4)
    eps = torch.rand(5)

    def critic(x):  # D(x) = ||x||^2 / 2: grad_x D = x, so the norm differs per sample
        return 0.5 * x.pow(2).flatten(1).sum(1, keepdim=True)

    xhat = eps[:, None, None, None] * real + (1 - eps[:, None, None, None]) * fake
    norms = xhat.flatten(1).norm(dim=1)  # (5,): over C, H and W together
    expected = 2.5 * ((norms - 1) ** 2).mean()
    torch.testing.assert_close(gl.gradient_penalty(critic, real, fake, weight=2.5, eps=eps), expected)
    per_channel = 2.5 * ((xhat.flatten(2).norm(dim=2) - 1) ** 2).mean()  # the usual mistake
    assert not torch.allclose(expected, per_channel)


def test_gradient_penalty_draws_one_eps_per_sample():
    torch.manual_seed(1)
    real, fake = torch.zeros(4, 2, 3, 3), torch.ones(4, 2, 3, 3)
    seen = []

    def critic(x):
        seen.append(x.detach().clone())
        return x.flatten(1).sum(1, keepdim=True)

    gl.gradient_penalty(critic, real, fake)
    xhat = seen[0]  # = 1 - eps, constant within each sample, different across samples
    per_sample = xhat.flatten(1)
    assert torch.allclose(per_sample, per_sample[:, :1].expand_as(per_sample))
    assert len(set(per_sample[:, 0].tolist())) == 4
