"""Which of the tests' threads talks to the candidate: one at a time.

The channel is one conversation. A call the tests send is answered before anything
else the candidate sends, except the calls it makes of the tests' functions, which
nest inside it. In plain Python, threads of the tests' may call the candidate at once
(``ThreadPoolExecutor(4).map(candidate, xs)``); here two calls sent at once read each
other's replies, and a right answer was the harness's ``error`` or, worse, its own
"reply to no call (a forged answer)".

So the tests' side holds the floor while it talks: a thread sends a call and reads
until its reply holding it, and another thread's call waits its turn (``take``). While
the candidate waits on a function of the tests' it called, that function runs without
the floor (``given_up``): a call another thread makes meanwhile goes to the candidate
inside the call in progress, as one the function itself makes does, and the function
takes the floor back before its answer is sent. A thread of the tests' that waits on
another's call while holding the floor waits out the job's time, as the candidate's
own threads do (docs/LIMITS.md).

Calls taking turns cannot race in the candidate's code: a candidate that is not safe
across threads passes tests that catch it only by a race, which plain Python's lock
around the interpreter makes rare too.
"""

from __future__ import annotations

import _thread
from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")
FRAMES = 2
"""The floor's frames in each crossing of the tests' side, which their recursion would
otherwise pay for (``functions.theirs``): ``take``'s, above the crossing, and
``given_up``'s, below the tests' function it runs."""
_get_ident = _thread.get_ident
"""Bound at start: tests that replace ``threading.get_ident`` do not reach the channel."""


class Floor:
    """The right to talk to the candidate, held by one of the tests' threads at a time."""

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._holder: int | None = None

    def take(self, run: Callable[..., _T], *args: Any) -> _T:
        """``run(*args)`` holding the floor: at once where this thread holds it already,
        else once the thread that holds it has its reply or has given it up."""
        me = _get_ident()
        if self._holder == me:
            return run(*args)
        self._lock.acquire()
        self._holder = me
        try:
            return run(*args)
        finally:
            self._let_go(me)

    def given_up(self, run: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """``run(*args, **kwargs)`` (a function of the tests' that the candidate called)
        without the floor, taken back when it returns or raises."""
        me = _get_ident()
        if self._holder != me:
            return run(*args, **kwargs)
        self._let_go(me)
        try:
            return run(*args, **kwargs)
        finally:
            self._lock.acquire()
            self._holder = me

    def _let_go(self, me: int) -> None:
        # Only what this thread holds: a wait to take it back cut short (the job's time
        # ran out in it) left it held by another thread, or by none.
        if self._holder == me:
            self._holder = None
            self._lock.release()
