"""What happened in each graded cell, made fair to score and plain to read.

nbgrader scores a test cell zero when it has an error output *or any text on stderr*, and a cell
stopped at the time limit shows a ``KeyboardInterrupt`` traceback followed by "No reply from
kernel before timeout". :class:`ExplainOutcomes` runs after execution, before the grades are
saved, and fixes both:

* text on stderr in a test cell (a ``UserWarning``, a deprecation notice) is kept, as ordinary
  output: only errors cost points;
* a timed-out cell gets one ``CellTimeoutError`` that names the cell, the time limit and the
  answer that was running when it was stopped.

:func:`cell_outcomes` reads a graded notebook back for the instructor's report, and
:func:`knock_on_sources` says which failed tests may have failed because an earlier answer
they depend on is wrong.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor

from .rules import CELL_TIMEOUT_S

__all__ = ["ExplainOutcomes", "CellOutcome", "cell_outcomes", "knock_on_sources", "TIMEOUT_ENAME"]

TIMEOUT_ENAME = "CellTimeoutError"
_CELL_REFERENCE = re.compile(r"Cell In\[(\d+)\]")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


class ExplainOutcomes(NbGraderPreprocessor):
    """Keep stderr from costing points; give timed-out cells one clear error."""

    def preprocess(self, nb, resources):
        timeout = self.config.Execute.get("timeout", CELL_TIMEOUT_S)
        answers = {cell.get("execution_count"): _meta(cell).get("grade_id") for cell in nb.cells
                   if cell.cell_type == "code" and _meta(cell).get("solution")}
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if _meta(cell).get("grade"):
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "stream" and output.get("name") == "stderr":
                        output["name"] = "stdout"
            if any(o.get("ename") == TIMEOUT_ENAME for o in _errors(cell)):
                self._explain_timeout(cell, timeout, answers)
        return nb, resources

    @staticmethod
    def _explain_timeout(cell, timeout, answers) -> None:
        trace = "\n".join(_ANSI.sub("", line) for o in _errors(cell) for line in o.get("traceback", []))
        running = [answers[n] for n in map(int, _CELL_REFERENCE.findall(trace)) if n in answers]
        own = _meta(cell).get("grade_id", "this cell")
        where = f" while running your answer {running[-1]!r}" if running else ""
        kind = "test cell" if _meta(cell).get("grade") else "cell"
        message = (f"{kind} {own!r} took longer than {timeout} s and was stopped{where}: make it "
                   "faster by replacing Python loops over data points with tensor operations")
        cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"]
        cell.outputs.append(new_output("error", ename=TIMEOUT_ENAME, evalue=message,
                                       traceback=[f"{TIMEOUT_ENAME}: {message}"]))


@dataclass
class CellOutcome:
    """One graded cell of an autograded notebook, as the report needs it."""

    grade_id: str
    ename: str = ""  # the last error's name, "" when the cell raised nothing
    evalue: str = ""  # its whole message


def cell_outcomes(nb) -> dict[str, CellOutcome]:
    """``grade_id -> CellOutcome`` for every code cell with a grade id in the notebook."""
    outcomes = {}
    for cell in nb.cells:
        grade_id = _meta(cell).get("grade_id")
        if cell.get("cell_type") != "code" or not grade_id:
            continue
        errors = _errors(cell)
        last = errors[-1] if errors else {}
        outcomes[grade_id] = CellOutcome(grade_id, last.get("ename", ""), (last.get("evalue") or "").strip())
    return outcomes


def _names(tree: ast.AST) -> tuple[set[str], set[str]]:
    """(top-level names a cell defines, names it reads)."""
    defined = {node.name for node in getattr(tree, "body", [])
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    for node in getattr(tree, "body", []):
        if isinstance(node, ast.Assign):
            defined |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return defined, used


def knock_on_sources(nb, failed: set[str]) -> dict[str, list[str]]:
    """For each failed test cell, the other answers it relies on whose own tests failed too.

    A test cell belongs to the answer cell above it and relies on the answers whose names its
    answer or the test itself reads (``mmd2_biased`` calls ``gaussian_kernel_matrix``; the test
    of ``permutation_null_statistics`` compares with ``mmd2_unbiased``). When a test fails and so
    does a test of an answer it relies on, the failure may be a knock-on of that answer's
    mistake: the report says so, so that the student fixes that answer first.
    """
    defines: dict[str, set[str]] = {}
    uses: dict[str, set[str]] = {}
    tests_of: dict[str, list[str]] = {}
    answer_of: dict[str, str] = {}
    test_reads: dict[str, set[str]] = {}
    current = None
    for cell in nb.cells:
        meta = _meta(cell)
        if cell.get("cell_type") != "code" or not meta.get("grade_id"):
            continue
        try:
            tree = ast.parse(cell.get("source", ""))
        except SyntaxError:
            tree = ast.Module(body=[], type_ignores=[])
        if meta.get("solution"):
            current = meta["grade_id"]
            defines[current], uses[current] = _names(tree)
            tests_of[current] = []
        elif meta.get("grade") and current is not None:
            tests_of[current].append(meta["grade_id"])
            answer_of[meta["grade_id"]] = current
            test_reads[meta["grade_id"]] = _names(tree)[1]
    broken = {a for a, tests in tests_of.items() if failed.intersection(tests)}
    sources = {}
    for test in failed:
        answer = answer_of.get(test)
        if answer is None:
            continue
        reads = uses[answer] | test_reads[test]
        upstream = [a for a in defines if a != answer and a in broken and defines[a] & reads]
        if upstream:
            sources[test] = upstream
    return sources
