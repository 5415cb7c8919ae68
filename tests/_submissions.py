"""Submissions for every assignment, built from the reference solution by replacing answer
cells (used by tests/test_pipeline.py and the simulated class of tests/_simulated_class.py).

a01–a03 are here; a04–a06 are in their own modules and merged in below.
"""
from __future__ import annotations

from ._a04_submissions import A04_SUBMISSIONS
from ._a05_submissions import A05_SUBMISSIONS
from ._a06_submissions import A06_SUBMISSIONS

# Submissions built from the reference solution by replacing answer cells:
# (assignment, student) -> ([(answer cell, new source), ...], test cells that must lose their points).
# "different" students write correct answers differently from the reference (other formulas,
# loops, float32, code that prints warnings, their own helper names starting with check_): they
# must score full marks. The others are wrong in one deliberate way each and must lose exactly
# the listed test cells. The tests after test_submission_loses_exactly_the_expected_points read the
# reasons the report and the feedback give.
SUBMISSIONS = {
    ("a01_probability_kde", "wrong"): ([
        ("gaussian_mle",
         "def gaussian_mle(x):\n    return x.mean(0), torch.cov(x.T).reshape(x.shape[1], x.shape[1])\n"),
        ("gaussian_log_prob",
         "def gaussian_log_prob(x, mean, cov):\n"
         "    d = x.shape[1]\n"
         "    diff = x - mean\n"
         "    quad = (diff @ torch.linalg.inv(cov) * diff).sum(1)\n"
         "    dens = torch.exp(-0.5 * quad) / torch.sqrt(torch.linalg.det(2 * math.pi * cov))\n"
         "    return torch.log(dens)\n"),
        ("poisson_mle", "def poisson_mle(k):\n    return float(k.sum()) / len(k)\n"),
        ("kde_log_density",
         "def kde_log_density(queries, data, bandwidth):\n"
         "    d = data.shape[1]\n"
         "    sq = ((queries[:, None, :] - data[None, :, :]) ** 2).sum(-1)\n"
         "    return torch.logsumexp(-sq / (2 * bandwidth**2), dim=1) - 0.5 * d * math.log(2 * math.pi * bandwidth**2)\n"),
        ("scott_bandwidth_matrix",
         "import numpy as np\n"
         "def scott_bandwidth_matrix(data):\n"
         "    n, d = data.shape\n"
         "    return n ** (-2.0 / (d + 4)) * np.atleast_2d(np.cov(data.numpy(), rowvar=False))\n"),
        ("loo_log_likelihood",
         "def loo_log_likelihood(data, bandwidth):\n"
         "    n, d = data.shape\n"
         "    sq = ((data[:, None, :] - data[None, :, :]) ** 2).sum(-1)\n"
         "    log_k = (-sq / (2 * bandwidth**2)).masked_fill(torch.eye(n, dtype=torch.bool), float('-inf'))\n"
         "    return (torch.logsumexp(log_k, 1) - math.log(n - 1) - 0.5 * d * math.log(2 * math.pi * bandwidth**2)).mean()\n"
         "\n"
         "def select_bandwidth(data, grid):\n"
         "    scores = torch.stack([loo_log_likelihood(data, h) for h in grid])\n"
         "    return grid[int(scores.argmin())]  # the worst, not the best\n"),
    ], {"test_gaussian_mle_values", "test_gaussian_mle_hidden",
        "test_gaussian_log_prob_values", "test_gaussian_log_prob_tails",
        "test_poisson_mle", "test_poisson_mle_hidden",
        "test_kde_log_density", "test_kde_log_density_hidden", "test_kde_log_density_tails",
        "test_scott_bandwidth_matrix",
        "test_select_bandwidth", "test_select_bandwidth_hidden",
        # the experiment (task 9) runs on these answers: the worst bandwidth is chosen and
        # Scott's matrix is a NumPy array, so the cell stops before filling its dicts
        "test_bandwidth_experiment", "test_bandwidth_experiment_band", "test_bandwidth_experiment_values"}),
    ("a01_probability_kde", "wrong_shape"): ([
        ("gaussian_mle", "def gaussian_mle(x):\n    return x.mean(0), x.var(0, unbiased=False)\n"),
    ], {"test_gaussian_mle_shapes", "test_gaussian_mle_values", "test_gaussian_mle_hidden"}),
    ("a01_probability_kde", "different"): ([
        ("gaussian_mle",
         "def gaussian_mle(x):\n"
         "    n = x.shape[0]\n"
         "    mean = sum(x[i] for i in range(n)) / n\n"
         "    cov = torch.einsum('ni,nj->ij', x, x) / n - torch.outer(mean, mean)\n"
         "    return mean, cov\n"),
        ("poisson_mle", "def poisson_mle(k):\n    return k.float().mean()  # float32: right, at float32 precision\n"),
        ("gaussian_mean_map",
         "def gaussian_mean_map(x, noise_var, prior_mean, prior_var):\n"
         "    value = (prior_mean / prior_var + x.sum() / noise_var) / (1 / prior_var + len(x) / noise_var)\n"
         "    return torch.tensor(value)  # copy-constructing a tensor prints a UserWarning\n"),
        ("gaussian_log_prob",
         "def check_shapes(x, mean, cov):\n"
         "    assert x.shape[1] == mean.shape[0] == cov.shape[0]\n"
         "\n"
         "def gaussian_log_prob(x, mean, cov):\n"
         "    check_shapes(x, mean, cov)\n"
         "    check_n = x.shape[1]\n"
         "    _, logdet = torch.linalg.slogdet(cov)\n"
         "    diff = (x - mean).T\n"
         "    quad = (diff * torch.cholesky_solve(diff, torch.linalg.cholesky(cov))).sum(0)\n"
         "    return -0.5 * (quad + logdet + check_n * math.log(2 * math.pi))\n"),
        ("kde_log_density",
         "def kde_log_density(queries, data, bandwidth):\n"
         "    n, d = data.shape\n"
         "    log_k = -torch.cdist(queries, data) ** 2 / (2 * bandwidth**2)\n"
         "    return torch.logsumexp(log_k - math.log(n), dim=1) - d * math.log(bandwidth * math.sqrt(2 * math.pi))\n"),
        ("loo_log_likelihood",
         "def loo_log_likelihood(data, bandwidth):\n"
         "    n, d = data.shape\n"
         "    total = 0.0\n"
         "    for i in range(n):  # one loop over points, vectorised inside\n"
         "        others = torch.cat([data[:i], data[i + 1:]])\n"
         "        log_k = -((others - data[i]) ** 2).sum(1) / (2 * bandwidth**2)\n"
         "        total = total + torch.logsumexp(log_k, 0) - math.log(n - 1)\n"
         "    return total / n - 0.5 * d * math.log(2 * math.pi * bandwidth**2)\n"
         "\n"
         "def select_bandwidth(data, grid):\n"
         "    best = None\n"
         "    for h in grid:\n"
         "        score = loo_log_likelihood(data, h)\n"
         "        if best is None or score > best[0]:\n"
         "            best = (score, h)\n"
         "    return best[1]\n"),
        ("bandwidth_experiment",
         "loo_scores = {h: loo_log_likelihood(x_train, h).item() for h in grid}  # no select_bandwidth\n"
         "h_scott = math.sqrt(scott_bandwidth_matrix(x_train).item())\n"
         "bandwidth = {'scott': h_scott, 'loo': max(loo_scores, key=loo_scores.get)}\n"
         "heldout = {rule: kde_log_density(x_test, x_train, h).mean().item() for rule, h in bandwidth.items()}\n"),
    ], set()),
    ("a01_probability_kde", "slow"): ([
        ("loo_log_likelihood",
         "def loo_log_likelihood(data, bandwidth):\n"
         "    n, d = data.shape\n"
         "    total = 0.0\n"
         "    for i in range(n):  # a double loop over pairs: right, but about 3 s per bandwidth for n = 400\n"
         "        log_terms = [-((data[i] - data[j]) ** 2).sum() / (2 * bandwidth**2) for j in range(n) if j != i]\n"
         "        total += float(torch.logsumexp(torch.stack(log_terms), 0)) - math.log(n - 1)\n"
         "    return torch.tensor(total / n - 0.5 * d * math.log(2 * math.pi * bandwidth**2))\n"
         "\n"
         "def select_bandwidth(data, grid):\n"
         "    scores = [float(loo_log_likelihood(data, h)) for h in grid]\n"
         "    return grid[scores.index(max(scores))]\n"),
    ], {"test_select_bandwidth_hidden"}),
    ("a02_mmd", "wrong"): ([
        ("mmd2_biased",
         "def mmd2_biased(x, y, bandwidth):\n"
         "    n, m = len(x), len(y)\n"
         "    k_xx = gaussian_kernel_matrix(x, x, bandwidth)\n"
         "    k_yy = gaussian_kernel_matrix(y, y, bandwidth)\n"
         "    return ((k_xx.sum() - n) / n**2 + (k_yy.sum() - m) / m**2\n"
         "            - 2 * gaussian_kernel_matrix(x, y, bandwidth).mean())\n"),
        ("permutation_null_statistics",
         "def permutation_null_statistics(x, y, bandwidth, permutations):\n"
         "    z, n = torch.cat([x, y]), len(x)\n"
         "    return [mmd2_unbiased(z[p][:n], z[p][n:], bandwidth) for p in permutations]\n"),
        ("permutation_p_value",
         "def permutation_p_value(observed, null_statistics):\n"
         "    return (null_statistics >= observed).double().mean()\n"),
        ("mmd_net_step",
         "def mmd_net_step(generator, optimizer, x_real, z, bandwidth):\n"
         "    loss = mmd2_unbiased(generator(z), x_real, bandwidth)\n"
         "    loss.backward()\n"
         "    optimizer.step()\n"
         "    return loss.item()\n"),
    ], {"test_mmd2_biased", "test_mmd2_biased_hidden", "test_permutation_null_statistics",
        "test_permutation_p_value", "test_permutation_p_value_hidden",
        "test_mmd_net_step", "test_mmd_net_step_hidden", "test_mmd_net_step_training",
        # the experiment (task 7) runs this test: the null statistics are a list, so comparing them
        # with the observed one fails and the cell stops before filling its dicts
        "test_power_experiment", "test_power_experiment_band", "test_power_experiment_values"}),
    ("a02_mmd", "wrong_kernel"): ([
        ("gaussian_kernel_matrix",
         "def gaussian_kernel_matrix(x, y, bandwidth):\n"
         "    sq_dist = (x**2).sum(dim=1)[:, None] + (y**2).sum(dim=1)[None, :] - 2.0 * x @ y.T\n"
         "    return torch.exp(-sq_dist / (2.0 * bandwidth**2))  # no clamp\n"),
        ("mmd2_unbiased",
         "def mmd2_unbiased(x, y, bandwidth):\n"
         "    n, m = x.shape[0], y.shape[0]\n"
         "    if n < 2 or m < 2:\n"
         "        raise ValueError('need two points')\n"
         "    k_xx = gaussian_kernel_matrix(x, x, bandwidth)\n"
         "    k_yy = gaussian_kernel_matrix(y, y, bandwidth)\n"
         "    k_xy = gaussian_kernel_matrix(x, y, bandwidth)\n"
         "    return ((k_xx.sum() - n) / (n * (n - 1)) + (k_yy.sum() - m) / (m * (m - 1))\n"
         "            - 2.0 * k_xy.sum() / (n * n))  # cross term over n*n\n"),
    ], {"test_gaussian_kernel_matrix", "test_mmd2_unbiased", "test_mmd2_unbiased_hidden",
        "test_permutation_null_statistics"}),
    ("a02_mmd", "different"): ([
        ("gaussian_kernel_matrix",
         "def gaussian_kernel_matrix(x, y, bandwidth):\n"
         "    diff = x[:, None, :] - y[None, :, :]  # direct differences: never negative\n"
         "    return torch.exp(-(diff**2).sum(-1) / (2.0 * bandwidth**2))\n"),
        ("mmd2_unbiased",
         "def mmd2_unbiased(x, y, bandwidth):\n"
         "    n, m = len(x), len(y)\n"
         "    check_n = min(n, m)\n"
         "    if check_n < 2:\n"
         "        raise ValueError(f'need at least two points per sample, got {n} and {m}')\n"
         "    off = lambda k: k.sum() - k.diagonal().sum()\n"
         "    return (off(gaussian_kernel_matrix(x, x, bandwidth)) / (n * (n - 1))\n"
         "            + off(gaussian_kernel_matrix(y, y, bandwidth)) / (m * (m - 1))\n"
         "            - 2.0 * gaussian_kernel_matrix(x, y, bandwidth).sum() / (n * m))\n"),
        ("permutation_null_statistics",
         "def permutation_null_statistics(x, y, bandwidth, permutations):\n"
         "    z, n = torch.cat([x, y]), len(x)\n"
         "    return torch.stack([mmd2_unbiased(z[p][:n], z[p][n:], bandwidth) for p in permutations])\n"),
        ("permutation_p_value",
         "def permutation_p_value(observed, null_statistics):\n"
         "    count = (null_statistics >= observed).sum()\n"
         "    return ((count + 1) / (len(null_statistics) + 1)).float()  # float32\n"),
        ("mmd_net_step",
         "def mmd_net_step(generator, optimizer, x_real, z, bandwidth):\n"
         "    optimizer.zero_grad(set_to_none=False)\n"
         "    loss = mmd2_unbiased(generator(z), x_real, bandwidth)\n"
         "    loss.backward()\n"
         "    optimizer.step()\n"
         "    return float(loss)  # float() of a tensor that requires grad prints a UserWarning\n"),
        ("power_experiment",
         "store = {}\n"
         "for r in range(R):\n"
         "    x, y0, y1, perms = draw_replicate(experiment_generator)\n"
         "    for s in bandwidths:\n"
         "        for label, y in [('null', y0), ('alternative', y1)]:\n"
         "            p = permutation_p_value(mmd2_unbiased(x, y, s), permutation_null_statistics(x, y, s, perms))\n"
         "            store.setdefault((s, label), []).append(float(p))  # float32 p-values, as floats\n"
         "p_values = {key: torch.tensor(ps) for key, ps in store.items()}\n"
         "type_one_error = {s: sum(p <= alpha for p in store[s, 'null']) / R for s in bandwidths}\n"
         "power = {s: sum(p <= alpha for p in store[s, 'alternative']) / R for s in bandwidths}\n"),
    ], set()),
    ("a03_em_gmm", "wrong"): ([
        ("e_step",
         "def e_step(x, weights, means, covs):\n"
         "    return component_log_joint(x, weights, means, covs)\n"),
        ("fit_gmm",
         "def fit_gmm(x, weights, means, covs, n_iter, reg_covar=1e-6):\n"
         "    history = []\n"
         "    for _ in range(n_iter):\n"
         "        weights, means, covs = m_step(x, e_step(x, weights, means, covs), reg_covar)\n"
         "        history.append(gmm_log_likelihood(x, weights, means, covs).item())  # after the M-step\n"
         "    return weights, means, covs, history\n"),
    ], {"test_e_step", "test_e_step_hidden", "test_fit_gmm", "test_fit_gmm_hidden",
        # the experiment (task 5) fits with this EM: the M-steps get unnormalised responsibilities, so
        # the fits are nonsense (part (a) keeps only its format and direction) and the collapse run fails
        "test_model_selection_band", "test_model_selection_values", "test_collapse", "test_collapse_band"}),
    ("a03_em_gmm", "wrong_loop"): ([
        ("e_step",
         "def e_step(x, weights, means, covs):\n"
         "    joint = component_log_joint(x, weights, means, covs)\n"
         "    return (joint - torch.logsumexp(joint, dim=1, keepdim=True)).exp()  # probabilities\n"),
        ("fit_gmm",
         "def fit_gmm(x, weights, means, covs, n_iter, reg_covar=1e-6):\n"
         "    history = []\n"
         "    for _ in range(n_iter):\n"
         "        joint = component_log_joint(x, weights, means, covs)\n"
         "        log_norm = torch.logsumexp(joint, dim=1, keepdim=True)\n"
         "        history.append(log_norm.mean())  # tensors, not floats\n"
         "        weights, means, covs = m_step(x, joint - log_norm)  # reg_covar ignored\n"
         "    return weights, means, covs, history\n"),
    ], {"test_e_step", "test_e_step_hidden", "test_fit_gmm", "test_fit_gmm_hidden",
        # task 5 (b): the regularised run is not regularised (trace 2e-6) and its history holds tensors
        "test_collapse", "test_collapse_band"}),
    ("a03_em_gmm", "wrong_count"): ([
        ("fit_gmm",
         "def fit_gmm(x, weights, means, covs, n_iter, reg_covar=1e-6):\n"
         "    history = []\n"
         "    for _ in range(n_iter - 1):  # one iteration short\n"
         "        joint = component_log_joint(x, weights, means, covs)\n"
         "        log_norm = torch.logsumexp(joint, dim=1, keepdim=True)\n"
         "        history.append(log_norm.mean().item())\n"
         "        weights, means, covs = m_step(x, joint - log_norm, reg_covar)\n"
         "    history.append(gmm_log_likelihood(x, weights, means, covs).item())\n"
         "    return weights, means, covs, history\n"),
    ], {"test_fit_gmm_hidden",
        # task 5 (b): the one-iteration run does no iteration at all, so nothing collapses
        "test_collapse", "test_collapse_band"}),
    ("a03_em_gmm", "different"): ([
        ("gmm_log_likelihood",
         "def component_log_joint(x, weights, means, covs):\n"
         "    dist = torch.distributions.MultivariateNormal(means, covariance_matrix=covs)\n"
         "    return torch.log(weights) + dist.log_prob(x[:, None, :])\n"
         "\n"
         "def gmm_log_likelihood(x, weights, means, covs):\n"
         "    return torch.logsumexp(component_log_joint(x, weights, means, covs), dim=1).sum() / len(x)\n"),
        ("m_step",
         "def m_step(x, log_resp, reg_covar=1e-6):\n"
         "    resp = torch.exp(log_resp)\n"
         "    weights, means, covs = [], [], []\n"
         "    for k in range(resp.shape[1]):  # a loop over components is fine\n"
         "        r = resp[:, k]\n"
         "        nk = r.sum()\n"
         "        mu = (r[:, None] * x).sum(0) / nk\n"
         "        centred = x - mu\n"
         "        weights.append(nk / len(x))\n"
         "        means.append(mu)\n"
         "        covs.append((r[:, None] * centred).T @ centred / nk + reg_covar * torch.eye(x.shape[1]))\n"
         "    return torch.stack(weights), torch.stack(means), torch.stack(covs)\n"),
        ("em_experiment",
         "n_fit = len(x_fit)\n"
         "fitted = {K: fit_gmm(x_fit, *initial_parameters(K), 100)[:3] for K in candidate_ks}\n"
         "heldout_ll = {K: gmm_log_likelihood(x_val, *fitted[K]).item() for K in candidate_ks}\n"
         "def n_free(K, d=2):\n"
         "    return K * (1 + d + d * (d + 1) / 2) - 1\n"
         "bic = {K: n_free(K) * math.log(n_fit) - 2 * n_fit * gmm_log_likelihood(x_fit, *fitted[K]).item()\n"
         "       for K in candidate_ks}\n"
         "best_k = {'heldout': sorted(candidate_ks, key=lambda K: -heldout_ll[K])[0],\n"
         "          'bic': sorted(candidate_ks, key=bic.get)[0]}\n"
         "collapse_fits = {'collapse': fit_gmm(x_fit, *collapse_start, 1, 0.0)[:3]}\n"
         "w, m, c, history = fit_gmm(x_fit, *collapse_start, 30, 1e-3)\n"
         "collapse_fits['regularised'] = (w, m, c)\n"
         "cov0 = collapse_fits['collapse'][2][0]\n"
         "collapse = {'weight': collapse_fits['collapse'][0][0].item(), 'trace': torch.diagonal(cov0).sum().item()}\n"
         "regularised = {'weight': w[0].item(), 'trace': torch.trace(c[0]).item(), 'loglik': float(history[-1])}\n"),
    ], set()),
}
SUBMISSIONS.update(A04_SUBMISSIONS)
SUBMISSIONS.update(A05_SUBMISSIONS)
SUBMISSIONS.update(A06_SUBMISSIONS)
LOOP = ("a01_probability_kde", "poisson_mle", "while True:\n    pass\n",
        {"test_poisson_mle", "test_poisson_mle_hidden"})
