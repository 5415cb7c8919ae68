"""Checks for autograder test cells.

Every check raises :class:`GradingError` (an ``AssertionError``) whose message says what was
expected, what came back and, where given, a hint. They are plain Python, so visible tests run
the same on a laptop, on Colab and under nbgrader::

    from course_lib.grading import check_close, check_shape
    check_shape(log_p, (5,), name="gaussian_log_prob(x, mean, cov)")
    check_close(log_p, expected, rtol=1e-10, name="gaussian_log_prob(x, mean, cov)",
                hint="work in log space: never take exp of the quadratic form")

A failure's traceback in Jupyter shows the test cell's line and the message, not this module's
frames (``__tracebackhide__``). A message reads ``"<name>: <problem>"`` with an optional
``"Hint: ..."`` line; :func:`parse_message` reads it back, so that feedback on a hidden test can
show its name and hint without its expected values. The last cell of every assignment calls
:func:`check_answer_rules`, the grader's own reading of the answers.
"""
from __future__ import annotations

import os
import sys
from typing import Iterable, Sequence

import numpy as np
import torch

__all__ = [
    "GradingError",
    "parse_message",
    "check_close",
    "check_tensor",
    "check_shape",
    "check_dtype",
    "check_finite",
    "check_true",
    "check_gradient_flows",
    "check_answer_rules",
]

#: Float dtypes a student might return by accident (``.float()``, ``torch.tensor(..., dtype=...)``):
#: compared at this relative/absolute tolerance instead of a float64 one.
_LOW_PRECISION_TOL = {torch.float32: 1e-5, torch.float16: 2e-3, torch.bfloat16: 1e-2,
                      np.dtype(np.float32): 1e-5, np.dtype(np.float16): 2e-3}


class GradingError(AssertionError):
    """A failed check in a test cell; its message is meant for the student.

    ``name`` says what was checked, ``problem`` what went wrong (expected and got), ``hint`` how
    to fix it; ``str(error)`` is ``"name: problem"`` plus a ``"Hint: ..."`` line.
    """

    def __init__(self, name: str, problem: str = "", hint: str | None = None):
        self.name, self.problem, self.hint = name, problem, hint
        message = f"{name}: {problem}" if problem else name
        if hint:
            message += f"\nHint: {hint}"
        super().__init__(message)


def _show_in_notebook(shell, etype, value, tb, tb_offset=None):
    """IPython handler for a GradingError: the traceback keeps only the frames that are not
    marked ``__tracebackhide__`` (the test cell's, and any in the student's own code), so the
    student reads the failing line and the message, not this module."""
    kept = []
    while tb is not None:
        if not tb.tb_frame.f_locals.get("__tracebackhide__"):
            kept.append(tb)
        tb = tb.tb_next
    for outer, inner in zip(kept, kept[1:]):
        outer.tb_next = inner
    if kept:
        kept[-1].tb_next = None
    stb = shell.InteractiveTB.structured_traceback(etype, value, kept[0] if kept else None, tb_offset=tb_offset)
    shell._showtraceback(etype, value, stb)
    return stb


def _install_notebook_display() -> None:
    """Register :func:`_show_in_notebook` when running inside IPython (a Jupyter kernel)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and not shell.custom_exceptions:  # never replace someone else's handler
        shell.set_custom_exc((GradingError,), _show_in_notebook)


_install_notebook_display()


def _validate_stderr_as_the_grader_does() -> None:
    """While nbgrader validates a notebook, send Python's stderr to stdout.

    nbgrader's Validate button (``nbgrader validate``) counts any text on stderr in a test cell
    as a failed test, so a correct answer that triggers a ``UserWarning`` would be reported as
    failing. The autograder keeps such text as ordinary output and gives the points
    (:mod:`course_lib.autograde.outcomes`); this makes Validate agree with it. nbgrader sets
    ``NBGRADER_VALIDATING=1`` in the kernel's environment only while validating, and every
    assignment's set-up cell imports this module, so nothing changes anywhere else. An error
    (a failed check) is not stderr text: it still fails.
    """
    if os.environ.get("NBGRADER_VALIDATING") == "1":
        sys.stderr = sys.stdout


_validate_stderr_as_the_grader_does()


def parse_message(message: str) -> tuple[str, str, str | None]:
    """``(name, problem, hint)`` from the text of a :class:`GradingError` (e.g. a notebook's
    error output): the inverse of its message format."""
    body, _, hint = message.partition("\nHint: ")
    name, _, problem = body.partition(": ")
    return name.strip(), problem.strip(), (hint.strip() or None)


def _fail(name: str, problem: str, hint: str | None) -> None:
    __tracebackhide__ = True
    raise GradingError(name, problem, hint)


def _as_array(value, name: str) -> np.ndarray:
    """Detach a tensor / array / number into a float64 NumPy array for comparison."""
    __tracebackhide__ = True
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
    __tracebackhide__ = True
    actual = tuple(getattr(got, "shape", np.shape(got)))
    expected = tuple(shape)
    if len(actual) != len(expected) or any(e is not None and a != e for a, e in zip(actual, expected)):
        shown = tuple("any" if e is None else e for e in expected)
        _fail(name, f"expected shape {shown}, got {actual}", hint)


def check_tensor(got, name: str = "result", hint: str | None = None) -> None:
    """Check that ``got`` is a ``torch.Tensor`` (not a list, a NumPy array or a Python number)."""
    __tracebackhide__ = True
    if not isinstance(got, torch.Tensor):
        _fail(name, f"expected a torch.Tensor, got {type(got).__name__}: {got!r:.80}",
              hint or "build the result with torch operations (torch.stack for a list of tensors, "
                      "torch.as_tensor for an array)")


def check_dtype(got, dtype, name: str = "result", hint: str | None = None) -> None:
    """Check the dtype of a tensor or array (``torch.float64``, ``np.int64``, ...)."""
    __tracebackhide__ = True
    actual = getattr(got, "dtype", None)
    if actual != dtype:
        _fail(name, f"expected dtype {dtype}, got {actual}", hint)


def check_finite(got, name: str = "result", hint: str | None = None) -> None:
    """Check that no entry is NaN or infinite."""
    __tracebackhide__ = True
    a = _as_array(got, name)
    if not np.isfinite(a).all():
        n_nan, n_inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
        _fail(name, f"expected finite values, got {n_nan} NaN and {n_inf} infinite entries "
                    f"out of {a.size}: {_short(a)}", hint)


def check_close(got, expected, *, rtol: float = 1e-6, atol: float = 1e-8, name: str = "result",
                hint: str | None = None) -> None:
    """Check ``|got - expected| <= atol + rtol * |expected|`` entrywise, shapes equal.

    Accepts tensors (any device, any float dtype), arrays and numbers. NaN never matches. A
    result in a lower precision than the expected value (float32 where float64 was expected) is
    compared at that precision's tolerance: a correct float32 answer passes, and a failure
    message says which dtype came back. A shape mismatch is reported without the hint, which
    is about values.
    """
    __tracebackhide__ = True
    g, e = _as_array(got, name), _as_array(expected, "expected")
    if g.shape != e.shape:
        _fail(name, f"expected shape {e.shape}, got {g.shape}", None)
    if not np.isfinite(g).all() and np.isfinite(e).all():
        _fail(name, f"expected finite values like {_short(e)}, got {_short(g)}", hint)
    precision = ""
    low = _LOW_PRECISION_TOL.get(getattr(got, "dtype", None))
    if low is not None and getattr(expected, "dtype", np.float64) not in _LOW_PRECISION_TOL:
        rtol, atol = max(rtol, low), max(atol, low * (1.0 + float(np.abs(e).max(initial=0.0))))
        precision = f" (your result is {got.dtype}, so it is compared at that precision)"
    close = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=False)
    if not close.all():
        err = np.abs(g - e)
        where = np.unravel_index(np.nanargmax(np.where(close, -np.inf, err)), g.shape) if g.ndim else ()
        at = f" (worst at index {tuple(int(i) for i in where)}: expected {e[where]:.10g}, got {g[where]:.10g})" if g.ndim else ""
        _fail(name, f"values differ beyond rtol={rtol:g}, atol={atol:g}{precision}: "
                    f"{int((~close).sum())} of {g.size} entries wrong{at}.\n"
                    f"  expected: {_short(e)}\n  got:      {_short(g)}", hint)


def check_true(condition: bool, message: str, hint: str | None = None) -> None:
    """Check a property that has no single expected value (``message`` says what failed)."""
    __tracebackhide__ = True
    if not bool(condition):
        _fail(message, "", hint)


def check_gradient_flows(output, inputs: Iterable[torch.Tensor], name: str = "output",
                         hint: str | None = None) -> None:
    """Check that a scalar ``output`` depends differentiably on every tensor in ``inputs``.

    Fails when the output is detached from the graph, a gradient is missing (``None``), not
    finite, or identically zero (a ``.detach()``, ``.item()`` or a NumPy round trip on the way).
    """
    __tracebackhide__ = True
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


def check_answer_rules(assignment: str, notebook: str | None = None) -> None:
    """Apply the grader's reading of the answers to the saved notebook, before you submit.

    Reads ``notebook`` (default ``<assignment>.ipynb`` in the current folder; on Colab, the open
    notebook) with :func:`course_lib.autograde.rules.read_answers` — exactly what the
    autograder runs — and fails with one line per answer it would reject. Save the notebook
    first: the file on disk is what is read.
    """
    __tracebackhide__ = True
    from .autograde.rules import read_answers

    cells = _notebook_cells(notebook or f"{assignment}.ipynb")
    if cells is None:
        print(f"check_answer_rules: {notebook or assignment + '.ipynb'} is not in the current folder "
              "and this is not Colab, so nothing was read; run this cell where the notebook is.")
        return
    findings = read_answers(cells, assignment)
    if findings:
        _fail("answer rules", "the autograder would reject these answers:\n" +
              "\n".join(f"  - {f}" for f in findings),
              "see the Rules in the introduction; re-run this cell after saving the notebook")
    print("answer rules OK: the autograder would accept every answer in this notebook")


def _notebook_cells(path: str) -> list | None:
    """The cells of the saved notebook at ``path``, or of the open Colab notebook, or None."""
    import json
    import os
    import sys

    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)["cells"]
    if "google.colab" in sys.modules:
        from google.colab import _message  # Colab's own front-end bridge

        return _message.blocking_request("get_ipynb", timeout_sec=30)["ipynb"]["cells"]
    return None
