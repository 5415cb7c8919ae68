"""Checks for autograder test cells.

Every check raises :class:`GradingError` (an ``AssertionError``) whose message says what was
expected, what came back and, where given, a hint. They are plain Python, so visible tests run
the same on a laptop, on Colab and under nbgrader::

    from course_lib.grading import check_close, check_shape
    check_shape(log_p, (5,), name="gaussian_log_prob(x, mean, cov)")
    check_close(log_p, expected, rtol=1e-10, name="gaussian_log_prob(x, mean, cov)",
                hint="work in log space: never take exp of the quadratic form")
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import torch

__all__ = [
    "GradingError",
    "check_close",
    "check_shape",
    "check_dtype",
    "check_finite",
    "check_true",
    "check_gradient_flows",
]


class GradingError(AssertionError):
    """A failed check in a test cell; its message is meant for the student."""


def _fail(name: str, problem: str, hint: str | None) -> None:
    message = f"{name}: {problem}"
    if hint:
        message += f"\nHint: {hint}"
    raise GradingError(message)


def _as_array(value, name: str) -> np.ndarray:
    """Detach a tensor / array / number into a float64 NumPy array for comparison."""
    if value is None:
        _fail(name, "got None; did the function forget to `return` its result?", None)
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", torch.float64).numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        _fail(name, f"expected a number or an array, got {type(value).__name__}: {value!r:.80}", None)


def _short(a: np.ndarray) -> str:
    with np.printoptions(precision=6, threshold=8, edgeitems=3, suppress=False):
        return np.array2string(a) if a.ndim else f"{float(a):.10g}"


def check_shape(got, shape: Sequence[int | None], name: str = "result", hint: str | None = None) -> None:
    """Check ``got.shape == shape``; ``None`` in ``shape`` matches any size."""
    actual = tuple(getattr(got, "shape", np.shape(got)))
    expected = tuple(shape)
    if len(actual) != len(expected) or any(e is not None and a != e for a, e in zip(actual, expected)):
        shown = tuple("any" if e is None else e for e in expected)
        _fail(name, f"expected shape {shown}, got {actual}", hint)


def check_dtype(got, dtype, name: str = "result", hint: str | None = None) -> None:
    """Check the dtype of a tensor or array (``torch.float64``, ``np.int64``, ...)."""
    actual = getattr(got, "dtype", None)
    if actual != dtype:
        _fail(name, f"expected dtype {dtype}, got {actual}", hint)


def check_finite(got, name: str = "result", hint: str | None = None) -> None:
    """Check that no entry is NaN or infinite."""
    a = _as_array(got, name)
    if not np.isfinite(a).all():
        n_nan, n_inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
        _fail(name, f"expected finite values, got {n_nan} NaN and {n_inf} infinite entries "
                    f"out of {a.size}: {_short(a)}", hint)


def check_close(got, expected, *, rtol: float = 1e-6, atol: float = 1e-8, name: str = "result",
                hint: str | None = None) -> None:
    """Check ``|got - expected| <= atol + rtol * |expected|`` entrywise, shapes equal.

    Accepts tensors (any device, any float dtype), arrays and numbers. NaN never matches.
    """
    g, e = _as_array(got, name), _as_array(expected, "expected")
    if g.shape != e.shape:
        _fail(name, f"expected shape {e.shape}, got {g.shape}", hint)
    if not np.isfinite(g).all() and np.isfinite(e).all():
        _fail(name, f"expected finite values like {_short(e)}, got {_short(g)}", hint)
    close = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=False)
    if not close.all():
        err = np.abs(g - e)
        where = np.unravel_index(np.nanargmax(np.where(close, -np.inf, err)), g.shape) if g.ndim else ()
        at = f" (worst at index {tuple(int(i) for i in where)}: expected {e[where]:.10g}, got {g[where]:.10g})" if g.ndim else ""
        _fail(name, f"values differ beyond rtol={rtol:g}, atol={atol:g}: "
                    f"{int((~close).sum())} of {g.size} entries wrong{at}.\n"
                    f"  expected: {_short(e)}\n  got:      {_short(g)}", hint)


def check_true(condition: bool, message: str, hint: str | None = None) -> None:
    """Check a property that has no single expected value (``message`` says what failed)."""
    if not bool(condition):
        _fail("check failed", message, hint)


def check_gradient_flows(output, inputs: Iterable[torch.Tensor], name: str = "output",
                         hint: str | None = None) -> None:
    """Check that a scalar ``output`` depends differentiably on every tensor in ``inputs``.

    Fails when the output is detached from the graph, a gradient is missing (``None``), not
    finite, or identically zero (a ``.detach()``, ``.item()`` or a NumPy round trip on the way).
    """
    inputs = list(inputs)
    if not isinstance(output, torch.Tensor):
        _fail(name, f"expected a torch.Tensor, got {type(output).__name__}", hint)
    if output.numel() != 1:
        _fail(name, f"expected a scalar to differentiate, got shape {tuple(output.shape)}", hint)
    if not output.requires_grad:
        _fail(name, "is not connected to the computation graph (requires_grad is False); "
                    "was something detached, converted to NumPy or taken with .item()?", hint)
    grads = torch.autograd.grad(output.sum(), inputs, allow_unused=True, retain_graph=True)
    for i, (x, g) in enumerate(zip(inputs, grads)):
        label = f"input {i} (shape {tuple(x.shape)})"
        if g is None:
            _fail(name, f"does not depend on {label}: its gradient is None", hint)
        if not bool(torch.isfinite(g).all()):
            _fail(name, f"gradient with respect to {label} has NaN or infinite entries", hint)
        if not bool((g != 0).any()):
            _fail(name, f"gradient with respect to {label} is identically zero", hint)
