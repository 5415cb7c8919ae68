"""The backup-and-verify guard on its own (tests/test_hostile.py runs it against hostile
submissions): what it notices, what it restores, and that a disguised edit is not missed."""
from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from course_lib.autograde.safeguards import CourseGuard, _fingerprint


@pytest.fixture
def course(tmp_path):
    root = tmp_path / "course"
    for name in ("source", "release", "submitted"):
        for student in ("ann", "ben"):
            f = root / name / student / "a01" / "a01.ipynb"
            f.parent.mkdir(parents=True)
            f.write_text(f"{name} of {student}\n")
    coursedir = SimpleNamespace(root=str(root), source_directory="source", release_directory="release",
                                submitted_directory="submitted", db_url="sqlite:///:memory:", course_id="c")
    guard = CourseGuard(coursedir, tmp_path / "backup", check_gradebook=False)
    yield root, guard
    guard.close()


def test_an_untouched_course_needs_no_repair(course):
    root, guard = course
    assert guard.after_student("ann") == []
    assert guard.after_student("ben") == []


def test_an_edit_disguised_by_size_and_times_is_found_and_restored(course):
    """Same size, modification time set back: the change time still gives it away."""
    root, guard = course
    target = root / "source" / "ben" / "a01" / "a01.ipynb"
    before = target.stat()
    target.write_text("SOURCE of ben\n")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size and target.stat().st_mtime_ns == before.st_mtime_ns
    repairs = guard.after_student("ann")
    assert len(repairs) == 1 and "source/ was modified (1 changed" in repairs[0]
    assert target.read_text() == "source of ben\n"
    assert guard.after_student("ben") == []  # restored: nothing more to repair


def test_deleted_and_added_files_are_put_back_and_removed(course):
    root, guard = course
    (root / "submitted" / "ben" / "a01" / "a01.ipynb").unlink()
    (root / "release" / "planted.py").write_text("print('hi')\n")
    repairs = guard.after_student("ann")
    assert sorted(r.split("/")[0] for r in repairs) == ["release", "submitted"]
    assert (root / "submitted" / "ben" / "a01" / "a01.ipynb").read_text() == "submitted of ben\n"
    assert not (root / "release" / "planted.py").exists()


def test_unchanged_files_are_not_read_again(tmp_path, monkeypatch):
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(str(i))
    first = _fingerprint(tmp_path)
    (tmp_path / "1.txt").write_text("changed")
    read = []
    original = type(tmp_path).read_bytes
    monkeypatch.setattr(type(tmp_path), "read_bytes", lambda self: read.append(self.name) or original(self))
    second = _fingerprint(tmp_path, known=first)
    assert read == ["1.txt"]
    assert second["0.txt"] == first["0.txt"] and second["1.txt"][1] != first["1.txt"][1]
