"""Torch threads on a loaded machine: course_lib's KDE case with 1 and 2 threads, alone and beside a busy process.

Not a test: run it by hand and paste the table into benchmarks/README.md.

    python benchmarks/bench_threads.py            # about a minute
    python benchmarks/bench_threads.py --quick    # 5,000 x 5,000: seconds

The computation is the first case of bench_density_kde.py: ``KernelDensity(bandwidth="scott")``
log-density of 20,000 queries on 20,000 points in 2-D, float64 (an exact sum over all pairs,
tiled; pure tensor arithmetic). Each configuration runs in a fresh Python process (OpenMP
reads its environment once, at start) and reports the best of three calls:

* torch threads 1 or 2, ``OMP_WAIT_POLICY`` unset (PyTorch's default: threads spin while they
  wait) or ``PASSIVE`` (they sleep);
* alone, or beside one other busy process (a pure-Python loop, standing for another student's
  kernel or a second test worker) on this machine's cores.

More busy threads than cores is what shared machines see (a JupyterHub, two xdist workers): a
spinning OpenMP thread then takes the core from the thread it waits for. This is why the test
workers and the grading kernels run with one thread (conftest.py, nbgrader_config.py).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CHILD = """
import sys, time, torch
torch.set_num_threads({threads})
sys.path.insert(0, {repo!r})
from course_lib.kde import KernelDensity
g = torch.Generator().manual_seed(0)
x = torch.randn({n}, 2, generator=g, dtype=torch.float64)
y = torch.randn({n}, 2, generator=g, dtype=torch.float64)
kde = KernelDensity(bandwidth="scott").fit(x)
best = float("inf")
for _ in range(3):
    t = time.perf_counter(); kde.log_prob(y); best = min(best, time.perf_counter() - t)
print(best)
"""


def run(threads: int, passive: bool, busy: bool, n: int) -> float:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    env.pop("OMP_WAIT_POLICY", None)
    if passive:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        out = subprocess.run([sys.executable, "-c", CHILD.format(threads=threads, repo=str(REPO), n=n)],
                             env=env, capture_output=True, text=True, check=True)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 queries on 5,000 points")
    args = parser.parse_args()
    n = 5_000 if args.quick else 20_000
    print(f"- {os.cpu_count()} logical cores; load average before: {os.getloadavg()[0]:.2f}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"- KernelDensity(scott).log_prob, {n:,} queries on {n:,} points, 2-D, float64, best of 3\n")
    print("| torch threads | OMP_WAIT_POLICY | beside a busy process | time (s) | vs 1 thread alone |")
    print("|---:|---|---|---:|---:|")
    base = None
    for busy in (False, True):
        for threads, passive in ((1, False), (2, False), (2, True)):
            t = run(threads, passive, busy, n)
            base = t if base is None else base
            print(f"| {threads} | {'PASSIVE' if passive else '(default)'} | {'yes' if busy else 'no'} | "
                  f"{t:.3f} | {t / base:.2f}× |", flush=True)
    print(f"\n- load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
