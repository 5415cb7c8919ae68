"""Choosing where tensors live, and making runs repeatable."""
from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["get_device", "seed_everything"]


def get_device(prefer: str | None = None) -> torch.device:
    """Return the best available device: CUDA, then Apple MPS, then CPU.

    Parameters
    ----------
    prefer : str, optional
        Force a device (``"cpu"``, ``"cuda"``, ``"mps"``). The environment variable
        ``DGM_DEVICE`` does the same for a whole session. An unavailable choice raises
        ``ValueError`` rather than failing later inside a kernel.
    """
    prefer = prefer or os.environ.get("DGM_DEVICE") or None
    if prefer is not None:
        device = torch.device(prefer)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was requested but CUDA is not available")
        if device.type == "mps" and not _mps_available():
            raise ValueError("device 'mps' was requested but Apple MPS is not available")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python's, NumPy's and PyTorch's generators (all devices).

    Returns a fresh ``torch.Generator`` seeded with ``seed`` for code that prefers an
    explicit generator over global state.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
