"""The README's PostgreSQL gradebook, for real: a PostgreSQL server from Debian's packages in a
temporary folder on the loopback address, a small class autograded against it and against the
default SQLite gradebook, and the exported grades compared.

Skipped (with the reason) where PostgreSQL's server programs or psycopg are missing; `.ci/run`
installs both (Debian's ``postgresql``, and ``psycopg[binary]`` in the ``course`` extra: SQLAlchemy 2.1
reads ``postgresql://`` URLs with psycopg 3).
"""
from __future__ import annotations

import csv
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from course_lib.autograde import instructor

from ._a06_submissions import A06_SUBMISSIONS
from ._course import SOLUTIONS, read_notebooks, replace_cell, scratch_course, submit

pytestmark = pytest.mark.slow

A = "a06_gans"


def _server_bin() -> Path | None:
    """The folder of initdb and pg_ctl: Debian keeps them in /usr/lib/postgresql/<version>/bin."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(folder, "initdb"), os.X_OK):
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    """A throw-away server: initdb with trust authentication, listening on 127.0.0.1 only."""
    pytest.importorskip("psycopg", reason="psycopg (psycopg[binary]) is not installed")
    bin_dir = _server_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL's server programs (Debian package postgresql) are not installed")
    # not under pytest's base folder, which only the current user may enter
    folder = Path(tempfile.mkdtemp(prefix="dgm-postgres-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    run_as = []
    if os.geteuid() == 0:  # the server refuses to run as root: use Debian's postgres account
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server")
        for p in (folder, sockets):
            os.chown(p, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def pg(*args):
        done = subprocess.run(run_as + [str(bin_dir / args[0]), *args[1:]], capture_output=True, text=True,
                              timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stdout[-800:]} {done.stderr[-800:]}")
        return done

    pg("initdb", "-D", str(data), "-A", "trust", "-U", "grader", "--no-sync")
    pg("pg_ctl", "-D", str(data), "-l", str(folder / "server.log"), "-w", "-o",
       f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    try:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=port, user="grader", dbname="postgres", autocommit=True) as con:
            con.execute("CREATE DATABASE dgm")
        yield f"postgresql://grader@127.0.0.1:{port}/dgm"
    finally:
        pg("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _grade_class(tmp: Path, db_url: str | None) -> tuple[list[list[str]], dict]:
    """Release a06, submit a correct and a wrong notebook, autograde, export: the CSV rows."""
    tmp.mkdir()
    root = scratch_course(tmp)
    overrides = {"Execute": {"timeout": 15}}
    if db_url is not None:
        overrides["CourseDirectory"] = {"db_url": db_url}
    api = instructor.make_api(root, overrides)
    instructor.release_all(api, [A])
    (name, solution), = read_notebooks(SOLUTIONS / A).items()
    submit(root, "ann", A, {name: solution})
    wrong = solution
    for answer, source in A06_SUBMISSIONS[A, "wrong"][0]:
        wrong = replace_cell(wrong, answer, source)
    submit(root, "bob", A, {name: wrong})
    results = {r.student_id: r for r in instructor.autograde_class(api, A, progress=False)}
    path = instructor.export_grades(api, root / "grading" / "grades.csv")
    with path.open() as f:
        return list(csv.reader(f)), results


def test_a_postgresql_gradebook_gives_the_same_grades_as_sqlite(postgres, tmp_path):
    rows_pg, results_pg = _grade_class(tmp_path / "pg", postgres)
    rows_sqlite, results_sqlite = _grade_class(tmp_path / "sqlite", None)
    assert rows_pg == rows_sqlite, (rows_pg, rows_sqlite)
    assert [r[1] for r in rows_pg[1:]] == ["ann", "bob"]
    for student in ("ann", "bob"):
        pg, lite = results_pg[student], results_sqlite[student]
        assert pg.status == lite.status == "graded", (pg.problems, lite.problems)
        assert [(c.cell, c.score, c.reason) for c in pg.cells] == [(c.cell, c.score, c.reason) for c in lite.cells]
    lost = {c.cell for c in results_pg["bob"].cells if c.score < c.max_score and not c.pending}
    assert lost == A06_SUBMISSIONS[A, "wrong"][1]
    # the grades really live in the server: read them back with psycopg
    import psycopg

    with psycopg.connect(postgres) as con:
        assert con.execute("SELECT count(*) FROM grade").fetchone()[0] > 0
