"""Tests of course_lib.gan: the discrete theory of the optimal discriminator, the losses and
their gradients against hand computations, the Lipschitz devices (clipping, gradient
penalty), and short seeded training runs (a WGAN-GP on the ring, a critic estimating W1)."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from course_lib.data import ring_of_gaussians
from course_lib.gan import (
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    clip_weights_,
    critic_loss,
    discriminator_loss,
    discriminator_step,
    gan_value,
    generator_loss_minimax,
    generator_loss_nonsaturating,
    generator_loss_wasserstein,
    gradient_penalty,
    jensen_shannon,
    optimal_discriminator,
    train_gan,
)
from course_lib.gan_metrics import mode_coverage, ring_protocol

from course_lib._validate import make_generator

F64 = torch.float64


_g = make_generator  # a seeded CPU generator


def _simplex(seed, k):
    w = torch.rand(k, generator=_g(seed), dtype=F64) + 0.05
    return w / w.sum()


class _Linear(nn.Module):
    """A linear critic ``f(x) = w·x + b`` with a chosen weight."""

    def __init__(self, w):
        super().__init__()
        self.lin = nn.Linear(len(w), 1).double()
        with torch.no_grad():
            self.lin.weight.copy_(torch.as_tensor(w, dtype=F64)[None])

    def forward(self, x):
        return self.lin(x).squeeze(-1)


# ---------------------------------------------------------------------------------------
# Discrete theory
# ---------------------------------------------------------------------------------------
def test_optimal_discriminator_maximises_the_value():
    p, q = _simplex(0, 7), _simplex(1, 7)
    d_star = optimal_discriminator(p, q)
    best = gan_value(d_star, p, q)
    for seed in range(20):
        delta = 0.05 * torch.randn(7, generator=_g(100 + seed), dtype=F64)
        d = (d_star + delta).clamp(1e-6, 1 - 1e-6)
        assert gan_value(d, p, q) < best
    # a coordinate-wise perturbation in either direction lowers it too
    for k in range(7):
        for s in (-1e-3, 1e-3):
            d = d_star.clone()
            d[k] += s
            assert gan_value(d, p, q) < best


def test_value_at_the_optimum_is_minus_log4_plus_2jsd():
    for seed in range(5):
        p, q = _simplex(seed, 9), _simplex(seed + 50, 9)
        value = gan_value(optimal_discriminator(p, q), p, q)
        assert abs(float(value) - (-math.log(4) + 2 * float(jensen_shannon(p, q)))) < 1e-12


def test_jensen_shannon_against_scipy_and_extremes():
    from scipy.spatial.distance import jensenshannon

    p, q = _simplex(3, 5), _simplex(4, 5)
    assert abs(float(jensen_shannon(p, q)) - jensenshannon(p.numpy(), q.numpy()) ** 2) < 1e-12
    assert abs(float(jensen_shannon(p, p))) < 1e-15
    disjoint_p = torch.tensor([0.5, 0.5, 0.0, 0.0], dtype=F64)
    disjoint_q = torch.tensor([0.0, 0.0, 0.25, 0.75], dtype=F64)
    assert abs(float(jensen_shannon(disjoint_p, disjoint_q)) - math.log(2)) < 1e-15
    # disjoint supports: D* is 1 on p's support, 0 on q's, the value is 0 = -log 4 + 2 log 2
    d = optimal_discriminator(disjoint_p, disjoint_q)
    assert torch.equal(d, torch.tensor([1.0, 1.0, 0.0, 0.0], dtype=F64))
    assert abs(float(gan_value(d, disjoint_p, disjoint_q))) < 1e-15


def test_optimal_discriminator_is_one_half_where_both_vanish():
    d = optimal_discriminator(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 3.0]))
    assert d.tolist() == [0.5, 0.25]


# ---------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------
def test_losses_equal_hand_computations():
    real = torch.randn(11, generator=_g(0), dtype=F64)
    fake = torch.randn(13, generator=_g(1), dtype=F64)
    sig = torch.sigmoid
    torch.testing.assert_close(discriminator_loss(real, fake),
                               -(torch.log(sig(real)).mean() + torch.log(1 - sig(fake)).mean()), rtol=1e-12, atol=0)
    torch.testing.assert_close(generator_loss_minimax(fake), torch.log(1 - sig(fake)).mean(), rtol=1e-12, atol=0)
    torch.testing.assert_close(generator_loss_nonsaturating(fake), -torch.log(sig(fake)).mean(), rtol=1e-12, atol=0)
    torch.testing.assert_close(critic_loss(real, fake), fake.mean() - real.mean(), rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(generator_loss_wasserstein(fake), -fake.mean(), rtol=1e-12, atol=0)
    for loss in (discriminator_loss(real, fake), generator_loss_minimax(fake)):
        assert loss.shape == ()


def test_losses_are_finite_for_extreme_logits():
    big = torch.tensor([-1e4, 1e4], dtype=torch.float32)
    for value in (discriminator_loss(big, big), generator_loss_minimax(big), generator_loss_nonsaturating(big)):
        assert torch.isfinite(value)


@pytest.mark.parametrize("logit", [-30.0, -100.0])
def test_nonsaturating_gradient_survives_where_minimax_saturates(logit):
    """D(G(z)) -> 0 (logit -> -inf): d/dl [-log σ(l)] -> -1, d/dl [log(1 - σ(l))] -> 0."""
    l1 = torch.tensor([logit], dtype=F64, requires_grad=True)
    generator_loss_nonsaturating(l1).backward()
    assert abs(float(l1.grad) + 1) < 1e-12
    l2 = torch.tensor([logit], dtype=F64, requires_grad=True)
    generator_loss_minimax(l2).backward()
    assert abs(float(l2.grad)) < 1e-12
    # at D = 1/2 both have the gradient -1/2 per sample (mean over b = 4: -1/8)
    l3 = torch.zeros(4, dtype=F64, requires_grad=True)
    generator_loss_nonsaturating(l3).backward()
    torch.testing.assert_close(l3.grad, torch.full((4,), -0.125, dtype=F64))
    l4 = torch.zeros(4, dtype=F64, requires_grad=True)
    generator_loss_minimax(l4).backward()
    torch.testing.assert_close(l4.grad, torch.full((4,), -0.125, dtype=F64))


# ---------------------------------------------------------------------------------------
# Lipschitz devices
# ---------------------------------------------------------------------------------------
def test_gradient_penalty_zero_for_unit_linear_critic_and_positive_otherwise():
    real = torch.randn(32, 3, generator=_g(0), dtype=F64)
    fake = torch.randn(32, 3, generator=_g(1), dtype=F64)
    w = torch.tensor([2.0, -1.0, 2.0], dtype=F64) / 3.0        # unit norm
    assert float(gradient_penalty(_Linear(w), real, fake, _g(2)).detach()) < 1e-24
    # gradient norm 2 everywhere: (2 - 1)² = 1 exactly
    torch.testing.assert_close(gradient_penalty(_Linear(2 * w), real, fake, _g(2)), torch.tensor(1.0, dtype=F64))
    torch.manual_seed(0)
    critic = MLPDiscriminator(3, hidden=16, n_layers=2).double()
    gp = gradient_penalty(critic, real, fake, _g(2))
    assert float(gp.detach()) > 0
    gp.backward()   # create_graph: the penalty reaches the critic's weights
    weight_grad = critic.net[0].weight.grad     # (the last bias does not enter ∇_x f)
    assert weight_grad is not None and bool(torch.isfinite(weight_grad).all()) and float(weight_grad.abs().sum()) > 0


def test_gradient_penalty_works_on_images():
    torch.manual_seed(0)
    critic = DCGANDiscriminator(width=4)
    real, fake = torch.rand(3, 784, generator=_g(0)), torch.rand(3, 1, 28, 28, generator=_g(1)).flatten(1)
    assert float(gradient_penalty(critic, real, fake, _g(2)).detach()) > 0


def test_clip_weights_keeps_every_weight_in_range():
    torch.manual_seed(0)
    critic = MLPDiscriminator(2, hidden=32, n_layers=2)
    with torch.no_grad():
        for p in critic.parameters():
            p.mul_(100)
    before = [p.clone() for p in critic.parameters()]
    assert clip_weights_(critic, 0.01) is critic
    for b, p in zip(before, critic.parameters()):
        assert float(p.detach().abs().max()) <= 0.01
        inside = b.abs() <= 0.01
        assert torch.equal(p[inside], b[inside])


# ---------------------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------------------
def test_network_shapes_and_ranges():
    torch.manual_seed(0)
    G, D = MLPGenerator(3, 2, hidden=16, n_layers=2), MLPDiscriminator(2, hidden=16, n_layers=2)
    x = G.sample(5, _g(0))
    assert x.shape == (5, 2) and D(x).shape == (5,)
    torch.testing.assert_close(G.sample(5, _g(0)), x)
    G, D = DCGANGenerator(noise_dim=8, width=16), DCGANDiscriminator(width=8)
    x = G.sample(4, _g(0)).detach()
    assert x.shape == (4, 784) and float(x.abs().max()) <= 1
    assert D(x).shape == (4,) and D(x.reshape(4, 1, 28, 28)).shape == (4,)


def test_train_gan_history_for_every_loss():
    data = ring_of_gaussians(256, seed=0)
    for loss in ("nonsaturating", "minimax", "wgan", "wgan-gp"):
        torch.manual_seed(0)
        G, D = MLPGenerator(2, 2, hidden=16, n_layers=2), MLPDiscriminator(2, hidden=16, n_layers=2)
        h = train_gan(G, D, data, 7, loss=loss, batch_size=32, snapshot_every=3, progress=False)
        assert len(h["generator_loss"]) == len(h["discriminator_loss"]) == 7
        assert len(h["wasserstein"]) == (7 if loss.startswith("wgan") else 0)
        assert h["snapshot_steps"] == [3, 6, 7]
        assert all(s.shape == (512, 2) for s in h["snapshots"])
        assert h["n_critic"] == (5 if loss.startswith("wgan") else 1)
        if loss == "wgan":
            assert h["lr"] == 5e-5
            assert max(float(p.detach().abs().max()) for p in D.parameters()) <= 0.01
        if loss == "wgan-gp":
            assert h["lr"] == 1e-4 and h["betas"] == (0.0, 0.9)
        assert not G.training and not D.training


def test_train_gan_is_reproducible_and_runs_a_dcgan():
    data = torch.rand(16, 784, generator=_g(0)) * 2 - 1
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        G, D = DCGANGenerator(noise_dim=8, width=8), DCGANDiscriminator(width=4, batch_norm=True)
        h = train_gan(G, D, data, 2, batch_size=8, progress=False, seed=3,
                      snapshot_every=1, snapshot_noise=torch.randn(3, 8, generator=_g(1)))
        runs.append(h)
    assert runs[0]["generator_loss"] == runs[1]["generator_loss"]
    assert runs[0]["snapshots"][-1].shape == (3, 784)


def _train_1d_critic(seed, start_sign):
    """A WGAN-GP critic (λ = 10) trained 400 steps between N(2, 1) (real) and N(0, 1) (fake),
    started with the sign of its ranking of real over fake set to ``start_sign`` (negating
    the output layer, f -> -f, is a symmetry of the network); returns its W1 estimate
    mean f(real) - mean f(fake) on 20,000 fresh points of each."""
    torch.manual_seed(seed)
    critic = MLPDiscriminator(1, hidden=32, n_layers=2)
    rng = _g(seed)
    with torch.no_grad():
        real, fake = 2 + torch.randn(1000, 1, generator=rng), torch.randn(1000, 1, generator=rng)
        if start_sign * float(critic(real).mean() - critic(fake).mean()) < 0:
            critic.net[-1].weight.neg_()
            critic.net[-1].bias.neg_()
    optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    for _ in range(400):
        real, fake = 2 + torch.randn(256, 1, generator=rng), torch.randn(256, 1, generator=rng)
        discriminator_step(critic, optimizer, real, fake, loss="wgan-gp", generator=rng)
    real, fake = 2 + torch.randn(20_000, 1, generator=rng), torch.randn(20_000, 1, generator=rng)
    with torch.no_grad():
        return float(critic(real).mean() - critic(fake).mean())


@pytest.mark.parametrize("seed", [0, 1])
def test_critic_estimates_w1_between_two_gaussians(seed):
    """N(2, 1) vs N(0, 1): W1 = 2 (a shift), attained by the critic f(x) = x.

    The penalty is soft, so the critic overshoots: among linear critics f(x) = s x the
    penalised objective 2 s - λ (s - 1)² peaks at s = 1 + 1/λ, i.e. an estimate of
    2 (1 + 1/λ) = 2.2 for λ = 10. Tolerance: within 0.3 of the exact 2.0, and within 0.1 of
    the penalised optimum 2.2 (seeds 0-5 give 2.17-2.25)."""
    estimate = _train_1d_critic(seed, start_sign=+1)
    assert abs(estimate - 2.0) < 0.3, estimate
    assert abs(estimate - 2.2) < 0.1, estimate


def test_two_sided_penalty_traps_a_1d_critic_that_starts_reversed():
    """In 1-D the slope cannot turn from -1 to +1 without passing |f'| = 0, which the penalty
    resists: 2 s - λ (|s| - 1)² has a local maximum at s = -(1 - 1/λ), an estimate of
    -2 (1 - 1/λ) = -1.8. (Why the test above fixes the starting sign; seeds 0-5 give
    -1.76 to -1.82.)"""
    estimate = _train_1d_critic(0, start_sign=-1)
    assert abs(estimate + 1.8) < 0.1, estimate


@pytest.mark.slow
def test_wgan_gp_recovers_all_ring_modes():
    """The course's ring (8 modes, radius 2, σ 0.02), the default MLP pair (3 hidden layers of
    64), WGAN-GP with λ = 10 and n_critic = 5 but a faster Adam (lr 1e-3, betas (0.5, 0.9))
    so that 800 steps suffice; scored with the 2,500-sample VEEGAN/PacGAN protocol. (With
    these settings seeds 0-3 all recover the 8 modes, with 7-32 % high-quality samples.)"""
    data = ring_of_gaussians(4096, seed=0)
    centres, std = ring_protocol(radius=2.0, std=0.02)
    torch.manual_seed(0)
    G, D = MLPGenerator(2, 2), MLPDiscriminator(2)
    train_gan(G, D, data, 800, loss="wgan-gp", batch_size=256, lr=1e-3, betas=(0.5, 0.9), progress=False, seed=0)
    with torch.no_grad():
        samples = G.sample(2500, _g(1))
    coverage = mode_coverage(samples, centres, std)
    assert coverage.n_modes == 8, coverage
    assert coverage.high_quality_fraction > 0.05, coverage


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------
def test_bad_input_raises_value_errors_naming_the_argument():
    data = ring_of_gaussians(64, seed=0)
    G, D = MLPGenerator(2, 2, hidden=8, n_layers=1), MLPDiscriminator(2, hidden=8, n_layers=1)
    cases = [
        (lambda: train_gan(G, D, data, 3, loss="hinge", progress=False), "loss"),
        (lambda: train_gan(G, D, data, 0, progress=False), "n_steps"),
        (lambda: train_gan(G, D, data, 1, n_critic=0, progress=False), "n_critic"),
        (lambda: train_gan(G, D, data, 1, lr=-1.0, progress=False), "lr"),
        (lambda: train_gan(G, D, data, 1, betas=(1.5, 0.9), progress=False), "betas"),
        (lambda: train_gan(G, D, data, 1, loss="wgan", clip=0.0, progress=False), "clip"),
        (lambda: train_gan(G, D, data * float("nan"), 1, progress=False), "data"),
        (lambda: train_gan(G, D, data, 1, snapshot_every=2, snapshot_noise=torch.zeros(4, 3), progress=False),
         "snapshot_noise"),
        (lambda: MLPGenerator(0, 2), "noise_dim"),
        (lambda: MLPDiscriminator(2, hidden=0), "hidden"),
        (lambda: DCGANGenerator(noise_dim=1.5), "noise_dim"),
        (lambda: G(torch.zeros(4, 3)), "z"),
        (lambda: D(torch.zeros(4, 3)), "x"),
        (lambda: discriminator_loss(torch.zeros(3, 1), torch.zeros(3)), "real_logits"),
        (lambda: generator_loss_nonsaturating(torch.zeros(0)), "fake_logits"),
        (lambda: critic_loss(torch.zeros(3), torch.zeros(2, 2)), "fake_scores"),
        (lambda: clip_weights_(D, -0.1), "c"),
        (lambda: gradient_penalty(D, torch.zeros(4, 2), torch.zeros(3, 2)), "real and fake"),
        (lambda: optimal_discriminator(torch.ones(3), -torch.ones(3)), "q"),
        (lambda: gan_value(torch.full((2,), 1.5), torch.ones(2) / 2, torch.ones(2) / 2), "d"),
        (lambda: jensen_shannon(torch.ones(3), torch.ones(3) / 3), "p"),
    ]
    for call, name in cases:
        with pytest.raises(ValueError, match=name):
            call()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_training_on_cuda_stays_on_cuda():
    data = ring_of_gaussians(256, seed=0, device="cuda")
    torch.manual_seed(0)
    G, D = MLPGenerator(2, 2, hidden=16, n_layers=2), MLPDiscriminator(2, hidden=16, n_layers=2)
    h = train_gan(G, D, data, 3, loss="wgan-gp", batch_size=32, device="cuda", snapshot_every=1, progress=False)
    assert all(p.device.type == "cuda" for p in list(G.parameters()) + list(D.parameters()))
    assert len(h["wasserstein"]) == 3 and h["snapshots"][0].device.type == "cpu"
    real, fake = data[:8], G.sample(8)
    assert gradient_penalty(D, real, fake, _g(0)).device.type == "cuda"
    assert torch.isfinite(discriminator_loss(D(real), D(fake)))
