"""nbgrader preprocessor that keeps hidden tests out of the feedback students receive.

The autograded notebook holds the hidden tests (nbgrader restores them from the gradebook
before running). Feedback is rendered from it, so without this step a student would read the
hidden tests' source, and their expected values in tracebacks. What a student may still read
about a failed hidden test is kept:

* a failed check (``GradingError``): its name and hint, never its expected and actual values;
* a timeout or a rejected answer: the grader's own message, which names the cell and the reason;
* an exception raised by the student's code (``TypeError``, ``NameError``...): its type and
  first line.
"""
from __future__ import annotations

from nbgrader.preprocessors import ClearHiddenTests

from ..grading import parse_message
from .answer_guard import ENAME as REJECTED_ENAME
from .outcomes import TIMEOUT_ENAME

WITHHELD = ("A hidden test in this cell failed{what}. Its source and expected values are "
            "withheld; re-read the task for the cases it asks you to handle.")


def public_message(ename: str, evalue: str) -> str:
    """What a student may read about an error in a hidden test cell."""
    if ename == "GradingError":
        name, _, hint = parse_message(evalue)
        return WITHHELD.format(what=f": {name}") + (f"\nHint: {hint}" if hint else "")
    if ename in (TIMEOUT_ENAME, REJECTED_ENAME):
        return f"{ename}: {evalue}"
    if ename == "AssertionError" or not evalue:
        return WITHHELD.format(what=f" ({ename})")
    first_line = evalue.strip().splitlines()[0]
    return WITHHELD.format(what=f": your code raised {ename}: {first_line}")


class WithholdHiddenTests(ClearHiddenTests):
    """Remove hidden-test regions; in those cells, replace error outputs by their public part."""

    def preprocess_cell(self, cell, resources, cell_index):
        had_hidden = self.begin_test_delimeter in cell.get("source", "")
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if had_hidden and cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [public_message(output.get("ename", "error"),
                                                          output.get("evalue") or "")]
                    output["evalue"] = ""
                elif output.get("output_type") == "stream":
                    output["text"] = ""
        return cell, resources
