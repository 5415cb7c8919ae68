"""Instructor tooling: clear errors when the course or the submissions are not where expected."""
import pytest

from course_lib.autograde import instructor
from course_lib.autograde.report import StudentResult, format_report

from ._course import REPO, scratch_course


def test_course_root_is_found_from_a_subfolder():
    assert instructor.find_course_root(REPO / "course_lib") == REPO


def test_missing_course_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no nbgrader_config.py"):
        instructor.find_course_root(tmp_path)


def test_config_maps_the_course_layout(tmp_path):
    root = scratch_course(tmp_path)
    config = instructor.load_config(root, {"Execute": {"timeout": 7}})
    course = config.CourseDirectory
    assert (course.source_directory, course.release_directory) == ("solutions", "assignments")
    assert course.submitted_directory.startswith("grading/") and course.feedback_directory.startswith("grading/")
    assert course.db_url == f"sqlite:///{root / 'grading' / 'gradebook.db'}"
    assert config.Execute.timeout == 7 and config.OverwriteCells.add_missing_cells is True


def test_no_submissions_is_a_clear_error(tmp_path):
    api = instructor.make_api(scratch_course(tmp_path))
    with pytest.raises(RuntimeError, match="no submissions for 'a01_probability_kde'"):
        instructor.autograde_class(api, "a01_probability_kde", progress=False)


def test_failure_reason_picks_the_specific_exception():
    outcome = {"error": "Traceback ...\nnbgrader.converters.base.NbGraderException: see above",
               "log": "    nbclient.exceptions.DeadKernelError: Kernel died\n[ERROR] Please see the above"}
    reason = instructor._failure_reason(outcome)
    assert reason.startswith("grading failed: DeadKernelError: Kernel died") and "kernel died" in reason


def test_report_table_and_percent():
    results = [StudentResult("ann", "graded", 8, 16, ["t1: 0/8 (GradingError: x)"]),
               StudentResult("ben", "failed", problems=["grading failed: DeadKernelError"])]
    assert results[0].percent == 50.0 and results[1].percent == 0.0
    table = format_report(results)
    assert "ann" in table and "50.0" in table and "DeadKernelError" in table


def test_shards_partition_a_class_and_keep_each_student_in_place():
    students = [f"s{i:03d}" for i in range(300)]
    shards = [{s for s in students if instructor.shard_of(s, 4) == i} for i in range(4)]
    assert set().union(*shards) == set(students) and sum(map(len, shards)) == len(students)
    assert all(50 <= len(shard) <= 100 for shard in shards), [len(s) for s in shards]
    # a student's shard depends on the id alone: the same with a bigger class, on every call
    assert all(instructor.shard_of(s, 4) == i for i, shard in enumerate(shards) for s in shard)
    assert instructor.parse_shard("2/4") == (2, 4)
    for bad in ("4/4", "-1/3", "1of3", "a/b"):
        with pytest.raises(ValueError, match="shard"):
            instructor.parse_shard(bad)
