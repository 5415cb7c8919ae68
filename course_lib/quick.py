"""Quick mode: one environment variable shrinks every training run.

Set ``DGM_QUICK=1`` (CI, nbval, a laptop) and notebooks pick their small settings through
:func:`quick_or_full`; leave it unset for the real results.
"""
from __future__ import annotations

import os
from typing import TypeVar

__all__ = ["QUICK_ENV", "is_quick", "quick_or_full"]

QUICK_ENV = "DGM_QUICK"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

T = TypeVar("T")


def is_quick() -> bool:
    """True when the ``DGM_QUICK`` environment variable is set to a true value.

    Read at every call, so a notebook can flip it with ``os.environ`` and rerun a cell.
    """
    value = os.environ.get(QUICK_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{QUICK_ENV}={value!r} is not understood; use 1 or 0")


def quick_or_full(quick: T, full: T) -> T:
    """Return ``quick`` in quick mode and ``full`` otherwise.

    >>> n_steps = quick_or_full(200, 20_000)
    """
    return quick if is_quick() else full
