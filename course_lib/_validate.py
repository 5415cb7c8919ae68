"""Input checks shared by the reference implementations: clear ValueErrors, early.

Every check here raises ``ValueError`` naming the argument, and is called ``require_*`` (or
``as_*`` when it also converts), so that none is mistaken for the grading checks of
:mod:`course_lib.grading`, which raise ``GradingError`` for students. The random-number
arguments (a seed, a generator) are handled here too, with the one way noise is drawn on any
device (:func:`standard_normal`).
"""
from __future__ import annotations

import math
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


def require_finite(t: torch.Tensor, name: str) -> None:
    if not bool(torch.isfinite(t).all()):
        bad = "NaN" if bool(torch.isnan(t).any()) else "infinite values"
        raise ValueError(f"{name} contains {bad}")


def require_positive(value, name: str) -> None:
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


def require_int(value, name: str, smallest: int = 1) -> int:
    """``value`` as an ``int`` that is at least ``smallest`` (bools are not integers here)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < smallest:
        kind = {1: "a positive integer", 0: "a non-negative integer"}.get(smallest, f"an integer >= {smallest}")
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(value)


def require_real(value, name: str, *, positive: bool = False) -> float:
    """``value`` as a finite ``float`` that is non-negative (or, with ``positive``, > 0)."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
            or value < 0 or (positive and value == 0)):
        kind = "a positive" if positive else "a non-negative"
        raise ValueError(f"{name} must be {kind} finite number, got {value!r}")
    return float(value)


def require_float_dtype(dtype) -> torch.dtype:
    """``dtype`` if it is a floating-point ``torch.dtype``."""
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    return dtype


def as_generator(generator) -> torch.Generator | None:
    """``None`` (torch's global generator), a ``torch.Generator``, or an int seed."""
    if generator is None or isinstance(generator, torch.Generator):
        return generator
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        return make_generator(int(generator))
    raise ValueError(f"generator must be a torch.Generator, an integer seed or None, got {generator!r}")


def standard_normal(shape, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """``N(0, I)`` noise of ``shape`` on ``like``'s device and in its dtype.

    With a generator on another device (typically a CPU generator for CUDA inputs) the draw
    is made on the generator's device and moved, so the numbers depend only on the seed.
    """
    if generator is None:
        return torch.randn(shape, dtype=like.dtype, device=like.device)
    eps = torch.randn(shape, generator=generator, dtype=like.dtype, device=generator.device)
    return eps.to(like.device)
