"""Kernels, MMD estimators, the permutation test and MMD nets against direct formulas."""
import numpy as np
import pytest
import torch
from scipy import stats
from scipy.spatial.distance import cdist, pdist

from course_lib import kernels as K
from course_lib import mmd as M
from course_lib import mmd_net as N
from course_lib.data import ring_of_gaussians


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """The tensors here are tiny: one thread is faster, and immune to OpenMP threads
    spin-waiting for each other when the machine is busy with other jobs."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _sample(n, d, seed, shift=0.0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=dtype) + shift


# ---------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------
def test_pairwise_sq_distances_match_cdist_and_are_zero_on_the_diagonal():
    x, y = _sample(9, 4, 0) * 3, _sample(6, 4, 1)
    np.testing.assert_allclose(K.pairwise_sq_distances(x, y).numpy(), cdist(x, y, "sqeuclidean"),
                               rtol=1e-10, atol=1e-12)
    d = K.pairwise_sq_distances(x, x)
    assert (d >= 0).all() and (torch.diagonal(d) == 0).all()


@pytest.mark.parametrize("name, formula", [
    ("gaussian", lambda d, s: np.exp(-d**2 / (2 * s**2))),
    ("laplace", lambda d, s: np.exp(-d / s)),
    ("imq", lambda d, c: c / np.sqrt(c**2 + d**2)),
])
def test_kernels_match_direct_formulas(name, formula):
    x, y = _sample(8, 3, 2), _sample(5, 3, 3, shift=0.5)
    dist = cdist(x, y)
    function = {"gaussian": K.gaussian_kernel, "laplace": K.laplace_kernel,
                "imq": K.inverse_multiquadric_kernel}[name]
    for s in (0.3, 1.7):
        expected = formula(dist, s)
        np.testing.assert_allclose(function(x, y, s).numpy(), expected, rtol=1e-10)
        np.testing.assert_allclose(K.kernel_matrix(x, y, name, bandwidth=s).numpy(), expected, rtol=1e-10)
    # several bandwidths: the sum of the single-scale kernels (list or tensor)
    scales = [0.5, 1.0, 4.0]
    expected = sum(formula(dist, s) for s in scales)
    np.testing.assert_allclose(function(x, y, scales).numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(function(x, y, torch.tensor(scales)).numpy(), expected, rtol=1e-10)
    # normalised: k(x, x) = 1 per scale
    np.testing.assert_allclose(torch.diagonal(function(x, x, scales)).numpy(), 3.0, rtol=1e-12)


def test_kernel_matrix_default_bandwidth_is_the_median_heuristic_and_callables_work():
    x, y = _sample(10, 2, 4), _sample(7, 2, 5)
    sigma = K.median_heuristic(x, y)
    torch.testing.assert_close(K.kernel_matrix(x, y), K.gaussian_kernel(x, y, sigma))
    torch.testing.assert_close(K.kernel_matrix(x, y, "imq", c=0.7), K.inverse_multiquadric_kernel(x, y, 0.7))
    linear = K.kernel_matrix(x, y, lambda a, b, scale=1.0: scale * a @ b.T, scale=2.0)
    torch.testing.assert_close(linear, 2.0 * x @ y.T)


@pytest.mark.parametrize("n, m", [(7, 5), (6, 6), (1, 3)])  # odd, even and tiny pair counts
def test_median_heuristic_is_the_median_of_pdist(n, m):
    x, y = _sample(n, 3, 6), _sample(m, 3, 7)
    expected = np.median(pdist(np.vstack([x, y])))  # i < j pairs: no zero self-distances
    assert K.median_heuristic(x, y) == pytest.approx(expected, rel=1e-12)
    assert K.median_heuristic(torch.cat([x, y])) == pytest.approx(expected, rel=1e-12)
    with_zeros = np.median(cdist(np.vstack([x, y]), np.vstack([x, y])))
    assert with_zeros < expected  # why the self-distances are left out


def test_median_heuristic_subsamples_large_pools_reproducibly():
    x, y = _sample(1500, 2, 8), _sample(1200, 2, 9)
    z = torch.cat([x, y])
    subset = z[torch.randperm(2700, generator=torch.Generator().manual_seed(0))[:2000]]
    sigma = K.median_heuristic(x, y)
    assert sigma == K.median_heuristic(x, y)
    assert sigma == pytest.approx(np.median(pdist(subset.numpy())), rel=1e-12)
    assert sigma == pytest.approx(np.median(pdist(z.numpy())), rel=0.02)


# ---------------------------------------------------------------------------------------
# MMD² estimators against double loops
# ---------------------------------------------------------------------------------------
def _loop_mmd2(x, y, k, unbiased):
    n, m = len(x), len(y)
    s_xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j or not unbiased)
    s_yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j or not unbiased)
    s_xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m))
    if unbiased:
        return s_xx / (n * (n - 1)) + s_yy / (m * (m - 1)) - 2 * s_xy / (n * m)
    return s_xx / n**2 + s_yy / m**2 - 2 * s_xy / (n * m)


def _gauss(s):
    return lambda a, b: np.exp(-np.sum((a - b) ** 2) / (2 * s * s))


@pytest.mark.parametrize("estimator", ["unbiased", "biased"])
@pytest.mark.parametrize("n, m", [(9, 6), (7, 7)])
def test_mmd2_equals_double_loop(estimator, n, m):
    x, y = _sample(n, 3, 10), _sample(m, 3, 11, shift=0.4)
    unbiased = estimator == "unbiased"
    expected = _loop_mmd2(x.numpy(), y.numpy(), _gauss(1.3), unbiased)
    assert M.mmd2(x, y, bandwidth=1.3, estimator=estimator).item() == pytest.approx(expected, rel=1e-10)
    # other kernels, several bandwidths, the median heuristic and a callable
    laplace = lambda a, b: np.exp(-np.linalg.norm(a - b) / 0.7)  # noqa: E731
    assert M.mmd2(x, y, "laplace", 0.7, estimator).item() == pytest.approx(
        _loop_mmd2(x.numpy(), y.numpy(), laplace, unbiased), rel=1e-10)
    multi = lambda a, b: _gauss(0.5)(a, b) + _gauss(2.0)(a, b)  # noqa: E731
    assert M.mmd2(x, y, bandwidth=[0.5, 2.0], estimator=estimator).item() == pytest.approx(
        _loop_mmd2(x.numpy(), y.numpy(), multi, unbiased), rel=1e-10)
    sigma = np.median(pdist(np.vstack([x, y])))
    assert M.mmd2(x, y, estimator=estimator).item() == pytest.approx(
        _loop_mmd2(x.numpy(), y.numpy(), _gauss(sigma), unbiased), rel=1e-10)
    assert M.mmd2(x, y, lambda a, b: K.gaussian_kernel(a, b, 1.3), estimator=estimator).item() == \
        pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("n", [10, 11])
def test_linear_time_estimator_equals_its_loop(n):
    x, y = _sample(n, 2, 12), _sample(n, 2, 13, shift=0.3)
    k, xs, ys = _gauss(0.8), x.numpy(), y.numpy()
    h = [k(xs[2 * i], xs[2 * i + 1]) + k(ys[2 * i], ys[2 * i + 1])
         - k(xs[2 * i], ys[2 * i + 1]) - k(xs[2 * i + 1], ys[2 * i]) for i in range(n // 2)]
    assert M.mmd2_linear(x, y, bandwidth=0.8).item() == pytest.approx(np.mean(h), rel=1e-10)
    callable_kernel = lambda a, b: K.gaussian_kernel(a, b, 0.8)  # noqa: E731
    assert M.mmd2_linear(x, y, callable_kernel).item() == pytest.approx(np.mean(h), rel=1e-10)


def test_unbiased_estimator_is_unbiased_and_biased_one_is_not():
    unbiased, biased = [], []
    for seed in range(300):
        x, y = _sample(12, 2, 2 * seed), _sample(9, 2, 2 * seed + 1)  # P = Q
        unbiased.append(M.mmd2(x, y, bandwidth=1.0).item())
        biased.append(M.mmd2(x, y, bandwidth=1.0, estimator="biased").item())
    unbiased, biased = np.array(unbiased), np.array(biased)
    assert abs(unbiased.mean()) < 3 * unbiased.std(ddof=1) / np.sqrt(300)
    assert biased.mean() > 10 * biased.std(ddof=1) / np.sqrt(300)
    assert (unbiased < 0).any() and (biased >= 0).all()


# ---------------------------------------------------------------------------------------
# Autograd, dtypes, blocks
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel", ["gaussian", "laplace", "imq"])
@pytest.mark.parametrize("max_block_elements", [2**20, 10])
def test_mmd2_gradients_are_correct_also_in_blocks(kernel, max_block_elements):
    x = _sample(7, 2, 14).requires_grad_()
    y = _sample(5, 2, 15).requires_grad_()
    for estimator in ("unbiased", "biased"):
        assert torch.autograd.gradcheck(
            lambda a, b: M.mmd2(a, b, kernel, [0.7, 1.5], estimator, max_block_elements=max_block_elements),
            (x, y))


def test_gradient_flows_to_x_and_diagonals_give_no_nan():
    x = _sample(6, 3, 16, dtype=torch.float32).requires_grad_()
    y = _sample(6, 3, 17, dtype=torch.float32) + 1
    for kernel in ("gaussian", "laplace", "imq"):
        x.grad = None
        M.mmd2(x, y, kernel, 1.0, "biased").backward()
        assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_and_device_are_kept_and_blocks_change_nothing(dtype):
    x, y = _sample(23, 4, 18, dtype=dtype), _sample(17, 4, 19, shift=0.2, dtype=dtype)
    for estimator in ("unbiased", "biased"):
        whole = M.mmd2(x, y, bandwidth=[0.5, 2.0], estimator=estimator)
        blocked = M.mmd2(x, y, bandwidth=[0.5, 2.0], estimator=estimator, max_block_elements=7)
        assert whole.dtype == dtype and whole.device == x.device and whole.shape == ()
        tol = 1e-12 if dtype == torch.float64 else 1e-5
        torch.testing.assert_close(blocked, whole, rtol=tol, atol=tol)
    assert M.mmd2_linear(x[:16], y[:16]).dtype == dtype
    assert K.gaussian_kernel(x, y, 1.0).dtype == dtype
    assert M.mmd_permutation_test(x, y, 20, seed=0).null_statistics.dtype == dtype


def test_float32_and_float64_agree():
    x, y = _sample(40, 3, 20), _sample(30, 3, 21, shift=0.3)
    for estimator in ("unbiased", "biased"):
        a = M.mmd2(x, y, estimator=estimator).item()
        b = M.mmd2(x.float(), y.float(), estimator=estimator).item()
        assert b == pytest.approx(a, rel=1e-4)


# ---------------------------------------------------------------------------------------
# Permutation test
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("estimator", ["unbiased", "biased"])
def test_permutation_null_equals_a_slow_reference_loop(estimator):
    x, y = _sample(8, 2, 22), _sample(6, 2, 23, shift=0.5)
    result = M.mmd_permutation_test(x, y, n_permutations=50, kernel="laplace", bandwidth=0.9,
                                    estimator=estimator, seed=3)
    z, generator = torch.cat([x, y]), torch.Generator().manual_seed(3)  # the documented recipe
    slow = []
    for _ in range(50):
        perm = torch.randperm(14, generator=generator)
        slow.append(M.mmd2(z[perm[:8]], z[perm[8:]], "laplace", 0.9, estimator).item())
    np.testing.assert_allclose(result.null_statistics.numpy(), slow, rtol=1e-9, atol=1e-12)
    observed = M.mmd2(x, y, "laplace", 0.9, estimator).item()
    assert result.statistic == pytest.approx(observed, rel=1e-9)
    assert result.p_value == (1 + np.sum(np.array(slow) >= observed)) / 51
    assert result.reject == (result.p_value <= 0.05)
    assert isinstance(result, M.MMDTestResult) and isinstance(result.reject, bool)


def test_permutation_test_is_reproducible_and_batches_change_nothing():
    x, y = _sample(30, 3, 24), _sample(20, 3, 25)
    a = M.mmd_permutation_test(x, y, 100, seed=7)
    b = M.mmd_permutation_test(x, y, 100, seed=7, max_block_elements=3 * 50)  # batches of 3
    torch.testing.assert_close(a.null_statistics, b.null_statistics, rtol=1e-12, atol=1e-14)
    assert a.p_value == b.p_value
    # the bandwidth (median heuristic by default) is fixed from the pooled sample
    sigma = K.median_heuristic(x, y)
    assert a.statistic == pytest.approx(M.mmd_permutation_test(x, y, 5, bandwidth=sigma).statistic)


def _rejections(shift, n, repetitions, n_permutations, seed):
    count = 0
    for r in range(repetitions):
        x = _sample(n, 5, seed + 2 * r, dtype=torch.float32)
        y = _sample(n, 5, seed + 2 * r + 1, dtype=torch.float32)
        y[:, 0] += shift
        count += M.mmd_permutation_test(x, y, n_permutations, alpha=0.05, seed=r).reject
    return count


def test_permutation_test_has_the_right_level():
    """Under P = Q the number of rejections at level 0.05 in 200 repetitions is a Binomial(200,
    0.05) draw if the test is calibrated; it must fall in that distribution's central 99%."""
    rejections = _rejections(0.0, 50, 200, 200, seed=1000)
    low, high = stats.binom.ppf([0.005, 0.995], 200, 0.05)
    assert low <= rejections <= high, (rejections, low, high)


def test_permutation_test_power_grows_with_the_sample_size():
    power = [_rejections(0.7, n, 50, 100, seed=5000) / 50 for n in (20, 50, 100)]  # .36, .8, .94
    assert power[0] < power[1] < power[2] or power[1] == power[2] == 1.0, power
    assert power[0] < 0.8 < power[2], power


@pytest.mark.parametrize("call, match", [
    (lambda: M.mmd2(torch.zeros(5, 2), torch.zeros(5, 3)), "same number of features"),
    (lambda: M.mmd2(torch.zeros(5), torch.zeros(5, 1)), "2 dimension"),
    (lambda: M.mmd2(torch.zeros(1, 2), torch.zeros(5, 2)), "at least 2 samples"),
    (lambda: M.mmd2(torch.zeros(0, 2), torch.zeros(5, 2), estimator="biased"), "at least 1 sample"),
    (lambda: M.mmd2(torch.zeros(5, 2), torch.zeros(5, 2), bandwidth=0.0), "bandwidth must be positive"),
    (lambda: M.mmd2(torch.zeros(5, 2), torch.zeros(5, 2), bandwidth=[1.0, -1.0]), "bandwidth must be pos"),
    (lambda: M.mmd2(torch.tensor([[float("nan")], [0.0]]), torch.zeros(5, 1)), "x contains NaN"),
    (lambda: M.mmd2(torch.zeros(5, 1), torch.tensor([[float("inf")], [0.0]])), "y contains infinite"),
    (lambda: M.mmd2(torch.zeros(5, 2), torch.ones(5, 2), estimator="v"), "estimator must be"),
    (lambda: M.mmd2(torch.zeros(5, 2), torch.ones(5, 2), kernel="cauchy"), "unknown kernel"),
    (lambda: M.mmd2(torch.zeros(5, 2), torch.ones(5, 2), max_block_elements=0), "max_block_elements"),
    (lambda: M.mmd2_linear(torch.zeros(5, 2), torch.ones(4, 2)), "same number of samples"),
    (lambda: M.mmd2_linear(torch.zeros(1, 2), torch.ones(1, 2)), "at least 2 samples"),
    (lambda: M.mmd_permutation_test(torch.zeros(5, 2), torch.ones(5, 2), 0), "n_permutations"),
    (lambda: M.mmd_permutation_test(torch.zeros(5, 2), torch.ones(5, 2), alpha=1.0), "alpha"),
    (lambda: M.mmd_permutation_test(torch.zeros(5, 2), torch.ones(5, 2), alpha=0), "alpha"),
    (lambda: K.median_heuristic(torch.zeros(4, 2)), "median pairwise distance is 0"),
    (lambda: K.median_heuristic(torch.zeros(1, 2)), "at least two points"),
    (lambda: K.gaussian_kernel(torch.zeros(4, 2), torch.zeros(3, 2), float("inf")), "bandwidth"),
    (lambda: K.inverse_multiquadric_kernel(torch.zeros(4, 2), torch.zeros(3, 2), c=-1), "c must be positive"),
    (lambda: K.kernel_matrix(torch.zeros(4, 2), torch.zeros(3, 2), lambda a, b: a @ b.T, 1.0), "callable"),
    (lambda: K.kernel_matrix(torch.zeros(4, 2), torch.zeros(3, 2), lambda a, b: a), "shape (4, 3)"),
])
def test_bad_input_raises_clear_value_errors(call, match):
    with pytest.raises(ValueError, match=match.replace("(", r"\(").replace(")", r"\)")):
        call()


# ---------------------------------------------------------------------------------------
# MMD nets
# ---------------------------------------------------------------------------------------
def test_mmd_net_step_returns_a_float_and_changes_the_parameters():
    torch.manual_seed(0)
    generator = N.MMDGenerator(noise_dim=3, data_dim=2, hidden=16, n_layers=1)
    before = [p.detach().clone() for p in generator.parameters()]
    optimizer = torch.optim.Adam(generator.parameters(), lr=1e-2)
    loss = N.mmd_net_step(generator, optimizer, ring_of_gaussians(64, seed=0), generator.noise(32), [0.5, 1.0])
    with pytest.raises(ValueError, match="z must be"):
        N.mmd_net_step(generator, optimizer, ring_of_gaussians(64, seed=0), 32, [0.5, 1.0])
    assert isinstance(loss, float) and np.isfinite(loss)
    assert all(not torch.equal(a, b) for a, b in zip(before, generator.parameters()))
    sample = generator.sample(5, generator=torch.Generator().manual_seed(0))
    assert sample.shape == (5, 2)
    torch.testing.assert_close(sample, generator.sample(5, generator=torch.Generator().manual_seed(0)))


def test_training_an_mmd_net_reduces_the_mmd_to_the_data():
    data = ring_of_gaussians(1024, seed=0)
    sigma = K.median_heuristic(data)
    bandwidths = [f * sigma for f in N.BANDWIDTH_FACTORS]
    state = torch.random.get_rng_state()

    def distance(generator):
        with torch.no_grad():
            fake = generator.sample(500, generator=torch.Generator().manual_seed(1))
        return M.mmd2(fake, data[:500], bandwidth=bandwidths).item()

    initial, _ = N.train_mmd_net(data, n_steps=1, lr=1e-12, progress=False)
    trained, losses = N.train_mmd_net(data, n_steps=300, batch_size=128, progress=False)
    assert len(losses) == 300 and np.mean(losses[-20:]) < 0.3 * np.mean(losses[:5])
    assert distance(trained) < 0.2 * distance(initial)
    assert torch.equal(torch.random.get_rng_state(), state)  # global RNG untouched
    again, losses_again = N.train_mmd_net(data, n_steps=5, batch_size=128, progress=False)
    assert losses_again == losses[:5]  # seeded


# ---------------------------------------------------------------------------------------
# GPU
# ---------------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cpu_and_cuda_agree():
    x, y = _sample(300, 4, 30), _sample(200, 4, 31, shift=0.2)
    xc, yc = x.cuda(), y.cuda()
    for estimator in ("unbiased", "biased"):
        gpu = M.mmd2(xc, yc, bandwidth=[0.5, 2.0], estimator=estimator, max_block_elements=5000)
        assert gpu.device.type == "cuda"
        torch.testing.assert_close(gpu.cpu(), M.mmd2(x, y, bandwidth=[0.5, 2.0], estimator=estimator))
    assert K.median_heuristic(xc, yc) == pytest.approx(K.median_heuristic(x, y), rel=1e-12)
    torch.testing.assert_close(M.mmd2_linear(xc, yc).cpu(), M.mmd2_linear(x, y))
    gpu_test = M.mmd_permutation_test(xc, yc, 300, seed=0)
    cpu_test = M.mmd_permutation_test(x, y, 300, seed=0)
    assert gpu_test.null_statistics.device.type == "cuda"
    torch.testing.assert_close(gpu_test.null_statistics.cpu(), cpu_test.null_statistics)
    assert gpu_test.p_value == cpu_test.p_value
    _, losses = N.train_mmd_net(xc.float(), n_steps=20, batch_size=64, progress=False)
    assert np.isfinite(losses).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n", [50, 400])
def test_equal_splits_differ_by_far_less_than_the_tie_tolerance(dtype, n):
    """When x and y share points, swapping a shared pair gives another 0/1 split vector with
    exactly the same MMD²; the permutation test must count such splits as ties. Their computed
    statistics differ by round-off only: measured at most 5.3 eps·scale (N = 100 to 6,000), far
    inside mmd.TIE_ULPS = 64."""
    from course_lib.kernels import resolve_kernel
    from course_lib.mmd import TIE_ULPS, _double_centre, _PooledGram

    g = torch.Generator().manual_seed(n)
    x = torch.randn(n, 3, generator=g, dtype=dtype)
    y = torch.randn(n, 3, generator=g, dtype=dtype) + 0.1
    y[:20] = x[:20]
    z = torch.cat([x, y])
    K = resolve_kernel("gaussian", None, x, y).matrix(z, z, same=True)
    gram = _PooledGram.of(_double_centre(K), n, n, unbiased=True)
    splits = torch.zeros(21, 2 * n, dtype=dtype)
    splits[:, :n] = 1
    for k in range(1, 21):  # move the first k shared points from x to their copies in y
        splits[k, :k], splits[k, n:n + k] = 0, 1
    stats, scale = gram.split_statistics(splits)
    ulps = ((stats - stats[0]).abs() / (torch.finfo(dtype).eps * scale[0])).max().item()
    assert ulps <= TIE_ULPS / 4, ulps
