"""Run modes, each one environment variable.

* Quick mode: set ``DGM_QUICK=1`` (CI, nbval, a laptop) and notebooks pick their small
  settings through :func:`quick_or_full`; leave it unset for the real results.
* Headless mode: set ``DGM_HEADLESS=1`` where notebooks run with no front end to show widgets
  (nbval, nbconvert, the grading kernels; `make test` and nbgrader_config.py set it). Then
  :func:`progress_bar` draws nothing and :func:`widgets_enabled` is False, so no widget (a
  tqdm bar in Jupyter is one) and no comm message is ever created.
"""
from __future__ import annotations

import os
from typing import TypeVar

__all__ = ["QUICK_ENV", "HEADLESS_ENV", "is_quick", "quick_or_full", "is_headless", "widgets_enabled",
           "progress_bar"]

QUICK_ENV = "DGM_QUICK"
HEADLESS_ENV = "DGM_HEADLESS"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}

T = TypeVar("T")


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={value!r} is not understood; use 1 or 0")


def is_quick() -> bool:
    """True when the ``DGM_QUICK`` environment variable is set to a true value.

    Read at every call, so a notebook can flip it with ``os.environ`` and rerun a cell.
    """
    return _flag(QUICK_ENV)


def is_headless() -> bool:
    """True when the ``DGM_HEADLESS`` environment variable is set to a true value."""
    return _flag(HEADLESS_ENV)


def widgets_enabled() -> bool:
    """Whether to build interactive widgets: not headless, and ipywidgets importable.

    Lectures draw every figure statically first and add sliders only when this is True.
    """
    if is_headless():
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def progress_bar(iterable, desc: str | None = None, disable: bool = False):
    """``tqdm.auto.tqdm(iterable, desc=desc)``: a widget in Jupyter, text in a terminal.

    Disabled when ``disable`` is True or in headless mode (then it only iterates).
    """
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, disable=disable or is_headless())


def quick_or_full(quick: T, full: T) -> T:
    """Return ``quick`` in quick mode and ``full`` otherwise.

    >>> n_steps = quick_or_full(200, 20_000)
    """
    return quick if is_quick() else full
