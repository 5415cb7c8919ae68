"""The README's PostgreSQL gradebook, for real: a PostgreSQL server from Debian's packages in a
temporary folder on the loopback address; a simulated class (tests/_simulated_class.py) graded
with `dgm-instructor` against the default SQLite gradebook, against PostgreSQL with two
workers, and against PostgreSQL by two shards at once (two processes, as two machines would);
the exported grades and every cell's score and reason compared.

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
import sys
import tempfile
from pathlib import Path

import pytest


from ._course import scratch_course
from ._simulated_class import simulate_class

pytestmark = pytest.mark.slow

A = "a01_probability_kde"
N_STUDENTS = 6


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

        def database(name: str) -> str:
            """The URL of database ``name`` on the server, created on first use."""
            if name not in created:
                with psycopg.connect(host="127.0.0.1", port=port, user="grader", dbname="postgres",
                                     autocommit=True) as con:
                    con.execute(f"CREATE DATABASE {name}")
                created.add(name)
            return f"postgresql://grader@127.0.0.1:{port}/{name}"

        created: set[str] = set()
        yield database
    finally:
        pg("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _course(tmp: Path, name: str, db_url: str | None) -> Path:
    """A scratch course with the simulated class; the gradebook set in nbgrader_config.py as
    the README says (the line an instructor adds)."""
    (tmp / name).mkdir()
    root = scratch_course(tmp / name)
    simulate_class(root, A, N_STUDENTS, seed=5)
    if db_url is not None:
        with (root / "nbgrader_config.py").open("a") as f:
            f.write(f'\nc.CourseDirectory.db_url = "{db_url}"\n')
    return root


def _cli(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "course_lib.autograde.instructor", "--root", str(root),
                             "--timeout", "10", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(*processes: subprocess.Popen) -> None:
    for p in processes:
        out, _ = p.communicate(timeout=600)
        assert p.returncode in (0, 1), out[-3000:]  # 1: some student failed (the crash), by design


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


def _cell_rows(root: Path) -> list[list[str]]:
    """Every student's per-cell rows, from one report or from the shards' reports together."""
    files = sorted((root / "grading" / "reports").glob(f"{A}*_cells.csv"))
    rows = [row for path in files for row in _rows(path)[1:]]
    return sorted(rows)


def test_a_shared_postgresql_gradebook_gives_sqlites_grades_with_workers_and_shards(postgres, tmp_path):
    # the reference: SQLite, one student at a time
    sqlite = _course(tmp_path, "sqlite", None)
    _finish(_cli(sqlite, "grade", A))
    # PostgreSQL, two workers on one machine
    pg_workers = _course(tmp_path, "pg_workers", postgres("workers"))
    _finish(_cli(pg_workers, "grade", A, "--workers", "2"))
    # PostgreSQL, two "machines" (processes) grading one shard each at the same time into one
    # gradebook; then both export
    pg_shards = _course(tmp_path, "pg_shards", postgres("shards"))
    _finish(_cli(pg_shards, "release", A))  # record the assignment once, before the graders start
    _finish(_cli(pg_shards, "grade", A, "--shard", "0/2"), _cli(pg_shards, "grade", A, "--shard", "1/2"))
    _finish(_cli(pg_shards, "export"))

    expected_grades = _rows(sqlite / "grading" / "grades.csv")
    assert len(expected_grades) == N_STUDENTS + 1
    assert _rows(pg_workers / "grading" / "grades.csv") == expected_grades
    assert _rows(pg_shards / "grading" / "grades.csv") == expected_grades
    expected_cells = _cell_rows(sqlite)
    assert {row[0] for row in expected_cells} == {f"s{i:04d}" for i in range(N_STUDENTS)}
    assert _cell_rows(pg_workers) == expected_cells
    assert _cell_rows(pg_shards) == expected_cells
    # the grades really live in the servers' databases: read them back with psycopg
    import psycopg

    for db in ("workers", "shards"):
        with psycopg.connect(postgres(db)) as con:
            assert con.execute("SELECT count(DISTINCT student_id) FROM submitted_assignment").fetchone()[0] == N_STUDENTS
