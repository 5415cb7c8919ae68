"""The importance-weighted bound of a VAE-sized model: course_lib.vi.iwae_bound against a loop.

Not a test: run it by hand and paste the table into benchmarks/README.md.

    python benchmarks/bench_vi_iwae.py                # the full benchmark (minutes)
    python benchmarks/bench_vi_iwae.py --quick        # 50 points, k = 200: seconds
    python benchmarks/bench_vi_iwae.py --device cuda  # both methods on the GPU

The task: ``log (1/k) Σ_j p(x, z_j) / q(z_j | x)`` with k = 5,000 importance samples for each of
1,000 binary 784-pixel images, for a randomly initialised VAE (float32): encoder
784-400-(20+20) (tanh hidden layer, mean and log-variance heads), decoder 20-400-784 with
Bernoulli logits, prior N(0, I). The data are the first MNIST test images binarised at 0.5
when ``course_lib.data.load_mnist`` finds a local copy (``$DGM_DATA_DIR``; nothing is
downloaded), otherwise random binary images with 13% ones (MNIST's ink fraction).

* ``course_lib.vi.iwae_bound`` batches over the data and the samples, ``c`` samples of all
  1,000 points at a time, ``c = max(1, max_elements // (1,000 · 20))``; one row per cap.
* The loop reference is the code one writes first: for each data point, encode it, draw its k
  samples at once, decode them, ``logsumexp``. Its largest tensors are k × 784.

Both methods evaluate the same ``log p(x | z)`` function. Each runs in its own subprocess,
which reports its wall time (one run; ``--repeats`` for best-of) and its peak memory: on a
CPU the growth of ``ru_maxrss`` (peak resident set) over the subprocess's baseline after it
built the model and the data (the high-water mark is reset there through
``/proc/self/clear_refs``; where that is impossible the growth is over the earlier peak and
may understate), on CUDA ``torch.cuda.max_memory_allocated``. The subprocesses
run with ``MALLOC_MMAP_THRESHOLD_=65536`` so that freed tensors leave the resident set.
``--loop-subset N`` times the loop on the first N points only and scales its time by
``n / N`` (the loop's cost is the same for every point), saying so in the table.

The two methods draw their noise differently (course_lib one ``(batch, d_z)`` block per
sample index, the loop one ``(k, d_z)`` block per point), so their values differ by
Monte-Carlo error; the table compares the mean over the data points with a standard error
from the loop's importance weights (delta method). Exactness is checked separately, in a
third subprocess: on the first 20 points, the loop fed with course_lib's noise must reproduce
``iwae_bound`` up to float32 round-off (max abs difference printed).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from course_lib.vi import iwae_bound  # noqa: E402
from _timing import cpu_name  # noqa: E402

D_X, D_H, D_Z = 784, 400, 20
LOG_2PI = math.log(2 * math.pi)


# ---------------------------------------------------------------------------------------
# The model and the data (built identically in every subprocess)
# ---------------------------------------------------------------------------------------
def build(n_data: int, data: str, device: torch.device):
    torch.manual_seed(0)
    enc = torch.nn.Sequential(torch.nn.Linear(D_X, D_H), torch.nn.Tanh(), torch.nn.Linear(D_H, 2 * D_Z))
    dec = torch.nn.Sequential(torch.nn.Linear(D_Z, D_H), torch.nn.Tanh(), torch.nn.Linear(D_H, D_X))
    enc, dec = enc.to(device), dec.to(device)
    x, source = None, "random binary images (13% ones)"
    if data in ("auto", "mnist"):
        from course_lib.data import DatasetUnavailableError, load_mnist
        try:
            images, _ = load_mnist("test", download=False, normalize=True)
            x = (images[:n_data].reshape(-1, D_X) > 0.5).float()
            source = "MNIST test images binarised at 0.5"
        except DatasetUnavailableError:
            if data == "mnist":
                raise
    if x is None:
        x = (torch.rand(n_data, D_X, generator=torch.Generator().manual_seed(1)) < 0.13).float()
    x = x.to(device)

    def encoder(x):
        mean, log_var = enc(x).chunk(2, dim=-1)
        return mean, log_var

    def log_likelihood(x, z):
        """Bernoulli log p(x | z) = Σ_d [x_d l_d - softplus(l_d)] with logits l = dec(z)."""
        logits = dec(z)
        return (x * logits - F.softplus(logits)).sum(dim=-1)

    return x, encoder, log_likelihood, source


# ---------------------------------------------------------------------------------------
# The loop reference
# ---------------------------------------------------------------------------------------
def loop_iwae(x, encoder, log_likelihood, k, noise):
    """For each point: encode, k samples, decode, logsumexp. ``noise(i)`` gives its (k, d_z) ε.

    Also returns, per point, the delta-method variance of the estimate,
    Var(w) / (k mean(w)²), from its own normalised weights.
    """
    values, variances = [], []
    for i in range(x.shape[0]):
        xi = x[i:i + 1]                                         # (1, 784)
        mean, log_var = encoder(xi)                             # (1, 20) each
        eps = noise(i)                                          # (k, 20)
        z = mean + torch.exp(0.5 * log_var) * eps               # (k, 20)
        log_p = log_likelihood(xi, z) - 0.5 * (LOG_2PI + z ** 2).sum(-1)
        log_q = -0.5 * (LOG_2PI + log_var + eps ** 2).sum(-1)
        log_w = log_p - log_q                                   # (k,)
        values.append(torch.logsumexp(log_w, 0) - math.log(k))
        w = torch.exp(log_w - log_w.max())
        variances.append(w.var() / (k * w.mean() ** 2))
    return torch.stack(values), torch.stack(variances)


# ---------------------------------------------------------------------------------------
# Subprocess workers
# ---------------------------------------------------------------------------------------
def _peak_bytes(device) -> int:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _reset_peak(device) -> bool:
    """Start a new peak-memory measurement; False when only the old high-water mark is known.

    ``ru_maxrss`` is the process's high-water mark, which already includes the transient
    memory of building the model and loading the data. On Linux, writing 5 to
    ``/proc/self/clear_refs`` resets it to the current resident set.
    """
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(device)
        return True
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def worker(args) -> dict:
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    x, encoder, log_likelihood, source = build(args.n_data, args.data, device)
    with torch.no_grad():
        if args.worker == "check":
            m = min(20, x.shape[0])
            g = torch.Generator().manual_seed(args.seed)
            lib = iwae_bound(x[:m], encoder, log_likelihood, args.k, generator=g)
            g = torch.Generator().manual_seed(args.seed)  # the same noise: one (m, 20) block per sample
            eps = torch.stack([torch.randn(m, D_Z, generator=g) for _ in range(args.k)]).to(device)
            ref, _ = loop_iwae(x[:m], encoder, log_likelihood, args.k, lambda i: eps[:, i])
            return {"points": m, "max_abs_diff": float((lib - ref).abs().max()),
                    "max_abs_value": float(ref.abs().max())}
        n_loop = args.loop_subset or x.shape[0]
        encoder(x[:2]), log_likelihood(x[:2], torch.zeros(3, 2, D_Z, device=device))  # warm-up
        reset = _reset_peak(device)
        baseline = _peak_bytes(device)
        best, result = float("inf"), None
        for _ in range(args.repeats):
            start = time.perf_counter()
            if args.worker == "course_lib":
                g = torch.Generator().manual_seed(args.seed)
                values = iwae_bound(x, encoder, log_likelihood, args.k, max_elements=args.cap, generator=g)
                result = {"mean": float(values.mean()), "points": x.shape[0],
                          "mean_loop_points": float(values[:n_loop].mean())}
            else:
                g = torch.Generator().manual_seed(args.seed)
                values, var = loop_iwae(x[:n_loop], encoder, log_likelihood, args.k,
                                        lambda i: torch.randn(args.k, D_Z, generator=g).to(device))
                result = {"mean": float(values.mean()), "points": n_loop,
                          "se": math.sqrt(float(var.mean()) / n_loop)}
            if device.type == "cuda":
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - start)
    peak = _peak_bytes(device)
    result.update(time=best, peak_bytes=peak - baseline, baseline_bytes=baseline, total_peak_bytes=peak, reset=reset,
                  threads=torch.get_num_threads(), source=source)
    return result


def run_worker(args, mode: str, cap: int | None = None) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", mode, "--device", args.device,
               "--threads", str(args.threads), "--n-data", str(args.n_data), "--k", str(args.k),
               "--seed", str(args.seed), "--repeats", str(args.repeats), "--data", args.data]
    if cap is not None:
        command += ["--cap", str(cap)]
    if args.loop_subset:
        command += ["--loop-subset", str(args.loop_subset)]
    # Tensors above 64 KiB are mmap'ed and go back to the OS when freed, so the peak resident
    # set follows the live tensors (glibc's default raises this threshold to 32 MiB after the
    # first frees and then keeps freed tensors in its heaps, which adds fragmentation noise).
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.0f} MB"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda)")
    parser.add_argument("--quick", action="store_true", help="50 points, k = 200: a smoke test")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads in every subprocess")
    parser.add_argument("--n-data", type=int, default=None, help="data points (default 1,000)")
    parser.add_argument("--k", type=int, default=None, help="importance samples (default 5,000)")
    parser.add_argument("--caps", type=int, nargs="+", default=None,
                        help="max_elements values of iwae_bound (default 2**20 and 2**17)")
    parser.add_argument("--loop-subset", type=int, default=None,
                        help="run the loop on the first N points only and extrapolate its time")
    parser.add_argument("--repeats", type=int, default=1, help="best of this many runs in each subprocess")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", choices=("auto", "mnist", "random"), default="auto")
    parser.add_argument("--worker", choices=("course_lib", "loop", "check"), help=argparse.SUPPRESS)
    parser.add_argument("--cap", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.n_data is None:
        args.n_data = 50 if args.quick else 1000
    if args.k is None:
        args.k = 200 if args.quick else 5000
    if args.caps is None:
        args.caps = [2**20, 2**17]
    if args.worker:
        print(json.dumps(worker(args)))
        return

    device = torch.device(args.device)
    print(f"- CPU: {cpu_name()} ({os.cpu_count()} logical cores), {platform.platform()}")
    print(f"- Python {platform.python_version()}, torch {torch.__version__}, {args.threads} torch "
          f"thread(s) per subprocess, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    if device.type == "cuda":
        print(f"- device: cuda ({torch.cuda.get_device_name(device)})")
    else:
        print("- device: cpu")
    print(f"- command: python {' '.join([Path(sys.argv[0]).as_posix()] + sys.argv[1:])}")
    if hasattr(os, "getloadavg"):
        print(f"- load average before the run: {os.getloadavg()[0]:.2f}")

    check = run_worker(args, "check")
    rows = []
    for cap in args.caps:
        rows.append((cap, run_worker(args, "course_lib", cap)))
    loop = run_worker(args, "loop")
    print(f"- data: {loop['source']}; {args.n_data:,} points, k = {args.k:,}, float32")
    print(f"- exactness (same noise, first {check['points']} points): max |course_lib - loop| = "
          f"{check['max_abs_diff']:.2e} (values around {check['max_abs_value']:.0f} nats)")
    if hasattr(os, "getloadavg"):
        print(f"- load average after the run: {os.getloadavg()[0]:.2f}")
    print()

    n = args.n_data
    loop_time = loop["time"] * n / loop["points"]
    extrapolated = loop["points"] < n
    print("| method | samples per chunk | time | loop time / time | peak memory growth | process peak "
          "| mean bound (nats) |")
    print("|---|---:|---:|---:|---:|---:|---|")
    on = f" on the first {loop['points']:,} points" if extrapolated else ""
    for cap, r in rows:
        chunk = min(args.k, max(1, cap // (n * D_Z)))
        diff = r["mean_loop_points"] - loop["mean"]
        print(f"| course_lib.vi.iwae_bound, max_elements = 2^{int(math.log2(cap))} | {chunk:,} × {n:,} points "
              f"| {r['time']:.1f} s | {loop_time / r['time']:.2f}× | {_mb(r['peak_bytes'])} | {_mb(r['total_peak_bytes'])} "
              f"| {r['mean']:.3f}; minus the loop{on}: {diff:+.3f} ± {math.sqrt(2) * loop['se']:.3f} |")
    note = f" (timed on {loop['points']:,} points, × {n / loop['points']:.1f})" if extrapolated else ""
    print(f"| loop over data points | {args.k:,} × 1 point | {loop_time:.1f} s{note} | 1× "
          f"| {_mb(loop['peak_bytes'])} | {_mb(loop['total_peak_bytes'])} | {loop['mean']:.3f}{on} |")
    if not all(r["reset"] for r in [loop] + [r for _, r in rows]):
        print("\n(The peak could not be reset: growth is over the set-up's peak and may understate.)")
    print(f"\n(± is the standard error of the difference of two independent estimates, from the loop's "
          f"weights by the delta method.)")


if __name__ == "__main__":
    main()
