"""Shared by the benchmark scripts: best-of-N wall time and the CPU's name."""
from __future__ import annotations

import platform
import time

import torch


def best_of(function, repeats, device=torch.device("cpu")):
    """(best wall time in seconds, last result); CUDA work is synchronised inside the timer."""
    best, result = float("inf"), None
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        result = function()
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best, result


def cpu_name() -> str:
    """platform.processor(), which is often empty on Linux; then the model in /proc/cpuinfo."""
    name = platform.processor()
    if not name or name == platform.machine():
        try:
            with open("/proc/cpuinfo") as f:
                models = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
            name = models[0] if models else name
        except OSError:
            pass
    return f"{name or 'unknown'} ({platform.machine()})"
