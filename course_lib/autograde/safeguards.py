"""Protecting the course while untrusted submissions run: backup and verify.

Grading kernels normally run in a sandbox (:mod:`course_lib.autograde.sandbox`) that cannot
see or change any of this; the guard stays on as a second line, and is the only one where
the sandbox is unavailable, when student code executes with the grader's permissions.
Before a class is graded,
:class:`CourseGuard` copies the folders that must survive — solutions/, the release and every
submission — and fingerprints them; before each student it copies the SQLite gradebook and
records every other student's grades. After each student it checks all of that again and
restores whatever was changed, so one hostile submission cannot delete the solutions, another
student's work or the gradebook, nor edit someone else's grades.
"""
from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

from .gradebooks import grade_rows

__all__ = ["CourseGuard"]


def _fingerprint(folder: Path, known: dict[str, tuple] | None = None) -> dict[str, tuple]:
    """relative path -> (stat key, SHA-256) of every file under ``folder``.

    A file whose stat key (size, inode, modification and change times) equals its entry in
    ``known`` keeps that entry's digest without being read again: any write, rename, ``utime``
    or ``chmod`` sets the change time, which user code cannot set back. So checking a class's
    submissions after each student stats every file but hashes only the changed ones.
    """
    if not folder.is_dir():
        return {}
    known = known or {}
    prints = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(folder).as_posix()
        st = path.stat()
        key = (st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)
        if rel in known and known[rel][0] == key:
            prints[rel] = known[rel]
        else:
            prints[rel] = (key, hashlib.sha256(path.read_bytes()).hexdigest())
    return prints


class CourseGuard:
    """Back up, verify and restore the parts of a course directory a submission could damage.

    Parameters
    ----------
    coursedir : nbgrader.coursedir.CourseDirectory
    backup_dir : Path
        Where the copies go (kept after the run, for the instructor).
    check_gradebook : bool
        Also back up and verify the course's gradebook around each student. Only meaningful
        when students are graded one at a time against it with unsandboxed kernels; otherwise
        no student code can reach it, and other workers' or machines' writes would look like
        tampering.
    """

    def __init__(self, coursedir, backup_dir: Path, check_gradebook: bool = True):
        root = Path(coursedir.root)
        self.backup_dir = Path(backup_dir)
        self.trees = {name: root / getattr(coursedir, f"{name}_directory")
                      for name in ("source", "release", "submitted")}
        self.db_path = self._sqlite_path(coursedir.db_url)
        self.course_id = coursedir.course_id
        self.db_url = coursedir.db_url
        self.check_gradebook = check_gradebook
        self._fingerprints: dict[str, dict[str, str]] = {}
        self._other_grades: set = set()
        if self.backup_dir.exists():
            shutil.rmtree(self.backup_dir)
        for name, folder in self.trees.items():
            if folder.is_dir():
                shutil.copytree(folder, self.backup_dir / name, symlinks=True)
            self._fingerprints[name] = _fingerprint(folder)

    @staticmethod
    def _sqlite_path(db_url: str) -> Path | None:
        prefix = "sqlite:///"
        return Path(db_url[len(prefix):]) if db_url.startswith(prefix) else None

    def protect(self, name: str, folder: Path) -> None:
        """Add a folder produced during the run (e.g. an autograded copy) to the protected set."""
        folder = Path(folder)
        self.trees[name] = folder
        shutil.copytree(folder, self.backup_dir / name, symlinks=True, dirs_exist_ok=True)
        self._fingerprints[name] = _fingerprint(folder)

    def before_student(self, student_id: str) -> None:
        """Copy the gradebook and remember everyone else's grades."""
        if not self.check_gradebook:
            return
        if self.db_path is not None and self.db_path.exists():
            shutil.copy2(self.db_path, self.backup_dir / "gradebook.before.db")
        self._other_grades = grade_rows(self.db_url, self.course_id, exclude=student_id)

    def after_student(self, student_id: str) -> list[str]:
        """Verify and repair; returns a description of every repair (empty when all is intact)."""
        repairs = []
        for name, folder in self.trees.items():
            expected = self._fingerprints[name]
            current = _fingerprint(folder, known=expected)
            changed = sorted(p for p in expected if p not in current or current[p][1] != expected[p][1])
            added = sorted(set(current) - set(expected))
            for rel in changed:
                target = folder / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(self.backup_dir / name / rel, target)
            for rel in added:
                (folder / rel).unlink()
            if changed or added:
                repairs.append(f"{name}/ was modified ({len(changed)} changed or deleted, {len(added)} added "
                               f"files, e.g. {(changed + added)[0]}); restored from the backup")
        problem = self._gradebook_problem(student_id) if self.check_gradebook else None
        if problem:
            if self.db_path is not None and (self.backup_dir / "gradebook.before.db").exists():
                shutil.copy2(self.backup_dir / "gradebook.before.db", self.db_path)
                repairs.append(f"gradebook {problem}; restored to its state before this student")
            else:
                repairs.append(f"gradebook {problem}; no file backup exists for this database: check it")
        return repairs

    def close(self) -> None:
        """Remove the backups (call once the run is over and every check has passed)."""
        shutil.rmtree(self.backup_dir, ignore_errors=True)

    def _gradebook_problem(self, student_id: str) -> str | None:
        if self.db_path is not None:
            if not self.db_path.exists():
                return "was deleted"
            try:
                with sqlite3.connect(self.db_path) as con:
                    if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                        return "failed SQLite's integrity check"
            except sqlite3.DatabaseError as exc:
                return f"could not be read ({exc})"
        try:
            if grade_rows(self.db_url, self.course_id, exclude=student_id) != self._other_grades:
                return "had its assignments or other students' grades changed"
        except Exception as exc:  # a damaged database raises from deep inside SQLAlchemy
            return f"could not be read ({type(exc).__name__}: {exc})"
        return None
