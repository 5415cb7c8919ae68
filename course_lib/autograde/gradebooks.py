"""Private gradebooks: each student is autograded into its own copy, one writer records it.

nbgrader's autograde writes the gradebook while it grades. Several students graded at once
would be several writers on one SQLite file ("database is locked"), and a guard that compares
other students' grades before and after each student would see the other workers' writes. So:

1. :func:`copy_gradebook` snapshots the course's gradebook (SQLite or PostgreSQL) into a
   SQLite *template* once per run;
2. each student is autograded into a fresh copy of the template (any number at a time);
3. :func:`grade_rows` checks that the copy changed nowhere but in that student's grades;
4. the single writer, :func:`merge_submission`, replaces the student's submission in the
   course's gradebook with the copy's, in one transaction.

The rows keep nbgrader's ids, so the result is the gradebook nbgrader would have written.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["copy_gradebook", "expose_environment_scripts", "grade_rows", "merge_submission", "sqlite_url"]


def expose_environment_scripts() -> None:
    """Put this interpreter's script folder on PATH: nbgrader runs ``alembic`` by name to
    migrate the gradebook, which fails when the environment was never activated."""
    scripts = os.path.dirname(sys.executable)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path)}"


def _engine(db_url: str):
    from sqlalchemy import create_engine

    return create_engine(db_url, future=True)


def copy_gradebook(source_url: str, target: Path, course_id: str) -> str:
    """Copy every row of the gradebook at ``source_url`` into a new SQLite file ``target``
    (nbgrader's schema); returns the copy's URL."""
    from nbgrader.api import Base, Gradebook

    expose_environment_scripts()
    target = Path(target)
    target.unlink(missing_ok=True)
    url = sqlite_url(target)
    Gradebook(url, course_id).close()  # nbgrader's tables and alembic version
    source, copy = _engine(source_url), _engine(url)
    try:
        with source.connect() as src, copy.begin() as dst:
            for table in reversed(Base.metadata.sorted_tables):
                dst.execute(table.delete())
            for table in Base.metadata.sorted_tables:
                rows = [dict(row._mapping) for row in src.execute(table.select())]
                if rows:
                    dst.execute(table.insert(), rows)
    finally:
        source.dispose()
        copy.dispose()
    return url


def _submission_rows(conn, assignment_id: str, student: str) -> dict[str, list[dict]]:
    """The rows of one student's submission of one assignment, by table."""
    from nbgrader.api import Assignment, Comment, Grade, Student, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy import select

    def rows(table, condition):
        return [dict(r._mapping) for r in conn.execute(select(table).where(condition))]

    assignment = select(Assignment.__table__.c.id).where(Assignment.__table__.c.name == assignment_id)
    sub = SubmittedAssignment.__table__
    submissions = rows(sub, (sub.c.assignment_id.in_(assignment)) & (sub.c.student_id == student))
    nb = SubmittedNotebook.__table__
    notebooks = rows(nb, nb.c.assignment_id.in_([s["id"] for s in submissions]))
    notebook_ids = [n["id"] for n in notebooks]
    return {
        "student": rows(Student.__table__, Student.__table__.c.id == student),
        "submitted_assignment": submissions,
        "submitted_notebook": notebooks,
        "grade": rows(Grade.__table__, Grade.__table__.c.notebook_id.in_(notebook_ids)),
        "comment": rows(Comment.__table__, Comment.__table__.c.notebook_id.in_(notebook_ids)),
    }


def merge_submission(source_url: str, target_url: str, assignment_id: str, student: str) -> None:
    """Make ``student``'s submission of ``assignment_id`` in ``target_url`` equal to the one in
    ``source_url`` (a private gradebook): the old rows are deleted and the new ones inserted,
    in one transaction. The student is added if new."""
    from nbgrader.api import Base

    tables = Base.metadata.tables
    source, target = _engine(source_url), _engine(target_url)
    try:
        with source.connect() as src:
            new = _submission_rows(src, assignment_id, student)
        with target.begin() as dst:
            old = _submission_rows(dst, assignment_id, student)
            for name in ("comment", "grade", "submitted_notebook", "submitted_assignment"):
                ids = [row["id"] for row in old[name]]
                if ids:
                    dst.execute(tables[name].delete().where(tables[name].c.id.in_(ids)))
            if not old["student"] and new["student"]:
                dst.execute(tables["student"].insert(), new["student"])
            for name in ("submitted_assignment", "submitted_notebook", "grade", "comment"):
                if new[name]:
                    dst.execute(tables[name].insert(), new[name])
    finally:
        source.dispose()
        target.dispose()


def grade_rows(db_url: str, course_id: str, exclude: str | None = None) -> set[tuple]:
    """The assignments' recorded cells and points and every student's grades (but
    ``exclude``'s), as a set of rows: two gradebooks with equal sets agree on everything a
    student's grading may not change. (One query per kind of row: fast on a large class.)"""
    from nbgrader.api import Base
    from sqlalchemy import select

    t = Base.metadata.tables
    a, nb, cell = t["assignment"], t["notebook"], t["base_cell"]
    src, pts = t["source_cell"], t["grade_cells"]
    sub, snb, grade = t["submitted_assignment"], t["submitted_notebook"], t["grade"]
    queries = [
        select(a.c.name, nb.c.name, src.c.name, src.c.checksum)
        .join(nb, src.c.notebook_id == nb.c.id).join(a, nb.c.assignment_id == a.c.id)
        .where(a.c.course_id == course_id),
        select(a.c.name, nb.c.name, cell.c.name, pts.c.max_score)
        .join(cell, pts.c.id == cell.c.id).join(nb, cell.c.notebook_id == nb.c.id)
        .join(a, nb.c.assignment_id == a.c.id).where(a.c.course_id == course_id),
        select(sub.c.student_id, a.c.name, nb.c.name, cell.c.name,
               grade.c.auto_score, grade.c.manual_score, grade.c.extra_credit)
        .join(snb, grade.c.notebook_id == snb.c.id).join(sub, snb.c.assignment_id == sub.c.id)
        .join(a, sub.c.assignment_id == a.c.id).join(nb, snb.c.notebook_id == nb.c.id)
        .join(cell, grade.c.cell_id == cell.c.id)
        .where((a.c.course_id == course_id) & (sub.c.student_id != (exclude or ""))),
    ]
    engine = _engine(db_url)
    try:
        with engine.connect() as conn:
            return {(kind, *row) for kind, query in zip(("cell", "points", "grade"), queries)
                    for row in conn.execute(query)}
    finally:
        engine.dispose()
