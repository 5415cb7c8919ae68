"""Fair scores and readable reasons from what nbgrader recorded: warnings, timeouts, hidden
failures and knock-ons (course_lib.autograde.outcomes and .feedback), without running nbgrader."""
from __future__ import annotations

from nbformat.v4 import new_code_cell, new_notebook, new_output
from traitlets.config import Config

from course_lib.autograde.feedback import public_message
from course_lib.autograde.outcomes import ExplainOutcomes, cell_outcomes, knock_on_sources
from course_lib.grading import GradingError


def _cell(source, grade_id, *, solution=False, grade=False, outputs=(), count=None):
    cell = new_code_cell(source, execution_count=count)
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "solution": solution, "grade": grade}
    cell.outputs = list(outputs)
    return cell


def _notebook(*cells):
    nb = new_notebook()
    nb.cells = list(cells)
    return nb


def test_stderr_in_a_test_cell_is_kept_but_costs_nothing():
    warning = new_output("stream", name="stderr", text="UserWarning: To copy construct from a tensor...\n")
    nb = _notebook(_cell("def f(): ...", "f", solution=True),
                   _cell("f()\nprint('OK')", "test_f", grade=True,
                         outputs=[warning, new_output("stream", name="stdout", text="OK\n")]))
    nb, _ = ExplainOutcomes().preprocess(nb, {})
    outputs = nb.cells[1].outputs
    assert [o.name for o in outputs] == ["stdout", "stdout"]
    assert "UserWarning" in outputs[0].text
    assert cell_outcomes(nb)["test_f"].ename == ""


def test_a_timeout_becomes_one_error_naming_the_cell_and_the_running_answer():
    interrupted = new_output("error", ename="KeyboardInterrupt", evalue="", traceback=[
        "\x1b[31mKeyboardInterrupt\x1b[0m", "Cell \x1b[32mIn[7]\x1b[0m, line 3, in loo", "Cell In[9], line 2"])
    timeout = new_output("error", ename="CellTimeoutError", evalue="",
                         traceback=["CellTimeoutError: No reply from kernel before timeout"])
    nb = _notebook(_cell("def loo(): ...", "loo_log_likelihood", solution=True, count=7),
                   _cell("loo()", "test_loo_hidden", grade=True, count=9, outputs=[interrupted, timeout]))
    config = Config({"Execute": {"timeout": 12}})
    nb, _ = ExplainOutcomes(config=config).preprocess(nb, {})
    (error,) = nb.cells[1].outputs
    assert error.ename == "CellTimeoutError"
    assert "test cell 'test_loo_hidden' took longer than 12 s" in error.evalue
    assert "while running your answer 'loo_log_likelihood'" in error.evalue
    assert "KeyboardInterrupt" not in str(error)


def test_knock_ons_point_at_the_answer_relied_on():
    nb = _notebook(
        _cell("def kernel(x, y):\n    return x", "kernel", solution=True),
        _cell("kernel(1, 2)", "test_kernel", grade=True),
        _cell("def mmd(x, y):\n    return kernel(x, y)", "mmd", solution=True),
        _cell("mmd(1, 2)", "test_mmd", grade=True),
        _cell("def null(x):\n    return x", "null", solution=True),
        _cell("check_close(null(1), mmd(1, 1))", "test_null", grade=True),
        _cell("def other(x):\n    return x", "other", solution=True),
        _cell("other(1)", "test_other", grade=True),
    )
    sources = knock_on_sources(nb, {"test_kernel", "test_mmd", "test_null", "test_other"})
    assert sources == {"test_mmd": ["kernel"], "test_null": ["mmd"]}
    assert knock_on_sources(nb, {"test_mmd"}) == {}  # the kernel's own tests passed


def test_hidden_feedback_shows_name_and_hint_but_never_values():
    evalue = str(GradingError("gaussian_mle covariance, n=7, d=1",
                              "values differ: expected 2.718281828, got 3.1", "divide by n"))
    shown = public_message("GradingError", evalue)
    assert "gaussian_mle covariance, n=7, d=1" in shown and "Hint: divide by n" in shown
    assert "2.718281828" not in shown and "3.1" not in shown
    assert "took longer than 30 s" in public_message("CellTimeoutError", "test cell 'x' took longer than 30 s")
    assert "NameError: name 'f' is not defined" in public_message("NameError", "name 'f' is not defined")
    assert "expected 5" not in public_message("AssertionError", "expected 5, got 4")
