"""Submissions for a04_elbo_estimators built from the reference solution by replacing answer cells.

(assignment, student) -> ([(answer cell grade_id, new source), ...], test cells that must lose their points),
in the format of ``SUBMISSIONS`` in tests/test_pipeline.py. "different" writes every answer correctly but
differently from the reference (loops, other formulas, float32 where harmless, helpers named check_...,
an estimated baseline and more draws in the experiment): full marks. "wrong" makes four independent
mistakes; each loses its own tests and the tests of the later tasks that build on it:

* a detached reparameterised sample: the rsample gradient test, and the gradient comparisons of the ELBO
  and the IWAE bound with the reference (both draw their samples with it; the values stay right);
* the KL with the wrong sign of its log-variance term: every KL test and every ELBO test (value and
  gradient: the ELBO subtracts the student's KL);
* a naive log-mean-exp in the IWAE bound: the visible far-tail test (log w = -1000 underflows);
* a score-function estimator without its log_var part: every score-function test (task 7 only uses the
  mean part, so the experiment keeps its points).

The written answer (``written_variance``) is graded by hand and is not replaced here.
"""
from __future__ import annotations

A = "a04_elbo_estimators"

A04_SUBMISSIONS = {
    (A, "different"): ([
        ("kl_diag_gaussian_standard_normal",
         "def kl_diag_gaussian_standard_normal(mean, log_var):\n"
         "    total = torch.zeros(mean.shape[:-1], dtype=mean.dtype)\n"
         "    for i in range(mean.shape[-1]):\n"
         "        m, lv = mean[..., i], log_var[..., i]\n"
         "        total = total + 0.5 * (torch.exp(lv) - 1.0 - lv + m * m)\n"
         "    return total\n"),
        ("rsample_diag_gaussian",
         "def rsample_diag_gaussian(mean, log_var, n_samples, generator=None):\n"
         "    noise = torch.randn(n_samples, *mean.shape, generator=generator, dtype=mean.dtype)\n"
         "    std = torch.sqrt(torch.exp(log_var))\n"
         "    return std.unsqueeze(0) * noise + mean.unsqueeze(0)\n"),
        ("score_function_gradient",
         "def check_score_terms(z, mean, log_var):\n"
         "    var = torch.exp(log_var)\n"
         "    return (z - mean) / var, ((z - mean) ** 2 / var - 1.0) / 2.0\n"
         "\n"
         "def score_function_gradient(f, mean, log_var, eps, baseline=0.0):\n"
         "    z = mean + torch.exp(log_var / 2) * eps\n"
         "    g_mean, g_log_var = check_score_terms(z, mean, log_var)\n"
         "    w = (f(z) - baseline).unsqueeze(1)\n"
         "    return torch.hstack([w * g_mean, w * g_log_var]).to(torch.float32)\n"),
        ("pathwise_gradient",
         "def pathwise_gradient(f, mean, log_var, eps):\n"
         "    n, d = eps.shape\n"
         "    m = mean.detach().expand(n, d).clone().requires_grad_(True)\n"
         "    lv = log_var.detach().expand(n, d).clone().requires_grad_(True)\n"
         "    z = m + torch.exp(0.5 * lv) * eps\n"
         "    g_m, g_lv = torch.autograd.grad(f(z).sum(), [m, lv])\n"
         "    return torch.cat([g_m, g_lv], dim=-1).detach()\n"),
        ("elbo_monte_carlo",
         "def elbo_monte_carlo(x, encoder, log_likelihood, n_samples, generator=None):\n"
         "    mean, log_var = encoder(x)\n"
         "    z = rsample_diag_gaussian(mean, log_var, n_samples, generator)\n"
         "    ll = log_likelihood(x, z)\n"
         "    total = 0\n"
         "    for s in range(n_samples):\n"
         "        total = total + ll[s]\n"
         "    kl = 0.5 * (mean.pow(2) + log_var.exp() - log_var - 1).sum(dim=1)\n"
         "    return total / n_samples - kl\n"),
        ("iwae_bound",
         "def check_log_normal(z, mean, log_var):\n"
         "    return -0.5 * (math.log(2 * math.pi) * z.shape[-1]\n"
         "                   + (log_var + (z - mean) ** 2 / torch.exp(log_var)).sum(-1))\n"
         "\n"
         "def iwae_bound(x, encoder, log_likelihood, k, generator=None):\n"
         "    mean, log_var = encoder(x)\n"
         "    z = rsample_diag_gaussian(mean, log_var, k, generator)\n"
         "    log_w = (log_likelihood(x, z) + check_log_normal(z, torch.zeros_like(z), torch.zeros_like(z))\n"
         "             - check_log_normal(z, mean, log_var))\n"
         "    top = log_w.max(dim=0).values\n"
         "    return top + torch.log(torch.exp(log_w - top).mean(dim=0))\n"),
        ("estimator_variance_experiment",
         "gen7 = torch.Generator().manual_seed(2024)\n"
         "mean7 = torch.tensor([0.5, -0.5, 0.0, 1.0, 0.0])\n"
         "log_var7 = torch.tensor([0.0, -1.0, 0.5, 0.0, -0.5])\n"
         "c7 = torch.ones(5)\n"
         "f7 = lambda z: ((z - c7)**2).sum(dim=1)\n"
         "\n"
         "measured_variance = {}\n"
         "samples_needed = {}\n"
         "draws = torch.randn(200_000, 5, generator=gen7)\n"
         "estimated_baseline = f7(mean7 + torch.exp(0.5 * log_var7) * draws).mean().item()\n"
         "for name, per in [('score', score_function_gradient(f7, mean7, log_var7, draws)),\n"
         "                  ('score_baseline', score_function_gradient(f7, mean7, log_var7, draws, estimated_baseline)),\n"
         "                  ('pathwise', pathwise_gradient(f7, mean7, log_var7, draws))]:\n"
         "    measured_variance[name] = per[:, 0].double().var(unbiased=False).item()\n"
         "    samples_needed[name] = int(math.ceil(measured_variance[name] / 0.0025))\n"
         "print(measured_variance, samples_needed)\n"),
    ], set()),
    (A, "wrong"): ([
        ("rsample_diag_gaussian",
         "def rsample_diag_gaussian(mean, log_var, n_samples, generator=None):\n"
         "    eps = torch.randn(n_samples, *mean.shape, generator=generator, dtype=mean.dtype)\n"
         "    return (mean + torch.exp(0.5 * log_var) * eps).detach()\n"),
        ("kl_diag_gaussian_standard_normal",
         "def kl_diag_gaussian_standard_normal(mean, log_var):\n"
         "    return 0.5 * (torch.exp(log_var) - 1 + log_var + mean**2).sum(-1)\n"),
        ("iwae_bound",
         "def iwae_bound(x, encoder, log_likelihood, k, generator=None):\n"
         "    mean, log_var = encoder(x)\n"
         "    z = rsample_diag_gaussian(mean, log_var, k, generator)\n"
         "    log_prior = -0.5 * (math.log(2 * math.pi) + z**2).sum(-1)\n"
         "    log_q = -0.5 * (math.log(2 * math.pi) + log_var + (z - mean)**2 * torch.exp(-log_var)).sum(-1)\n"
         "    log_w = log_likelihood(x, z) + log_prior - log_q\n"
         "    return torch.log(torch.exp(log_w).mean(dim=0))\n"),
        ("score_function_gradient",
         "def score_function_gradient(f, mean, log_var, eps, baseline=0.0):\n"
         "    z = mean + torch.exp(0.5 * log_var) * eps\n"
         "    grad_mean = (f(z) - baseline)[:, None] * (z - mean) * torch.exp(-log_var)\n"
         "    return torch.cat([grad_mean, torch.zeros_like(grad_mean)], dim=1)\n"),
    ], {"test_rsample_diag_gaussian_grad", "test_elbo_monte_carlo_grad", "test_iwae_bound_hidden",
        "test_kl_diag_gaussian_standard_normal", "test_kl_diag_gaussian_standard_normal_hidden",
        "test_kl_diag_gaussian_standard_normal_extreme", "test_elbo_monte_carlo", "test_elbo_monte_carlo_hidden",
        "test_iwae_bound",
        "test_score_function_gradient", "test_score_function_gradient_hidden",
        "test_score_function_gradient_baseline", "test_score_function_gradient_unbiased"}),
}
