"""nbgrader preprocessor that keeps hidden tests out of the feedback students receive.

The autograded notebook holds the hidden tests (nbgrader restores them from the gradebook
before running). Feedback is rendered from it, so without this step a student would read the
hidden tests' source, and their expected values in tracebacks.
"""
from __future__ import annotations

from nbgrader.preprocessors import ClearHiddenTests

WITHHELD = ("A hidden test in this cell failed ({ename}). Its source and expected values are "
            "withheld; re-read the task for the cases it asks you to handle.")


class WithholdHiddenTests(ClearHiddenTests):
    """Remove hidden-test regions; in those cells, replace error outputs by a neutral note."""

    def preprocess_cell(self, cell, resources, cell_index):
        had_hidden = self.begin_test_delimeter in cell.get("source", "")
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if had_hidden and cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["evalue"] = ""
                    output["traceback"] = [WITHHELD.format(ename=output.get("ename", "error"))]
                elif output.get("output_type") == "stream":
                    output["text"] = ""
        return cell, resources
