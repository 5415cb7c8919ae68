"""Private gradebooks: a copy equals its source, and merging one student's submission back
changes that student's grades and nothing else (course_lib.autograde.gradebooks)."""
from __future__ import annotations

from nbgrader.api import Gradebook

from course_lib.autograde.gradebooks import copy_gradebook, expose_environment_scripts, grade_rows, merge_submission, sqlite_url

COURSE = "dgm"


def _gradebook(path) -> str:
    """Assignment a (one notebook, two graded cells) with ann and bob's graded submissions."""
    expose_environment_scripts()  # nbgrader runs alembic by name
    url = sqlite_url(path)
    with Gradebook(url, COURSE) as gb:
        gb.add_assignment("a", course_id=COURSE)
        gb.add_notebook("nb", "a")
        gb.add_grade_cell("g1", "nb", "a", max_score=1, cell_type="code")
        gb.add_grade_cell("g2", "nb", "a", max_score=2, cell_type="code")
        gb.add_source_cell("g1", "nb", "a", cell_type="code", source="check()", checksum="c1")
        for student, scores in (("ann", (1, 0)), ("bob", (0, 2))):
            gb.add_student(student)
            gb.add_submission("a", student)
            for cell, score in zip(("g1", "g2"), scores):
                gb.find_grade(cell, "nb", "a", student).auto_score = score
        gb.db.commit()
    return url


def _scores(url, student):
    with Gradebook(url, COURSE) as gb:
        return {g.name: g.auto_score for g in gb.find_submission_notebook("nb", "a", student).grades}


def test_a_copy_has_every_row(tmp_path):
    url = _gradebook(tmp_path / "main.db")
    copy = copy_gradebook(url, tmp_path / "copy.db", COURSE)
    assert grade_rows(copy, COURSE) == grade_rows(url, COURSE)
    assert {r[1] for r in grade_rows(url, COURSE) if r[0] == "grade"} == {"ann", "bob"}
    assert grade_rows(url, COURSE, exclude="ann") < grade_rows(url, COURSE)


def test_merge_changes_that_student_only_and_is_idempotent(tmp_path):
    url = _gradebook(tmp_path / "main.db")
    copy = copy_gradebook(url, tmp_path / "copy.db", COURSE)
    with Gradebook(copy, COURSE) as gb:  # as if ann were regraded, and carl graded for the first time
        gb.find_grade("g2", "nb", "a", "ann").auto_score = 2
        gb.find_grade("g1", "nb", "a", "bob").auto_score = 1  # not merged: bob is not the student
        gb.add_student("carl")
        gb.add_submission("a", "carl")
        gb.find_grade("g1", "nb", "a", "carl").auto_score = 1
        gb.db.commit()
    others = grade_rows(url, COURSE, exclude="ann")
    for _ in range(2):
        merge_submission(copy, url, "a", "ann")
        assert _scores(url, "ann") == {"g1": 1, "g2": 2}
        assert grade_rows(url, COURSE, exclude="ann") == others
    assert _scores(url, "bob") == {"g1": 0, "g2": 2}
    merge_submission(copy, url, "a", "carl")
    assert _scores(url, "carl") == {"g1": 1, "g2": None}
    with Gradebook(url, COURSE) as gb:
        assert sorted(s.id for s in gb.students) == ["ann", "bob", "carl"]
        assert len(gb.find_assignment("a").submissions) == 3
