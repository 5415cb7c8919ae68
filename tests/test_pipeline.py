"""The nbgrader pipeline end to end, on a scratch copy of the course.

One class is autograded per module run: for every assignment, the reference solution (full
marks), the untouched release (zero), and for a01 a deliberately wrong submission and one with
an infinite loop. The tests then read the gradebook, the report and the feedback.
"""
from __future__ import annotations

import csv
import html
import re

import nbformat
import pytest

from course_lib import instructor
from course_lib.report import format_report, write_report

from ._course import ASSIGNMENTS, SOLUTIONS, assignment_ids, grade_cells, read_notebooks, replace_cell, scratch_course, submit

pytestmark = pytest.mark.slow

TIMEOUT = 10  # seconds per cell in these tests (the course default is 30)

# Deliberately wrong answers: (answer cell, new source, test cells that must fail).
WRONG = {
    "a01_probability_kde": [
        ("gaussian_mle",
         "def gaussian_mle(x):\n    return x.mean(0), torch.cov(x.T).reshape(x.shape[1], x.shape[1])\n",
         {"test_gaussian_mle_values", "test_gaussian_mle_hidden"}),
        ("gaussian_log_prob",
         "def gaussian_log_prob(x, mean, cov):\n"
         "    d = x.shape[1]\n"
         "    diff = x - mean\n"
         "    quad = (diff @ torch.linalg.inv(cov) * diff).sum(1)\n"
         "    dens = torch.exp(-0.5 * quad) / torch.sqrt(torch.linalg.det(2 * math.pi * cov))\n"
         "    return torch.log(dens)\n",
         {"test_gaussian_log_prob_tails"}),
    ],
    "a02_mmd": [
        ("mmd2_biased",
         "def mmd2_biased(x, y, bandwidth):\n"
         "    n, m = len(x), len(y)\n"
         "    k_xx = gaussian_kernel_matrix(x, x, bandwidth)\n"
         "    k_yy = gaussian_kernel_matrix(y, y, bandwidth)\n"
         "    return ((k_xx.sum() - n) / n**2 + (k_yy.sum() - m) / m**2\n"
         "            - 2 * gaussian_kernel_matrix(x, y, bandwidth).mean())\n",
         {"test_mmd2_biased", "test_mmd2_biased_hidden"}),
        ("permutation_p_value",
         "def permutation_p_value(observed, null_statistics):\n"
         "    return (null_statistics >= observed).double().mean()\n",
         {"test_permutation_p_value", "test_permutation_p_value_hidden"}),
    ],
    "a03_em_gmm": [
        ("e_step",
         "def e_step(x, weights, means, covs):\n"
         "    return component_log_joint(x, weights, means, covs)\n",
         {"test_e_step", "test_e_step_hidden"}),
    ],
}
LOOP = ("a01_probability_kde", "poisson_mle", "while True:\n    pass\n",
        {"test_poisson_mle", "test_poisson_mle_hidden"})


def _points(nb) -> dict[str, float]:
    return {gid: float(c.metadata["nbgrader"].get("points", 0)) for gid, c in grade_cells(nb).items()
            if c.metadata["nbgrader"].get("grade")}


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
        for answer, source, lost in WRONG.get(a, []):
            name, nb = next((n, nb) for n, nb in sol.items() if answer in grade_cells(nb))
            sol = {**sol, name: replace_cell(nb, answer, source)}
            expected.setdefault((a, "wrong"), set()).update(lost)
        if a in WRONG:
            submit(root, "wrong", a, sol)
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
    assert r.score == r.max_score, f"reference solution lost points: {r.problems}"


@pytest.mark.parametrize("assignment", assignment_ids())
def test_untouched_release_gets_zero(graded, assignment):
    _, _, results, _ = graded
    r = results[assignment, "untouched"]
    assert r.status == "graded" and r.score == 0, r.problems


@pytest.mark.parametrize("student", ["wrong", "loop"])
def test_wrong_submission_loses_exactly_the_expected_points(graded, student):
    _, _, results, expected = graded
    for (a, s), lost in expected.items():
        if s != student:
            continue
        r = results[a, s]
        points = _max_points(a)
        assert r.status == "graded", r.problems
        assert r.score == r.max_score - sum(points[t] for t in lost), r.problems
        failed = {p.split(":")[0] for p in r.problems}
        assert lost <= failed, f"expected failures {lost}, report says {r.problems}"


def test_report_names_the_timeout_and_class_finishes(graded, tmp_path):
    _, _, results, _ = graded
    loop = results["a01_probability_kde", "loop"]
    assert any(f"timed out after {TIMEOUT} s" in p for p in loop.problems), loop.problems
    rows = list(csv.DictReader(write_report(list(results.values()), tmp_path / "r.csv").open()))
    assert {row["student_id"] for row in rows} >= {"solution", "untouched", "wrong", "loop"}
    assert any("timed out" in row["problems"] for row in rows if row["student_id"] == "loop")
    table = format_report(list(results.values()))
    assert "100.0" in table and "timed out" in table


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


def test_feedback_withholds_hidden_tests(graded):
    root, _, _, _ = graded
    html_files = list((root / "grading" / "feedback").rglob("*.html"))
    assert html_files
    hidden_lines = _secret_lines(SOLUTIONS, regions=("HIDDEN TESTS",), min_length=20)
    assert hidden_lines
    for path in html_files:
        text = _visible_text(path.read_text())
        assert "BEGIN HIDDEN TESTS" not in text, path
        leaked = [line for line in hidden_lines if line in text]
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
                assert "raise NotImplementedError()" in cell.source, gid
            assert not cell.get("outputs"), f"{name}:{gid} was released with outputs"
