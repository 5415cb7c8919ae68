"""nbgrader preprocessor that reads every answer cell before its tests are scored.

Two things earn no points, whatever the test cells printed:

* **calling what the task asks you to implement** — a reference routine listed for the
  assignment in ``GuardAnswers.forbidden`` (e.g. ``course_lib.mmd`` or ``scipy.stats``): the test
  cells that follow that answer are scored zero;
* **tampering with the grader** — rebinding a grading helper (``check_close = ...``, ``def
  check_shape``), assigning to an attribute of an imported module (``np.isclose = ...``,
  ``course_lib.grading.check_close = ...``) or using ``exec``, ``eval``, ``setattr``,
  ``__import__``, ``globals()``, ``get_ipython()``, ``sys.modules``, ``builtins`` and the like:
  every test cell of the notebook is scored zero.

The analysis is static (Python's ``ast``) on the autograded copy; it runs after execution and
before nbgrader saves the grades, and it marks each affected test cell with an error output
that names the reason, so the instructor's report and the student's feedback both say why.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Dict, List, Unicode

GRADING_NAMES = {"GradingError"}  # plus every name starting with "check_"
DANGEROUS_CALLS = {"exec", "eval", "compile", "__import__", "setattr", "delattr", "globals", "vars",
                   "get_ipython", "breakpoint"}
DANGEROUS_NAMES = {"__builtins__", "builtins", "importlib", "ctypes"}
DANGEROUS_ATTRIBUTES = {"__code__", "__globals__", "__dict__", "__builtins__"}
DANGEROUS_OBJECTS = {"sys.modules", "sys.settrace", "sys.setprofile", "sys.excepthook"}


@dataclass
class Finding:
    grade_id: str
    kind: str  # "forbidden" or "tampering"
    detail: str


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attribute accesses on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _bound_names(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
    """(local name, fully qualified name) for each name an import statement binds."""
    if isinstance(node, ast.Import):
        return [((a.asname or a.name).split(".")[0], a.name if a.asname else a.name.split(".")[0])
                for a in node.names]
    module = node.module or ""
    return [(a.asname or a.name, f"{module}.{a.name}" if module else a.name) for a in node.names]


class _Reader(ast.NodeVisitor):
    """Collects forbidden references and tampering in one answer cell."""

    def __init__(self, aliases: dict[str, str], forbidden: list[str]):
        self.aliases = aliases  # local name -> fully qualified module/object name
        self.forbidden = forbidden
        self.found: list[tuple[str, str]] = []

    def resolve(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        full = self.aliases.get(head, head)
        return f"{full}.{rest}" if rest else full

    def _check_forbidden(self, name: str, line: int) -> None:
        for prefix in self.forbidden:
            if name == prefix or name.startswith(prefix + "."):
                self.found.append(("forbidden", f"line {line}: uses {name}, which this task asks you to implement"))
                return

    def _bind(self, name: str, line: int) -> None:
        if name in GRADING_NAMES or name.startswith("check_"):
            self.found.append(("tampering", f"line {line}: rebinds the grading helper {name!r}"))

    def visit_Import(self, node):
        self.aliases.update(_bound_names(node))
        for alias in node.names:
            self._check_forbidden(alias.name, node.lineno)
            if alias.name.split(".")[0] in DANGEROUS_NAMES:
                self.found.append(("tampering", f"line {node.lineno}: imports {alias.name}"))
            if alias.asname:
                self._bind(alias.asname, node.lineno)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        self.aliases.update(_bound_names(node))
        for alias in node.names:
            full = f"{module}.{alias.name}" if module else alias.name
            self._check_forbidden(full, node.lineno)
            if module.split(".")[0] in DANGEROUS_NAMES:
                self.found.append(("tampering", f"line {node.lineno}: imports from {module}"))
            self._bind(alias.asname or alias.name, node.lineno)

    def visit_Name(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self._bind(node.id, node.lineno)
        elif node.id in DANGEROUS_NAMES:
            self.found.append(("tampering", f"line {node.lineno}: uses {node.id}"))
        else:
            self._check_forbidden(self.resolve(node.id), node.lineno)

    def visit_Attribute(self, node):
        dotted = _dotted(node)
        if node.attr in DANGEROUS_ATTRIBUTES:
            self.found.append(("tampering", f"line {node.lineno}: touches .{node.attr}"))
        if dotted is not None and isinstance(node.ctx, (ast.Store, ast.Del)) \
                and dotted.split(".")[0] in self.aliases:
            self.found.append(("tampering", f"line {node.lineno}: assigns to {dotted}, "
                                            "an attribute of an imported module"))
        if dotted is not None:
            resolved = self.resolve(dotted)
            if any(resolved == d or resolved.startswith(d + ".") for d in DANGEROUS_OBJECTS):
                self.found.append(("tampering", f"line {node.lineno}: uses {resolved}"))
            self._check_forbidden(resolved, node.lineno)
            return  # the chain is handled as a whole
        self.generic_visit(node)

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id in DANGEROUS_CALLS:
            self.found.append(("tampering", f"line {node.lineno}: calls {node.func.id}()"))
        self.generic_visit(node)

    def _visit_def(self, node):
        self._bind(node.name, node.lineno)
        self.generic_visit(node)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_def


def read_answers(cells: list, forbidden: list[str], base_aliases: dict[str, str] | None = None) -> list[Finding]:
    """Findings for every answer (solution) code cell in ``cells``, in order."""
    aliases = dict(base_aliases or {})
    findings = []
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code":
            continue
        if not meta.get("solution"):
            # imports in locked cells (the set-up) are the course's, not the student's
            _collect_aliases(cell.get("source", ""), aliases)
            continue
        try:
            tree = ast.parse(_strip_magics(cell.get("source", "")))
        except SyntaxError:
            continue  # a syntax error already fails this answer's tests
        reader = _Reader(aliases, forbidden)
        reader.visit(tree)
        findings.extend(Finding(meta.get("grade_id", "?"), kind, detail) for kind, detail in reader.found)
    return findings


def _collect_aliases(source: str, aliases: dict[str, str]) -> None:
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            aliases.update(_bound_names(node))


def _strip_magics(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


class GuardAnswers(NbGraderPreprocessor):
    """Score zero the tests of answers that call forbidden routines or tamper with grading."""

    forbidden = Dict(
        {}, help="assignment id -> dotted names (modules, functions) answers may not use"
    ).tag(config=True)
    always_forbidden = List(
        ["course_lib.grading", "course_lib.answer_guard", "course_lib.feedback", "course_lib.instructor"],
        help="names no answer may use in any assignment",
    ).tag(config=True)
    ename = Unicode("AnswerRejected").tag(config=True)

    def preprocess(self, nb, resources):
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        forbidden = list(self.always_forbidden) + list(self.forbidden.get(assignment, []))
        findings = read_answers(nb.cells, forbidden)
        if not findings:
            return nb, resources
        tampering = [f for f in findings if f.kind == "tampering"]
        banned = {f.grade_id: f for f in findings if f.kind == "forbidden"}
        current_answer = None
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("solution") and cell.cell_type == "code":
                current_answer = meta.get("grade_id")
            if not (meta.get("grade") and cell.cell_type == "code"):
                continue
            if tampering:
                f = tampering[0]
                reason = f"answer cell {f.grade_id!r} tampers with grading ({f.detail}); no test in this notebook scores"
            elif current_answer in banned:
                f = banned[current_answer]
                reason = f"answer cell {f.grade_id!r} {f.detail.split(': ', 1)[1]} ({f.detail.split(':')[0]})"
            else:
                continue
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
            cell.outputs.append(new_output("error", ename=self.ename, evalue=reason,
                                           traceback=[f"{self.ename}: {reason}"]))
            self.log.warning("%s: %s", meta.get("grade_id"), reason)
        return nb, resources
