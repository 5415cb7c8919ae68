"""One-line numerical checks for the lectures: every derivation is followed by a few of them.

::

    from course_lib.checks import check, check_that
    check("posterior mean = W^T C^-1 (x - mu)", post_mean, other_formula, 1e-12)
    check_that("EM never lowers the likelihood", (diffs >= -1e-9).all(), f"min step {diffs.min():.2e}")

Each prints one line (``ok  <label>  ...``) and raises ``AssertionError`` naming the label when
the check fails, so a lecture stops at the first wrong claim. Unlike :mod:`course_lib.grading`
(whose checks explain a student's mistake), these state what the lecture has just derived.
"""
from __future__ import annotations

import numpy as np

__all__ = ["check", "check_that"]

_WIDTH = 62


def _as_float64(value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor, on any device
        value = value.detach().cpu().double().numpy()
    return np.asarray(value, dtype=np.float64)


def check(label: str, got, expected, tol: float) -> float:
    """Assert ``max |got - expected| <= tol`` (entrywise, after broadcasting) and print it.

    ``got`` and ``expected`` are numbers, arrays or tensors of broadcastable shapes. Equal
    infinities count as agreeing; a NaN anywhere fails. Returns the error.
    """
    got_a, expected_a = _as_float64(got), _as_float64(expected)
    try:
        got_a, expected_a = np.broadcast_arrays(got_a, expected_a)
    except ValueError:
        raise AssertionError(f"{label}: shapes {got_a.shape} and {expected_a.shape} do not match") from None
    with np.errstate(invalid="ignore"):  # inf - inf; equal infinities agree
        diff = np.where(got_a == expected_a, 0.0, np.abs(got_a - expected_a))
    err = float(diff.max()) if diff.size else 0.0
    if not err <= tol:  # also catches NaN
        detail = (f"got {got_a.item():.6g}, expected {expected_a.item():.6g}" if got_a.size == 1
                  else f"max |got - expected| = {err:.3g}")
        raise AssertionError(f"{label}: {detail} (tol {tol:.2g})")
    if got_a.size == 1:
        print(f"ok  {label:<{_WIDTH}s} {got_a.item():+.6g}  vs  {expected_a.item():+.6g}")
    else:
        print(f"ok  {label:<{_WIDTH}s} max error {err:.2e}")
    return err


def check_that(label: str, condition, detail: str = "") -> None:
    """Assert a yes/no claim (a bool, or a tensor/array that must be all true) and print it;
    ``detail`` (e.g. the measured figure) is printed after the label either way."""
    holds = bool(_as_float64(condition).all()) if not isinstance(condition, bool) else condition
    if not holds:
        raise AssertionError(f"{label}: does not hold" + (f" ({detail})" if detail else ""))
    print(f"ok  {label:<{_WIDTH}s} {detail}".rstrip())
