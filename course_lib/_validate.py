"""Input checks shared by the reference implementations: clear ValueErrors, early."""
from __future__ import annotations

import numbers

import torch


def as_float_tensor(value, name: str, ndim: int | None = None, like: torch.Tensor | None = None) -> torch.Tensor:
    """Convert ``value`` to a floating tensor, keeping its device and float dtype.

    Integer inputs become the default float dtype (or ``like``'s dtype); ``like`` also fixes
    the device, so mixed inputs end up together.
    """
    if isinstance(value, torch.Tensor):
        t = value
    else:
        try:
            t = torch.as_tensor(value)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ValueError(f"{name} could not be turned into a tensor: {exc}") from None
    if not t.is_floating_point():
        t = t.to(like.dtype if like is not None else torch.get_default_dtype())
    if like is not None:
        t = t.to(device=like.device, dtype=like.dtype)
    if ndim is not None and t.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {tuple(t.shape)}")
    return t


def check_finite(t: torch.Tensor, name: str) -> None:
    if not bool(torch.isfinite(t).all()):
        bad = "NaN" if bool(torch.isnan(t).any()) else "infinite values"
        raise ValueError(f"{name} contains {bad}")


def check_positive(value, name: str) -> None:
    if isinstance(value, torch.Tensor):
        ok = bool((value > 0).all()) and bool(torch.isfinite(value).all())
    elif isinstance(value, numbers.Real):
        ok = value > 0 and value == value and value != float("inf")
    else:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not ok:
        raise ValueError(f"{name} must be positive and finite, got {value!r}")


def make_generator(seed) -> torch.Generator:
    """A CPU generator seeded with ``seed``, or with fresh entropy when ``seed`` is None."""
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    elif isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed must be an integer or None, got {seed!r}")
    else:
        generator.manual_seed(int(seed))
    return generator
