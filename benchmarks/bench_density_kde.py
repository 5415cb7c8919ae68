"""Timings of course_lib's exact KDE log-density against SciPy and scikit-learn.

Not a test: run it by hand and paste the table into benchmarks/README.md.

    python benchmarks/bench_density_kde.py --threads 1     # 20,000 queries on 20,000 points, 2-D
    python benchmarks/bench_density_kde.py --quick         # 2,000 on 2,000, a few seconds
    python benchmarks/bench_density_kde.py --device cuda   # course_lib on the GPU

Two comparisons, both float64 and exact (every query-point pair is evaluated):

1. Scott bandwidth *matrix* ``H = n^(-2/(d+4)) Σ̂`` on correlated data: course_lib
   ``KernelDensity("scott")`` vs ``scipy.stats.gaussian_kde(x.T).logpdf`` (SciPy's default
   rule is Scott; the same ``H``).
2. Scalar bandwidth ``h`` (kernel covariance ``h² I``) on the *whitened* data
   ``x̃ = L⁻¹(x - μ)``, ``Σ̂ = L Lᵀ``, with ``h`` the Scott factor, so the density is SciPy's
   up to the constant Jacobian ``log|L|``: course_lib ``KernelDensity(h)`` vs scikit-learn
   ``KernelDensity(bandwidth=h, algorithm="kd_tree", atol=0, rtol=0).score_samples``.
   scikit-learn has no brute-force KDE; its tree with zero tolerances is its exact mode
   (it still prunes in the far tails, which shows up in the max difference).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
from pathlib import Path

import numpy as np
import scipy
import sklearn
import torch
from scipy.stats import gaussian_kde
from sklearn.neighbors import KernelDensity as SkKernelDensity

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from course_lib.kde import KernelDensity, scott_factor  # noqa: E402
from _timing import best_of, cpu_name  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="torch device for course_lib (cpu, cuda)")
    parser.add_argument("--quick", action="store_true", help="2,000 queries on 2,000 points")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)

    n = m = 2_000 if args.quick else 20_000
    d = 2
    rng = np.random.default_rng(0)
    mix = np.array([[1.0, 0.0], [0.8, 0.5]])
    x = rng.standard_normal((n, d)) @ mix.T + np.array([3.0, -1.0])
    y = rng.standard_normal((m, d)) @ mix.T + np.array([3.0, -1.0])

    print(f"- CPU: {cpu_name()} ({os.cpu_count()} logical cores), {platform.platform()}")
    print(f"- Python {platform.python_version()}, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), NumPy {np.__version__}, SciPy {scipy.__version__}, "
          f"scikit-learn {sklearn.__version__}")
    print(f"- device: {device.type}" + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""))
    print(f"- command: python {' '.join([Path(sys.argv[0]).as_posix()] + sys.argv[1:])}")
    if hasattr(os, "getloadavg"):
        print(f"- load average before the run: {os.getloadavg()[0]:.1f}")
    print(f"- {m:,} queries on {n:,} points, d = {d}, float64, best of {args.repeats}")
    print()

    xt = torch.as_tensor(x, device=device)
    yt = torch.as_tensor(y, device=device)

    def course(bandwidth, data, queries):
        kde = KernelDensity(bandwidth=bandwidth).fit(data)
        kde.log_prob(queries[:100])  # warm-up
        return best_of(lambda: kde.log_prob(queries).cpu().numpy(), args.repeats, device)

    rows = []
    # 1. Scott matrix vs SciPy ------------------------------------------------------------
    t_ours, ours = course("scott", xt, yt)
    scipy_kde = gaussian_kde(x.T)
    t_ref, ref = best_of(lambda: scipy_kde.logpdf(y.T), args.repeats)
    rows.append(("Scott matrix H, vs `scipy.stats.gaussian_kde.logpdf`", t_ours, t_ref, np.abs(ours - ref).max()))

    # 2. scalar h on whitened data vs scikit-learn ------------------------------------------
    mu = x.mean(axis=0)
    chol = np.linalg.cholesky(np.cov(x.T))
    xw = np.linalg.solve(chol, (x - mu).T).T
    yw = np.linalg.solve(chol, (y - mu).T).T
    h = scott_factor(n, d)
    t_ours2, ours2 = course(h, torch.as_tensor(xw, device=device), torch.as_tensor(yw, device=device))
    sk = SkKernelDensity(bandwidth=h, algorithm="kd_tree", atol=0, rtol=0).fit(xw)
    t_ref2, ref2 = best_of(lambda: sk.score_samples(yw), args.repeats)
    jacobian = np.log(np.diag(chol)).sum()
    rows.append((f"scalar h = {h:.4f} on whitened data, vs sklearn `KernelDensity(kd_tree, atol=rtol=0)`",
                 t_ours2, t_ref2, np.abs(ours2 - ref2).max()))

    label = f"course_lib {device.type}" + (f", {torch.get_num_threads()} thr" if device.type == "cpu" else "")
    print(f"| task | {label} | reference | speed-up | max abs. difference of log p |")
    print("|---|---:|---:|---:|---:|")
    for task, t, t_r, diff in rows:
        print(f"| {task} | {t:.3f} s | {t_r:.3f} s | {t_r / t:.1f}× | {diff:.1e} |")
    print()
    print(f"consistency: max |(whitened scalar-h result - log|L|) - Scott-matrix result| = "
          f"{np.abs(ours2 - jacobian - ours).max():.1e}")


if __name__ == "__main__":
    main()
