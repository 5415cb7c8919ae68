"""The multi-user path, as on a JupyterHub: a local exchange folder between an instructor and
two students — release, fetch, submit, collect, autograde, feedback released and fetched."""
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config

from course_lib.autograde import instructor

from ._course import SOLUTIONS, read_notebooks, scratch_course

pytestmark = pytest.mark.slow
A = "a01_probability_kde"
NB = f"{A}.ipynb"


def _student_app(api, kind: str, student: str, home: Path, exchange: Path):
    """An nbgrader exchange app run as ``student`` from their home folder."""
    from nbgrader.coursedir import CourseDirectory

    config = Config({"CourseDirectory": {"root": str(home), "course_id": "dgm", "student_id": student,
                                         "assignment_id": A},
                     "Exchange": {"root": str(exchange), "cache": str(home / ".cache"),
                                  "assignment_dir": str(home)}})
    coursedir = CourseDirectory(config=config)
    return getattr(api.exchange, kind)(coursedir=coursedir, authenticator=api.authenticator, config=config)


def test_release_fetch_submit_collect_grade_feedback(tmp_path):
    root = scratch_course(tmp_path)
    exchange = tmp_path / "exchange"
    api = instructor.make_api(root, {"Exchange": {"root": str(exchange), "cache": str(tmp_path / "cache")},
                                     "CollectApp": {"check_owner": False}})
    instructor.release_all(api, [A])
    assert api.release_assignment(A)["success"]

    answers = {"ann": read_notebooks(SOLUTIONS / A)[NB], "ben": None}  # ben submits the release untouched
    for student, notebook in answers.items():
        home = tmp_path / student
        home.mkdir()
        _student_app(api, "FetchAssignment", student, home, exchange).start()
        fetched = home / A / NB
        assert fetched.is_file(), f"{student} could not fetch {A}"
        if notebook is not None:
            nbformat.write(notebook, fetched)
        _student_app(api, "Submit", student, home, exchange).start()

    collected = api.collect(A)
    assert collected["success"], collected.get("log")
    assert api.get_submitted_students(A) == {"ann", "ben"}
    results = {r.student_id: r for r in instructor.autograde_class(api, A, progress=False)}
    ann = results["ann"]  # full marks but for the written answer, which waits for manual grading
    assert ann.score == ann.max_score - ann.pending_points > 0 and ann.pending_points > 0
    assert results["ben"].score == 0
    instructor.generate_feedback(api, A)
    assert api.release_feedback(A)["success"]

    for student in answers:
        home = tmp_path / student
        _student_app(api, "FetchFeedback", student, home, exchange).start()
        pages = list((home / A / "feedback").rglob(f"{A}.html"))
        assert len(pages) == 1, f"{student} got no feedback"
        assert "BEGIN HIDDEN TESTS" not in pages[0].read_text()
