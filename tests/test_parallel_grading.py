"""Parallel and sharded autograding: the same grades, reports and feedback as one at a time.

A simulated class of a01 (tests/_simulated_class.py: correct, wrong, slow and hostile students)
is submitted to two identical scratch courses; one is graded (and its feedback rendered) with
one worker, the other with two. Then shards and re-runs are graded into the first. Needs the sandbox (without it, the
grader falls back to one student at a time, which tests/test_hostile.py covers).
"""
from __future__ import annotations

import csv
import re

import pytest

from course_lib.autograde import instructor, sandbox
from course_lib.autograde.report import write_cell_report, write_report

from ._course import scratch_course
from ._simulated_class import simulate_class, submit_hostile

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sandbox.sandbox_problem() is not None,
                                 reason=f"parallel grading needs the sandbox: {sandbox.sandbox_problem()}")]
A = "a01_probability_kde"
N_STUDENTS = 8


def _grade(tmp_path_factory, name: str, workers: int):
    root = scratch_course(tmp_path_factory.mktemp(name))
    kinds = simulate_class(root, A, N_STUDENTS, seed=3)
    for hostile in ("crash", "loop"):  # besides the class's vandal
        submit_hostile(root, A, f"x_{hostile}", hostile)
        kinds[f"x_{hostile}"] = f"hostile:{hostile}"
    api = instructor.make_api(root, {"Execute": {"timeout": 10}})
    results = instructor.autograde_class(api, A, progress=False, workers=workers)
    instructor.generate_feedback(api, A, [r.student_id for r in results if r.status == "graded"], workers=workers)
    return root, api, kinds, results


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    return _grade(tmp_path_factory, "workers1", 1)


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    return _grade(tmp_path_factory, "workers2", 2)


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def _cells(results):
    return {r.student_id: (r.status, r.score, r.max_score, r.problems, [tuple(vars(c).values()) for c in r.cells])
            for r in results}


def _feedback_text(root, student):
    """The feedback page's text, with object addresses (``<... at 0x7f...>`` in a printed
    repr, different in every kernel) blanked."""
    page = (root / "grading" / "feedback" / student / A / f"{A}.html").read_text()
    return re.sub(r"0x[0-9a-f]+", "0x…", re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_simulated_class_has_every_kind(one_worker):
    kinds = set(one_worker[2].values())
    assert {"correct", "wrong", "slow"} <= kinds and any(k.startswith("hostile") for k in kinds), kinds


def test_two_workers_give_the_same_scores_reasons_and_reports(one_worker, two_workers, tmp_path):
    _, _, kinds, results1 = one_worker
    _, _, _, results2 = two_workers
    assert [r.student_id for r in results2] == sorted(kinds)  # in class order, whatever finished first
    assert _cells(results2) == _cells(results1)
    for write in (write_report, write_cell_report):
        assert _rows(write(results2, tmp_path / "2.csv")) == _rows(write(results1, tmp_path / "1.csv"))
    by_kind = {kinds[r.student_id]: r for r in results1}
    assert by_kind["correct"].score == by_kind["slow"].score == 27  # 3 written points await the grader
    assert by_kind["hostile:crash"].status == "failed" and "DeadKernelError" in by_kind["hostile:crash"].problems[0]
    loop = by_kind["hostile:loop"]  # its first answer times out; the rest is graded
    assert loop.status == "graded" and any("took longer than 10 s" in p for p in loop.problems), loop.problems


def test_two_workers_give_the_same_gradebook_and_feedback(one_worker, two_workers, tmp_path):
    root1, api1, kinds, results = one_worker
    root2, api2, _, _ = two_workers
    grades1 = _rows(instructor.export_grades(api1, tmp_path / "1.csv"))
    assert _rows(instructor.export_grades(api2, tmp_path / "2.csv")) == grades1
    assert [row[1] for row in grades1[1:]] == sorted(kinds)  # the crashed student too, with 0
    for r in results:
        if r.status == "graded":
            assert _feedback_text(root2, r.student_id) == _feedback_text(root1, r.student_id), r.student_id


def test_shards_and_reruns_change_nothing(one_worker, tmp_path):
    root, api, kinds, results = one_worker
    before = _rows(instructor.export_grades(api, tmp_path / "before.csv"))
    shards = [instructor.autograde_class(api, A, progress=False, shard=(i, 2), workers=2) for i in range(2)]
    assert sorted(r.student_id for shard in shards for r in shard) == sorted(kinds)
    assert all(shards) and not set(r.student_id for r in shards[0]) & set(r.student_id for r in shards[1])
    again = instructor.autograde_class(api, A, progress=False, shard=(0, 2), workers=2)  # the same shard twice
    assert _cells(again) == _cells(shards[0])
    assert _cells([r for shard in shards for r in shard]) == _cells(results)
    assert _rows(instructor.export_grades(api, tmp_path / "after.csv")) == before


def test_workers_must_be_positive(one_worker):
    with pytest.raises(ValueError, match="workers must be at least 1"):
        instructor.autograde_class(one_worker[1], A, progress=False, workers=0)
    with pytest.raises(ValueError, match="workers must be at least 1"):
        instructor.generate_feedback(one_worker[1], A, workers=0)
