"""Grading results and the instructor's report: per student, per test cell, with reasons."""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CellResult", "StudentResult", "write_report", "write_cell_report", "format_report"]


@dataclass
class CellResult:
    """One test cell of one student's submission."""

    notebook: str
    cell: str
    score: float
    max_score: float
    reason: str = ""  # why points were lost; empty when none were
    pending: bool = False  # a manually graded answer (a written interpretation) not graded yet


@dataclass
class StudentResult:
    """The outcome of autograding one student's submission."""

    student_id: str
    status: str  # "graded" or "failed"
    score: float = 0.0
    max_score: float = 0.0
    problems: list[str] = field(default_factory=list)
    cells: list[CellResult] = field(default_factory=list)

    @property
    def pending_points(self) -> float:
        """Points of manually graded answers that no one has graded yet."""
        return sum(c.max_score for c in self.cells if c.pending)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


def write_report(results: list[StudentResult], path: str | os.PathLike) -> Path:
    """One CSV row per student: status, points, percent, points awaiting manual grading and
    every problem found."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "status", "score", "max_score", "percent", "pending_manual",
                         "problems"])
        for r in results:
            writer.writerow([r.student_id, r.status, f"{r.score:g}", f"{r.max_score:g}",
                             f"{r.percent:.1f}", f"{r.pending_points:g}", " | ".join(r.problems)])
    return path


def write_cell_report(results: list[StudentResult], path: str | os.PathLike) -> Path:
    """One CSV row per student and test cell: points and the reason for any lost point."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "status", "notebook", "cell", "score", "max_score", "reason"])
        for r in results:
            for c in r.cells:
                writer.writerow([r.student_id, r.status, c.notebook, c.cell, f"{c.score:g}",
                                 f"{c.max_score:g}", c.reason])
    return path


def format_report(results: list[StudentResult]) -> str:
    """A plain-text table of the results, for the terminal."""
    width = max([len("student")] + [len(r.student_id) for r in results])
    lines = [f"{'student':<{width}}  status  score       %  problems"]
    for r in results:
        lines.append(f"{r.student_id:<{width}}  {r.status:<6}  {r.score:>5g}/{r.max_score:<4g} "
                     f"{r.percent:5.1f}  {r.problems[0] if r.problems else ''}")
        lines.extend(f"{'':<{width}}  {'':<6}  {'':>10} {'':5}  {p}" for p in r.problems[1:])
    return "\n".join(lines)
