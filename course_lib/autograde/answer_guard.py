"""nbgrader preprocessor that reads every answer cell before its tests are scored.

The rules and the reading are in :mod:`course_lib.autograde.rules` (the same reading students
run with :func:`course_lib.grading.check_answer_rules`). This preprocessor applies them to the
autograded copy, after execution and before nbgrader saves the grades:

* an answer that uses a routine its task asks to implement: the test cells that follow it, up to
  the next answer cell, score zero;
* an answer that tampers with grading: every test cell of the notebook scores zero.

Each affected test cell gets an ``AnswerRejected`` error output naming the answer cell, the
line and the rule, so the instructor's report and the student's feedback both say why.
"""
from __future__ import annotations

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Unicode

from .rules import read_answers

ENAME = "AnswerRejected"


class GuardAnswers(NbGraderPreprocessor):
    """Score zero the tests of answers that call forbidden routines or tamper with grading."""

    ename = Unicode(ENAME).tag(config=True)

    def preprocess(self, nb, resources):
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        findings = read_answers(nb.cells, assignment)
        if not findings:
            return nb, resources
        tampering = next((f for f in findings if f.kind == "tampering"), None)
        banned = {}  # answer cell -> its first forbidden call
        for f in findings:
            if f.kind == "forbidden":
                banned.setdefault(f.grade_id, f)
        current_answer = None
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if is_solution(cell):
                current_answer = cell.metadata["nbgrader"].get("grade_id")
            if not is_grade(cell):
                continue
            finding = tampering or banned.get(current_answer)
            if finding is None:
                continue
            reason = str(finding)
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
            cell.outputs.append(new_output("error", ename=self.ename, evalue=reason,
                                           traceback=[f"{self.ename}: {reason}"]))
            self.log.warning("%s: %s", cell.metadata["nbgrader"].get("grade_id"), reason)
        return nb, resources
