"""Timings of course_lib's MMD code against straightforward NumPy/SciPy implementations.

Not a test: run it by hand and paste the table into benchmarks/README.md.

    python benchmarks/bench_mmd.py                # the full benchmark (about a minute)
    python benchmarks/bench_mmd.py --quick        # a tiny run, a few seconds
    python benchmarks/bench_mmd.py --device cuda  # course_lib on the GPU (NumPy stays on CPU)

Two tasks, both with a Gaussian kernel whose bandwidth is the median heuristic:

1. the kernel two-sample permutation test, n = m = 1,000 points in 10-D, 1,000 permutations.
   The reference builds the pooled kernel matrix with ``scipy.spatial.distance.cdist`` once
   and then loops over permutations in Python, computing the unbiased MMD² from the permuted
   blocks ``K[ix, ix]``, ``K[iy, iy]``, ``K[ix, iy]``. course_lib evaluates all permutations
   with batched matrix products. Both draw their own random permutations, so the p-values
   agree up to Monte-Carlo error (about ±0.015 for 1,000 permutations) while the observed
   statistics agree to round-off.
2. the unbiased MMD² of 10,000 vs 10,000 points in 10-D. The reference builds each of the
   three 10,000 × 10,000 kernel matrices with ``cdist`` (in place, 800 MB each); course_lib
   accumulates blocks of at most 2**20 entries (its CPU default; 2**24 on a GPU).

Times are the best of ``--repeats`` runs measured with ``time.perf_counter`` (the slow
reference loop of task 1 runs once unless ``--reference-repeats`` says otherwise). On a CPU
course_lib is timed with torch's default thread count and with one thread; the NumPy/SciPy
references are single-threaded (cdist and NumPy's ufuncs use one core) and always float64,
so the float32 rows compare against the same float64 reference.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

import numpy as np
import scipy
import torch
from scipy.spatial.distance import cdist, pdist

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from course_lib.kernels import median_heuristic  # noqa: E402
from course_lib.mmd import mmd2, mmd_permutation_test  # noqa: E402
from _timing import best_of, cpu_name  # noqa: E402


# ---------------------------------------------------------------------------------------
# NumPy/SciPy references: the code one would write first, without tricks.
# ---------------------------------------------------------------------------------------
def numpy_permutation_test(x, y, n_permutations, seed=0):
    """Unbiased-MMD² permutation test: cdist kernel once, Python loop over permutations."""
    z = np.vstack([x, y])
    n, m = len(x), len(y)
    sigma = np.median(pdist(z))
    K = np.exp(-cdist(z, z, "sqeuclidean") / (2 * sigma**2))

    def statistic(ix, iy):
        k_xx, k_yy, k_xy = K[np.ix_(ix, ix)], K[np.ix_(iy, iy)], K[np.ix_(ix, iy)]
        return ((k_xx.sum() - np.trace(k_xx)) / (n * (n - 1))
                + (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
                - 2 * k_xy.sum() / (n * m))

    observed = statistic(np.arange(n), np.arange(n, n + m))
    rng = np.random.default_rng(seed)
    null = np.empty(n_permutations)
    for b in range(n_permutations):
        perm = rng.permutation(n + m)
        null[b] = statistic(perm[:n], perm[n:])
    return observed, (1 + np.sum(null >= observed)) / (1 + n_permutations)


def numpy_mmd2_unbiased(x, y, sigma):
    """Unbiased MMD² from three full cdist kernel matrices, each exponentiated in place."""
    def kernel_sum(a, b, drop_diagonal):
        k = cdist(a, b, "sqeuclidean")
        np.multiply(k, -0.5 / sigma**2, out=k)
        np.exp(k, out=k)
        return k.sum() - (np.trace(k) if drop_diagonal else 0.0)

    n, m = len(x), len(y)
    return (kernel_sum(x, x, True) / (n * (n - 1)) + kernel_sum(y, y, True) / (m * (m - 1))
            - 2 * kernel_sum(x, y, False) / (n * m))


# ---------------------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------------------
def machine(device) -> str:
    cpu = cpu_name()
    lines = [
        f"- CPU: {cpu} ({os.cpu_count()} logical cores), {platform.platform()}",
        f"- Python {platform.python_version()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), NumPy {np.__version__}, SciPy {scipy.__version__}",
    ]
    if device.type == "cuda":
        lines.append(f"- device: cuda ({torch.cuda.get_device_name(device)})")
    else:
        lines.append("- device: cpu")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="torch device for course_lib (cpu, cuda)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--repeats", type=int, default=5, help="repeats of the fast timings")
    parser.add_argument("--reference-repeats", type=int, default=1,
                        help="repeats of the slow NumPy permutation loop")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)

    n_test, n_perm, n_big, d = (200, 200, 2000, 10) if args.quick else (1000, 1000, 10_000, 10)
    rng = np.random.default_rng(0)
    x1 = rng.standard_normal((n_test, d))
    y1 = rng.standard_normal((n_test, d))
    y1[:, 0] += 0.2  # a small difference: a p-value that is neither ~0 nor ~1 (about 0.12)
    x2 = rng.standard_normal((n_big, d))
    y2 = rng.standard_normal((n_big, d))
    y2[:, 0] += 0.1

    print(machine(device))
    print(f"- command: python {' '.join([Path(sys.argv[0]).as_posix()] + sys.argv[1:])}")
    if hasattr(os, "getloadavg"):
        print(f"- load average before the run: {os.getloadavg()[0]:.1f}")
    print()
    threads = torch.get_num_threads()
    thread_counts = [threads] + ([1] if device.type == "cpu" and threads > 1 else [])

    def course_lib_times(function):
        """Best time with each thread count (the default first), and the last result."""
        times = []
        for count in thread_counts:
            torch.set_num_threads(count)
            function()  # warm-up
            t, result = best_of(function, args.repeats, device)
            times.append(t)
        torch.set_num_threads(threads)
        return times, result

    rows = []

    # 1. permutation test ------------------------------------------------------------------
    t_ref, (stat_ref, p_ref) = best_of(lambda: numpy_permutation_test(x1, y1, n_perm),
                                       args.reference_repeats, torch.device("cpu"))
    for dtype in (torch.float64, torch.float32):
        x, y = (torch.as_tensor(a, dtype=dtype, device=device) for a in (x1, y1))
        times, result = course_lib_times(lambda: mmd_permutation_test(x, y, n_perm, seed=0))
        rows.append((f"permutation test, n = m = {n_test:,}, d = {d}, {n_perm:,} permutations, "
                     f"{str(dtype)[6:]}", times, t_ref,
                     f"MMD² {result.statistic:.6e}, p = {result.p_value:.3f}",
                     f"MMD² {stat_ref:.6e}, p = {p_ref:.3f}"))

    # 2. unbiased MMD² of two big samples ----------------------------------------------------
    sigma = median_heuristic(torch.as_tensor(x2), torch.as_tensor(y2))
    t_ref, value_ref = best_of(lambda: numpy_mmd2_unbiased(x2, y2, sigma), 1, torch.device("cpu"))
    for dtype in (torch.float64, torch.float32):
        x, y = (torch.as_tensor(a, dtype=dtype, device=device) for a in (x2, y2))
        times, value = course_lib_times(lambda: float(mmd2(x, y, bandwidth=sigma)))
        rows.append((f"unbiased MMD², {n_big:,} vs {n_big:,} points, d = {d}, {str(dtype)[6:]}",
                     times, t_ref, f"{value:.9e}", f"{value_ref:.9e}"))

    labels = [f"course_lib {device.type}, {c} thread{'s' * (c > 1)}" if device.type == "cpu"
              else f"course_lib {device.type}" for c in thread_counts]
    print(f"| task | {' | '.join(labels)} | NumPy/SciPy (float64, 1 core) | speed-up "
          f"| course_lib result | NumPy/SciPy result |")
    print("|---|" + "---:|" * (len(labels) + 2) + "---|---|")
    for task, times, t_ref, res, res_ref in rows:
        cells = " | ".join(f"{t:.3f} s" for t in times)
        speed_up = " / ".join(f"{t_ref / t:.0f}×" for t in times)
        print(f"| {task} | {cells} | {t_ref:.3f} s | {speed_up} | {res} | {res_ref} |")


if __name__ == "__main__":
    main()
