"""`dgm-instructor grade` on a folder of three fake submissions, as an instructor runs it:
correct, wrong and an infinite loop give full marks (less the written answer, pending), partial and 0,
and the report names the timeout."""
import csv

import pytest

from course_lib.autograde import instructor

from ._course import SOLUTIONS, read_notebooks, replace_cell, scratch_course, submit

pytestmark = pytest.mark.slow
A = "a01_probability_kde"


def test_grade_command_on_three_submissions(tmp_path, capsys):
    root = scratch_course(tmp_path)
    solution = read_notebooks(SOLUTIONS / A)
    release = read_notebooks(root / "assignments" / A)
    (name, sol_nb), (_, rel_nb) = next(iter(solution.items())), next(iter(release.items()))
    submit(root, "correct", A, solution)
    submit(root, "wrong", A, {name: replace_cell(sol_nb, "poisson_mle", "def poisson_mle(k):\n    return k.sum()\n")})
    submit(root, "looping", A, {name: replace_cell(rel_nb, "gaussian_mle", "while True:\n    pass\n")})

    status = instructor.main(["--root", str(root), "--timeout", "10", "grade", A])

    assert status == 0
    printed = capsys.readouterr().out
    assert "took longer than 10 s" in printed
    report = {row["student_id"]: row for row in csv.DictReader((root / "grading" / "reports" / f"{A}.csv").open())}
    # full marks on everything autograded; the written answer (task 10, 3 points) waits for a person
    correct = report["correct"]
    assert float(correct["pending_manual"]) == 3
    assert float(correct["score"]) + float(correct["pending_manual"]) == float(correct["max_score"])
    assert 0.0 < float(report["wrong"]["percent"]) < 100.0
    assert "test_poisson_mle" in report["wrong"]["problems"]
    assert float(report["looping"]["percent"]) == 0.0
    assert "gaussian_mle: cell 'gaussian_mle' took longer than 10 s" in report["looping"]["problems"]
    grades = {row["student_id"]: row for row in csv.DictReader((root / "grading" / "grades.csv").open())}
    assert grades.keys() == {"correct", "wrong", "looping"}
    for student in grades:
        assert (root / "grading" / "feedback" / student / A / f"{A}.html").is_file()

    # Two shards on the same folder grade the class again, each its own students, with the same
    # scores (grading is deterministic, so re-grading a shard is harmless), reports side by side.
    # (the second with two workers: the same scores again)
    for i in (0, 1):
        assert instructor.main(["--root", str(root), "--timeout", "10", "autograde", A, "--shard", f"{i}/2",
                                "--workers", str(1 + i)]) == 0
    sharded = {}
    for i in (0, 1):
        rows = list(csv.DictReader((root / "grading" / "reports" / f"{A}_shard{i}of2.csv").open()))
        assert all(instructor.shard_of(row["student_id"], 2) == i for row in rows)
        sharded.update({row["student_id"]: row for row in rows})
    assert sharded.keys() == report.keys()
    assert all(sharded[s]["score"] == report[s]["score"] for s in report)


@pytest.mark.parametrize("bad", ["0", "-2", "two"])
def test_workers_must_be_a_positive_whole_number(bad, capsys):
    with pytest.raises(SystemExit):
        instructor.main(["grade", A, "--workers", bad])
    assert "expected a whole number of at least 1" in capsys.readouterr().err


def test_without_the_sandbox_the_command_says_so_once(tmp_path):
    """An instructor without bubblewrap (macOS) reads the warning once, not once more as a
    Python RuntimeWarning, and the student is still graded."""
    import os
    import subprocess
    import sys

    root = scratch_course(tmp_path)
    submit(root, "ann", A, read_notebooks(SOLUTIONS / A))
    done = subprocess.run([sys.executable, "-m", "course_lib.autograde.instructor", "--root", str(root),
                           "autograde", A], capture_output=True, text=True,
                          env={**os.environ, "DGM_NO_SANDBOX": "1"}, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.count("GRADING KERNELS ARE NOT SANDBOXED") == 1, done.stderr[-2000:]
    assert "DGM_NO_SANDBOX is set" in done.stderr
    assert "ann" in done.stdout
