"""Write each assignment's answer rules and final self-check from course_lib.autograde.rules.

The rules a student reads must be the ones the grader enforces. They are defined once, in
``course_lib/autograde/rules.py``; this tool writes their text into the introduction of every
source notebook in ``solutions/`` (between the ``answer-rules`` markers) and makes sure the last
cell runs ``check_answer_rules``. ``tests/test_rules.py`` fails when a notebook is out of date.

    python tools/assignment_rules.py          # list notebooks whose rules are out of date
    python tools/assignment_rules.py --write  # rewrite them, then `make release`
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from course_lib.autograde.rules import rules_markdown

REPO = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- answer-rules:begin -->", "<!-- answer-rules:end -->"
CHECK_ID = "check_answer_rules"


def check_cell_source(assignment: str) -> str:
    return ("# Run this after saving the notebook: it applies the grader's reading of your answers.\n"
            "from course_lib.grading import check_answer_rules\n"
            f'check_answer_rules("{assignment}")')


def updated(nb, assignment: str):
    """A copy of ``nb`` with the current rules text and check cell."""
    nb = nbformat.from_dict(nb)
    intro = nb.cells[0]
    if BEGIN not in intro.source or END not in intro.source:
        raise ValueError(f"{assignment}: the first cell has no {BEGIN} ... {END} markers")
    head, rest = intro.source.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    intro.source = f"{head}{BEGIN}\n{rules_markdown(assignment)}\n{END}{tail}"
    last = nb.cells[-1]
    if last.get("metadata", {}).get("nbgrader", {}).get("grade_id") != CHECK_ID:
        last = nbformat.v4.new_code_cell()
        last.id = CHECK_ID.replace("_", "-")  # stable: re-writing a notebook does not churn its ids
        last.metadata["nbgrader"] = {"grade": False, "grade_id": CHECK_ID, "locked": True,
                                     "schema_version": 3, "solution": False, "task": False}
        last.metadata["editable"] = False
        last.metadata["deletable"] = False
        nb.cells.append(last)
    last.source = check_cell_source(assignment)
    last.outputs, last.execution_count = [], None
    return nb


def source_notebooks() -> list[tuple[str, Path]]:
    return [(folder.name, path) for folder in sorted((REPO / "solutions").iterdir()) if folder.is_dir()
            for path in sorted(folder.glob("*.ipynb"))]


def main(argv: list[str]) -> int:
    stale = []
    for assignment, path in source_notebooks():
        nb = nbformat.read(path, as_version=4)
        new = updated(nb, assignment)
        if [c.source for c in new.cells] != [c.source for c in nb.cells]:
            stale.append(path.relative_to(REPO))
            if "--write" in argv:
                nbformat.write(new, path)
    verb = "rewrote" if "--write" in argv else "out of date"
    print("\n".join(f"{verb}: {p}" for p in stale) or "all assignments state the current rules")
    return 1 if stale and "--write" not in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
