"""The sandbox's command line, its fallback and its clean-up (tests/test_hostile.py
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


@pytest.mark.skipif(sandbox.sandbox_problem() is not None, reason="needs bubblewrap")
def test_a_dead_kernel_leaves_no_private_folder(tmp_path):
    """A submission that kills its kernel (os._exit) must not leave its sockets and its scratch
    copy behind: nbclient then calls only cleanup_resources(), not shutdown_kernel()."""
    import asyncio

    (tmp_path / "answer.ipynb").write_text("{}")

    async def crash_and_clean() -> tuple:
        km = sandbox.SandboxedKernelManager(kernel_name="python3")
        await km.start_kernel(cwd=str(tmp_path))
        private = km._private
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=60)
        kc.execute("import os; os._exit(1)")
        for _ in range(200):
            if not await km.is_alive():
                break
            await asyncio.sleep(0.05)
        alive = await km.is_alive()
        kc.stop_channels()
        await km.cleanup_resources()
        return private, alive

    private, alive = asyncio.run(crash_and_clean())
    assert not alive
    assert private is not None and not private.exists(), sorted(private.rglob("*"))
