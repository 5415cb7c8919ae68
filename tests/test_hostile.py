"""Hostile and broken submissions in one class: each costs its author points and nothing more.

One class of a01 submissions is autograded once per module run (timeout 10 s per cell), in
sandboxed kernels where bubblewrap works; the tests below read the results, the course folder,
the report and the feedback. A second, small class is graded without the sandbox, as on a
machine that lacks it, where backup-and-verify undoes the damage instead.
"""
from __future__ import annotations

import csv
import html
import os
import re
import socket

import nbformat
import pytest

from course_lib.autograde import instructor, sandbox
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


# Tries to read the reference answers, the gradebook and another student's work (and to score
# full marks with it), to reach a server on the grader's loopback, and to leave a process
# behind; prints what it got. With nothing read, its answer is wrong.
SPY = """import pathlib, socket, subprocess
root = pathlib.Path.cwd().parents[3]
got = {}
for rel in ("solutions/a01_probability_kde/a01_probability_kde.ipynb", "grading/gradebook.db",
            "grading/submitted/correct/a01_probability_kde/a01_probability_kde.ipynb"):
    try:
        got[rel] = (root / rel).read_text(errors="replace")
        print("SPY read", rel, len(got[rel]), "characters")
    except OSError as exc:
        print("SPY could not read", rel, type(exc).__name__)
try:
    socket.create_connection(("127.0.0.1", PORT), timeout=3).close()
    print("SPY connected to the grader's loopback")
except OSError as exc:
    print("SPY network", type(exc).__name__)
subprocess.Popen(["sleep", "4242.5"], start_new_session=True)
def poisson_mle(k):
    if got:  # would copy the reference answer out of what it read
        return k.float().mean()
    return k.float().mean() + 0.5
"""


def _sleepers() -> list[str]:
    """Processes left running by the spy (their command line holds its marker)."""
    found = []
    for cmdline in os.listdir("/proc"):
        try:
            text = open(f"/proc/{cmdline}/cmdline", "rb").read().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "4242.5" in text and "sleep" in text:
            found.append(text)
    return found


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
def listener():
    """A server on the grader's loopback that a sandboxed submission must not reach."""
    server = socket.create_server(("127.0.0.1", 0))
    yield server.getsockname()[1]
    server.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, listener):
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
        "spy": replace_cell(sol, "poisson_mle", SPY.replace("PORT", str(listener))),
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
    results_sleepers = _sleepers()
    return root, api, results, submitted_before, solutions_before, results_sleepers


def _spy_output(root) -> str:
    graded = nbformat.read(root / "grading" / "autograded" / "spy" / A / NB, as_version=4)
    return "".join(o.get("text", "") for c in graded.cells for o in c.get("outputs", []))


sandboxed = pytest.mark.skipif(sandbox.sandbox_problem() is not None,
                               reason=f"no sandbox here: {sandbox.sandbox_problem()}")


def _score(hostile, student):
    r = hostile[2][student]
    return r.status, r.score


def test_class_finishes_and_correct_work_gets_full_marks(hostile):
    root, _, results, _, _, _ = hostile
    assert len(results) == 14
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


@sandboxed
def test_the_vandal_changes_nothing_outside_its_folder(hostile):
    """In the sandbox the course's files are not there to delete: untouched, not restored."""
    root, _, results, submitted_before, solutions_before, _ = hostile
    r = results["aaa_vandal"]
    assert r.status == "graded" and not any("damaged" in p for p in r.problems), r.problems
    lost = {c.cell for c in r.cells if c.score < c.max_score and not c.pending}
    assert lost == {"test_poisson_mle", "test_poisson_mle_hidden"}, r.problems  # its own cell failed
    for rel, content in {**submitted_before, **solutions_before}.items():
        assert (root / rel).read_bytes() == content, f"{rel} was changed"
    assert (root / "grading" / "gradebook.db").is_file()


@sandboxed
def test_a_spy_reads_no_solutions_gradebook_or_classmates_and_scores_its_own_answer(hostile):
    root, _, results, *_ = hostile
    out = _spy_output(root)
    assert "SPY read" not in out and out.count("SPY could not read") == 3, out
    r = results["spy"]
    lost = {c.cell for c in r.cells if c.score < c.max_score and not c.pending}
    assert r.status == "graded" and lost == {"test_poisson_mle", "test_poisson_mle_hidden"}, r.problems


@sandboxed
def test_a_spy_cannot_reach_the_network_or_leave_a_process_behind(hostile):
    root, *_, sleepers = hostile
    out = _spy_output(root)
    assert "SPY network" in out and "connected" not in out, out
    assert sleepers == [], sleepers
    assert _sleepers() == []


@pytest.fixture(scope="module")
def unsandboxed(tmp_path_factory, listener):
    """A vandal, the spy and a correct student graded as on a machine without bubblewrap."""
    root = scratch_course(tmp_path_factory.mktemp("unsandboxed"))
    api = instructor.make_api(root, {"Execute": {"timeout": 10}})
    sol = read_notebooks(SOLUTIONS / A)[NB]
    submit(root, "aaa_vandal", A, {NB: replace_cell(sol, "poisson_mle", VANDAL)})
    submit(root, "correct", A, {NB: sol})
    submit(root, "spy", A, {NB: replace_cell(sol, "poisson_mle", SPY.replace("PORT", str(listener)))})
    before = {p.relative_to(root): p.read_bytes() for folder in ("solutions", "grading/submitted")
              for p in (root / folder).rglob("*") if p.is_file()}
    mp = pytest.MonkeyPatch()
    mp.setenv("DGM_NO_SANDBOX", "1")
    sandbox.sandbox_problem.cache_clear()
    sandbox._warned.clear()
    try:
        with pytest.warns(RuntimeWarning, match="NOT SANDBOXED: DGM_NO_SANDBOX is set") as caught:
            results = {r.student_id: r for r in instructor.autograde_class(api, A, progress=False, workers=2)}
    finally:
        mp.undo()
        sandbox.sandbox_problem.cache_clear()
        sandbox._warned.clear()
        sleepers = _sleepers()
        os.system("pkill -f 'sleep 4242.5'")
    return root, results, before, [w for w in caught if "SANDBOXED" in str(w.message)], sleepers


def test_without_the_sandbox_the_spy_gets_everything_so_its_probes_are_live(unsandboxed):
    root, results, _, _, sleepers = unsandboxed
    out = _spy_output(root)
    assert out.count("SPY read") == 3 and "connected to the grader's loopback" in out, out
    assert results["spy"].score == FULL and sleepers, "what the sandbox takes away"


def test_without_the_sandbox_the_grader_warns_once_and_undoes_vandalism(unsandboxed):
    root, results, before, warned, _ = unsandboxed
    assert len(warned) == 1 and "one at a time" in str(warned[0].message)
    r = results["aaa_vandal"]
    assert r.status == "failed" and any("damaged the course" in p for p in r.problems), r.problems
    for rel, content in before.items():
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
    _, api, results, _, _, _ = hostile
    students = ["correct", "tests_edited", "reference", "monkeypatch"]
    again = {r.student_id: r for r in instructor.autograde_class(api, A, students, progress=False)}
    for s in students:
        assert [(c.cell, c.score) for c in again[s].cells] == [(c.cell, c.score) for c in results[s].cells]


def test_rerun_with_only_new_grades_the_rest(hostile):
    _, api, results, _, _, _ = hostile
    failed = {s for s, r in results.items() if r.status == "failed"}
    rerun = instructor.autograde_class(api, A, progress=False, only_new=True)
    assert {r.student_id for r in rerun} == failed


def test_feedback_shows_no_hidden_source_or_expected_values(hostile):
    root, api, results, _, _, _ = hostile
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
