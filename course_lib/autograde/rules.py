"""What an answer may do: one source for the grader, the assignments' text and the students' check.

Three rules are enforced when a submission is graded, and stated in every assignment's
introduction by :func:`rules_markdown` (``tools/assignment_rules.py`` writes that text into the
source notebooks; a test keeps them in sync):

* **forbidden routines** — an answer that uses a name listed for its assignment in
  :data:`FORBIDDEN` (the routine the task asks you to implement) scores zero on its own tests;
* **tampering** — an answer that rebinds a name :mod:`course_lib.grading` provides, assigns to an
  attribute of an imported module, or uses one of :data:`DANGEROUS_CALLS`,
  :data:`DANGEROUS_NAMES`, :data:`DANGEROUS_ATTRIBUTES`, :data:`DANGEROUS_OBJECTS` scores zero on
  every test of the notebook;
* **time** — a cell that runs longer than :data:`CELL_TIMEOUT_S` seconds is stopped; a test
  cell stopped this way scores zero.

:func:`read_answers` is the reading itself: static (Python's ``ast``), over the answer cells of
a notebook, in order. The grader (:class:`course_lib.autograde.answer_guard.GuardAnswers`) and
the students' :func:`course_lib.grading.check_answer_rules` both call it. This module needs
nothing beyond the standard library, so the check works on Colab without nbgrader.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

__all__ = ["CELL_TIMEOUT_S", "FORBIDDEN", "ALWAYS_FORBIDDEN", "Finding", "forbidden_names",
           "read_answers", "rules_markdown", "protected_names"]

#: Seconds a cell may run when graded (nbgrader's ``Execute.timeout`` is set from it).
CELL_TIMEOUT_S = 30

#: Per assignment, the dotted names (modules or functions) its answers may not use: the routines
#: its tasks ask the student to implement. Libraries that only compute a quantity an earlier
#: assignment already graded (e.g. a component's Gaussian log-density in a03) are allowed.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    # MLE/MAP, the Gaussian log-density, the KDE and its bandwidth rules.
    "a01_probability_kde": ("course_lib.probability", "course_lib.kde", "scipy.stats",
                            "sklearn.neighbors", "torch.distributions"),
    # Kernel matrices, MMD estimators, the permutation test, the MMD-net step.
    "a02_mmd": ("course_lib.kernels", "course_lib.mmd", "course_lib.mmd_net", "torch.cdist",
                "scipy.spatial.distance", "sklearn.metrics.pairwise"),
    # The mixture's log-likelihood, E-step, M-step and EM loop (component densities are allowed).
    "a03_em_gmm": ("course_lib.gmm", "sklearn.mixture"),
    # Gaussian KL divergences, reparameterised sampling, gradient estimators, ELBO and IWAE.
    "a04_elbo_estimators": ("course_lib.vi", "torch.distributions"),
    # The VAE's networks, loss (reparameterised sample, Bernoulli likelihood, closed-form KL), training, sampling.
    "a05_vae": ("course_lib.vae", "course_lib.vi", "torch.distributions"),
    # The GAN and WGAN losses, clipping, the gradient penalty, the training step, the mode metric.
    "a06_gans": ("course_lib.gan", "course_lib.gan_metrics"),
}

#: No answer in any assignment may use the grader's own plumbing.
ALWAYS_FORBIDDEN: tuple[str, ...] = ("course_lib.autograde",)

DANGEROUS_CALLS = ("exec", "eval", "compile", "__import__", "setattr", "delattr", "globals", "vars",
                   "get_ipython", "breakpoint")
DANGEROUS_NAMES = ("__builtins__", "builtins", "importlib", "ctypes")
DANGEROUS_ATTRIBUTES = ("__code__", "__globals__", "__dict__", "__builtins__")
DANGEROUS_OBJECTS = ("sys.modules", "sys.settrace", "sys.setprofile", "sys.excepthook")


def protected_names() -> tuple[str, ...]:
    """The names :mod:`course_lib.grading` provides; rebinding one of them is tampering."""
    from .. import grading

    return tuple(grading.__all__)


def forbidden_names(assignment: str) -> tuple[str, ...]:
    """Everything an answer of ``assignment`` may not use (its own list and the plumbing)."""
    return ALWAYS_FORBIDDEN + FORBIDDEN.get(assignment, ())


@dataclass(frozen=True)
class Finding:
    """One rule an answer cell breaks."""

    grade_id: str  # the answer cell
    kind: str  # "forbidden" or "tampering"
    line: int  # line number inside the cell
    what: str  # e.g. "uses scipy.stats.norm", "calls exec()"

    def __str__(self) -> str:
        consequence = ("which this task asks you to implement: this answer's tests score zero"
                       if self.kind == "forbidden" else
                       "which tampers with grading: no test in this notebook scores")
        return f"answer cell {self.grade_id!r}, line {self.line}: {self.what}, {consequence}"


def _code(items: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"`{x}`" for x in items)


def rules_markdown(assignment: str) -> str:
    """The rules as the assignment's introduction states them (Markdown, no trailing newline)."""
    listed = FORBIDDEN.get(assignment, ())
    forbidden = (f"- **Forbidden in answers:** {_code(listed)} — the point is to implement these "
                 "yourself (the tests may use them to check you). An answer that uses one of them "
                 "scores zero on its own tests." if listed else
                 "- **Forbidden in answers:** nothing beyond the grader's own package.")
    return "\n".join([
        "**Rules** — the autograder enforces exactly these; the last cell, "
        "`check_answer_rules(...)`, applies the same reading to your saved notebook, so you can "
        "check your answers before you submit.",
        forbidden,
        f"- **Never in answers:** {_code(ALWAYS_FORBIDDEN)}; rebinding a name that "
        f"`course_lib.grading` provides ({_code(protected_names())}); assigning to an attribute "
        f"of an imported module; {_code(DANGEROUS_CALLS + DANGEROUS_NAMES)}, "
        f"{_code(DANGEROUS_OBJECTS)} or the attributes {_code(DANGEROUS_ATTRIBUTES)}. "
        "Any of these scores zero on every test of the notebook. Your own helper names are fine, "
        "whatever they start with.",
        f"- **Time:** each cell must finish within {CELL_TIMEOUT_S} s when graded. A test cell "
        "that runs longer is stopped and scores zero; the feedback names it. Replace Python loops "
        "over data points by tensor operations.",
        "- Warnings your code prints cost nothing; only errors and wrong results lose points.",
    ])


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


def bound_names(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
    """(local name, fully qualified name) for each name an import statement binds."""
    if isinstance(node, ast.Import):
        return [((a.asname or a.name).split(".")[0], a.name if a.asname else a.name.split(".")[0])
                for a in node.names]
    module = node.module or ""
    return [(a.asname or a.name, f"{module}.{a.name}" if module else a.name) for a in node.names]


def _matches(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


class _Reader(ast.NodeVisitor):
    """Collects forbidden references and tampering in one answer cell."""

    def __init__(self, aliases: dict[str, str], forbidden: tuple[str, ...], protected: set[str]):
        self.aliases = aliases  # local name -> fully qualified module/object name
        self.forbidden = forbidden
        self.protected = protected
        self.found: list[tuple[str, int, str]] = []  # (kind, line, what)

    def _add(self, kind: str, node: ast.AST, what: str) -> None:
        self.found.append((kind, node.lineno, what))

    def resolve(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        full = self.aliases.get(head, head)
        return f"{full}.{rest}" if rest else full

    def _check_forbidden(self, name: str, node: ast.AST) -> None:
        if _matches(name, self.forbidden):
            self._add("forbidden", node, f"uses {name}")

    def _bind(self, name: str, node: ast.AST) -> None:
        if name in self.protected:
            self._add("tampering", node, f"rebinds {name!r}, which course_lib.grading provides")

    def visit_Import(self, node):
        self.aliases.update(bound_names(node))
        for alias in node.names:
            self._check_forbidden(alias.name, node)
            if alias.name.split(".")[0] in DANGEROUS_NAMES:
                self._add("tampering", node, f"imports {alias.name}")
            if alias.asname:
                self._bind(alias.asname, node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        self.aliases.update(bound_names(node))
        for alias in node.names:
            full = f"{module}.{alias.name}" if module else alias.name
            self._check_forbidden(full, node)
            if module.split(".")[0] in DANGEROUS_NAMES:
                self._add("tampering", node, f"imports from {module}")
            bound = alias.asname or alias.name
            if not full.startswith("course_lib.grading."):  # re-importing a check is harmless
                self._bind(bound, node)

    def visit_Name(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self._bind(node.id, node)
        elif node.id in DANGEROUS_NAMES:
            self._add("tampering", node, f"uses {node.id}")
        else:
            self._check_forbidden(self.resolve(node.id), node)

    def visit_Attribute(self, node):
        dotted = _dotted(node)
        if node.attr in DANGEROUS_ATTRIBUTES:
            self._add("tampering", node, f"touches .{node.attr}")
        if dotted is None:
            self.generic_visit(node)
            return
        if isinstance(node.ctx, (ast.Store, ast.Del)) and dotted.split(".")[0] in self.aliases:
            self._add("tampering", node, f"assigns to {dotted}, an attribute of an imported module")
        resolved = self.resolve(dotted)
        if _matches(resolved, DANGEROUS_OBJECTS):
            self._add("tampering", node, f"uses {resolved}")
        self._check_forbidden(resolved, node)  # the chain is handled as a whole

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id in DANGEROUS_CALLS:
            self._add("tampering", node, f"calls {node.func.id}()")
        self.generic_visit(node)

    def _visit_def(self, node):
        self._bind(node.name, node)
        self.generic_visit(node)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_def


def _parse(source: str) -> ast.Module | None:
    lines = ("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None  # a syntax error already fails this answer's tests


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def read_answers(cells: list, assignment: str) -> list[Finding]:
    """Every rule broken by an answer (nbgrader solution code cell) in ``cells``, in order.

    ``cells`` are notebook cells (nbformat nodes or plain dicts from the JSON). Imports in the
    other cells (the set-up, the tests) are the course's: they only tell the reader what a name
    refers to.
    """
    forbidden = forbidden_names(assignment)
    protected = set(protected_names())
    aliases: dict[str, str] = {}
    findings = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        tree = _parse(_source(cell))
        if tree is None:
            continue
        if not meta.get("solution"):
            for node in ast.walk(tree):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    aliases.update(bound_names(node))
            continue
        reader = _Reader(aliases, forbidden, protected)
        reader.visit(tree)
        findings.extend(Finding(meta.get("grade_id", "?"), kind, line, what)
                        for kind, line, what in reader.found)
    return findings
