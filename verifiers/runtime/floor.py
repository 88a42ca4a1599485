"""Which of the tests' threads talks to the candidate: one at a time, and a call made
while another thread's is in flight is refused.

The channel is one conversation, nested last in, first out: a call the tests send is
answered before anything else the candidate sends, except the calls it makes of the
tests' functions, each answered before the call it is inside. Calls sent by two of
the tests' threads at once read each other's replies: a right answer was the
harness's ``error``, or its own "reply to no call (a forged answer)", and calls back
and forth in two threads could kill the test server (a fifty-third red team).

Such calls are not made one after the other instead. In plain Python they run at the
same time, and tests that call the candidate from several threads are mostly there to
catch an answer unsafe across threads, which taking turns passes: the red team's
counter that reads, sleeps and writes back passed where plain Python fails it every
time. Nor does a call of another thread go to the candidate inside the call in
flight, while the candidate waits on a function of the tests': an answer that holds
a lock of its own across that wait then waits out its time, a timeout plain Python
does not have, and that thread's code and the outermost's would change the one
recursion limit of the process under each other. So a thread's call while another's
is in flight is the harness's ``error`` (``Floor.refuse``): never a pass, never the
candidate's failure. Threads that call one after another are judged as plain Python
judges them.
"""

from __future__ import annotations

import _thread
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

_T = TypeVar("_T")
FRAMES = 1
"""The floor's frames in each crossing of the tests' side, which their recursion would
otherwise pay for (``functions.theirs``): ``take``'s, above the crossing."""
_get_ident = _thread.get_ident
"""Bound at start: tests that replace ``threading.get_ident`` do not reach the channel."""


CONTENDED = "two of the tests' threads called the candidate at once, which does not cross (docs/LIMITS.md)"


class Floor:
    """The right to talk to the candidate, held by one of the tests' threads at a time.
    ``refuse`` ends a call made while another thread holds it (the proxy's harness error)."""

    def __init__(self, refuse: Callable[[str], NoReturn]) -> None:
        self._lock = _thread.allocate_lock()
        self._holder: int | None = None
        self.refuse = refuse

    def take(self, run: Callable[..., _T], *args: Any) -> _T:
        """``run(*args)`` (a crossing) holding the floor: at once where this thread holds
        it already (a call nested in its own) or it is free; refused where another
        thread holds it."""
        me = _get_ident()
        if self._holder == me:
            return run(*args)
        if not self._lock.acquire(False):
            self.refuse(CONTENDED)
        self._holder = me
        try:
            return run(*args)
        finally:
            self._holder = None
            self._lock.release()
