"""What a job of the test server leaves of the interpreter, put back or let go when it
ends: the builtins, the interpreter's hooks and settings the tests may change, and the
job's garbage, cycles and all (``test_side``). Each was a way for one task's job to
reach a later one on the slot (the forty-fourth to forty-seventh red teams); what is not
put back is in docs/LIMITS.md."""

from __future__ import annotations

import builtins
import gc
import signal
import sys
import typing
from typing import Any

from .interpreter_settings import restore_decimal

_BUILTINS = dict(vars(builtins))
_NAMES = vars(builtins)
_len, _any = len, any
"""Bound when the server starts: the check of the builtins must not use the builtins it
checks (tests that set ``builtins.any`` made it find nothing changed: a forty-eighth
red team)."""


GARBAGE_SECONDS = 0.2
"""How long the collection after a job may run the finalizers (``__del__``) of what the
job made before each is cut short."""


class _FinalizerCut(BaseException):
    """Raised into a finalizer run past ``GARBAGE_SECONDS``."""


_collecting = False


def _cut_finalizer(_signum: int, _frame: Any) -> None:
    if _collecting:
        raise _FinalizerCut()


def collect_garbage() -> None:
    """Let go of what the job made, cycles and all (the proxy and what it kept, a frame
    and the exception it holds, the tests' functions): left to the collector, a job's
    memory outlived it, and under the server's memory limit a later job failed (tests
    that keep 1.2 GB at module level failed to load at the fifth job; a candidate that
    kept a view of the tests' 3 GB array failed the next candidate's tests: the
    forty-third and forty-fourth red teams). The verdict is made: a finalizer of the
    prompt's classes, run here, is cut short past ``GARBAGE_SECONDS`` and heard by nobody
    (a slow ``__del__`` of a node the candidate linked to itself made a right answer's
    job outlast its deadline: a forty-fifth red team). What survives is frozen out of
    later collections, which look at what a job made alone (about 0.05 ms a job)."""
    global _collecting
    hook = sys.unraisablehook
    sys.unraisablehook = _unheard
    previous = signal.signal(signal.SIGALRM, _cut_finalizer)
    try:
        try:
            _collecting = True
            signal.setitimer(signal.ITIMER_REAL, GARBAGE_SECONDS, 0.01)
            gc.collect()
        finally:
            _collecting = False
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _FinalizerCut:
        pass  # met between two finalizers, after the collection
    finally:
        signal.signal(signal.SIGALRM, previous)
        sys.unraisablehook = hook
    gc.freeze()


def _unheard(_unraisable: Any) -> None:
    """What a finalizer raised during the collection (a cut one's ``_FinalizerCut`` too):
    nobody's, and not written out a million times."""


_GC_THRESHOLD = gc.get_threshold()
_HOOKS = (sys.excepthook, sys.unraisablehook, sys.displayhook)
_GC_CALLBACKS = list(gc.callbacks)
_STREAMS = (sys.stdin, sys.stdout, sys.stderr)
_INT_DIGITS = sys.get_int_max_str_digits()


def restore_interpreter() -> None:
    """What the tests may set of the interpreter's own, as the server began, when a job
    ends: the builtins, tracing and profiling, the hooks and streams, the collector's settings (a task's
    ``gc.set_debug(gc.DEBUG_SAVEALL)`` kept every later job's garbage: a forty-sixth red
    team), and typing's caches, which kept a prompt's class named in an annotation (and
    what the tests set on it: ``Node.table``) past the job (the forty-fifth and
    forty-sixth)."""
    restore_builtins()  # before our own code uses them again: a task's ``builtins.compile`` broke the next task's
    sys.settrace(None)
    sys.setprofile(None)
    sys.excepthook, sys.unraisablehook, sys.displayhook = _HOOKS
    # And what reached a later task's right answer (a forty-seventh red team): the
    # standard streams, the longest int text, decimal's template contexts (each job
    # makes its own current context from them: ``test_side``).
    sys.stdin, sys.stdout, sys.stderr = _STREAMS
    sys.set_int_max_str_digits(_INT_DIGITS)
    restore_decimal()
    gc.enable()
    gc.set_debug(0)
    gc.set_threshold(*_GC_THRESHOLD)
    gc.callbacks[:] = _GC_CALLBACKS
    gc.garbage.clear()
    for clear_cache in vars(typing).get("_cleanups", ()):
        clear_cache()


def restore_builtins() -> None:
    """The builtins the server began with: a task's tests that set ``builtins.print`` to
    a function of theirs reached the next task's (a forty-fourth red team), and our own
    code after the tests, run with theirs, took the server down (``len`` patched: a
    forty-eighth)."""
    names = _NAMES
    if _len(names) != _len(_BUILTINS) or _any(names.get(k) is not v for k, v in _BUILTINS.items()):
        names.clear()
        names.update(_BUILTINS)
