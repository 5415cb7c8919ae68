"""Timing of course_lib's Gaussian-mixture EM against scikit-learn's.

Not a test: run it by hand and paste the table into benchmarks/README.md.

    python benchmarks/bench_density_gmm.py                # the full benchmark (about a minute)
    python benchmarks/bench_density_gmm.py --quick        # a tiny run, a few seconds
    python benchmarks/bench_density_gmm.py --device cuda  # course_lib on the GPU (sklearn on CPU)

Task: 100 EM iterations of a 16-component full-covariance mixture on 100,000 points in 8-D
(float64), ``tol=0`` so that neither can stop early. Both start from the same parameters
(those of course_lib's k-means++ initialisation: ``weights_init``, ``means_init`` and
``covariances_init`` for course_lib, ``precisions_init`` = their inverses for scikit-learn),
so they must end at the same lower bound and means up to round-off; the table reports the
differences. Times are the best of ``--repeats`` runs (``time.perf_counter``), each a whole
``fit``. scikit-learn's NumPy/BLAS threads are not limited; ``--threads`` sets torch's.
"""
from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
import sklearn
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SKGaussianMixture

from course_lib import gmm as gmm_module
from course_lib.gmm import GaussianMixture


def blobs(n, d, k, seed):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(k, d))
    scales = rng.normal(size=(k, d, d)) / np.sqrt(d)
    labels = rng.integers(k, size=n)
    z = rng.normal(size=(n, d))
    return centres[labels] + np.einsum("nd,nde->ne", z, scales[labels])


def best_time(fn, repeats):
    best, result = float("inf"), None
    for _ in range(repeats):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        result = fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 points, 20 iterations")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--engines", action="store_true",
                        help="also time course_lib's textbook EM steps (the design-matrix path switched off)")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    n, d, k, iters = (10_000, 8, 16, 20) if args.quick else (100_000, 8, 16, 100)
    x_np = blobs(n, d, k, seed=0)
    x = torch.as_tensor(x_np, device=args.device)

    init = GaussianMixture(k, max_iter=0, seed=0).fit(x)
    w0, m0, c0 = (t.cpu().numpy() for t in (init.weights_, init.means_, init.covariances_))
    common = dict(covariance_type="full", tol=0.0, reg_covar=1e-6, max_iter=iters)

    def ours():
        return GaussianMixture(k, weights_init=w0, means_init=m0, covariances_init=c0, **common).fit(x)

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return SKGaussianMixture(k, weights_init=w0, means_init=m0, precisions_init=np.linalg.inv(c0),
                                     **common).fit(x_np)

    ours()  # warm-up
    t_ours, g = best_time(ours, args.repeats)
    t_sk, s = best_time(theirs, args.repeats)
    assert g.n_iter_ == s.n_iter_ == iters
    lb_diff = abs(g.lower_bound_ - s.lower_bound_)
    mean_diff = float(np.max(np.abs(g.means_.cpu().numpy() - s.means_)))

    print(f"Machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs; torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"scikit-learn {sklearn.__version__}, NumPy {np.__version__}; device {args.device}")
    print(f"Task: {iters} EM iterations, K={k} full covariances, n={n:,}, d={d}, float64, "
          f"best of {args.repeats}\n")
    print("| implementation | time (s) | speed-up | final lower bound | |Δ lower bound| | max |Δ means| |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| scikit-learn {sklearn.__version__} | {t_sk:.3f} | 1.0× | {s.lower_bound_:.10f} | — | — |")
    print(f"| course_lib ({args.device}, {torch.get_num_threads()} threads) | {t_ours:.3f} | "
          f"{t_sk / t_ours:.1f}× | {g.lower_bound_:.10f} | {lb_diff:.1e} | {mean_diff:.1e} |")
    if args.engines:  # what the design-matrix path buys: the same fit through _em_step
        saved, gmm_module.MAX_DESIGN_ELEMENTS = gmm_module.MAX_DESIGN_ELEMENTS, 0
        try:
            t_text, h = best_time(ours, args.repeats)
        finally:
            gmm_module.MAX_DESIGN_ELEMENTS = saved
        print(f"| course_lib, textbook E/M steps ({args.device}) | {t_text:.3f} | {t_sk / t_text:.1f}× | "
              f"{h.lower_bound_:.10f} | {abs(h.lower_bound_ - s.lower_bound_):.1e} | "
              f"{float(np.max(np.abs(h.means_.cpu().numpy() - s.means_))):.1e} |")


if __name__ == "__main__":
    main()
