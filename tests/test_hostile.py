"""Hostile and broken submissions in one class: each costs its author points and nothing more.

One class of a01 submissions is autograded once per module run (timeout 10 s per cell); the
tests below read the results, the course folder, the report and the feedback.
"""
from __future__ import annotations

import csv
import html
import re

import nbformat
import pytest

from course_lib.autograde import instructor
from course_lib.autograde.report import write_cell_report

from ._course import SOLUTIONS, grade_cells, read_notebooks, replace_cell, scratch_course, submit

pytestmark = pytest.mark.slow
A = "a01_probability_kde"
NB = f"{A}.ipynb"
_SOLUTION = read_notebooks(SOLUTIONS / A)[NB]
_POINTS = {gid: (c.cell_type, float(c.metadata["nbgrader"]["points"])) for gid, c in grade_cells(_SOLUTION).items()
           if c.metadata["nbgrader"].get("grade")}
TESTS = {gid: points for gid, (kind, points) in _POINTS.items() if kind == "code"}   # autograded
MANUAL = sum(points for kind, points in _POINTS.values() if kind == "markdown")     # written answers, by hand
FULL = sum(TESTS.values())  # what autograding can give; the written answers stay pending

WRONG_MLE = "def gaussian_mle(x):\n    return x.mean(0), torch.cov(x.T).reshape(x.shape[1], x.shape[1])\n"
VANDAL = """import pathlib, shutil
root = pathlib.Path.cwd().parents[3]
shutil.rmtree(root / "solutions", ignore_errors=True)
shutil.rmtree(root / "grading" / "submitted" / "correct", ignore_errors=True)
(root / "grading" / "gradebook.db").unlink()
(root / "grading" / "submitted" / "aaa_vandal" / "a01_probability_kde" / "a01_probability_kde.ipynb").write_text("gone")
def poisson_mle(k):
    return k.mean()
"""


def _without(nb, grade_id):
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return nb


def _duplicate(nb, grade_id):
    nb = nbformat.from_dict(nb)
    i = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    copy = nbformat.from_dict(nb.cells[i])
    copy.id = copy.id[:-1] + ("x" if copy.id[-1] != "x" else "y")
    nb.cells.insert(i + 1, copy)
    return nb


def _prepend(nb, grade_id, code):
    return replace_cell(nb, grade_id, code + "\n" + grade_cells(nb)[grade_id].source)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = scratch_course(tmp_path_factory.mktemp("hostile"))
    api = instructor.make_api(root, {"Execute": {"timeout": 10}})
    sol = read_notebooks(SOLUTIONS / A)[NB]
    rel = read_notebooks(root / "assignments" / A)[NB]

    edited = replace_cell(sol, "gaussian_mle", WRONG_MLE)
    edited = replace_cell(edited, "test_gaussian_mle_values", "")
    edited = replace_cell(edited, "test_gaussian_mle_hidden", "pass  # all good")
    edited = _without(edited, "test_gaussian_mle_shapes")
    monkey = replace_cell(rel, "gaussian_mle", "import course_lib.grading\n"
                          "course_lib.grading.check_close = lambda *a, **k: None\n"
                          "course_lib.grading.check_shape = lambda *a, **k: None\n"
                          "def gaussian_mle(x):\n    return x.mean(0), x.T @ x\n")
    reference = replace_cell(sol, "gaussian_log_prob", "from course_lib.probability import gaussian_log_prob\n")
    reference = replace_cell(reference, "poisson_mle", "import scipy.stats as st\n"
                             "def poisson_mle(k):\n    return torch.tensor(st.poisson(k.mean().item()).mean())\n")
    submissions = {
        "correct": sol,
        "tests_edited": edited,
        "duplicated": _duplicate(_duplicate(sol, "gaussian_mle"), "test_gaussian_mle_values"),
        "rebind": _prepend(sol, "poisson_mle", "check_close = lambda *a, **k: None"),
        "monkeypatch": monkey,
        "reference": reference,
        "huge_output": _prepend(sol, "poisson_mle", "for i in range(200_000):\n    print('spam', i)"),
        "segfault": _prepend(sol, "poisson_mle", "import ctypes\nctypes.string_at(0)"),
        "killed": _prepend(sol, "poisson_mle", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
        "oom": _prepend(sol, "poisson_mle", "blob = bytearray(64 * 2**30)"),
        "aaa_vandal": replace_cell(sol, "poisson_mle", VANDAL),
    }
    for student, nb in submissions.items():
        submit(root, student, A, {NB: nb})
    submit(root, "renamed", A, {"my_a01_final.ipynb": sol})
    (root / "grading" / "submitted" / "missing" / A).mkdir(parents=True)
    (root / "grading" / "submitted" / "missing" / A / "notes.txt").write_text("forgot the notebook")
    submitted_before = {p.relative_to(root): p.read_bytes() for p in (root / "grading" / "submitted").rglob("*")
                        if p.is_file()}
    solutions_before = {p.relative_to(root): p.read_bytes() for p in (root / "solutions").rglob("*") if p.is_file()}

    results = {r.student_id: r for r in instructor.autograde_class(api, A, progress=False)}
    return root, api, results, submitted_before, solutions_before


def _score(hostile, student):
    r = hostile[2][student]
    return r.status, r.score


def test_class_finishes_and_correct_work_gets_full_marks(hostile):
    root, _, results, _, _ = hostile
    assert len(results) == 13
    assert _score(hostile, "correct") == ("graded", FULL)


def test_edited_emptied_and_deleted_tests_are_restored_and_run(hostile):
    status, score = _score(hostile, "tests_edited")
    # the values and hidden tests fail again; the shapes test passes
    assert status == "graded" and score == FULL - TESTS["test_gaussian_mle_values"] - TESTS["test_gaussian_mle_hidden"]
    graded = nbformat.read(hostile[0] / "grading" / "autograded" / "tests_edited" / A / NB, as_version=4)
    cells = grade_cells(graded)
    assert "check_close(cov" in cells["test_gaussian_mle_values"].source
    assert "BEGIN HIDDEN TESTS" in cells["test_gaussian_mle_hidden"].source
    assert "test_gaussian_mle_shapes" in cells and "check_shape" in cells["test_gaussian_mle_shapes"].source


def test_duplicated_cells_are_graded_once(hostile):
    r = hostile[2]["duplicated"]
    assert (r.status, r.score, r.max_score) == ("graded", FULL, FULL + MANUAL)


@pytest.mark.parametrize("student", ["rebind", "monkeypatch"])
def test_tampering_with_the_grading_helpers_gains_nothing(hostile, student):
    r = hostile[2][student]
    assert (r.status, r.score) == ("graded", 0.0), r.problems
    assert all("tampers with grading" in c.reason for c in r.cells if c.cell in TESTS), r.cells
    assert all("unchanged from the release" in c.reason for c in r.cells if c.cell not in TESTS and not c.pending), r.cells


def test_calling_the_reference_implementation_earns_nothing(hostile):
    r = hostile[2]["reference"]
    lost = {c.cell for c in r.cells if c.score < c.max_score and not c.pending}
    assert lost == {"test_gaussian_log_prob_basic", "test_gaussian_log_prob_values", "test_gaussian_log_prob_tails",
                    "test_gaussian_log_prob_random", "test_gaussian_log_prob_grad",
                    "test_poisson_mle", "test_poisson_mle_hidden"}, r.problems
    reasons = {c.cell: c.reason for c in r.cells}
    assert "course_lib.probability" in reasons["test_gaussian_log_prob_values"]
    assert "scipy.stats" in reasons["test_poisson_mle"]
    assert r.score == FULL - sum(TESTS[t] for t in lost)


def test_missing_and_renamed_notebooks_are_reported(hostile):
    for student in ("renamed", "missing"):
        r = hostile[2][student]
        assert r.status == "failed" and r.score == 0, r
        assert "No notebooks" in r.problems[0], r.problems
    assert any("my_a01_final.ipynb" in p and "renamed" in p for p in hostile[2]["renamed"].problems)


def test_huge_output_is_limited_and_graded_normally(hostile):
    assert _score(hostile, "huge_output") == ("graded", FULL)
    graded = nbformat.read(hostile[0] / "grading" / "autograded" / "huge_output" / A / NB, as_version=4)
    text = "".join(o.get("text", "") for c in graded.cells for o in c.get("outputs", []))
    assert 0 < text.count("spam") <= 500


@pytest.mark.parametrize("student", ["segfault", "killed"])
def test_a_killed_kernel_fails_only_that_student(hostile, student):
    r = hostile[2][student]
    assert r.status == "failed" and "DeadKernelError" in r.problems[0]
    assert {c.reason for c in r.cells} == {r.problems[0]} and len(r.cells) == len(_POINTS)


def test_a_memory_blow_up_is_stopped_by_the_kernel_limit(hostile):
    r = hostile[2]["oom"]
    lost = {c.cell for c in r.cells if c.score < c.max_score and not c.pending}
    assert lost == {"test_poisson_mle", "test_poisson_mle_hidden"}, r.problems
    assert r.status == "graded" and r.score == FULL - sum(TESTS[t] for t in lost), r.problems
    assert any("MemoryError" in p for p in r.problems) or any("NameError" in c.reason for c in r.cells)


def test_vandalism_is_undone_and_reported(hostile):
    root, _, results, submitted_before, solutions_before = hostile
    r = results["aaa_vandal"]
    assert r.status == "failed" and any("damaged the course" in p for p in r.problems), r.problems
    for rel, content in {**submitted_before, **solutions_before}.items():
        assert (root / rel).read_bytes() == content, f"{rel} was not restored"
    assert results["correct"].score == FULL  # graded after the vandal, from restored files


def test_per_cell_report_explains_every_lost_point(hostile, tmp_path):
    rows = list(csv.DictReader(write_cell_report(list(hostile[2].values()), tmp_path / "cells.csv").open()))
    assert {row["student_id"] for row in rows} == set(hostile[2])
    for row in rows:
        lost = float(row["score"]) < float(row["max_score"])
        assert bool(row["reason"]) == lost, row
    edited = {row["cell"]: row for row in rows if row["student_id"] == "tests_edited"}
    assert "GradingError" in edited["test_gaussian_mle_values"]["reason"]


def test_grading_again_gives_identical_scores(hostile):
    _, api, results, _, _ = hostile
    students = ["correct", "tests_edited", "reference", "monkeypatch"]
    again = {r.student_id: r for r in instructor.autograde_class(api, A, students, progress=False)}
    for s in students:
        assert [(c.cell, c.score) for c in again[s].cells] == [(c.cell, c.score) for c in results[s].cells]


def test_rerun_with_only_new_grades_the_rest(hostile):
    _, api, results, _, _ = hostile
    failed = {s for s, r in results.items() if r.status == "failed"}
    rerun = instructor.autograde_class(api, A, progress=False, only_new=True)
    assert {r.student_id for r in rerun} == failed


def test_feedback_shows_no_hidden_source_or_expected_values(hostile):
    root, api, results, _, _ = hostile
    graded = [s for s, r in results.items() if r.status == "graded"]
    instructor.generate_feedback(api, A, graded)
    secrets = set()
    for s in graded:
        nb = nbformat.read(root / "grading" / "autograded" / s / A / NB, as_version=4)
        for cell in nb.cells:
            if "BEGIN HIDDEN TESTS" in cell.source:
                for out in cell.get("outputs", []):
                    if out.get("output_type") == "error" and out.get("evalue"):
                        secrets.update(m for m in re.findall(r"expected[^\n]{0,60}", out["evalue"]))
    assert secrets, "expected some hidden test to fail in this class"
    for s in graded:
        page = html.unescape(re.sub(r"<[^>]+>", "", (root / "grading" / "feedback" / s / A / f"{A}.html").read_text()))
        assert "BEGIN HIDDEN TESTS" not in page
        assert "manual_seed(101)" not in page
        leaked = [x for x in secrets if x in page]
        assert not leaked, f"feedback for {s} shows hidden expected values: {leaked[:2]}"
