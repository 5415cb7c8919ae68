"""Reference implementations of lecture 01 / a01 against SciPy and closed forms."""
import math

import numpy as np
import pytest
import torch
from scipy import stats

from course_lib import probability as P


@pytest.mark.parametrize("d", [1, 3, 10])
def test_gaussian_log_prob_matches_scipy(d):
    g = torch.Generator().manual_seed(d)
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    cov = q @ torch.diag(torch.logspace(-3, 2, d, dtype=torch.float64)) @ q.T
    cov = (cov + cov.T) / 2
    mean = torch.randn(d, generator=g, dtype=torch.float64)
    x = torch.randn(50, d, generator=g, dtype=torch.float64) * 5
    expected = stats.multivariate_normal(mean.numpy(), cov.numpy()).logpdf(x.numpy()).reshape(50)
    np.testing.assert_allclose(P.gaussian_log_prob(x, mean, cov).numpy(), expected, rtol=1e-10)


def test_gaussian_log_prob_is_finite_far_away_and_differentiable():
    x = torch.tensor([[1e4, -1e4]], dtype=torch.float64)
    out = P.gaussian_log_prob(x, torch.zeros(2), torch.eye(2) * 0.01)
    assert torch.isfinite(out).all() and out.item() < -1e9
    mean = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    P.gaussian_log_prob(torch.ones(3, 2, dtype=torch.float64), mean, torch.eye(2)).sum().backward()
    np.testing.assert_allclose(mean.grad.numpy(), [3.0, 3.0])


@pytest.mark.parametrize("bad, match", [
    (dict(x=torch.zeros(3)), "2 dimension"),
    (dict(mean=torch.zeros(3)), "shapes do not match"),
    (dict(cov=-torch.eye(2)), "positive definite"),
    (dict(x=torch.tensor([[float("nan"), 0.0]])), "NaN"),
])
def test_gaussian_log_prob_bad_input(bad, match):
    args = dict(x=torch.zeros(4, 2), mean=torch.zeros(2), cov=torch.eye(2)) | bad
    with pytest.raises(ValueError, match=match):
        P.gaussian_log_prob(**args)


def test_mle_estimates():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(500, 4, generator=g, dtype=torch.float64)
    mean, cov = P.gaussian_mle(x)
    np.testing.assert_allclose(mean.numpy(), x.numpy().mean(0), rtol=1e-12)
    np.testing.assert_allclose(cov.numpy(), np.cov(x.numpy(), rowvar=False, bias=True), rtol=1e-10)
    k = torch.tensor([0, 3, 1, 4])
    assert P.poisson_mle(k).item() == 2.0
    with pytest.raises(ValueError, match="non-negative integer"):
        P.poisson_mle(torch.tensor([1.5, 2.0]))
    with pytest.raises(ValueError, match="at least one"):
        P.poisson_mle(torch.tensor([]))


def test_gaussian_mean_map_is_posterior_mean_and_has_the_right_limits():
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    assert P.gaussian_mean_map(x, 1.0, 0.0, 1.0).item() == pytest.approx(1.5)
    assert P.gaussian_mean_map(x, 1.0, 5.0, 1e12).item() == pytest.approx(2.0, rel=1e-9)
    assert P.gaussian_mean_map(x, 1.0, 5.0, 1e-12).item() == pytest.approx(5.0, rel=1e-9)
    with pytest.raises(ValueError, match="prior_var must be positive"):
        P.gaussian_mean_map(x, 1.0, 0.0, 0.0)


def test_poisson_rate_map_is_gamma_posterior_mode():
    k = torch.tensor([2.0, 0.0, 5.0, 1.0], dtype=torch.float64)
    alpha, beta = 3.0, 2.0
    got = P.poisson_rate_map(k, alpha, beta).item()
    posterior = stats.gamma(a=alpha + k.sum().item(), scale=1 / (beta + len(k)))
    grid = np.linspace(0.01, 5, 200_001)
    assert got == pytest.approx(grid[np.argmax(posterior.logpdf(grid))], abs=1e-4)
    with pytest.raises(ValueError, match="no interior mode"):
        P.poisson_rate_map(torch.zeros(2), 0.5, 1.0)


def test_kl_normal_closed_form_against_quadrature():
    mu_p, s_p, mu_q, s_q = 0.3, 0.7, -1.0, 1.6
    p, q = stats.norm(mu_p, s_p), stats.norm(mu_q, s_q)
    grid = np.linspace(-12, 12, 400_001)
    numeric = np.trapezoid(p.pdf(grid) * (p.logpdf(grid) - q.logpdf(grid)), grid)
    args = [torch.tensor(v, dtype=torch.float64) for v in (mu_p, s_p, mu_q, s_q)]
    assert P.kl_normal(*args).item() == pytest.approx(numeric, rel=1e-8)
    assert P.kl_normal(0.0, 1.0, 0.0, 1.0).item() == pytest.approx(0.0, abs=1e-15)
    assert not math.isclose(P.kl_normal(0.0, 1.0, 1.0, 2.0).item(), P.kl_normal(1.0, 2.0, 0.0, 1.0).item())
    with pytest.raises(ValueError, match="positive"):
        P.kl_normal(0.0, 0.0, 0.0, 1.0)
