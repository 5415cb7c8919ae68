"""Instructor tooling on nbgrader's Python API: release, autograde a class, feedback, grades.

Run from the course root (the folder holding ``nbgrader_config.py``)::

    dgm-instructor release                        # generate every assignment into assignments/
    dgm-instructor grade a01_probability_kde      # autograde the class, feedback, report
    dgm-instructor export grades.csv              # every grade in the gradebook, as CSV

or from Python with :func:`make_api`, :func:`release_all`, :func:`autograde_class`,
:func:`generate_feedback` and :func:`export_grades`.

Students are graded in sandboxed kernels, one or ``--workers N`` at a time, each into a private
copy of the gradebook that one writer records. A crash, a dead kernel or a timeout in one
submission is recorded against that student, and the class goes on.
"""
from __future__ import annotations

import argparse
import copy
import csv
import glob
import hashlib
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from .outcomes import TIMEOUT_ENAME, CellOutcome, cell_outcomes, knock_on_sources
from .report import CellResult, StudentResult, format_report, write_cell_report, write_report
from .gradebooks import copy_gradebook, expose_environment_scripts, grade_rows, merge_submission, sqlite_url
from .safeguards import CourseGuard
from .sandbox import warn_if_unsandboxed

__all__ = [
    "StudentResult",
    "find_course_root",
    "load_config",
    "make_api",
    "release_all",
    "autograde_class",
    "generate_feedback",
    "export_grades",
    "write_report",
    "write_cell_report",
    "format_report",
    "main",
]

CONFIG_FILE = "nbgrader_config.py"


def find_course_root(start: str | os.PathLike | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: cwd) holding ``nbgrader_config.py``."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise FileNotFoundError(
        f"no {CONFIG_FILE} found in {here} or any folder above it; run this from the course "
        "repository (its root is the nbgrader course directory)"
    )


def load_config(root: str | os.PathLike | None = None, overrides: dict | None = None):
    """Load the course's ``nbgrader_config.py`` and apply ``overrides``.

    ``overrides`` maps class names to settings, e.g. ``{"Execute": {"timeout": 5}}``.
    """
    from traitlets.config import Config, PyFileConfigLoader

    root = find_course_root(root)
    config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    if overrides:
        config.merge(Config(overrides))
    return config


def make_api(root: str | os.PathLike | None = None, overrides: dict | None = None):
    """An ``nbgrader.apps.NbGraderAPI`` for the course rooted at ``root``."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    expose_environment_scripts()
    config = load_config(root, overrides)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def _check(result: dict, what: str) -> dict:
    if not result.get("success"):
        raise RuntimeError(f"{what} failed:\n{result.get('error') or ''}\n{result.get('log') or ''}")
    return result


def release_all(api, assignments: list[str] | None = None) -> list[str]:
    """Generate the student version of each assignment in ``solutions/`` into ``assignments/``.

    Returns the assignment ids released. Raises ``RuntimeError`` with nbgrader's log if one fails.
    """
    names = sorted(assignments or api.get_source_assignments())
    if not names:
        raise RuntimeError(f"no assignments found under {api.coursedir.source_directory}/")
    for name in names:
        _check(api.generate_assignment(name, force=True, create=True), f"generate_assignment {name}")
    return names


def shard_of(student: str, n_shards: int) -> int:
    """The shard, ``0 .. n_shards - 1``, that grades ``student``: from a hash of the id, so a
    student's shard never changes when others join or leave the class."""
    return int.from_bytes(hashlib.sha256(student.encode()).digest()[:8], "big") % n_shards


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/N"`` -> ``(i, N)`` with ``0 <= i < N``, or a ValueError saying what is wrong."""
    try:
        i, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"a shard is written i/N (e.g. 0/4), got {text!r}") from None
    if not 0 <= i < n:
        raise ValueError(f"shard {text!r}: i must be in 0 .. N-1")
    return i, n


def autograde_class(api, assignment_id: str, students: list[str] | None = None,
                    progress: bool = True, only_new: bool = False,
                    shard: tuple[int, int] | None = None, workers: int = 1) -> list[StudentResult]:
    """Autograde every submitted student of ``assignment_id``, ``workers`` at a time.

    Each student's notebooks run in a sandboxed kernel (:mod:`.sandbox`) and are graded into a
    private copy of the gradebook; this process, the only writer, checks the copy and records
    the student in the course's gradebook (:mod:`.gradebooks`). So ``workers=N`` gives the
    same scores, reports and feedback as ``workers=1``, and SQLite sees one writer. Without a
    sandbox, students are graded one at a time (a warning says so).

    ``shard=(i, N)`` grades only the students with :func:`shard_of` ``== i``: N machines that
    share the submissions folder and one (PostgreSQL) gradebook grade a class together, each
    with its own ``i``. Grading is deterministic, so running a shard twice changes nothing.

    A student whose grading fails (crashed kernel, no notebook, ...) is reported with
    ``status="failed"`` and the reason; the rest of the class is still graded. Timed-out cells
    and every lost point are listed in each result. Solutions, the release, all submissions and
    earlier students' autograded copies are verified after each student and restored if
    changed (see :class:`course_lib.autograde.safeguards.CourseGuard`).

    With ``only_new=True``, students whose autograded copy is newer than their submission are
    skipped (re-running after an interruption grades the rest).
    """
    _require_workers(workers)
    students = sorted(students if students is not None else api.get_submitted_students(assignment_id))
    if not students:
        raise RuntimeError(
            f"no submissions for {assignment_id!r} under {api.coursedir.submitted_directory}/"
            f"<student>/{assignment_id}/"
        )
    if shard is not None:
        students = [s for s in students if shard_of(s, shard[1]) == shard[0]]
    _ensure_in_gradebook(api, assignment_id)
    if only_new:
        students = [s for s in students if not _is_graded(api, assignment_id, s)]
    sandboxed = warn_if_unsandboxed()
    if not sandboxed:
        workers = 1
    coursedir = api.coursedir
    scratch = Path(tempfile.mkdtemp(prefix="grading-"))
    guard = CourseGuard(coursedir, scratch / "backup", check_gradebook=not sandboxed)
    template = scratch / "gradebook.template.db"
    template_rows = grade_rows(copy_gradebook(coursedir.db_url, template, coursedir.course_id), coursedir.course_id)
    results: dict[str, StudentResult] = {}
    bar = tqdm(total=len(students), desc=f"autograde {assignment_id}", unit="student", disable=not progress)

    def record(student: str, outcome: dict, private: Path | None) -> None:
        """The one writer: verify, then copy what nbgrader wrote for the student (scores, or the
        bare submission of a failed run) into the course's gradebook."""
        repairs = [f"submission damaged the course: {r}" for r in guard.after_student(student)]
        others = {row for row in template_rows if row[:2] != ("grade", student)}
        if private is not None and grade_rows(sqlite_url(private), coursedir.course_id, exclude=student) != others:
            repairs.append("grading changed the gradebook beyond this student's grades; not recorded")
        if private is not None and not repairs:
            merge_submission(sqlite_url(private), coursedir.db_url, assignment_id, student)
        if outcome.get("success") and not repairs:
            results[student] = _graded_result(api, assignment_id, student)
            guard.protect(f"autograded/{student}", Path(_autograded_folder(api, assignment_id, student)))
        else:
            reasons = ([_failure_reason(outcome)] if not outcome.get("success") else []) + repairs
            result = StudentResult(student, "failed", problems=reasons + _notebook_problems(api, assignment_id, student))
            result.cells = [CellResult(nb, cell, 0.0, points, reasons[0])
                            for nb, cell, points in _test_cells(api, assignment_id)]
            result.max_score = sum(c.max_score for c in result.cells)
            results[student] = result
        if private is not None:
            private.unlink(missing_ok=True)
        bar.set_postfix_str(student)
        bar.update()

    try:
        jobs = [(api.config, assignment_id, student, template, scratch) for student in students]
        if workers == 1:
            for job in jobs:
                guard.before_student(job[2])
                record(job[2], *_grade_privately(*job))
        else:
            with _worker_pool(workers) as pool:
                futures = {pool.submit(_grade_privately, *job): job for job in jobs}
                for future in as_completed(futures):
                    job = futures[future]
                    try:
                        outcome, private = future.result()
                    except Exception as exc:  # the worker process itself failed, not the student's kernel
                        outcome, private = {"success": False, "error": f"{type(exc).__name__}: {exc}"}, None
                    record(job[2], outcome, private)
    finally:
        bar.close()
        guard.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return [results[s] for s in students]


def _require_workers(workers: int) -> None:
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")


def _worker_pool(workers: int) -> ProcessPoolExecutor:
    """Processes for grading or rendering feedback in parallel: spawned, not forked, so none
    inherits the grader's threads, open gradebook connections or event loop."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _grade_privately(config, assignment_id: str, student: str, template: Path, scratch: Path) -> tuple[dict, Path]:
    """Autograde one student into a fresh copy of the gradebook ``template`` (runs in a worker
    process when grading in parallel); returns nbgrader's outcome and the copy's path."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    expose_environment_scripts()
    private = Path(scratch) / f"gradebook.{hashlib.sha256(student.encode()).hexdigest()[:16]}.db"
    shutil.copy(template, private)
    config = Config(copy.deepcopy(config))
    config.CourseDirectory.db_url = sqlite_url(private)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's session warnings from inside nbgrader
        outcome = api.autograde(assignment_id, student, force=True, create=True)
    return {key: outcome.get(key) for key in ("success", "error", "log")}, private


def _autograded_folder(api, assignment_id: str, student: str) -> str:
    return api.coursedir.format_path(api.coursedir.autograded_directory, student, assignment_id)


def _is_graded(api, assignment_id: str, student: str) -> bool:
    """An autograded copy exists and is newer than every file of the submission."""
    graded = Path(_autograded_folder(api, assignment_id, student))
    submitted = Path(api.coursedir.format_path(api.coursedir.submitted_directory, student, assignment_id))
    graded_files = list(graded.glob("*.ipynb"))
    if not graded_files:
        return False
    newest_submission = max((p.stat().st_mtime for p in submitted.rglob("*") if p.is_file()), default=0)
    return min(p.stat().st_mtime for p in graded_files) >= newest_submission


def _test_cells(api, assignment_id: str) -> list[tuple[str, str, float]]:
    """(notebook, grade cell, points) of the assignment, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        assignment = gb.find_assignment(assignment_id)
        return [(nb.name, cell.name, float(cell.max_score))
                for nb in assignment.notebooks for cell in sorted(nb.grade_cells, key=lambda c: c.name)]


def _notebook_problems(api, assignment_id: str, student: str) -> list[str]:
    """Missing or renamed notebooks: the submission's .ipynb files against the gradebook's."""
    from nbgrader.api import Gradebook

    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        expected = {f"{nb.name}.ipynb" for nb in gb.find_assignment(assignment_id).notebooks}
    submitted = Path(api.coursedir.format_path(api.coursedir.submitted_directory, student, assignment_id))
    present = {p.name for p in submitted.glob("*.ipynb")}
    return ([f"notebook {name} is missing from the submission (renamed or not submitted?): its tests score zero"
             for name in sorted(expected - present)]
            + [f"notebook {name} is not part of the assignment and was ignored (renamed?)"
               for name in sorted(present - expected)])


def _ensure_in_gradebook(api, assignment_id: str) -> None:
    """Autograding restores test cells from the gradebook, so the assignment must be recorded
    there. A fresh clone has no gradebook (it is git-ignored): regenerate the release to
    record it (the output equals the committed assignments/)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        try:
            recorded = bool(gb.find_assignment(assignment_id).notebooks)
        except MissingEntry:
            recorded = False
    if not recorded:
        if assignment_id not in api.get_source_assignments():
            raise RuntimeError(f"unknown assignment {assignment_id!r}: no folder "
                               f"{api.coursedir.source_directory}/{assignment_id}/")
        _check(api.generate_assignment(assignment_id, force=True, create=True),
               f"recording {assignment_id} in the gradebook")


_EXCEPTION_LINE = re.compile(r"^\s*(?:[\w.]+\.)?(\w+(?:Error|Exception|Interrupt)): (.*)$")
_EXPLAIN = {
    "DeadKernelError": "the kernel died (os._exit, a segfault or running out of memory)",
    "CellTimeoutError": "a cell ran past the timeout",
}
_GENERIC_LOG = ("Please see the", "There was an error processing", "Traceback")


def _failure_reason(outcome: dict) -> str:
    """The most specific exception in nbgrader's traceback and log, in one line."""
    text = (outcome.get("error") or "") + "\n" + (outcome.get("log") or "")
    found = [m.groups() for m in map(_EXCEPTION_LINE.match, text.splitlines())
             if m and m.group(1) != "NbGraderException"]
    if found:
        ename, message = found[-1]
        explained = f" — {_EXPLAIN[ename]}" if ename in _EXPLAIN else ""
        return f"grading failed: {ename}: {message.strip()}{explained}"
    errors = [ln.split("[ERROR]", 1)[1].strip() for ln in text.splitlines()
              if "[ERROR]" in ln and not any(g in ln for g in _GENERIC_LOG)]
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "grading failed: " + (errors[0] if errors else lines[-1] if lines else "unknown error")


def _graded_result(api, assignment_id: str, student: str) -> StudentResult:
    """Read the student's scores from the gradebook and explain every lost point.

    The reason for a lost point is the whole message of the error the test cell recorded (a
    failed check, a timeout, a rejected answer, an exception from the student's code), marked
    as a possible knock-on when an earlier answer the tested answer calls failed its own tests.
    """
    from nbgrader.api import Gradebook

    notebooks = _autograded_notebooks(api, assignment_id, student)
    outcomes_of = {name: cell_outcomes(nb) for name, nb in notebooks.items()}
    cells = []
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        submission = gb.find_submission(assignment_id, student)
        score, max_score = float(submission.score), float(submission.max_score)
        for notebook in submission.notebooks:
            nb = notebooks.get(f"{notebook.name}.ipynb")
            outcomes = outcomes_of.get(f"{notebook.name}.ipynb", {})
            grades = sorted(notebook.grades, key=lambda g: g.name)
            pending = {g.name for g in grades if g.needs_manual_grade and g.manual_score is None}
            lost = {g.name for g in grades if _score(g) < g.max_score} - pending
            knock_ons = knock_on_sources(nb, lost) if nb is not None else {}
            written = {c.metadata["nbgrader"]["grade_id"] for c in (nb.cells if nb is not None else [])
                       if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")}
            for grade in grades:
                reason = ""
                if grade.name in pending:
                    reason = "awaiting manual grading (a written answer)"
                elif grade.name in lost and grade.name in written:
                    reason = (f"graded by hand: {_score(grade):g} of {float(grade.max_score):g} (see the grader's comments)"
                              if grade.manual_score is not None else  # nbgrader scores an unchanged answer 0
                              "the written answer is unchanged from the release (nothing to grade by hand)")
                elif grade.name in lost:
                    reason = _lost_reason(outcomes.get(grade.name), nb is not None)
                    if grade.name in knock_ons:
                        upstream = ", ".join(repr(a) for a in knock_ons[grade.name])
                        reason += (f" [possibly a knock-on: this answer calls {upstream}, whose "
                                   "own tests failed too; fix that first]")
                cells.append(CellResult(notebook.name, grade.name, _score(grade), float(grade.max_score), reason,
                                        pending=grade.name in pending))
    grade_ids = {c.cell for c in cells}
    problems = [f"{o.grade_id}: {o.evalue}" for outcomes in outcomes_of.values() for o in outcomes.values()
                if o.ename == TIMEOUT_ENAME and o.grade_id not in grade_ids]
    problems += _notebook_problems(api, assignment_id, student)
    problems += [f"{c.cell}: {c.score:g}/{c.max_score:g} ({c.reason})" for c in cells if c.reason and not c.pending]
    waiting = [c.cell for c in cells if c.pending]
    if waiting:
        problems.append(f"{sum(c.max_score for c in cells if c.pending):g} points await manual grading "
                        f"({', '.join(waiting)}): grade them in nbgrader's formgrader, then export again")
    return StudentResult(student, "graded", score, max_score, problems, cells)


def _score(grade) -> float:
    return float(grade.score) if grade.score is not None else 0.0


def _lost_reason(outcome: CellOutcome | None, notebook_found: bool) -> str:
    if not notebook_found:
        return "the notebook is missing from the submission"
    if outcome is None:
        return "the test cell is missing from the graded notebook"
    if outcome.ename:
        return f"{outcome.ename}: {outcome.evalue}"
    return "scored zero without an error (nbgrader read a result of 0 from the cell)"


def _autograded_notebooks(api, assignment_id: str, student: str) -> dict[str, nbformat.NotebookNode]:
    """file name -> notebook, for the student's autograded copy."""
    folder = _autograded_folder(api, assignment_id, student)
    return {os.path.basename(path): nbformat.read(path, as_version=4)
            for path in sorted(glob.glob(os.path.join(folder, "*.ipynb")))}


def generate_feedback(api, assignment_id: str, students: list[str] | None = None, workers: int = 1) -> list[str]:
    """Render HTML feedback (hidden tests withheld) for each graded student, ``workers`` at a
    time; returns the ids.

    Rendering only reads the gradebook and the student's autograded copy and writes the
    student's own feedback folder, so workers never share a file; no student code runs.
    """
    _require_workers(workers)
    students = sorted(students if students is not None else api.get_autograded_students(assignment_id))
    if workers == 1 or len(students) < 2:
        outcomes = [api.generate_feedback(assignment_id, student) for student in students]
    else:
        with _worker_pool(min(workers, len(students))) as pool:
            outcomes = list(pool.map(_feedback_for, [api.config] * len(students),
                                     [assignment_id] * len(students), students))
    for student, outcome in zip(students, outcomes):
        _check(outcome, f"generate_feedback {student}")
    return students


def _feedback_for(config, assignment_id: str, student: str) -> dict:
    """nbgrader's outcome of rendering one student's feedback (in a worker process when
    rendering in parallel)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config).generate_feedback(assignment_id, student)


def export_grades(api, path: str | os.PathLike) -> Path:
    """Write every (student, assignment) score in the gradebook to a CSV file."""
    from nbgrader.api import Gradebook, MissingEntry

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb, path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["assignment", "student_id", "score", "max_score", "percent"])
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            for student in sorted(gb.students, key=lambda s: s.id):
                try:
                    sub = gb.find_submission(assignment.name, student.id)
                except MissingEntry:
                    score, max_score = 0.0, float(assignment.max_score)
                else:
                    score, max_score = float(sub.score), float(sub.max_score)
                percent = 100.0 * score / max_score if max_score else 0.0
                writer.writerow([assignment.name, student.id, f"{score:g}", f"{max_score:g}", f"{percent:.1f}"])
    return path


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dgm-instructor", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=None, help="course root (default: found from the cwd)")
    parser.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate assignments/ from solutions/")
    p.add_argument("assignments", nargs="*", help="assignment names (default: every one in solutions/)")
    for name, text in (("autograde", "autograde every submission"),
                       ("grade", "autograde, generate feedback and write the report")):
        p = sub.add_parser(name, help=text)
        p.add_argument("assignment", help="e.g. a01_probability_kde")
        p.add_argument("--students", nargs="*", default=None, metavar="ID",
                       help="grade only these students (default: every submission)")
        p.add_argument("--only-new", action="store_true",
                       help="skip students whose autograded copy is newer than their submission")
        p.add_argument("--shard", type=parse_shard, default=None, metavar="i/N",
                       help="grade only shard i of N (a hash of the student id), e.g. 0/4 on the first of 4 machines")
        p.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                       help="grade N students at a time, and render their feedback N at a time (about one per "
                            "CPU core; without the sandbox, grading falls back to one)")
    p = sub.add_parser("feedback", help="generate feedback for graded students")
    p.add_argument("assignment", help="e.g. a01_probability_kde")
    p.add_argument("--workers", type=_positive_int, default=1, metavar="N", help="render N students at a time")
    p = sub.add_parser("export", help="export all grades to CSV")
    p.add_argument("output", nargs="?", default=None, help="CSV file (default: grading/grades.csv)")
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        # Without a sandbox, warn_if_unsandboxed prints a banner on stderr; its RuntimeWarning,
        # for callers of the Python API, would print the same message a second time.
        warnings.filterwarnings("ignore", message="GRADING KERNELS ARE NOT SANDBOXED", category=RuntimeWarning)
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Carry out one parsed ``dgm-instructor`` command; the exit status."""
    overrides = {"Execute": {"timeout": args.timeout}} if args.timeout else None
    api = make_api(args.root, overrides)
    grading = Path(api.coursedir.root) / "grading"
    if args.command == "release":
        print("released:", ", ".join(release_all(api, args.assignments or None)))
    elif args.command in ("autograde", "grade"):
        results = autograde_class(api, args.assignment, args.students, only_new=args.only_new, shard=args.shard,
                                  workers=args.workers)
        print(format_report(results))
        stem = args.assignment + (f"_shard{args.shard[0]}of{args.shard[1]}" if args.shard else "")
        report = write_report(results, grading / "reports" / f"{stem}.csv")
        cells = write_cell_report(results, grading / "reports" / f"{stem}_cells.csv")
        print(f"report: {report}\nper test cell: {cells}")
        if args.command == "grade":
            generate_feedback(api, args.assignment, [r.student_id for r in results if r.status == "graded"],
                              workers=args.workers)
            print(f"feedback: {grading / 'feedback'}")
            print(f"grades: {export_grades(api, grading / 'grades.csv')}")
        return 0 if all(r.status == "graded" for r in results) else 1
    elif args.command == "feedback":
        print("feedback for:", ", ".join(generate_feedback(api, args.assignment, workers=args.workers)))
    elif args.command == "export":
        print(f"grades: {export_grades(api, args.output or grading / 'grades.csv')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
