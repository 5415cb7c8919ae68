"""VAE training: an epoch of course_lib.vae.fit against a plain PyTorch training loop.

Not a test: run it by hand and paste the table into benchmarks/README.md.

    python benchmarks/bench_vae.py                  # 3 epochs of each, 60,000 images (a few minutes)
    python benchmarks/bench_vae.py --quick          # 2,000 images, 1 repeat: seconds
    python benchmarks/bench_vae.py --threads 2      # torch.set_num_threads (default 1)
    python benchmarks/bench_vae.py --device cuda

The task is the PyTorch examples' MNIST VAE: encoder 784-400-(20+20) with ReLU, decoder
20-400-784 with ReLU and Bernoulli logits, Adam with lr 1e-3, minibatches of 128, one pass over
60,000 binary images per epoch, float32. The data are MNIST's 60,000 training images binarised
once with a fixed seed (course_lib.data.fixed_binarization) when course_lib.data.load_mnist
finds a local copy (``$DGM_DATA_DIR``; nothing is downloaded), otherwise random binary images
with 13% ones (MNIST's ink fraction). Both methods get the same tensor.

* ``course_lib``: ``fit(VAE(MLPEncoder(784, 400, 20), MLPDecoder(20, 400, 784)), x, epochs=1,
  batch_size=128, lr=1e-3, progress=False)``, i.e. shuffling, ``train_step`` per batch (which
  validates ``x`` and returns the three loss terms as floats) and the epoch means.
* ``plain loop``: the examples' ``VAE`` module (fc1, fc21, fc22, fc3, fc4) and ``train()`` loop
  — ``zero_grad``, forward, loss, ``backward``, ``loss.item()``, ``step`` — over a shuffled
  tensor instead of a DataLoader. Its loss is the same negative ELBO as course_lib's (binary
  cross-entropy *with logits*, so that both compute the same thing; the examples apply a
  sigmoid and then ``binary_cross_entropy``) summed over the batch, as in the examples; Adam
  is invariant to that constant factor up to its ``eps``.

The two are timed alternately in one process, in the order course_lib, loop, loop, course_lib,
course_lib, loop, ... (so that neither always runs first), each epoch with a freshly
initialised model, and the table reports the best and the median epoch of
each (wall time, and the process's CPU time, which is less disturbed by other jobs on a shared
machine), the ratio of the medians, and the median of the paired ratios (each course_lib epoch
over the loop epoch of the same repeat, run just before or after it, which cancels slow drifts
of the machine's load); the
target is <= 1.05: the course's loop adds no overhead.
``--batches N`` times only the first N minibatches of each epoch and scales to a full epoch
(the table says so).

Epoch times on a shared machine drift with its load; the script therefore also measures the
fixed cost per step of both loops on a tiny model (where the arithmetic is negligible) and
reports the difference as a fraction of the real step: the overhead the course's loop adds.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from course_lib.vae import VAE, MLPDecoder, MLPEncoder, fit, train_step  # noqa: E402
from _timing import cpu_name  # noqa: E402

D_X, D_H, D_Z = 784, 400, 20
BATCH, LR = 128, 1e-3


class ExamplesVAE(nn.Module):
    """The VAE of github.com/pytorch/examples/blob/main/vae/main.py (logits out, no sigmoid)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(D_X, D_H)
        self.fc21 = nn.Linear(D_H, D_Z)
        self.fc22 = nn.Linear(D_H, D_Z)
        self.fc3 = nn.Linear(D_Z, D_H)
        self.fc4 = nn.Linear(D_H, D_X)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        return self.fc4(F.relu(self.fc3(z)))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, D_X))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(logits, x, mu, logvar):
    bce = F.binary_cross_entropy_with_logits(logits, x.view(-1, D_X), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def plain_epoch(x: torch.Tensor, n_batches: int | None) -> tuple[float, float, float]:
    """One epoch of the examples' loop; (wall seconds, process CPU seconds, mean loss per image)."""
    model = ExamplesVAE().to(x.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    _sync(x.device)
    start, cpu = time.perf_counter(), time.process_time()
    model.train()
    order = torch.randperm(x.shape[0]).to(x.device)
    train_loss, seen = 0.0, 0
    for i, first in enumerate(range(0, x.shape[0], BATCH)):
        if n_batches is not None and i == n_batches:
            break
        data = x[order[first:first + BATCH]]
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        seen += data.shape[0]
    _sync(x.device)
    return time.perf_counter() - start, time.process_time() - cpu, train_loss / seen


def course_epoch(x: torch.Tensor, n_batches: int | None) -> tuple[float, float, float]:
    """One epoch of course_lib.vae.fit; (wall seconds, process CPU seconds, mean loss per image)."""
    model = VAE(MLPEncoder(D_X, D_H, D_Z), MLPDecoder(D_Z, D_H, D_X)).to(x.device)
    if n_batches is not None:
        x = x[: n_batches * BATCH]  # fit shuffles these; same number of steps as the loop
    _sync(x.device)
    start, cpu = time.perf_counter(), time.process_time()
    history = fit(model, x, None, epochs=1, batch_size=BATCH, lr=LR, progress=False)
    _sync(x.device)
    return time.perf_counter() - start, time.process_time() - cpu, history["train_loss"][0]


def fixed_cost_per_step(device: torch.device, steps: int = 300, repeats: int = 7) -> dict[str, float]:
    """Best-of-``repeats`` seconds per step of both loops on a tiny VAE (16-8-(2+2), 2-8-16), where
    the arithmetic is negligible and what is left is each loop's fixed cost per step: Python,
    argument checks, kernel launches. Not subject to the load drifts that blur the epoch times."""
    x = (torch.rand(steps * BATCH, 16, generator=torch.Generator().manual_seed(1)) < 0.3).float().to(device)

    class Tiny(ExamplesVAE):
        def __init__(self):
            nn.Module.__init__(self)
            self.fc1, self.fc21, self.fc22 = nn.Linear(16, 8), nn.Linear(8, 2), nn.Linear(8, 2)
            self.fc3, self.fc4 = nn.Linear(2, 8), nn.Linear(8, 16)

        def forward(self, x):
            mu, logvar = self.encode(x)
            return self.decode(self.reparameterize(mu, logvar)), mu, logvar

    def loop():
        model = Tiny().to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
        _sync(device)
        start = time.perf_counter()
        for first in range(0, x.shape[0], BATCH):
            data = x[first:first + BATCH]
            optimizer.zero_grad()
            logits, mu, logvar = model(data)
            loss = F.binary_cross_entropy_with_logits(logits, data, reduction="sum") \
                - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss.backward()
            loss.item()
            optimizer.step()
        _sync(device)
        return (time.perf_counter() - start) / steps

    def course():
        model = VAE(MLPEncoder(16, 8, 2), MLPDecoder(2, 8, 16)).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
        _sync(device)
        start = time.perf_counter()
        for first in range(0, x.shape[0], BATCH):
            train_step(model, optimizer, x[first:first + BATCH])
        _sync(device)
        return (time.perf_counter() - start) / steps

    best = {"course_lib": math.inf, "loop": math.inf}
    for _ in range(repeats):
        best["course_lib"] = min(best["course_lib"], course())
        best["loop"] = min(best["loop"], loop())
    return best


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def load_data(n: int, source: str, device: torch.device) -> tuple[torch.Tensor, str]:
    if source in ("auto", "mnist"):
        from course_lib.data import DatasetUnavailableError, fixed_binarization, load_mnist
        try:
            images, _ = load_mnist("train", download=False, normalize=True)
            x = fixed_binarization(images[:n].reshape(-1, D_X), seed=0)
            return x.to(device), f"MNIST training images, binarised once (seed 0); {x.shape[0]:,} images"
        except DatasetUnavailableError:
            if source == "mnist":
                raise
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(n, D_X, generator=g) < 0.13).float()
    return x.to(device), f"random binary images (13% ones); {n:,} images"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 images, 1 repeat: a smoke test")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda)")
    parser.add_argument("--n-data", type=int, default=None, help="images per epoch (default 60,000)")
    parser.add_argument("--repeats", type=int, default=None, help="epochs of each method (default 3)")
    parser.add_argument("--batches", type=int, default=None,
                        help="time only the first N minibatches of each epoch and scale up")
    parser.add_argument("--data", choices=("auto", "mnist", "random"), default="auto")
    args = parser.parse_args(argv)
    n = args.n_data or (2000 if args.quick else 60_000)
    repeats = args.repeats or (1 if args.quick else 3)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    print(f"- CPU: {cpu_name()} ({os.cpu_count()} logical cores), {platform.platform()}")
    print(f"- Python {platform.python_version()}, torch {torch.__version__}, torch threads "
          f"{torch.get_num_threads()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    print(f"- device: {device}" + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""))
    print(f"- command: python {' '.join([Path(sys.argv[0]).as_posix()] + sys.argv[1:])}")
    print(f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}")
    if hasattr(os, "getloadavg"):
        print(f"- load average before the run: {os.getloadavg()[0]:.2f}")
    x, source = load_data(n, args.data, device)
    print(f"- data: {source}, float32; batch {BATCH}, Adam lr {LR:g}")

    torch.manual_seed(0)
    course_epoch(x[: 4 * BATCH], None)  # warm-up: first-call costs out of the timings
    plain_epoch(x[: 4 * BATCH], None)
    times = {"course_lib": [], "loop": []}
    cpu_times = {"course_lib": [], "loop": []}
    losses = {"course_lib": [], "loop": []}
    for r in range(repeats):
        order = (("course_lib", course_epoch), ("loop", plain_epoch))
        for name, run in (order if r % 2 == 0 else order[::-1]):  # ABBA: neither always goes first
            torch.manual_seed(r)
            seconds, cpu, loss = run(x, args.batches)
            times[name].append(seconds)
            cpu_times[name].append(cpu)
            losses[name].append(loss)
            print(f"  repeat {r + 1}: {name:10s} {seconds:7.2f} s wall, {cpu:7.2f} s CPU, mean loss {loss:.1f} "
                  f"nats/image", flush=True)
    fixed = fixed_cost_per_step(device)
    if hasattr(os, "getloadavg"):
        print(f"- load average after the run: {os.getloadavg()[0]:.2f}")

    n_steps = -(-x.shape[0] // BATCH)
    scale, note = 1.0, ""
    if args.batches is not None and args.batches < n_steps:
        scale = n_steps / args.batches
        note = f" (timed on {args.batches} of {n_steps} batches, × {scale:.1f})"
    print()
    print("| method | best epoch (wall) | median epoch (wall) | median / loop median | median epoch (CPU time) "
          "| median / loop median | mean train loss (nats/image) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    loop_median = statistics.median(times["loop"]) * scale
    loop_cpu = statistics.median(cpu_times["loop"]) * scale
    for name, label in (("course_lib", "course_lib.vae.fit"), ("loop", "plain PyTorch loop (examples' VAE)")):
        best = min(times[name]) * scale
        median = statistics.median(times[name]) * scale
        cpu = statistics.median(cpu_times[name]) * scale
        print(f"| {label} | {best:.2f} s{note} | {median:.2f} s | {median / loop_median:.3f}× | {cpu:.2f} s "
              f"| {cpu / loop_cpu:.3f}× | {statistics.mean(losses[name]):.1f} |")
    step = statistics.median(times["loop"]) / n_steps
    extra = fixed["course_lib"] - fixed["loop"]
    print(f"\nfixed cost per step (tiny 16-8-2 VAE, best of 7 × 300 steps): course_lib train_step "
          f"{fixed['course_lib'] * 1e6:.0f} µs, loop {fixed['loop'] * 1e6:.0f} µs; the difference, "
          f"{extra * 1e6:+.0f} µs, is {extra / step:+.1%} of the loop's median step here ({step * 1e3:.2f} ms)")
    pairs = [c / p for c, p in zip(times["course_lib"], times["loop"])]
    print(f"\nratio of best epochs, course_lib / loop: {min(times['course_lib']) / min(times['loop']):.3f}; "
          f"median of the {len(pairs)} paired ratios (each course_lib epoch over the loop epoch of the same "
          f"repeat): {statistics.median(pairs):.3f} (range {min(pairs):.3f}-{max(pairs):.3f})")


if __name__ == "__main__":
    main()
