"""Tests of course_lib.vi against torch.distributions and the exactly solvable linear-Gaussian
model (probabilistic PCA), whose marginal and posterior are known in closed form."""
from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Independent, MultivariateNormal, Normal, kl_divergence

from course_lib.grading import check_gradient_flows
from course_lib.vi import (
    GradientEstimate,
    LinearGaussianModel,
    diag_gaussian_log_prob,
    elbo,
    iwae_bound,
    kl_diag_gaussian_standard_normal,
    kl_diag_gaussians,
    kl_gaussians,
    kl_monte_carlo,
    pathwise_gradient,
    rsample_diag_gaussian,
    score_function_gradient,
)

from course_lib._validate import make_generator

F64 = torch.float64


_g = make_generator  # a seeded CPU generator


def _randn(seed, *shape):
    return torch.randn(*shape, generator=_g(seed), dtype=F64)


def _spd(seed, *batch, d):
    a = _randn(seed, *batch, d, d)
    return a @ a.mT + 0.5 * torch.eye(d, dtype=F64)


def _diag_normal(mean, log_var):
    return Independent(Normal(mean, torch.exp(0.5 * log_var)), 1)


def _orthogonal_model(d=6, scales=(0.7, 0.4), noise_var=0.5, seed=0):
    """A model whose weight has orthogonal columns: then the exact posterior is diagonal,
    here with variances 0.5 and 0.76."""
    q, _ = torch.linalg.qr(_randn(seed, d, len(scales)))
    weight = q * torch.tensor(scales, dtype=F64)
    return LinearGaussianModel(weight, _randn(seed + 1, d), noise_var)


def _encoder_for(mean, log_var):
    """An encoder that returns fixed (batch, d_z) parameters, whatever x."""
    return lambda x: (mean.expand(x.shape[0], -1), log_var.expand(x.shape[0], -1))


def _exact_elbo(model, x, mean, log_var):
    """E_q[log p(x|z)] - KL(q || N(0, I)) in closed form for q = N(mean, diag e^{log_var}).

    With r = x - W m - b: E_q ||x - W z - b||² = ||r||² + Σ_j σ_j² ||W_:,j||².
    """
    residual = x - mean @ model.weight.T - model.bias
    spread = (torch.exp(log_var) * model.weight.square().sum(dim=0)).sum(dim=-1)
    expected_ll = -0.5 * (model.d * math.log(2 * math.pi * model.noise_var)
                          + (residual.square().sum(dim=-1) + spread) / model.noise_var)
    return expected_ll - kl_diag_gaussian_standard_normal(mean, log_var)


# ---------------------------------------------------------------------------------------
# Densities and KL divergences
# ---------------------------------------------------------------------------------------
def test_diag_log_prob_equals_torch():
    mean, log_var = _randn(0, 4, 3), _randn(1, 4, 3)
    z = _randn(2, 7, 4, 3)
    got = diag_gaussian_log_prob(z, mean, log_var)
    assert got.shape == (7, 4)
    torch.testing.assert_close(got, _diag_normal(mean, log_var).log_prob(z), rtol=1e-12, atol=1e-12)


def test_kl_diag_closed_forms_equal_torch():
    mq, lq, mp, lp = (_randn(s, 5, 4) for s in range(4))
    ref = kl_divergence(_diag_normal(mq, lq), _diag_normal(mp, lp))
    torch.testing.assert_close(kl_diag_gaussians(mq, lq, mp, lp), ref, rtol=1e-10, atol=1e-10)
    zeros = torch.zeros(4, dtype=F64)
    ref0 = kl_divergence(_diag_normal(mq, lq), _diag_normal(zeros, zeros))
    torch.testing.assert_close(kl_diag_gaussian_standard_normal(mq, lq), ref0, rtol=1e-10, atol=1e-10)
    # broadcasting: one p for a batch of q
    torch.testing.assert_close(kl_diag_gaussians(mq, lq, zeros, zeros), ref0, rtol=1e-10, atol=1e-10)


def test_kl_full_covariance_equals_torch():
    d = 4
    mq, mp = _randn(0, 3, d), _randn(1, 3, d)
    cq, cp = _spd(2, 3, d=d), _spd(3, 3, d=d)
    ref = kl_divergence(MultivariateNormal(mq, cq), MultivariateNormal(mp, cp))
    got = kl_gaussians(mq, cq, mp, cp)
    assert got.shape == (3,)
    torch.testing.assert_close(got, ref, rtol=1e-10, atol=1e-10)
    # a single p broadcast against the batch of q, and diagonal covariances against the diag KL
    torch.testing.assert_close(kl_gaussians(mq, cq, mp[0], cp[0]),
                               kl_divergence(MultivariateNormal(mq, cq), MultivariateNormal(mp[0], cp[0])),
                               rtol=1e-10, atol=1e-10)
    lq, lp = _randn(4, 3, d), _randn(5, 3, d)
    torch.testing.assert_close(kl_gaussians(mq, torch.diag_embed(lq.exp()), mp, torch.diag_embed(lp.exp())),
                               kl_diag_gaussians(mq, lq, mp, lp), rtol=1e-10, atol=1e-10)


def test_kl_of_a_distribution_with_itself_is_zero_and_kl_is_nonnegative():
    m, lv = _randn(0, 50, 3), _randn(1, 50, 3)
    assert float(kl_diag_gaussians(m, lv, m, lv).abs().max()) == 0.0
    assert float(kl_diag_gaussian_standard_normal(torch.zeros(3, dtype=F64), torch.zeros(3, dtype=F64))) == 0.0
    c = _spd(2, 50, d=3)
    assert float(kl_gaussians(m, c, m, c).abs().max()) < 1e-12
    assert bool((kl_diag_gaussians(m, lv, _randn(3, 50, 3), _randn(4, 50, 3)) >= 0).all())
    assert bool((kl_gaussians(m, c, _randn(5, 50, 3), _spd(6, 50, d=3)) >= 0).all())
    # tiny differences: still accurate and nonnegative (expm1 form)
    small = kl_diag_gaussians(m, lv, m, lv + 1e-8)
    torch.testing.assert_close(small, torch.full_like(small, 3 * 0.5 * 1e-16 / 2), rtol=1e-5, atol=0)


def test_kl_monte_carlo_agrees_with_closed_form():
    torch.manual_seed(0)
    mq, mp = _randn(0, 3), _randn(1, 3)
    cq, cp = _spd(2, d=3), _spd(3, d=3)
    q, p = MultivariateNormal(mq, cq), MultivariateNormal(mp, cp)
    estimate, se = kl_monte_carlo(q, p, 20_000)
    assert abs(float(estimate - kl_gaussians(mq, cq, mp, cp))) < 4 * float(se)
    # batched diagonal Gaussians; gradients flow through rsample
    mq = _randn(4, 5, 2).requires_grad_(True)
    lq = _randn(5, 5, 2)
    estimate, se = kl_monte_carlo(_diag_normal(mq, lq), _diag_normal(torch.zeros(2, dtype=F64),
                                                                       torch.zeros(2, dtype=F64)), 20_000)
    exact = kl_diag_gaussian_standard_normal(mq, lq)
    assert estimate.shape == se.shape == (5,)
    assert bool(((estimate - exact).abs() < 4 * se).all())
    check_gradient_flows(estimate.sum(), [mq], name="kl_monte_carlo")


# ---------------------------------------------------------------------------------------
# Reparameterised sampling
# ---------------------------------------------------------------------------------------
def test_rsample_shapes_moments_and_seed():
    mean, log_var = _randn(0, 3), _randn(1, 3)
    assert rsample_diag_gaussian(mean, log_var, generator=0).shape == (3,)
    z = rsample_diag_gaussian(mean, log_var, 40_000, generator=_g(2))
    assert z.shape == (40_000, 3) and z.dtype == F64
    var = log_var.exp()
    # standard errors: of the mean sqrt(var/n), of the sample variance var * sqrt(2/(n-1))
    assert bool(((z.mean(0) - mean).abs() < 4 * (var / 40_000).sqrt()).all())
    assert bool(((z.var(0) - var).abs() < 4 * var * math.sqrt(2 / 39_999)).all())
    same = rsample_diag_gaussian(mean, log_var, 40_000, generator=_g(2))
    assert torch.equal(z, same)
    assert not torch.equal(z, rsample_diag_gaussian(mean, log_var, 40_000, generator=_g(3)))
    assert rsample_diag_gaussian(_randn(4, 5, 3), log_var, 7, generator=0).shape == (7, 5, 3)


def test_rsample_gradients_flow():
    mean = _randn(0, 4, 2).requires_grad_(True)
    log_var = _randn(1, 4, 2).requires_grad_(True)
    z = rsample_diag_gaussian(mean, log_var, 10, generator=0)
    check_gradient_flows(z.square().sum(), [mean, log_var], name="rsample_diag_gaussian")
    # dz/dmean = 1, dz/dlog_var = 0.5 (z - mean)
    g_mean, g_lv = torch.autograd.grad(z.sum(), [mean, log_var])
    torch.testing.assert_close(g_mean, torch.full_like(mean, 10.0))
    torch.testing.assert_close(g_lv, 0.5 * (z - mean).sum(0).detach())


# ---------------------------------------------------------------------------------------
# The linear-Gaussian model
# ---------------------------------------------------------------------------------------
def test_linear_gaussian_marginal_and_posterior_are_exact():
    model = LinearGaussianModel.random(5, 3, noise_var=0.4, generator=0)
    x = _randn(1, 8, 5)
    cov = model.weight @ model.weight.T + 0.4 * torch.eye(5, dtype=F64)
    ref = MultivariateNormal(model.bias, cov).log_prob(x)
    torch.testing.assert_close(model.log_marginal(x), ref, rtol=1e-12, atol=1e-12)
    # Bayes' rule: log p(z | x) = log p(x, z) - log p(x) at arbitrary z
    mean, post_cov = model.posterior(x)
    assert mean.shape == (8, 3) and post_cov.shape == (3, 3)
    z = _randn(2, 6, 8, 3)
    lhs = model.log_joint(x, z) - model.log_marginal(x)
    rhs = MultivariateNormal(mean, post_cov).log_prob(z)
    assert lhs.shape == (6, 8)
    torch.testing.assert_close(lhs, rhs, rtol=0, atol=1e-10)


def test_linear_gaussian_samples_have_the_model_covariance():
    model = LinearGaussianModel.random(4, 2, noise_var=0.5, generator=0)
    n = 40_000
    x, z = model.sample(n, generator=1)
    assert x.shape == (n, 4) and z.shape == (n, 2)
    cov = model.weight @ model.weight.T + 0.5 * torch.eye(4, dtype=F64)
    # standard error of a Gaussian sample covariance entry: sqrt((C_ii C_jj + C_ij²) / n)
    se = ((torch.diag(cov)[:, None] * torch.diag(cov)[None, :] + cov.square()) / n).sqrt()
    assert bool(((torch.cov(x.T) - cov).abs() < 4 * se).all())
    assert bool(((x.mean(0) - model.bias).abs() < 4 * (torch.diag(cov) / n).sqrt()).all())
    assert torch.equal(model.sample(5, generator=7)[0], model.sample(5, generator=7)[0])


# ---------------------------------------------------------------------------------------
# ELBO
# ---------------------------------------------------------------------------------------
def test_elbo_plus_kl_to_posterior_is_the_evidence():
    model = LinearGaussianModel.random(5, 3, noise_var=0.4, generator=0)
    x = _randn(1, 10, 5)
    mean, log_var = _randn(2, 10, 3), _randn(3, 10, 3) - 1.0
    exact_elbo = _exact_elbo(model, x, mean, log_var)
    post_mean, post_cov = model.posterior(x)
    kl_post = kl_gaussians(mean, torch.diag_embed(log_var.exp()), post_mean, post_cov)
    log_px = model.log_marginal(x)
    torch.testing.assert_close(exact_elbo + kl_post, log_px, rtol=0, atol=1e-8)
    assert bool((exact_elbo < log_px).all())
    # Monte-Carlo ELBO: unbiased for the exact one, so below log p(x) within its error
    est = elbo(x, _encoder_for(mean, log_var), model.log_likelihood, n_samples=20_000, generator=4)
    assert bool(((est - exact_elbo).abs() < 0.05 * (1 + exact_elbo.abs())).all())
    assert bool((est < log_px).all())


def test_elbo_at_the_exact_posterior_is_the_evidence_for_every_sample():
    model = _orthogonal_model()
    x, _ = model.sample(7, generator=1)
    post_mean, post_cov = model.posterior(x)
    assert float((post_cov - torch.diag(torch.diagonal(post_cov))).abs().max()) < 1e-14
    log_var = torch.diagonal(post_cov).log()
    encoder = _encoder_for(post_mean, log_var)
    log_px = model.log_marginal(x)
    for seed in range(3):  # each value is a single-sample estimate
        mc = elbo(x, encoder, model.log_likelihood, n_samples=1, kl="monte_carlo", generator=seed)
        torch.testing.assert_close(mc, log_px, rtol=0, atol=1e-10)
    torch.testing.assert_close(_exact_elbo(model, x, post_mean, log_var.expand_as(post_mean)), log_px,
                               rtol=0, atol=1e-10)


def test_elbo_kl_modes_agree_in_expectation():
    model = LinearGaussianModel.random(5, 2, noise_var=0.4, generator=0)
    x0 = _randn(1, 1, 5)
    mean, log_var = _randn(2, 1, 2), _randn(3, 1, 2) - 1.0
    n = 20_000  # the batch holds n copies of one data point: n independent one-sample estimates
    x = x0.expand(n, -1)
    encoder = _encoder_for(mean, log_var)
    exact = float(_exact_elbo(model, x0, mean, log_var))
    for kl in ("analytic", "monte_carlo"):
        values = elbo(x, encoder, model.log_likelihood, n_samples=1, kl=kl, generator=5)
        assert values.shape == (n,)
        se = float(values.std()) / math.sqrt(n)
        assert abs(float(values.mean()) - exact) < 4 * se, kl


def test_elbo_is_differentiable_in_encoder_and_decoder():
    torch.manual_seed(0)
    enc = torch.nn.Linear(4, 6).double()
    dec = torch.nn.Linear(3, 4).double()

    def encoder(x):
        h = enc(x)
        return h[:, :3], h[:, 3:]

    def log_likelihood(x, z):
        return Normal(dec(z), 1.0).log_prob(x).sum(-1)

    x = _randn(1, 5, 4)
    for kl in ("analytic", "monte_carlo"):
        value = elbo(x, encoder, log_likelihood, n_samples=3, kl=kl, generator=0).sum()
        check_gradient_flows(value, [enc.weight, dec.weight], name=f"elbo({kl})")
    value = iwae_bound(x, encoder, log_likelihood, k=7, max_elements=5 * 3 * 2, generator=0).sum()
    check_gradient_flows(value, [enc.weight, dec.weight], name="iwae_bound, chunked")
    # the chunked, checkpointed bound has the same gradient as the unchunked one
    g1 = torch.autograd.grad(value, enc.weight)[0]
    g2 = torch.autograd.grad(iwae_bound(x, encoder, log_likelihood, k=7, generator=0).sum(), enc.weight)[0]
    torch.testing.assert_close(g1, g2, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------------
# IWAE
# ---------------------------------------------------------------------------------------
def _shifted_posterior(model, x):
    """q = posterior mean + 0.3, posterior variance × 1.5 (orthogonal model: diagonal posterior)."""
    post_mean, post_cov = model.posterior(x)
    return post_mean + 0.3, (1.5 * torch.diagonal(post_cov)).log().expand_as(post_mean)


def test_iwae_increases_with_k_towards_the_evidence():
    model = _orthogonal_model()
    x0, _ = model.sample(1, generator=1)
    repeats = 200  # the batch holds 200 copies of one data point: 200 independent estimates
    x = x0.expand(repeats, -1)
    encoder = _encoder_for(*_shifted_posterior(model, x0))
    log_px = float(model.log_marginal(x0))
    means, ses = [], []
    for k in (1, 5, 50):
        values = iwae_bound(x, encoder, model.log_likelihood, k=k, generator=k)
        means.append(float(values.mean()))
        ses.append(float(values.std()) / math.sqrt(repeats))
    for i in range(2):  # non-decreasing, up to 3 standard errors of the difference
        assert means[i + 1] - means[i] > -3 * math.hypot(ses[i], ses[i + 1]), (means, ses)
    assert means[2] - means[0] > 3 * math.hypot(ses[0], ses[2]), (means, ses)  # a real gain
    assert means[2] < log_px + 3 * ses[2]


def test_iwae_is_close_to_the_evidence_at_large_k():
    model = _orthogonal_model()
    x, _ = model.sample(4, generator=2)
    mean, log_var = _shifted_posterior(model, x)
    log_px = model.log_marginal(x)
    gap_elbo = log_px - _exact_elbo(model, x, mean, log_var)
    assert bool((gap_elbo > 0.2).all())  # q is really off: the ELBO is 0.24 nats below log p(x)
    # One estimate at k = 1000 has a standard deviation of about 0.018 nats here, so each data
    # point is repeated 40 times in the batch: the mean of 40 estimates has a standard error
    # of about 0.003, and its distance to log p(x) (bias plus noise) must stay below 0.01.
    repeats = 40
    encoder = _encoder_for(mean.repeat_interleave(repeats, 0), log_var.repeat_interleave(repeats, 0))
    values = iwae_bound(x.repeat_interleave(repeats, 0), encoder, model.log_likelihood, k=1000, generator=10)
    values = values.view(4, repeats)
    assert float((values.mean(1) - log_px).abs().max()) < 0.01, (values.mean(1) - log_px, gap_elbo)
    assert float((values.mean(1) - log_px).abs().max()) < 4 * float(values.std(1).max()) / math.sqrt(repeats)


def test_iwae_does_not_depend_on_chunking_and_k1_is_the_elbo():
    model = LinearGaussianModel.random(6, 3, noise_var=0.3, generator=0)
    x, _ = model.sample(5, generator=1)
    mean, log_var = _randn(2, 5, 3), _randn(3, 5, 3) - 1.0
    encoder = _encoder_for(mean, log_var)
    whole = iwae_bound(x, encoder, model.log_likelihood, k=37, generator=_g(4))
    for cap in (1, 5 * 3 * 4, 5 * 3 * 36):  # one sample, 4 samples, 36 samples per chunk
        chunked = iwae_bound(x, encoder, model.log_likelihood, k=37, max_elements=cap, generator=_g(4))
        torch.testing.assert_close(chunked, whole, rtol=0, atol=1e-12)
    one = iwae_bound(x, encoder, model.log_likelihood, k=1, generator=_g(5))
    mc = elbo(x, encoder, model.log_likelihood, n_samples=1, kl="monte_carlo", generator=_g(5))
    torch.testing.assert_close(one, mc, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------
# Gradient estimators
# ---------------------------------------------------------------------------------------
C = torch.tensor([1.5, -0.5, 2.0], dtype=F64)


def _quadratic(z):
    return (z - C).square().sum(-1)


def _truth(mean, log_var):
    """∇ E[Σ (z - c)²] = ∇ [Σ (mean - c)² + Σ e^{log_var}]."""
    return torch.cat([2 * (mean - C), log_var.exp()])


@pytest.mark.parametrize("estimator", ["pathwise", "score", "score_constant", "score_loo"])
def test_gradient_estimators_are_unbiased(estimator):
    mean, log_var = torch.tensor([0.5, 0.0, -1.0], dtype=F64), torch.tensor([0.0, -0.5, 0.3], dtype=F64)
    n = 20_000
    if estimator == "pathwise":
        est = pathwise_gradient(_quadratic, mean, log_var, n, generator=0)
    else:
        baseline = {"score": None, "score_constant": 8.0, "score_loo": "leave_one_out"}[estimator]
        est = score_function_gradient(_quadratic, mean, log_var, n, baseline=baseline, generator=0)
    assert isinstance(est, GradientEstimate)
    assert est.grad_mean.shape == est.grad_log_var.shape == (3,) and est.per_sample.shape == (n, 6)
    torch.testing.assert_close(torch.cat([est.grad_mean, est.grad_log_var]), est.per_sample.mean(0))
    assert est.variance.shape == est.standard_error.shape == (6,)
    torch.testing.assert_close(est.standard_error, (est.per_sample.var(0) / n).sqrt())
    error = torch.cat([est.grad_mean, est.grad_log_var]) - _truth(mean, log_var)
    assert bool((error.abs() < 4 * est.standard_error).all()), (error, est.standard_error)


def test_pathwise_and_baselines_reduce_variance():
    mean, log_var = torch.tensor([0.5, 0.0, -1.0], dtype=F64), torch.tensor([0.0, -0.5, 0.3], dtype=F64)
    n = 5_000
    plain = score_function_gradient(_quadratic, mean, log_var, n, generator=1).variance
    expected_f = float(((mean - C).square() + log_var.exp()).sum())  # E f, the best constant
    constant = score_function_gradient(_quadratic, mean, log_var, n, baseline=expected_f, generator=1).variance
    loo = score_function_gradient(_quadratic, mean, log_var, n, baseline="leave_one_out", generator=1).variance
    path = pathwise_gradient(_quadratic, mean, log_var, n, generator=1).variance
    assert bool((path < plain).all())
    assert bool((constant < plain).all()) and bool((loo < plain).all())
    assert float(path.sum()) < float(loo.sum())


def test_score_function_accepts_non_differentiable_f():
    mean, log_var = torch.zeros(2, dtype=F64), torch.zeros(2, dtype=F64)
    # ∇_mean P(z_1 > 0) at mean 0, unit variance: (1/sqrt(2π), 0)
    est = score_function_gradient(lambda z: (z[:, 0] > 0).double(), mean, log_var, 40_000, generator=0)
    assert abs(float(est.grad_mean[0]) - 1 / math.sqrt(2 * math.pi)) < 4 * float(est.standard_error[0])
    with pytest.raises(ValueError, match="differentiabl"):
        pathwise_gradient(lambda z: (z[:, 0] > 0).double(), mean, log_var, 10, generator=0)


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------
def test_bad_input_names_the_argument():
    m, lv = torch.zeros(3, dtype=F64), torch.zeros(3, dtype=F64)
    model = LinearGaussianModel.random(4, 2, noise_var=0.5, generator=0)
    x = torch.zeros(2, 4, dtype=F64)
    enc = _encoder_for(torch.zeros(1, 2, dtype=F64), torch.zeros(1, 2, dtype=F64))
    cases = [
        (lambda: diag_gaussian_log_prob(torch.zeros(2), m, lv), "z"),
        (lambda: kl_diag_gaussians(m, torch.zeros(2, dtype=F64), m, lv), "log_var_q"),
        (lambda: kl_diag_gaussian_standard_normal(m, torch.full((3,), float("nan"))), "log_var"),
        (lambda: kl_gaussians(m, torch.eye(3, dtype=F64), m, -torch.eye(3, dtype=F64)), "cov_p"),
        (lambda: kl_gaussians(m, torch.ones(3, 3, dtype=F64), m, torch.eye(3, dtype=F64)), "cov_q"),
        (lambda: kl_gaussians(m, torch.eye(2, dtype=F64), m, torch.eye(3, dtype=F64)), "cov_q"),
        (lambda: kl_gaussians(m, torch.tensor([[1.0, 0.5, 0], [0, 1, 0], [0, 0, 1]], dtype=F64),
                              m, torch.eye(3, dtype=F64)), "cov_q must be symmetric"),
        (lambda: kl_monte_carlo(_diag_normal(m, lv), _diag_normal(m, lv), 0), "n_samples"),
        (lambda: kl_monte_carlo(_diag_normal(m, lv), _diag_normal(m, lv), 10, generator=_g(0)), "generator"),
        (lambda: rsample_diag_gaussian(m, lv, 0), "n_samples"),
        (lambda: rsample_diag_gaussian(m, lv, 3, generator="seed"), "generator"),
        (lambda: LinearGaussianModel(torch.ones(4, 2), torch.zeros(4), noise_var=-1.0), "noise_var"),
        (lambda: LinearGaussianModel(torch.ones(4, 2), torch.zeros(3), noise_var=1.0), "bias"),
        (lambda: model.log_marginal(torch.zeros(2, 3)), "x"),
        (lambda: model.log_likelihood(x, torch.zeros(2, 3)), "z"),
        (lambda: iwae_bound(x, enc, model.log_likelihood, k=0), "k"),
        (lambda: iwae_bound(x, enc, model.log_likelihood, k=5, max_elements=0), "max_elements"),
        (lambda: iwae_bound(x, lambda x: (torch.zeros(1, 2), torch.zeros(1, 2)), model.log_likelihood, k=5),
         "encoder"),
        (lambda: iwae_bound(x, lambda x: torch.zeros(2, 2), model.log_likelihood, k=5), "encoder"),
        (lambda: elbo(x, enc, model.log_likelihood, kl="exact"), "analytic"),
        (lambda: elbo(x, _encoder_for(torch.zeros(1, 2, dtype=F64), torch.zeros(1, 2, dtype=F64)),
                      lambda x, z: z.sum(-1).sum(0)), "log_likelihood"),
        (lambda: elbo(torch.full((2, 4), float("nan")), enc, model.log_likelihood), "x"),
        (lambda: score_function_gradient(_quadratic, m, lv, 10, baseline="mean"), "baseline"),
        (lambda: score_function_gradient(_quadratic, m, lv, 10, baseline=[1.0]), "baseline"),
        (lambda: score_function_gradient(_quadratic, m, lv, 1, baseline="leave_one_out"), "n_samples"),
        (lambda: score_function_gradient(lambda z: z, m, lv, 10), "f must map"),
        (lambda: pathwise_gradient(_quadratic, torch.zeros(2, 3), torch.zeros(2, 3), 10), "mean"),
        (lambda: pathwise_gradient(_quadratic, m, lv, 0), "n_samples"),
    ]
    for call, name in cases:
        with pytest.raises(ValueError, match=name):
            call()


# ---------------------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------------------
def test_float32_is_kept():
    m, lv = torch.zeros(2, 3), torch.zeros(2, 3)
    assert kl_diag_gaussian_standard_normal(m, lv).dtype == torch.float32
    assert rsample_diag_gaussian(m, lv, 4, generator=0).dtype == torch.float32
    model = LinearGaussianModel.random(4, 3, noise_var=0.5, generator=0, dtype=torch.float32)
    x, _ = model.sample(2, generator=1)
    assert iwae_bound(x, _encoder_for(m, lv), model.log_likelihood, k=3, generator=0).dtype == torch.float32


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_results_stay_on_the_device_and_match_the_cpu():
    model = _orthogonal_model()
    x, _ = model.sample(6, generator=1)
    mean, log_var = _shifted_posterior(model, x)
    cpu = iwae_bound(x, _encoder_for(mean, log_var), model.log_likelihood, k=50, generator=_g(3))
    gpu_model = LinearGaussianModel(model.weight.cuda(), model.bias.cuda(), model.noise_var)
    gpu = iwae_bound(x.cuda(), _encoder_for(mean.cuda(), log_var.cuda()), gpu_model.log_likelihood, k=50,
                     max_elements=6 * 2 * 7, generator=_g(3))  # a CPU generator: the same draws
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=1e-10)
    for value in (kl_gaussians(mean.cuda(), torch.eye(2, dtype=F64, device="cuda"), mean.cuda() + 1,
                               2 * torch.eye(2, dtype=F64, device="cuda")),
                  gpu_model.log_marginal(x.cuda()), gpu_model.posterior(x.cuda())[1],
                  rsample_diag_gaussian(mean.cuda(), log_var.cuda(), 3),
                  elbo(x.cuda(), _encoder_for(mean.cuda(), log_var.cuda()), gpu_model.log_likelihood, 4),
                  pathwise_gradient(_quadratic, mean[0].cuda(), log_var[0].cuda() * 0, 10).per_sample):
        assert value.device.type == "cuda"
