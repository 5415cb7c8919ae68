"""The nbgrader pipeline end to end, on a scratch copy of the course.

One class is autograded per module run: for every assignment, the reference solution (full
marks), the untouched release (zero), correct answers written differently (full marks), wrong
ones (exactly the intended points lost), and for a01 an infinite loop, a slow answer and a
crash. The tests then read the gradebook, the report and the feedback.
"""
from __future__ import annotations

import csv
import html
import re

import nbformat
import pytest

from course_lib.autograde import instructor
from course_lib.autograde.report import format_report, write_cell_report, write_report

from ._course import ASSIGNMENTS, SOLUTIONS, assignment_ids, grade_cells, read_notebooks, replace_cell, scratch_course, submit
from ._submissions import LOOP, SUBMISSIONS

pytestmark = pytest.mark.slow

TIMEOUT = 15  # seconds per cell in these tests (the course default is 30); the slow answer needs ~30 s


def _points(nb) -> dict[str, float]:
    return {gid: float(c.metadata["nbgrader"].get("points", 0)) for gid, c in grade_cells(nb).items()
            if c.metadata["nbgrader"].get("grade")}


def _replace_answers(nb, replacements):
    for answer, source in replacements:
        nb = replace_cell(nb, answer, source)
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = scratch_course(tmp_path_factory.mktemp("pipeline"))
    api = instructor.make_api(root, {"Execute": {"timeout": TIMEOUT}})
    instructor.release_all(api)
    expected = {}  # (assignment, student) -> expected lost test ids
    for a in assignment_ids():
        sol = read_notebooks(SOLUTIONS / a)
        rel = read_notebooks(root / "assignments" / a)
        all_tests = {gid for nb in sol.values() for gid in _points(nb)}
        submit(root, "solution", a, sol)
        submit(root, "untouched", a, rel)
        expected[a, "solution"], expected[a, "untouched"] = set(), all_tests
    for (a, student), (replacements, lost) in SUBMISSIONS.items():
        (name, nb), = read_notebooks(SOLUTIONS / a).items()
        submit(root, student, a, {name: _replace_answers(nb, replacements)})
        expected[a, student] = lost
    a, answer, source, lost = LOOP
    name, nb = next((n, nb) for n, nb in read_notebooks(SOLUTIONS / a).items() if answer in grade_cells(nb))
    submit(root, "loop", a, {name: replace_cell(nb, answer, source)})
    expected[a, "loop"] = lost
    submit(root, "crash", a, {name: replace_cell(nb, answer, "import os\nos._exit(1)\n")})

    results = {}
    for a in assignment_ids():
        for r in instructor.autograde_class(api, a, progress=False):
            results[a, r.student_id] = r
        instructor.generate_feedback(api, a)
    return root, api, results, expected


def _max_points(a: str) -> dict[str, float]:
    return {gid: p for nb in read_notebooks(SOLUTIONS / a).values() for gid, p in _points(nb).items()}


@pytest.mark.parametrize("assignment", assignment_ids())
def test_solution_gets_full_marks(graded, assignment):
    _, _, results, _ = graded
    r = results[assignment, "solution"]
    assert r.status == "graded", r.problems
    assert r.max_score == sum(_max_points(assignment).values()) > 0
    assert r.score == r.max_score - r.pending_points, f"reference solution lost points: {r.problems}"
    manual = {gid for nb in read_notebooks(SOLUTIONS / assignment).values() for gid, c in grade_cells(nb).items()
              if c.metadata["nbgrader"].get("grade") and c.cell_type == "markdown"}
    assert {c.cell for c in r.cells if c.pending} == manual


@pytest.mark.parametrize("assignment", assignment_ids())
def test_untouched_release_gets_zero(graded, assignment):
    _, _, results, _ = graded
    r = results[assignment, "untouched"]
    assert r.status == "graded" and r.score == 0, r.problems


@pytest.mark.parametrize("key", sorted(SUBMISSIONS) + [("a01_probability_kde", "loop")], ids="/".join)
def test_submission_loses_exactly_the_expected_points(graded, key):
    """Correct-but-different answers score full marks; each wrong one loses exactly its tests."""
    _, _, results, expected = graded
    r, lost = results[key], expected[key]
    points = _max_points(key[0])
    assert r.status == "graded", r.problems
    actually_lost = {c.cell for c in r.cells if c.score < c.max_score and not c.pending}
    assert actually_lost == lost, f"lost {sorted(actually_lost)}, expected {sorted(lost)}: {r.problems}"
    assert r.score == r.max_score - r.pending_points - sum(points[t] for t in lost), r.problems
    assert all(c.reason for c in r.cells if c.score < c.max_score), r.problems


def _reasons(graded, assignment, student) -> dict[str, str]:
    return {c.cell: c.reason for c in graded[2][assignment, student].cells if c.reason}


def _feedback(graded, assignment, student) -> str:
    root = graded[0]
    return _visible_text((root / "grading" / "feedback" / student / assignment / f"{assignment}.html").read_text())


def test_warnings_cost_nothing_and_stay_visible(graded):
    root, _, results, _ = graded
    for a in ("a01_probability_kde", "a02_mmd"):
        r = results[a, "different"]
        # full marks on everything autograded; only the written answer waits for manual grading
        assert r.score == r.max_score - r.pending_points == r.max_score - 3, r.problems
        assert not [p for p in r.problems if "await manual grading" not in p], r.problems
        nb = nbformat.read(root / "grading" / "autograded" / "different" / a / f"{a}.ipynb", as_version=4)
        printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        assert "UserWarning" in printed, f"{a}: expected the answer's warning in the graded notebook"


def test_a_slow_answer_is_reported_with_the_cell_and_the_fix(graded):
    reason = _reasons(graded, "a01_probability_kde", "slow")["test_select_bandwidth_hidden"]
    assert f"took longer than {TIMEOUT} s" in reason and "'loo_log_likelihood'" in reason, reason
    assert "tensor operations" in reason and "KeyboardInterrupt" not in reason
    page = _feedback(graded, "a01_probability_kde", "slow")
    assert f"test cell 'test_select_bandwidth_hidden' took longer than {TIMEOUT} s" in page


def test_hidden_failures_show_their_name_and_hint_in_the_feedback(graded):
    page = _feedback(graded, "a02_mmd", "wrong")
    assert "parameter 0.weight after one step" in page and "zero the gradients before backward()" in page
    assert "0.5592711116" not in page  # an expected value from the same check


def test_the_cell_report_keeps_whole_messages_and_marks_knock_ons(graded, tmp_path):
    _, _, results, _ = graded
    path = write_cell_report([results["a02_mmd", "wrong_kernel"]], tmp_path / "cells.csv")
    rows = {row["cell"]: row["reason"] for row in csv.DictReader(path.open())}
    unbiased = rows["test_mmd2_unbiased"]
    assert "\n  expected:" in unbiased and "Hint: n(n-1) and m(m-1)" in unbiased, unbiased
    assert "knock-on" in rows["test_permutation_null_statistics"] and "'mmd2_unbiased'" in rows[
        "test_permutation_null_statistics"]
    assert "knock-on" in unbiased and "'gaussian_kernel_matrix'" in unbiased  # it calls the unclamped kernel


def test_messages_point_at_the_actual_mistake(graded):
    shape = _reasons(graded, "a01_probability_kde", "wrong_shape")["test_gaussian_mle_values"]
    assert "expected shape (2, 2), got (2,)" in shape and "divide by n" not in shape, shape
    loop = _reasons(graded, "a03_em_gmm", "wrong_loop")
    assert "holds Tensor" in loop["test_fit_gmm"], loop["test_fit_gmm"]
    assert "returned responsibilities" in loop["test_e_step"], loop["test_e_step"]
    after = _reasons(graded, "a03_em_gmm", "wrong")["test_fit_gmm"]
    assert "before the M-step" in after, after
    wrong = _reasons(graded, "a01_probability_kde", "wrong")
    assert "expected a torch.Tensor, got float" in wrong["test_poisson_mle"]
    assert "expected a torch.Tensor, got ndarray" in wrong["test_scott_bandwidth_matrix"]
    assert "subtract log n" in wrong["test_kde_log_density"]


def test_report_names_the_timeout_and_class_finishes(graded, tmp_path):
    _, _, results, _ = graded
    loop = results["a01_probability_kde", "loop"]
    assert any(f"took longer than {TIMEOUT} s" in p for p in loop.problems), loop.problems
    rows = list(csv.DictReader(write_report(list(results.values()), tmp_path / "r.csv").open()))
    assert {row["student_id"] for row in rows} >= {"solution", "untouched", "wrong", "loop"}
    assert any("took longer than" in row["problems"] for row in rows if row["student_id"] == "loop")
    table = format_report(list(results.values()))
    # a reference solution: every autograded point, the 3-point written answer still pending
    assert "27/30" in table and "took longer than" in table


def test_a_crashing_kernel_fails_only_that_student(graded):
    _, _, results, _ = graded
    crash = results["a01_probability_kde", "crash"]
    assert crash.status == "failed" and crash.problems, crash
    assert "kernel" in crash.problems[0].lower() or "died" in crash.problems[0].lower(), crash.problems
    others = [r for (a, s), r in results.items() if s != "crash"]
    assert others and all(r.status == "graded" for r in others)


def test_export_grades_csv(graded, tmp_path):
    _, api, results, _ = graded
    rows = list(csv.DictReader(instructor.export_grades(api, tmp_path / "grades.csv").open()))
    by_key = {(row["assignment"], row["student_id"]): row for row in rows}
    for (a, s), r in results.items():
        if r.status != "graded":
            continue
        assert float(by_key[a, s]["score"]) == r.score
        assert float(by_key[a, s]["max_score"]) == r.max_score


def test_a_manual_score_counts_in_the_gradebook_and_the_export(graded, tmp_path):
    """A written answer graded by hand (as in the formgrader) counts in the gradebook and the export."""
    from nbgrader.api import Gradebook

    _, api, results, _ = graded
    a, student, written = "a01_probability_kde", "solution", "written_bandwidth"
    before = results[a, student]
    assert {c.cell for c in before.cells if c.pending} == {written} and before.pending_points == 3
    (name, _), = read_notebooks(SOLUTIONS / a).items()
    notebook = name.removesuffix(".ipynb")
    with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
        grade = gb.find_grade(written, notebook, a, student)
        grade.manual_score, grade.needs_manual_grade = 2.5, False  # what the formgrader's Save does
        gb.db.commit()
    try:
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            submission = gb.find_submission(a, student)
            assert float(submission.score) == before.score + 2.5 and not submission.needs_manual_grade
        rows = list(csv.DictReader(instructor.export_grades(api, tmp_path / "grades.csv").open()))
        row = next(r for r in rows if (r["assignment"], r["student_id"]) == (a, student))
        assert float(row["score"]) == before.score + 2.5 and float(row["max_score"]) == 30
    finally:  # leave the shared gradebook as the other tests expect it
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            grade = gb.find_grade(written, notebook, a, student)
            grade.manual_score, grade.needs_manual_grade = None, True
            gb.db.commit()


def test_feedback_withholds_hidden_tests(graded):
    root, _, _, _ = graded
    html_files = list((root / "grading" / "feedback").rglob("*.html"))
    assert html_files
    hidden_lines = _secret_lines(SOLUTIONS, regions=("HIDDEN TESTS",), min_length=20)
    assert hidden_lines
    for path in html_files:
        text = _visible_text(path.read_text())
        assert "BEGIN HIDDEN TESTS" not in text, path
        student, assignment = path.parts[-3], path.parts[-2]
        own = "\n".join(c.source for nb in read_notebooks(root / "grading" / "submitted" / student / assignment).values()
                        for c in nb.cells)  # a student may write a line a hidden test also has
        leaked = [line for line in hidden_lines if line in text and line not in own]
        assert not leaked, f"{path} shows hidden test source: {leaked[:3]}"


def _visible_text(html_text: str) -> str:
    """What a reader of the HTML sees: tags removed (syntax highlighting splits code into
    spans), entities unescaped."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def _secret_lines(folder, regions=("SOLUTION", "HIDDEN TESTS"), min_length=12) -> set[str]:
    """Distinctive source lines that occur only inside the given marked regions of the
    notebooks under ``folder`` (lines also written in public text, e.g. a visible test or a
    hint, are not secrets)."""
    secret, public = set(), []
    for path in folder.rglob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            inside = False
            for line in cell.source.splitlines():
                if any(f"BEGIN {r}" in line for r in regions):
                    inside = True
                elif any(f"END {r}" in line for r in regions):
                    inside = False
                elif inside:
                    secret.add(line.strip())
                else:
                    public.append(line)
    public_text = "\n".join(public)
    return {line for line in secret if len(line) >= min_length and line not in public_text}


@pytest.mark.parametrize("assignment", assignment_ids())
def test_release_is_in_sync_with_solutions(tmp_path, assignment):
    """Generating from solutions/ reproduces the committed assignments/ exactly."""
    root = scratch_course(tmp_path)
    api = instructor.make_api(root)
    instructor.release_all(api, [assignment])
    fresh = read_notebooks(root / "assignments" / assignment)
    committed = read_notebooks(ASSIGNMENTS / assignment)
    assert fresh.keys() == committed.keys()
    for name in fresh:
        assert _stable(fresh[name]) == _stable(committed[name]), (
            f"assignments/{assignment}/{name} is stale: run `make release` and commit the result")


def _stable(nb) -> list:
    """The parts of a notebook that matter to a student (no volatile metadata)."""
    return [(c.cell_type, c.source, c.metadata.get("nbgrader", {}), c.metadata.get("deletable"),
             c.metadata.get("editable")) for c in nb.cells] + [nb.metadata.get("kernelspec")]


@pytest.mark.parametrize("assignment", assignment_ids())
def test_release_has_no_solutions_or_hidden_tests(assignment):
    solution_lines = _secret_lines(SOLUTIONS / assignment)
    assert solution_lines
    for name, nb in read_notebooks(ASSIGNMENTS / assignment).items():
        text = "\n".join(c.source for c in nb.cells)
        assert not re.search(r"BEGIN (SOLUTION|HIDDEN TESTS)|END (SOLUTION|HIDDEN TESTS)", text), name
        leaked = [line for line in solution_lines if line in text]
        assert not leaked, f"{name} leaks solution / hidden-test lines: {leaked[:3]}"
        for gid, cell in grade_cells(nb).items():
            if cell.metadata["nbgrader"].get("solution"):
                stub = "raise NotImplementedError()" if cell.cell_type == "code" else "YOUR ANSWER HERE"
                assert stub in cell.source, gid
            assert not cell.get("outputs"), f"{name}:{gid} was released with outputs"
