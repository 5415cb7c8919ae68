"""Tests of course_lib.kde against SciPy's gaussian_kde, scikit-learn's KernelDensity and
direct loops."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.special import gammaln
from scipy.stats import gaussian_kde
from sklearn.neighbors import KernelDensity as SkKernelDensity

from course_lib.kde import (
    KernelDensity,
    bandwidth_matrix,
    loo_log_likelihood,
    scott_factor,
    select_bandwidth_loo,
    silverman_factor,
)

F64 = torch.float64


def _data(seed, n, d, scale=1.0):
    rng = np.random.default_rng(seed)
    mix = rng.standard_normal((d, d)) + 2 * np.eye(d)
    return scale * rng.standard_normal((n, d)) @ mix + rng.standard_normal(d)


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b)) / np.abs(np.asarray(b))))


# ---------------------------------------------------------------------------------------
# Against SciPy
# ---------------------------------------------------------------------------------------
def test_factors_equal_scipy():
    x = _data(0, 50, 3)
    kde = gaussian_kde(x.T)
    assert scott_factor(50, 3) == pytest.approx(kde.scotts_factor(), rel=1e-15)
    assert silverman_factor(50, 3) == pytest.approx(kde.silverman_factor(), rel=1e-15)


@pytest.mark.parametrize("d", [1, 2, 5])
@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_rules_equal_scipy(rule, d):
    x, y = _data(d, 300, d), _data(d + 10, 170, d, scale=1.5)
    ref = gaussian_kde(x.T, bw_method=rule)
    np.testing.assert_allclose(bandwidth_matrix(torch.tensor(x), rule).numpy(), ref.covariance, rtol=1e-12)
    kde = KernelDensity(bandwidth=rule).fit(torch.tensor(x))
    assert kde.factor_ == pytest.approx(ref.factor, rel=1e-15)
    assert _rel(kde.log_prob(torch.tensor(y)).numpy(), ref.logpdf(y.T)) < 1e-10


@pytest.mark.parametrize("d", [1, 3])
def test_bandwidth_matrix_equals_scipy(d):
    # SciPy's kernel covariance is factor² × data covariance. To impose a given H exactly,
    # pass a scalar bw_method = c and data whose covariance is H / c², i.e. compare the KDE
    # with H = c² Σ̂ given as a matrix; SciPy then uses exactly the same H.
    x, y = _data(d, 200, d), _data(d + 20, 90, d)
    ref = gaussian_kde(x.T, bw_method=0.37)
    h = torch.tensor(ref.covariance)
    kde = KernelDensity(bandwidth=h).fit(torch.tensor(x))
    assert kde.factor_ is None
    assert _rel(kde.log_prob(torch.tensor(y)).numpy(), ref.logpdf(y.T)) < 1e-10


def test_bandwidth_matrix_direct_formula():
    # an arbitrary SPD H against the Gaussian mixture density written out in NumPy
    rng = np.random.default_rng(3)
    x, y = _data(3, 80, 2), _data(4, 30, 2)
    a = rng.standard_normal((2, 2))
    h = a @ a.T + 0.2 * np.eye(2)
    inv, (_, logdet) = np.linalg.inv(h), np.linalg.slogdet(h)
    diff = y[:, None, :] - x[None, :, :]
    q = np.einsum("mnd,de,mne->mn", diff, inv, diff)
    ref = np.log(np.exp(-0.5 * q).mean(axis=1)) - math.log(2 * math.pi) - 0.5 * logdet
    got = KernelDensity(bandwidth=torch.tensor(h)).fit(torch.tensor(x)).log_prob(torch.tensor(y))
    assert _rel(got.numpy(), ref) < 1e-10


# ---------------------------------------------------------------------------------------
# Against scikit-learn (scalar bandwidth)
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov"])
@pytest.mark.parametrize("d", [1, 3])
def test_scalar_bandwidth_equals_sklearn(kernel, d):
    # scikit-learn has no brute-force KDE; its kd-tree with atol = rtol = 0 is exact in the
    # bulk of the data but prunes (approximates) far in the tails, so queries lie near data.
    x = _data(d, 250, d)
    y = x[:120] + 0.1 * np.random.default_rng(1).standard_normal((120, d))
    h = 0.9
    ref = SkKernelDensity(bandwidth=h, kernel=kernel, atol=0, rtol=0).fit(x).score_samples(y)
    got = KernelDensity(bandwidth=h, kernel=kernel).fit(torch.tensor(x)).log_prob(torch.tensor(y)).numpy()
    assert np.all(np.isfinite(ref)) and _rel(got, ref) < 1e-10


def test_sklearn_rules_are_scalar_factors():
    x = _data(2, 100, 2)
    for rule, factor in (("scott", scott_factor), ("silverman", silverman_factor)):
        sk = SkKernelDensity(bandwidth=rule).fit(x)
        assert sk.bandwidth_ == pytest.approx(factor(100, 2), rel=1e-15)


def test_epanechnikov_direct_formula_and_support():
    x, y = _data(5, 60, 2), _data(6, 40, 2, scale=2.0)
    h = 0.8
    d2 = ((y[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    c = math.log(2.0) - (math.log(math.pi) - gammaln(2.0))  # (d + 2) / (2 V_d), d = 2
    with np.errstate(divide="ignore"):
        ref = np.log(np.clip(1 - d2 / h**2, 0, None).mean(axis=1)) + c - 2 * math.log(h)
    got = KernelDensity(h, kernel="epanechnikov").fit(torch.tensor(x)).log_prob(torch.tensor(y)).numpy()
    assert np.array_equal(np.isfinite(got), np.isfinite(ref)) and np.isinf(ref).any()
    f = np.isfinite(ref)
    assert _rel(got[f], ref[f]) < 1e-10


# ---------------------------------------------------------------------------------------
# Blocks, tails, dtype, device
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov"])
def test_blocked_equals_unblocked(kernel):
    x, y = torch.tensor(_data(7, 103, 2)), torch.tensor(_data(8, 57, 2))
    full = KernelDensity(1.1, kernel=kernel, max_block_elements=10**7).fit(x).log_prob(y)
    tiny = KernelDensity(1.1, kernel=kernel, max_block_elements=7).fit(x).log_prob(y)
    torch.testing.assert_close(tiny, full, rtol=1e-12, atol=0)


def test_far_queries_are_finite():
    x = torch.tensor(_data(9, 100, 2))
    y = torch.tensor([[1e3, -1e3], [50.0, 0.0], [0.0, 0.0]], dtype=F64)
    for bw in ("scott", 0.5):
        kde = KernelDensity(bw, max_block_elements=16).fit(x)
        lp = kde.log_prob(y)
        assert torch.isfinite(lp).all() and lp[0] < -1e5
        ref = gaussian_kde(x.numpy().T, bw_method=kde.factor_ if bw == "scott" else None)
        if bw == "scott":
            assert _rel(lp.numpy(), ref.logpdf(y.numpy().T)) < 1e-8


def test_float32_preserved_and_close():
    x64, y64 = torch.tensor(_data(10, 200, 3)), torch.tensor(_data(11, 50, 3))
    lp64 = KernelDensity().fit(x64).log_prob(y64)
    kde = KernelDensity().fit(x64.float())
    lp32 = kde.log_prob(y64.float())
    assert lp32.dtype == torch.float32 and kde.bandwidth_.dtype == torch.float32
    assert kde.sample(5, seed=0).dtype == torch.float32
    torch.testing.assert_close(lp32.double(), lp64, rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    x, y = torch.tensor(_data(12, 500, 2)), torch.tensor(_data(13, 300, 2))
    cpu = KernelDensity().fit(x).log_prob(y)
    kde = KernelDensity().fit(x.cuda())
    gpu = kde.log_prob(y.cuda())
    assert gpu.device.type == "cuda" and kde.sample(10, seed=0).device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-10, atol=0)
    torch.testing.assert_close(loo_log_likelihood(x.cuda(), torch.tensor([0.3, 0.5])).cpu(),
                               loo_log_likelihood(x, torch.tensor([0.3, 0.5])), rtol=1e-10, atol=0)


def test_score_is_mean_log_prob():
    x, y = torch.tensor(_data(14, 100, 2)), torch.tensor(_data(15, 20, 2))
    kde = KernelDensity(0.4).fit(x)
    assert kde.score(y) == pytest.approx(float(kde.log_prob(y).mean()), rel=1e-14)


# ---------------------------------------------------------------------------------------
# Leave-one-out
# ---------------------------------------------------------------------------------------
def _loo_loop(x, h, kernel):
    total = 0.0
    for i in range(len(x)):
        rest = torch.cat([x[:i], x[i + 1:]])
        total += float(KernelDensity(h, kernel=kernel).fit(rest).log_prob(x[i:i + 1])[0])
    return total / len(x)


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov"])
def test_loo_equals_loop(kernel):
    x = torch.tensor(_data(16, 40, 2))
    hs = torch.tensor([0.8, 1.5, 3.0], dtype=F64)
    scores = loo_log_likelihood(x, hs, kernel=kernel, max_block_elements=100)
    for h, s in zip(hs.tolist(), scores.tolist()):
        assert s == pytest.approx(_loo_loop(x, h, kernel), rel=1e-10)
        assert loo_log_likelihood(x, h, kernel=kernel) == pytest.approx(s, rel=1e-12)


def test_loo_epanechnikov_isolated_point_is_minus_inf():
    x = torch.tensor([[0.0], [0.1], [5.0]], dtype=F64)
    assert loo_log_likelihood(x, 0.5, kernel="epanechnikov") == -math.inf


def test_select_bandwidth_loo():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 1, generator=g, dtype=F64)
    grid = torch.linspace(0.05, 2.0, 40, dtype=F64)
    best, scores = select_bandwidth_loo(x, grid)
    assert scores.shape == (40,) and best == float(grid[torch.argmax(scores)])
    # Silverman's optimal h for N(0, 1) is 1.06 n^(-1/5) ≈ 0.32; LOO lands nearby
    assert 0.15 < best < 0.7
    best_list, _ = select_bandwidth_loo(x, grid.tolist(), kernel="epanechnikov")
    assert 0.3 < best_list < 1.8


# ---------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov"])
def test_sample_moments(kernel):
    x = torch.tensor(_data(17, 50, 2))
    h = torch.tensor([[0.5, 0.2], [0.2, 0.3]], dtype=F64)
    kde = KernelDensity(h, kernel=kernel).fit(x)
    n = 200_000
    s = kde.sample(n, seed=1)
    assert s.shape == (n, 2)
    assert torch.equal(s[:100], kde.sample(n, seed=1)[:100]) and not torch.equal(s, kde.sample(n, seed=2))
    mean = x.mean(0)
    cov = torch.cov(x.T, correction=0) + (h if kernel == "gaussian" else h / (2 + 4))
    tol = 6 / math.sqrt(n) * float(cov.diagonal().max())  # ≈ 6 standard errors
    torch.testing.assert_close(s.mean(0), mean, rtol=0, atol=6 * float(cov.diagonal().max().sqrt()) / math.sqrt(n))
    torch.testing.assert_close(torch.cov(s.T), cov, rtol=0, atol=3 * tol)


def test_epanechnikov_samples_have_compact_support():
    x = torch.zeros(1, 3, dtype=F64)
    s = KernelDensity(0.5, kernel="epanechnikov").fit(x).sample(20_000, seed=0)
    r = s.norm(dim=1)
    assert float(r.max()) < 0.5 and float(r.max()) > 0.45


# ---------------------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------------------
def test_bad_inputs():
    x = torch.tensor(_data(18, 20, 2))
    with pytest.raises(ValueError, match="NaN"):
        KernelDensity().fit(torch.tensor([[0.0, float("nan")], [1.0, 1.0]]))
    with pytest.raises(ValueError, match="infinite"):
        KernelDensity().fit(x).log_prob(torch.tensor([[0.0, float("inf")]]))
    with pytest.raises(ValueError, match="2 dimension"):
        KernelDensity().fit(torch.zeros(10))
    with pytest.raises(ValueError, match="features"):
        KernelDensity().fit(x).log_prob(torch.zeros(3, 3))
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="positive"):
            KernelDensity(bad).fit(x)
    with pytest.raises(ValueError, match="positive definite"):
        KernelDensity(torch.tensor([[1.0, 2.0], [2.0, 1.0]], dtype=F64)).fit(x)
    with pytest.raises(ValueError, match="symmetric"):
        KernelDensity(torch.tensor([[1.0, 0.5], [0.0, 1.0]], dtype=F64)).fit(x)
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        KernelDensity(torch.eye(3, dtype=F64)).fit(x)
    with pytest.raises(ValueError, match="at least 2 points"):
        KernelDensity("scott").fit(x[:1])
    with pytest.raises(ValueError, match="at least 2 points"):
        loo_log_likelihood(x[:1], 0.5)
    with pytest.raises(ValueError, match="kernel must be one of"):
        KernelDensity(kernel="tophat").fit(x)
    with pytest.raises(ValueError, match="rule must be one of"):
        bandwidth_matrix(x, "median")
    with pytest.raises(ValueError, match="rule must be one of"):
        KernelDensity("median").fit(x)
    with pytest.raises(ValueError, match="bandwidth must be"):
        KernelDensity([1.0, 2.0]).fit(x)
    with pytest.raises(RuntimeError, match="call fit first"):
        KernelDensity().log_prob(x)
    with pytest.raises(ValueError, match="positive"):
        loo_log_likelihood(x, torch.tensor([0.5, -1.0]))
    with pytest.raises(ValueError, match="grid"):
        select_bandwidth_loo(x, [])
    with pytest.raises(ValueError, match="seed"):
        KernelDensity().fit(x).sample(3, seed=1.5)
