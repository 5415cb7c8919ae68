"""The sandbox's command line and its fallback, without starting kernels (tests/test_hostile.py
grades hostile submissions in it)."""
from __future__ import annotations

import pytest

from course_lib.autograde import sandbox


@pytest.fixture
def fresh(monkeypatch):
    """sandbox_problem() is cached per process: clear it around each test."""
    sandbox.sandbox_problem.cache_clear()
    yield monkeypatch
    sandbox.sandbox_problem.cache_clear()


def _binds(args):
    return {args[i + 2] for i, a in enumerate(args) if a in ("--ro-bind", "--bind")}


def test_the_kernel_sees_course_lib_and_the_data_but_not_the_course(tmp_path, monkeypatch):
    course = tmp_path / "course"
    workdir = course / "grading" / "autograded" / "ann" / "a01"
    workdir.mkdir(parents=True)
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("DGM_DATA_DIR", str(data))
    args = sandbox.bwrap_args(workdir, tmp_path / "scratch", tmp_path / "private")
    binds = _binds(args)
    import course_lib

    assert str(data) in binds and any(course_lib.__file__.startswith(b + "/") for b in binds)
    assert not any(str(course).startswith(b) and b != "/" for b in binds - {str(workdir)}), binds
    assert "/" not in binds
    for flag in ("--unshare-all", "--die-with-parent", "--unsetenv"):
        assert flag in args
    assert args[args.index("--chdir") + 1] == str(workdir)
    # a data folder that holds the course would show the solutions: it is left out
    monkeypatch.setenv("DGM_DATA_DIR", str(tmp_path))
    assert str(tmp_path) not in _binds(sandbox.bwrap_args(workdir, tmp_path / "s", tmp_path / "p"))


def test_no_sandbox_is_reported_with_the_reason(fresh):
    fresh.setenv("DGM_NO_SANDBOX", "1")
    assert sandbox.sandbox_problem() == "DGM_NO_SANDBOX is set"
    sandbox.sandbox_problem.cache_clear()
    fresh.delenv("DGM_NO_SANDBOX")
    fresh.setenv("PATH", "/nonexistent")
    assert "bubblewrap (bwrap) is not installed" in sandbox.sandbox_problem()


def test_the_warning_is_loud_and_given_once(fresh, capsys):
    fresh.setenv("DGM_NO_SANDBOX", "1")
    fresh.setattr(sandbox, "_warned", [])
    with pytest.warns(RuntimeWarning, match="NOT SANDBOXED"):
        assert sandbox.warn_if_unsandboxed() is False
    assert "GRADING KERNELS ARE NOT SANDBOXED" in capsys.readouterr().err
    assert sandbox.warn_if_unsandboxed() is False  # no second warning
    assert capsys.readouterr().err == ""
