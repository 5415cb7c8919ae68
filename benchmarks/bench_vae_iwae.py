"""Importance-weighted test log-likelihood of a VAE over the whole MNIST test set: time and memory.

Not a test: run it by hand and paste the table into benchmarks/README.md.

    python benchmarks/bench_vae_iwae.py              # k = 5,000 over the 10,000 test images
    python benchmarks/bench_vae_iwae.py --quick      # k = 200 over 500 images: seconds
    python benchmarks/bench_vae_iwae.py --threads 2 --device cuda

The model is the PyTorch examples' VAE shape (784-400-20, Bernoulli decoder) with its initial
weights (timing does not depend on training); the images are MNIST's test set binarised once
with a fixed seed (``course_lib.data.fixed_binarization``) when ``load_mnist`` finds a local
copy, else random binary images. ``course_lib.vae.iwae_log_likelihood`` evaluates the bound
``L_k`` batch by batch, its samples in chunks of ``max_elements // (batch_size · d_z)``; each
``max_elements`` runs in its own subprocess, whose peak resident memory (``ru_maxrss``) is
reported together with its growth over the state after loading the model and the data.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from _timing import cpu_name  # noqa: E402


def _images(n: int) -> torch.Tensor:
    from course_lib.data import DatasetUnavailableError, fixed_binarization, load_mnist

    try:
        x, _ = load_mnist("test", download=False, normalize=True)
        return fixed_binarization(x.reshape(len(x), -1)[:n], seed=0), "MNIST test images"
    except DatasetUnavailableError:  # no local copy: timing does not depend on the pixels
        g = torch.Generator().manual_seed(0)
        return (torch.rand(n, 784, generator=g) < 0.13).float(), "random binary images"


def _run_one(args) -> None:
    """Child process: one evaluation, printed as JSON."""
    from course_lib.vae import VAE, MLPDecoder, MLPEncoder, iwae_log_likelihood

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    x, source = _images(args.n)
    model = VAE(MLPEncoder(784, 400, 20), MLPDecoder(20, 400, 784)).to(device)
    x = x.to(device)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with torch.no_grad():
        log_px = iwae_log_likelihood(model, x, k=args.k, batch_size=args.batch_size,
                                     max_elements=args.max_elements, generator=0)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "growth_mb": (peak - before) / 1024,
                      "mean": float(log_px.mean()), "source": source,
                      "cuda_peak_mb": (torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda" else None)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--k", type=int, default=None)
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--max-elements", type=int, nargs="*", default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.k = args.k or (200 if args.quick else 5000)
    args.n = args.n or (500 if args.quick else 10_000)
    if args.child:
        args.max_elements = args.max_elements[0]
        _run_one(args)
        return
    caps = args.max_elements or [2**16, 2**20]
    load = os.getloadavg()[0]
    print(f"machine: {cpu_name()}, torch {torch.__version__}, {args.threads} threads, device {args.device}, "
          f"load average {load:.2f} before the run; k = {args.k:,}, {args.n:,} images, batch {args.batch_size}")
    print("| max_elements | samples per chunk | time | images per second | peak memory | growth | mean log p(x) bound |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for cap in caps:
        command = [sys.executable, __file__, "--child", "--threads", str(args.threads), "--device", args.device,
                   "--k", str(args.k), "--n", str(args.n), "--batch-size", str(args.batch_size),
                   "--max-elements", str(cap)]
        result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        chunk = max(1, cap // (args.batch_size * 20))
        memory = (f"{result['cuda_peak_mb']:.0f} MB (CUDA)" if result["cuda_peak_mb"] is not None
                  else f"{result['peak_mb']:.0f} MB")
        print(f"| 2^{cap.bit_length() - 1} | {chunk} × {args.batch_size} images | {result['seconds']:.1f} s | "
              f"{args.n / result['seconds']:.1f} | {memory} | {result['growth_mb']:.0f} MB | "
              f"{result['mean']:.2f} ({result['source']}) |")
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
