"""A Python worker process that never runs the caller's main script.

multiprocessing's ``spawn`` starts a child that imports the parent's ``__main__`` by
path before it runs anything, so a user's script that calls ``bestofn.verify`` or
``solve`` without an ``if __name__ == "__main__":`` guard ran its whole body again in
every worker. Measured: each syntax and mypy worker died starting (every candidate of
a 40-candidate verify got ``error``), and over HumanEval's 164 tasks the run hung for
good: the input-drawing child, busy re-running the script, never read the task list
its parent was blocked writing to it.

Here the child is a fresh interpreter (``python -P -c``) that imports only this module;
the parent's ``sys.path`` and then the pickled ``target`` and its arguments come over
a socket pair. ``target(*args, conn)`` gets the connection when ``with_connection``;
otherwise the child ends as soon as its parent's end of the socket closes (the parent
died or closed it); with it, within half a second of its parent's death. So no worker
outlives the run. Ctrl-C is the parent's to handle:
the child ignores SIGINT.

``cwd`` starts the child in another directory (a checker's empty one:
``verifiers.guarded``), its temporary files there too; what the caller's working
directory meant is kept for it: a relative ``sys.path`` entry (``''`` is that
directory) and the relative cache and search paths in ``CWD_VARIABLES`` are made
absolute against it.
"""

from __future__ import annotations

import dataclasses
import multiprocessing.connection
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tasks.types import Task

_ROOT = str(Path(__file__).resolve().parents[1])
"""Where ``verifiers`` is imported from, for the child's first import."""
_BOOT = "import sys; from verifiers.worker_process import _child; _child(int(sys.argv[1]), int(sys.argv[2]))"
CWD_VARIABLES = ("BESTOFN_CACHE", "XDG_CACHE_HOME", "HYPOTHESIS_STORAGE_DIRECTORY", "MYPYPATH", "TMPDIR")
"""Environment paths read relative to the working directory."""


def _absolute(path: str, here: str) -> str:
    return path if os.path.isabs(path) else os.path.join(here, path)


def _anchored_environment(here: str) -> dict[str, str]:
    env = dict(os.environ)
    for variable in CWD_VARIABLES:
        if env.get(variable):
            env[variable] = os.pathsep.join(_absolute(part, here) if part else part
                                            for part in env[variable].split(os.pathsep))
    return env


class WorkerProcess:
    """A child running ``target(*args)`` (``conn`` appended when ``with_connection``);
    ``conn`` is the parent's end of the socket."""

    def __init__(self, target: Callable[..., object], args: Sequence[object], *,
                 with_connection: bool = False, cwd: str | None = None) -> None:
        ours, theirs = socket.socketpair()
        here = os.getcwd()
        env = _anchored_environment(here) if cwd is not None else dict(os.environ)
        if cwd is not None:
            # Its temporary files (mypy's private cache) go there too, so the parent removes
            # them with it, also when it had to kill the worker (red team: 3.9 MB a run left).
            env["TMPDIR"] = cwd
        env["PYTHONPATH"] = os.pathsep.join(
            [_ROOT, *(_absolute(p, here) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p)])
        try:
            # -P: the working directory is not put first on its path, where a user's
            # ``tasks.py`` or ``typing.py`` shadowed ours (red team).
            self._popen = subprocess.Popen([sys.executable, "-P", "-c", _BOOT, str(theirs.fileno()),
                                            str(os.getpid())],
                                           pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL,
                                           cwd=cwd)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.conn = multiprocessing.connection.Connection(ours.detach())
        try:
            self.conn.send([_absolute(entry, here) for entry in sys.path])
            self.conn.send((target, tuple(args), with_connection))
        except OSError:
            pass  # it died at once: is_alive() and exitcode say so

    @property
    def exitcode(self) -> int | None:
        """None while running; negative: killed by that signal (as multiprocessing has it)."""
        return self._popen.poll()

    def is_alive(self) -> bool:
        return self._popen.poll() is None

    def kill(self) -> None:
        if self.is_alive():
            self._popen.kill()

    def join(self, timeout: float | None = None) -> None:
        try:
            self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    def close(self, timeout: float = 5.0) -> None:
        """Kill the child if it still runs, reap it, close our end."""
        self.kill()
        self.join(timeout)
        self.conn.close()


def plain_task(task: Task) -> Task:
    """``task`` as the base ``Task``: a subclass defined in the caller's script could not
    be read back in the worker, which never imports that script (red team)."""
    return task if type(task) is Task else Task(**{f.name: getattr(task, f.name) for f in dataclasses.fields(Task)})


def _child(fd: int, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = multiprocessing.connection.Connection(fd)
    paths: list[str] = conn.recv()
    sys.path[:] = paths  # the parent's path exactly, as multiprocessing's spawn had it
    target: Callable[..., Any]
    target, args, with_connection = conn.recv()
    if with_connection:
        # The target owns the connection, so the parent's death is seen another way:
        # a check running when the parent was SIGKILLed ran on until it ended (red team).
        threading.Thread(target=_end_when_orphaned, args=(parent,), daemon=True).start()
        target(*args, conn)
        return
    threading.Thread(target=_end_with_parent, args=(conn,), daemon=True).start()
    target(*args)


ORPHAN_POLL_SECONDS = 0.5


def _end_when_orphaned(parent: int) -> None:
    """Ends the process once its parent is gone (it is then another process's child)."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_POLL_SECONDS)
    os._exit(0)


def _end_with_parent(conn: multiprocessing.connection.Connection) -> None:
    try:
        conn.recv()
    except (EOFError, OSError):
        pass
    os._exit(0)
