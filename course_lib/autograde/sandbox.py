"""Grading kernels in a sandbox: a submission sees only what its notebook needs.

Each grading kernel is started inside `bubblewrap <https://github.com/containers/bubblewrap>`_
(``bwrap``, Debian package ``bubblewrap``) with

- a read-only view of the system, the Python environment, ``course_lib`` and the data folders
  (``$DGM_DATA_DIR``, ``$DGM_CACHE_DIR``) — and nothing else of the course: not ``solutions/``,
  the gradebook, the source-with-tests copies, nor other students' submissions or grades;
- a private, writable copy of its own working folder (what it writes there is thrown away),
  and an empty ``/tmp`` as its home;
- no network (a namespace with only its own loopback: not even a gradebook server on the
  grader's 127.0.0.1 is reachable), and its own process tree, which is killed with the kernel
  (``--unshare-pid``, ``--die-with-parent``): a background process cannot outlive grading.

The kernel talks to the grader over Unix sockets (ZeroMQ's ``ipc`` transport) in a private
folder, since TCP on the grader's loopback is unreachable from inside.

Where bubblewrap is missing or cannot create namespaces (macOS, some locked-down containers),
:func:`sandbox_problem` says why, the grader warns once, loudly, and kernels run unsandboxed:
:class:`course_lib.autograde.safeguards.CourseGuard` (on in both cases) then restores damage
after the fact.
"""
from __future__ import annotations

import functools
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbgrader.preprocessors import Execute

from ..data.idx import CACHE_DIR_ENV, DATA_DIR_ENV, cache_root

__all__ = ["SandboxedKernelManager", "SandboxedExecute", "sandbox_problem", "warn_if_unsandboxed"]

# System folders every process needs, read-only (those missing on this machine are skipped).
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/opt", "/sys")
_PROBE_TIMEOUT_S = 20


@functools.lru_cache(maxsize=None)
def sandbox_problem() -> str | None:
    """Why grading kernels cannot be sandboxed on this machine, or None when they can."""
    if os.environ.get("DGM_NO_SANDBOX"):
        return "DGM_NO_SANDBOX is set"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return ("bubblewrap (bwrap) is not installed; on Debian/Ubuntu: apt-get install bubblewrap "
                "(it needs Linux)")
    probe = [bwrap, *_namespace_args(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=_PROBE_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not be run ({exc})"
    if done.returncode != 0:
        return f"bwrap cannot create namespaces here: {done.stderr.strip() or done.returncode}"
    return None


_warned: list[str] = []  # the problem, once it has been reported in this process


def warn_if_unsandboxed() -> bool:
    """True when kernels are sandboxed; otherwise warn (once per process, on stderr) and False."""
    problem = sandbox_problem()
    if problem is not None and not _warned:
        _warned.append(problem)
        message = (f"GRADING KERNELS ARE NOT SANDBOXED: {problem}. Student code runs with your "
                   "permissions and can read the solutions; damage is restored after each student "
                   "(backup-and-verify), not prevented, and students are graded one at a time.")
        print(f"\n{'!' * 80}\n{message}\n{'!' * 80}\n", file=sys.stderr, flush=True)
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    return problem is None


def _namespace_args() -> list[str]:
    return ["--unshare-all", "--die-with-parent", "--hostname", "grading"]


def _readable_folders(workdir: Path) -> list[Path]:
    """Host folders the kernel reads: the system, this Python (its prefixes and user site),
    course_lib itself and the data folders named in the environment — except any folder that
    holds ``workdir``, which would show the whole course (e.g. a course kept under /opt, or
    ``DGM_DATA_DIR`` set to the course root)."""
    import site

    import course_lib

    folders = [Path(p) for p in _SYSTEM]
    folders += [Path(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}]
    folders.append(Path(site.getusersitepackages()))
    folders.append(Path(course_lib.__file__).parent)
    if os.environ.get(DATA_DIR_ENV):
        folders.append(Path(os.environ[DATA_DIR_ENV]).expanduser())
    folders.append(cache_root())
    return [f for f in folders if f.exists() and not workdir.is_relative_to(f.resolve())]


def bwrap_args(workdir: Path, scratch: Path, private: Path) -> list[str]:
    """The ``bwrap`` command line (up to the kernel command) for a kernel that runs in
    ``workdir``, sees ``scratch`` (a copy of ``workdir``) in its place, and talks through
    sockets in ``private``."""
    # /tmp first: binds made before it would be hidden under the tmpfs (a virtual environment
    # under /tmp, as in a CI checkout)
    args = ["bwrap", *_namespace_args(), "--tmpfs", "/tmp", "--dir", "/tmp/home"]
    for folder in _readable_folders(workdir):
        if folder.is_symlink():  # /bin -> usr/bin on merged-/usr systems
            args += ["--symlink", os.readlink(folder), str(folder)]
        else:
            real = folder.resolve()
            args += ["--ro-bind", str(real), str(real)]
            if str(real) != str(folder):
                args += ["--symlink", str(real), str(folder)]
    # No JPY_PARENT_PID: inside its PID namespace the kernel's parent is bwrap's init (pid 1),
    # which ipykernel would take for "the grader has exited"; --die-with-parent covers that.
    args += ["--unsetenv", "JPY_PARENT_PID",
             "--proc", "/proc", "--dev", "/dev",
             # NVIDIA's device files, where a GPU grading server has them (--dev is a bare /dev)
             *[arg for device in sorted(glob.glob("/dev/nvidia*")) for arg in ("--dev-bind", device, device)],
             "--bind", str(private), str(private),
             "--bind", str(scratch), str(workdir), "--chdir", str(workdir)]
    return args


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager that starts each kernel inside bubblewrap (see the module docstring);
    without bubblewrap, a plain kernel after a loud warning."""

    _private: Path | None = None

    async def _async_pre_start_kernel(self, **kw):
        if sandbox_problem() is None:
            # Unix sockets in a private folder: TCP on the grader's loopback is unreachable from
            # the kernel's network namespace, and other kernels' connection files stay unseen.
            self._private = Path(tempfile.mkdtemp(prefix="dgm-kernel-"))
            self.transport = "ipc"
            self.connection_file = str(self._private / "kernel.json")
            self.ip = str(self._private / "ipc")
            # Interrupt (a cell's timeout) by a message the kernel acts on inside its namespace.
            self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if self._private is None:
            warn_if_unsandboxed()
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        workdir = Path(kw.get("cwd") or os.getcwd()).resolve()
        scratch = self._private / "work"
        shutil.copytree(workdir, scratch, symlinks=True)
        env = dict(kw.get("env") or os.environ)
        env.update(HOME="/tmp/home", IPYTHONDIR="/tmp/home/.ipython", MPLCONFIGDIR="/tmp/home/.mpl",
                   XDG_CACHE_HOME="/tmp/home/.cache", JUPYTER_RUNTIME_DIR=str(self._private),
                   # the grader's data cache, read-only, wherever the new HOME would move it
                   **{CACHE_DIR_ENV: str(cache_root())})
        # stdout: ipykernel prints a "Ctrl-C will not work" note there when it has no parent pid;
        # the grader reads the kernel's output through its sockets, not its stdout.
        kw = {**kw, "env": env, "cwd": str(self._private), "stdout": subprocess.DEVNULL}
        return await super()._async_launch_kernel(bwrap_args(workdir, scratch, self._private) + list(kernel_cmd), **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        """Also remove the private folder (sockets, the scratch copy of the student's folder)."""
        await super()._async_cleanup_resources(restart=restart)
        if self._private is not None and not restart:
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None

    # AsyncKernelManager binds cleanup_resources to the base class's coroutine, not to the
    # override above; nbclient calls it directly when the kernel has died (a crashing student).
    cleanup_resources = _async_cleanup_resources


class SandboxedExecute(Execute):
    """nbgrader's Execute preprocessor with sandboxed kernels (nbgrader passes its kernel
    manager class explicitly, so it cannot be set from the configuration)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)
