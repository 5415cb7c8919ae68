"""Shared helpers for tests that drive nbgrader on a scratch copy of the course."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
ASSIGNMENTS = REPO / "assignments"
LECTURES = REPO / "lectures"


def assignment_ids() -> list[str]:
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and list(p.glob("*.ipynb")))


def scratch_course(tmp: Path) -> Path:
    """Copy the course (config, solutions, release) into ``tmp`` and return its root."""
    root = tmp / "course"
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(SOLUTIONS, root / "solutions", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ASSIGNMENTS, root / "assignments", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root


def submit(root: Path, student: str, assignment: str, notebooks: dict[str, nbformat.NotebookNode]) -> None:
    """Place notebooks where nbgrader expects a collected submission."""
    folder = root / "grading" / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / name)


def read_notebooks(folder: Path) -> dict[str, nbformat.NotebookNode]:
    return {p.name: nbformat.read(p, as_version=4) for p in sorted(folder.glob("*.ipynb"))}


def grade_cells(nb) -> dict[str, dict]:
    """grade_id -> nbgrader metadata, for every cell that carries nbgrader metadata."""
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if "nbgrader" in c.get("metadata", {}) and "grade_id" in c.metadata["nbgrader"]}


def replace_cell(nb, grade_id: str, source: str):
    """A copy of ``nb`` whose cell ``grade_id`` has the new source (as a student's edit)."""
    nb = nbformat.from_dict(nb)
    cells = grade_cells(nb)
    if grade_id not in cells:
        raise KeyError(f"no cell with grade_id {grade_id!r}")
    cells[grade_id].source = source
    return nb
