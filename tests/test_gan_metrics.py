"""Tests of course_lib.gan_metrics: mode coverage on hand-made sample sets, exact W1 against
SciPy and brute force, and the digit classifier with its Fréchet distance (on the 8×8
digits, so no MNIST download is needed)."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from course_lib.data import grid_of_gaussians, load_digits, ring_of_gaussians
from course_lib.gan_metrics import (
    PROTOCOL_N_SAMPLES,
    classifier_accuracy,
    digit_metrics,
    frechet_distance,
    frechet_distance_gaussians,
    grid_protocol,
    mode_coverage,
    ring_protocol,
    train_mnist_classifier,
    wasserstein1_1d,
    wasserstein1_exact,
)

from course_lib._validate import make_generator

F64 = torch.float64


_g = make_generator  # a seeded CPU generator


# ---------------------------------------------------------------------------------------
# Mode coverage
# ---------------------------------------------------------------------------------------
def test_protocols_match_the_papers():
    centres, std = ring_protocol()
    assert centres.shape == (8, 2) and std == 0.01
    torch.testing.assert_close(centres.norm(dim=1), torch.ones(8, dtype=F64))
    centres, std = grid_protocol()
    assert centres.shape == (25, 2) and std == 0.05
    assert sorted(set(centres[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]


def test_all_modes_on_the_centres():
    centres, std = ring_protocol()
    samples = centres.repeat(10, 1)  # 10 samples exactly on each centre
    m = mode_coverage(samples, centres, std)
    assert (m.n_modes, m.n_modes_strict, m.n_total_modes) == (8, 8, 8)
    assert m.high_quality_fraction == 1.0 and abs(m.reverse_kl) < 1e-15
    assert m.counts.tolist() == [10] * 8


def test_one_mode_only():
    centres, std = grid_protocol()
    samples = centres[7] + 0.01 * torch.randn(100, 2, generator=_g(0), dtype=F64)
    m = mode_coverage(samples, centres, std)
    assert (m.n_modes, m.n_modes_strict) == (1, 1)
    assert m.counts[7] == 100 and m.high_quality_fraction == 1.0
    assert abs(m.reverse_kl - math.log(25)) < 1e-12


def test_junk_far_away_counts_nothing():
    centres, std = ring_protocol()
    samples = torch.full((50, 2), 10.0, dtype=F64)
    m = mode_coverage(samples, centres, std)
    assert (m.n_modes, m.n_modes_strict, m.high_quality_fraction) == (0, 0, 0.0)
    assert math.isnan(m.reverse_kl)
    # junk next to good samples lowers the quality but not the count
    m = mode_coverage(torch.cat([centres, samples]), centres, std)
    assert m.n_modes == 8 and abs(m.high_quality_fraction - 8 / 58) < 1e-15


def test_points_on_the_three_sigma_boundary_count_as_inside():
    centres = torch.tensor([[0.0, 0.0], [4.0, 0.0]], dtype=F64)
    std = 0.25                      # 3σ = 0.75, exactly representable
    on = torch.tensor([[0.75, 0.0], [0.0, -0.75], [4.0, 0.75]], dtype=F64)
    just_out = torch.tensor([[0.7500001, 0.0], [3.2499999, 0.0]], dtype=F64)
    m = mode_coverage(on, centres, std)
    assert m.high_quality_fraction == 1.0 and m.counts.tolist() == [2, 1]
    m = mode_coverage(just_out, centres, std)
    assert m.high_quality_fraction == 0.0 and m.n_modes == 0
    # a wider radius in standard deviations takes them in
    assert mode_coverage(just_out, centres, std, n_std=3.1).n_modes == 2


def test_strict_count_needs_a_share_of_the_high_quality_samples():
    centres, std = ring_protocol()
    counts = [300, 300, 300, 300, 300, 300, 300, 2]       # mode 7 holds 2/2102 < 1 %
    samples = torch.cat([centres[k].repeat(c, 1) for k, c in enumerate(counts)])
    m = mode_coverage(samples, centres, std)
    assert (m.n_modes, m.n_modes_strict) == (8, 7)
    h = torch.tensor(counts, dtype=F64) / sum(counts)
    assert abs(m.reverse_kl - float((h * torch.log(8 * h)).sum())) < 1e-12
    assert mode_coverage(samples, centres, std, min_fraction=0.0).n_modes_strict == 8


def test_true_samples_score_as_expected():
    """Samples of the data themselves: every mode, and P(|N(0, σ²I₂)| ≤ 3σ) = 1 - e^{-4.5}."""
    centres, std = grid_protocol()
    m = mode_coverage(grid_of_gaussians(PROTOCOL_N_SAMPLES, seed=0), centres, std)
    assert m.n_modes == 25 and m.n_modes_strict == 25
    assert abs(m.high_quality_fraction - (1 - math.exp(-4.5))) < 0.01
    assert m.reverse_kl < 0.02
    centres, std = ring_protocol(radius=2.0, std=0.02)          # the course's ring
    m = mode_coverage(ring_of_gaussians(PROTOCOL_N_SAMPLES, seed=1), centres, std)
    assert m.n_modes == 8 and m.high_quality_fraction > 0.97


# ---------------------------------------------------------------------------------------
# Exact Wasserstein-1
# ---------------------------------------------------------------------------------------
def test_wasserstein1_1d_matches_scipy():
    from scipy.stats import wasserstein_distance

    rng = np.random.default_rng(0)
    for n, m in ((50, 50), (37, 61), (1, 8)):
        x, y = rng.normal(size=n), rng.normal(1.0, 2.0, size=m)
        expected = wasserstein_distance(x, y)
        assert abs(wasserstein1_1d(x, y) - expected) < 1e-12
        assert abs(wasserstein1_exact(x, y) - expected) < 1e-10
    assert wasserstein1_1d(torch.zeros(5, 1), torch.ones(5, 1)) == 1.0


def test_wasserstein1_exact_against_brute_force():
    """Equal sizes: an optimal coupling is a permutation (Birkhoff), so try all 5! of them."""
    for seed in range(3):
        x = torch.randn(5, 2, generator=_g(seed), dtype=F64)
        y = torch.randn(5, 2, generator=_g(seed + 10), dtype=F64) + 1
        cost = torch.cdist(x, y)
        brute = min(float(cost[range(5), list(perm)].mean()) for perm in itertools.permutations(range(5)))
        assert abs(wasserstein1_exact(x, y) - brute) < 1e-12


def test_wasserstein1_exact_of_a_translation():
    x = torch.randn(40, 2, generator=_g(0), dtype=F64)
    shift = torch.tensor([0.3, -0.4], dtype=F64)     # W1 of a translation by v is ||v|| = 0.5
    assert abs(wasserstein1_exact(x, x + shift) - 0.5) < 1e-12
    assert wasserstein1_exact(x, x) < 1e-15


# ---------------------------------------------------------------------------------------
# Digit classifier and Fréchet distance
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits():
    x, y = load_digits()
    perm = torch.randperm(len(x), generator=_g(0))
    train, test = perm[:1400], perm[1400:]
    classifier = train_mnist_classifier(x[train], y[train], epochs=30, seed=0)
    return classifier, x[test], y[test]


def test_classifier_is_accurate_on_held_out_digits(digits):
    classifier, x_test, y_test = digits
    assert classifier_accuracy(classifier, x_test, y_test) > 0.9


def test_digit_metrics(digits):
    classifier, x_test, y_test = digits
    m = digit_metrics(classifier, x_test)
    assert m.n_classes_covered == 10 and m.kl_from_uniform < 0.05 and int(m.counts.sum()) == len(x_test)
    zeros = x_test[y_test == 0]
    m = digit_metrics(classifier, zeros)
    assert m.counts.argmax() == 0 and m.kl_from_uniform > 1.5


def test_frechet_distance_is_zero_on_itself_and_grows_with_noise(digits):
    classifier, x_test, _ = digits
    assert frechet_distance(classifier, x_test, x_test) < 1e-6
    distances = [frechet_distance(classifier, x_test, (x_test + s * torch.randn(x_test.shape, generator=_g(1))).clamp(0, 1))
                 for s in (0.05, 0.2, 0.5)]
    assert 0 < distances[0] < distances[1] < distances[2]


def test_frechet_distance_gaussians_against_scipy_sqrtm():
    from scipy.linalg import sqrtm

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    s1, s2 = a @ a.T + 0.1 * np.eye(6), b @ b.T + 0.1 * np.eye(6)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * sqrtm(s1 @ s2).real)
    assert abs(frechet_distance_gaussians(mu1, s1, mu2, s2) - expected) < 1e-9 * expected
    # 1-D Gaussians: (μ1 - μ2)² + (σ1 - σ2)²
    assert abs(frechet_distance_gaussians([0.0], [[4.0]], [1.0], [[1.0]]) - 2.0) < 1e-12


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------
def test_bad_input_raises_value_errors_naming_the_argument(digits):
    classifier, x_test, y_test = digits
    centres, std = ring_protocol()
    x, y = load_digits()
    cases = [
        (lambda: mode_coverage(torch.zeros(4, 3), centres, std), "dimension"),
        (lambda: mode_coverage(torch.zeros(4, 2), centres, 0.0), "std"),
        (lambda: mode_coverage(torch.zeros(4, 2), centres, std, n_std=-1.0), "n_std"),
        (lambda: mode_coverage(torch.zeros(4, 2), centres, std, min_fraction=2.0), "min_fraction"),
        (lambda: mode_coverage(torch.full((4, 2), float("nan")), centres, std), "samples"),
        (lambda: mode_coverage(torch.zeros(4), centres, std), "samples"),
        (lambda: ring_protocol(std=0.0), "std"),
        (lambda: train_mnist_classifier(x[:10], y[:9]), "y"),
        (lambda: train_mnist_classifier(x[:10], y[:10], epochs=0), "epochs"),
        (lambda: digit_metrics(classifier, torch.zeros(3, 5)), "x"),
        (lambda: frechet_distance(classifier, x_test[:1], x_test), "real"),
        (lambda: frechet_distance_gaussians(np.zeros(2), np.eye(3), np.zeros(2), np.eye(2)), "sigma1"),
        (lambda: wasserstein1_1d(np.zeros((3, 2)), np.zeros(3)), "x"),
        (lambda: wasserstein1_1d(np.zeros(3), [np.inf]), "y"),
        (lambda: wasserstein1_exact(np.zeros((3, 2)), np.zeros((3, 3))), "dimension"),
    ]
    for call, name in cases:
        with pytest.raises(ValueError, match=name):
            call()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_metrics_on_cuda():
    centres, std = ring_protocol()
    samples = centres.to("cuda").repeat(3, 1)
    assert mode_coverage(samples, centres, std).n_modes == 8
    x, y = load_digits(device="cuda")
    classifier = train_mnist_classifier(x[:500], y[:500], epochs=2)
    assert next(classifier.parameters()).device.type == "cuda"
    assert frechet_distance(classifier, x[:200], x[:200]) < 1e-4
    assert digit_metrics(classifier, x[:50]).counts.sum() == 50
    assert abs(wasserstein1_exact(samples, samples + torch.tensor([0.3, 0.4], device="cuda")) - 0.5) < 1e-6
