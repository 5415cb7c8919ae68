"""The nbgrader pipeline end to end, on a scratch copy of the course.

One class is autograded per module run: for every assignment, the reference solution (full
marks), the untouched release (zero), correct answers written differently (full marks), wrong
ones (exactly the intended points lost), and for a01 an infinite loop, a slow answer and a
crash. The tests then read the gradebook, the report and the feedback.
"""
from __future__ import annotations

import csv
import html
import re

import nbformat
import pytest

from course_lib.autograde import instructor
from course_lib.autograde.report import format_report, write_cell_report, write_report

from ._a04_submissions import A04_SUBMISSIONS
from ._a05_submissions import A05_SUBMISSIONS
from ._a06_submissions import A06_SUBMISSIONS
from ._course import ASSIGNMENTS, SOLUTIONS, assignment_ids, grade_cells, read_notebooks, replace_cell, scratch_course, submit

pytestmark = pytest.mark.slow

TIMEOUT = 15  # seconds per cell in these tests (the course default is 30); the slow answer needs ~30 s

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


def _points(nb) -> dict[str, float]:
    return {gid: float(c.metadata["nbgrader"].get("points", 0)) for gid, c in grade_cells(nb).items()
            if c.metadata["nbgrader"].get("grade")}


def _replace_answers(nb, replacements):
    for answer, source in replacements:
        nb = replace_cell(nb, answer, source)
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = scratch_course(tmp_path_factory.mktemp("pipeline"))
    api = instructor.make_api(root, {"Execute": {"timeout": TIMEOUT}})
    instructor.release_all(api)
    expected = {}  # (assignment, student) -> expected lost test ids
    for a in assignment_ids():
        sol = read_notebooks(SOLUTIONS / a)
        rel = read_notebooks(root / "assignments" / a)
        all_tests = {gid for nb in sol.values() for gid in _points(nb)}
        submit(root, "solution", a, sol)
        submit(root, "untouched", a, rel)
        expected[a, "solution"], expected[a, "untouched"] = set(), all_tests
    for (a, student), (replacements, lost) in SUBMISSIONS.items():
        (name, nb), = read_notebooks(SOLUTIONS / a).items()
        submit(root, student, a, {name: _replace_answers(nb, replacements)})
        expected[a, student] = lost
    a, answer, source, lost = LOOP
    name, nb = next((n, nb) for n, nb in read_notebooks(SOLUTIONS / a).items() if answer in grade_cells(nb))
    submit(root, "loop", a, {name: replace_cell(nb, answer, source)})
    expected[a, "loop"] = lost
    submit(root, "crash", a, {name: replace_cell(nb, answer, "import os\nos._exit(1)\n")})

    results = {}
    for a in assignment_ids():
        for r in instructor.autograde_class(api, a, progress=False):
            results[a, r.student_id] = r
        instructor.generate_feedback(api, a)
    return root, api, results, expected


def _max_points(a: str) -> dict[str, float]:
    return {gid: p for nb in read_notebooks(SOLUTIONS / a).values() for gid, p in _points(nb).items()}


@pytest.mark.parametrize("assignment", assignment_ids())
def test_solution_gets_full_marks(graded, assignment):
    _, _, results, _ = graded
    r = results[assignment, "solution"]
    assert r.status == "graded", r.problems
    assert r.max_score == sum(_max_points(assignment).values()) > 0
    assert r.score == r.max_score - r.pending_points, f"reference solution lost points: {r.problems}"
    manual = {gid for nb in read_notebooks(SOLUTIONS / assignment).values() for gid, c in grade_cells(nb).items()
              if c.metadata["nbgrader"].get("grade") and c.cell_type == "markdown"}
    assert {c.cell for c in r.cells if c.pending} == manual


@pytest.mark.parametrize("assignment", assignment_ids())
def test_untouched_release_gets_zero(graded, assignment):
    _, _, results, _ = graded
    r = results[assignment, "untouched"]
    assert r.status == "graded" and r.score == 0, r.problems


@pytest.mark.parametrize("key", sorted(SUBMISSIONS) + [("a01_probability_kde", "loop")], ids="/".join)
def test_submission_loses_exactly_the_expected_points(graded, key):
    """Correct-but-different answers score full marks; each wrong one loses exactly its tests."""
    _, _, results, expected = graded
    r, lost = results[key], expected[key]
    points = _max_points(key[0])
    assert r.status == "graded", r.problems
    actually_lost = {c.cell for c in r.cells if c.score < c.max_score and not c.pending}
    assert actually_lost == lost, f"lost {sorted(actually_lost)}, expected {sorted(lost)}: {r.problems}"
    assert r.score == r.max_score - r.pending_points - sum(points[t] for t in lost), r.problems
    assert all(c.reason for c in r.cells if c.score < c.max_score), r.problems


def _reasons(graded, assignment, student) -> dict[str, str]:
    return {c.cell: c.reason for c in graded[2][assignment, student].cells if c.reason}


def _feedback(graded, assignment, student) -> str:
    root = graded[0]
    return _visible_text((root / "grading" / "feedback" / student / assignment / f"{assignment}.html").read_text())


def test_warnings_cost_nothing_and_stay_visible(graded):
    root, _, results, _ = graded
    for a in ("a01_probability_kde", "a02_mmd"):
        r = results[a, "different"]
        # full marks on everything autograded; only the written answer waits for manual grading
        assert r.score == r.max_score - r.pending_points == r.max_score - 3, r.problems
        assert not [p for p in r.problems if "await manual grading" not in p], r.problems
        nb = nbformat.read(root / "grading" / "autograded" / "different" / a / f"{a}.ipynb", as_version=4)
        printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        assert "UserWarning" in printed, f"{a}: expected the answer's warning in the graded notebook"


def test_a_slow_answer_is_reported_with_the_cell_and_the_fix(graded):
    reason = _reasons(graded, "a01_probability_kde", "slow")["test_select_bandwidth_hidden"]
    assert f"took longer than {TIMEOUT} s" in reason and "'loo_log_likelihood'" in reason, reason
    assert "tensor operations" in reason and "KeyboardInterrupt" not in reason
    page = _feedback(graded, "a01_probability_kde", "slow")
    assert f"test cell 'test_select_bandwidth_hidden' took longer than {TIMEOUT} s" in page


def test_hidden_failures_show_their_name_and_hint_in_the_feedback(graded):
    page = _feedback(graded, "a02_mmd", "wrong")
    assert "parameter 0.weight after one step" in page and "zero the gradients before backward()" in page
    assert "0.5592711116" not in page  # an expected value from the same check


def test_the_cell_report_keeps_whole_messages_and_marks_knock_ons(graded, tmp_path):
    _, _, results, _ = graded
    path = write_cell_report([results["a02_mmd", "wrong_kernel"]], tmp_path / "cells.csv")
    rows = {row["cell"]: row["reason"] for row in csv.DictReader(path.open())}
    unbiased = rows["test_mmd2_unbiased"]
    assert "\n  expected:" in unbiased and "Hint: n(n-1) and m(m-1)" in unbiased, unbiased
    assert "knock-on" in rows["test_permutation_null_statistics"] and "'mmd2_unbiased'" in rows[
        "test_permutation_null_statistics"]
    assert "knock-on" in unbiased and "'gaussian_kernel_matrix'" in unbiased  # it calls the unclamped kernel


def test_messages_point_at_the_actual_mistake(graded):
    shape = _reasons(graded, "a01_probability_kde", "wrong_shape")["test_gaussian_mle_values"]
    assert "expected shape (2, 2), got (2,)" in shape and "divide by n" not in shape, shape
    loop = _reasons(graded, "a03_em_gmm", "wrong_loop")
    assert "holds Tensor" in loop["test_fit_gmm"], loop["test_fit_gmm"]
    assert "returned responsibilities" in loop["test_e_step"], loop["test_e_step"]
    after = _reasons(graded, "a03_em_gmm", "wrong")["test_fit_gmm"]
    assert "before the M-step" in after, after
    wrong = _reasons(graded, "a01_probability_kde", "wrong")
    assert "expected a torch.Tensor, got float" in wrong["test_poisson_mle"]
    assert "expected a torch.Tensor, got ndarray" in wrong["test_scott_bandwidth_matrix"]
    assert "subtract log n" in wrong["test_kde_log_density"]


def test_report_names_the_timeout_and_class_finishes(graded, tmp_path):
    _, _, results, _ = graded
    loop = results["a01_probability_kde", "loop"]
    assert any(f"took longer than {TIMEOUT} s" in p for p in loop.problems), loop.problems
    rows = list(csv.DictReader(write_report(list(results.values()), tmp_path / "r.csv").open()))
    assert {row["student_id"] for row in rows} >= {"solution", "untouched", "wrong", "loop"}
    assert any("took longer than" in row["problems"] for row in rows if row["student_id"] == "loop")
    table = format_report(list(results.values()))
    # a reference solution: every autograded point, the 3-point written answer still pending
    assert "27/30" in table and "took longer than" in table


def test_a_crashing_kernel_fails_only_that_student(graded):
    _, _, results, _ = graded
    crash = results["a01_probability_kde", "crash"]
    assert crash.status == "failed" and crash.problems, crash
    assert "kernel" in crash.problems[0].lower() or "died" in crash.problems[0].lower(), crash.problems
    others = [r for (a, s), r in results.items() if s != "crash"]
    assert others and all(r.status == "graded" for r in others)


def test_export_grades_csv(graded, tmp_path):
    _, api, results, _ = graded
    rows = list(csv.DictReader(instructor.export_grades(api, tmp_path / "grades.csv").open()))
    by_key = {(row["assignment"], row["student_id"]): row for row in rows}
    for (a, s), r in results.items():
        if r.status != "graded":
            continue
        assert float(by_key[a, s]["score"]) == r.score
        assert float(by_key[a, s]["max_score"]) == r.max_score


def test_a_manual_score_counts_in_the_gradebook_and_the_export(graded, tmp_path):
    """A written answer graded by hand (as in the formgrader) counts in the gradebook and the export."""
    from nbgrader.api import Gradebook

    _, api, results, _ = graded
    a, student, written = "a01_probability_kde", "solution", "written_bandwidth"
    before = results[a, student]
    assert {c.cell for c in before.cells if c.pending} == {written} and before.pending_points == 3
    (name, _), = read_notebooks(SOLUTIONS / a).items()
    notebook = name.removesuffix(".ipynb")
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        grade = gb.find_grade(written, notebook, a, student)
        grade.manual_score, grade.needs_manual_grade = 2.5, False  # what the formgrader's Save does
        gb.db.commit()
    try:
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            submission = gb.find_submission(a, student)
            assert float(submission.score) == before.score + 2.5 and not submission.needs_manual_grade
        rows = list(csv.DictReader(instructor.export_grades(api, tmp_path / "grades.csv").open()))
        row = next(r for r in rows if (r["assignment"], r["student_id"]) == (a, student))
        assert float(row["score"]) == before.score + 2.5 and float(row["max_score"]) == 30
    finally:  # leave the shared gradebook as the other tests expect it
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            grade = gb.find_grade(written, notebook, a, student)
            grade.manual_score, grade.needs_manual_grade = None, True
            gb.db.commit()


def test_feedback_withholds_hidden_tests(graded):
    root, _, _, _ = graded
    html_files = list((root / "grading" / "feedback").rglob("*.html"))
    assert html_files
    hidden_lines = _secret_lines(SOLUTIONS, regions=("HIDDEN TESTS",), min_length=20)
    assert hidden_lines
    for path in html_files:
        text = _visible_text(path.read_text())
        assert "BEGIN HIDDEN TESTS" not in text, path
        student, assignment = path.parts[-3], path.parts[-2]
        own = "\n".join(c.source for nb in read_notebooks(root / "grading" / "submitted" / student / assignment).values()
                        for c in nb.cells)  # a student may write a line a hidden test also has
        leaked = [line for line in hidden_lines if line in text and line not in own]
        assert not leaked, f"{path} shows hidden test source: {leaked[:3]}"


def _visible_text(html_text: str) -> str:
    """What a reader of the HTML sees: tags removed (syntax highlighting splits code into
    spans), entities unescaped."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def _secret_lines(folder, regions=("SOLUTION", "HIDDEN TESTS"), min_length=12) -> set[str]:
    """Distinctive source lines that occur only inside the given marked regions of the
    notebooks under ``folder`` (lines also written in public text, e.g. a visible test or a
    hint, are not secrets)."""
    secret, public = set(), []
    for path in folder.rglob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            inside = False
            for line in cell.source.splitlines():
                if any(f"BEGIN {r}" in line for r in regions):
                    inside = True
                elif any(f"END {r}" in line for r in regions):
                    inside = False
                elif inside:
                    secret.add(line.strip())
                else:
                    public.append(line)
    public_text = "\n".join(public)
    return {line for line in secret if len(line) >= min_length and line not in public_text}


@pytest.mark.parametrize("assignment", assignment_ids())
def test_release_is_in_sync_with_solutions(tmp_path, assignment):
    """Generating from solutions/ reproduces the committed assignments/ exactly."""
    root = scratch_course(tmp_path)
    api = instructor.make_api(root)
    instructor.release_all(api, [assignment])
    fresh = read_notebooks(root / "assignments" / assignment)
    committed = read_notebooks(ASSIGNMENTS / assignment)
    assert fresh.keys() == committed.keys()
    for name in fresh:
        assert _stable(fresh[name]) == _stable(committed[name]), (
            f"assignments/{assignment}/{name} is stale: run `make release` and commit the result")


def _stable(nb) -> list:
    """The parts of a notebook that matter to a student (no volatile metadata)."""
    return [(c.cell_type, c.source, c.metadata.get("nbgrader", {}), c.metadata.get("deletable"),
             c.metadata.get("editable")) for c in nb.cells] + [nb.metadata.get("kernelspec")]


@pytest.mark.parametrize("assignment", assignment_ids())
def test_release_has_no_solutions_or_hidden_tests(assignment):
    solution_lines = _secret_lines(SOLUTIONS / assignment)
    assert solution_lines
    for name, nb in read_notebooks(ASSIGNMENTS / assignment).items():
        text = "\n".join(c.source for c in nb.cells)
        assert not re.search(r"BEGIN (SOLUTION|HIDDEN TESTS)|END (SOLUTION|HIDDEN TESTS)", text), name
        leaked = [line for line in solution_lines if line in text]
        assert not leaked, f"{name} leaks solution / hidden-test lines: {leaked[:3]}"
        for gid, cell in grade_cells(nb).items():
            if cell.metadata["nbgrader"].get("solution"):
                stub = "raise NotImplementedError()" if cell.cell_type == "code" else "YOUR ANSWER HERE"
                assert stub in cell.source, gid
            assert not cell.get("outputs"), f"{name}:{gid} was released with outputs"
