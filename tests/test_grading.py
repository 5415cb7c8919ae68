"""The checks used in autograder test cells: they pass on right answers and fail with messages
that name what was expected, what came back and the hint."""
import numpy as np
import pytest
import torch

from course_lib.grading import (GradingError, check_close, check_dtype, check_finite, check_gradient_flows,
                                check_shape, check_true)


def test_check_close_passes_across_types():
    check_close(torch.tensor([1.0, 2.0], dtype=torch.float32), np.array([1.0, 2.0]), rtol=1e-6)
    check_close(3.0, 3.0 + 1e-12, rtol=1e-10)
    check_close(torch.tensor(2.0, requires_grad=True) * 1, 2.0)


def test_check_close_message_names_expected_got_and_hint():
    with pytest.raises(GradingError) as err:
        check_close(torch.tensor([1.0, 2.0, 3.0]), [1.0, 2.0, 3.5], name="f(x)", hint="divide by n")
    message = str(err.value)
    assert "f(x)" in message and "expected" in message and "got" in message
    assert "3.5" in message and "Hint: divide by n" in message and "index (2,)" in message
    assert isinstance(err.value, AssertionError)


def test_check_close_shape_nan_and_none():
    with pytest.raises(GradingError, match=r"expected shape \(3,\), got \(2,\)"):
        check_close([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(GradingError, match="expected finite"):
        check_close([np.nan], [1.0])
    with pytest.raises(GradingError, match="forget to `return`"):
        check_close(None, 1.0)
    with pytest.raises(GradingError, match="expected a number"):
        check_close("abc", 1.0)


def test_check_shape_dtype_finite_true():
    check_shape(torch.zeros(3, 2), (3, None))
    with pytest.raises(GradingError, match=r"expected shape \(3, 'any', 1\), got \(3, 2\)"):
        check_shape(torch.zeros(3, 2), (3, None, 1))
    check_dtype(torch.zeros(2, dtype=torch.float64), torch.float64)
    with pytest.raises(GradingError, match="expected dtype torch.float64, got torch.float32"):
        check_dtype(torch.zeros(2), torch.float64)
    check_finite(torch.ones(3))
    with pytest.raises(GradingError, match="1 NaN and 1 infinite"):
        check_finite(torch.tensor([np.nan, np.inf, 0.0]))
    check_true(True, "unused")
    with pytest.raises(GradingError, match="not monotone"):
        check_true(False, "log-likelihood is not monotone")


def test_check_gradient_flows():
    w = torch.randn(3, requires_grad=True)
    check_gradient_flows((w**2).sum() + w.sum(), [w])
    with pytest.raises(GradingError, match="requires_grad is False"):
        check_gradient_flows((w**2).sum().detach(), [w])
    v = torch.randn(2, requires_grad=True)
    with pytest.raises(GradingError, match="gradient is None"):
        check_gradient_flows((w**2).sum(), [w, v])
    with pytest.raises(GradingError, match="identically zero"):
        check_gradient_flows((w * 0).sum(), [w])
    with pytest.raises(GradingError, match="scalar"):
        check_gradient_flows(w * 2, [w])


def test_float32_results_are_compared_at_float32_precision():
    check_close(torch.tensor(1.5, dtype=torch.float32), np.float64(1.5) * (1 + 3e-7), rtol=1e-12)
    check_close(torch.tensor([0.75], dtype=torch.float32), [0.75], rtol=1e-12)
    with pytest.raises(GradingError, match="your result is torch.float32"):
        check_close(torch.tensor([1.6], dtype=torch.float32), [1.5], rtol=1e-12)
    with pytest.raises(GradingError):  # float64 keeps the tight tolerance
        check_close(torch.tensor([1.5 * (1 + 3e-7)], dtype=torch.float64), [1.5], rtol=1e-12)


def test_check_tensor_names_the_type():
    from course_lib.grading import check_tensor

    check_tensor(torch.zeros(2))
    for bad, kind in [([torch.tensor(1.0)], "list"), (np.eye(2), "ndarray"), (1.5, "float")]:
        with pytest.raises(GradingError, match=f"expected a torch.Tensor, got {kind}"):
            check_tensor(bad, name="f(x)")


def test_a_shape_failure_gives_no_value_hint():
    with pytest.raises(GradingError) as err:
        check_close(torch.zeros(3), torch.zeros(3, 3), name="cov", hint="divide by n")
    assert "expected shape (3, 3), got (3,)" in str(err.value) and "Hint" not in str(err.value)


def test_messages_read_back_into_name_problem_and_hint():
    from course_lib.grading import parse_message

    err = GradingError("poisson_mle([2, 0, 3, 1])", "expected 1.5, got 2", "divide by n")
    assert parse_message(str(err)) == ("poisson_mle([2, 0, 3, 1])", "expected 1.5, got 2", "divide by n")
    assert (err.name, err.problem, err.hint) == ("poisson_mle([2, 0, 3, 1])", "expected 1.5, got 2", "divide by n")
    with pytest.raises(GradingError) as failed:
        check_true(False, "history should hold Python floats", hint="use .item()")
    assert parse_message(str(failed.value)) == ("history should hold Python floats", "", "use .item()")


def test_jupyter_tracebacks_hide_the_checks_own_frames():
    """In a notebook, a failed check shows the test cell's line and the message, not grading.py."""
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from course_lib.grading import check_close\n"
                                          "check_close([1.0, 2.0], [1.0, 2.5], name='f(x)', hint='divide by n')")]
    nbclient.NotebookClient(nb, timeout=60, allow_errors=True, kernel_name="python3").execute()
    (error,) = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    text = "\n".join(error.traceback)
    assert "grading.py" not in text and "_fail" not in text
    assert "f(x): values differ" in text and "Hint: divide by n" in text
