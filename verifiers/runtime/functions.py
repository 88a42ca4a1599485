"""Functions across the channel. A function the tests pass (a key, a predicate, the
function a decorator wraps) and one the candidate returns (a closure, a decorator's
wrapper, ``make_adder(1)``) each stay in the process that made them and cross as a
handle; the other side gets a stand-in that calls back over the channel, so each runs
where plain Python would run it, with its own state (a counter a closure keeps, the
tests' list a callback appends to).

On the wire (``codec``), ``{"c": [handle, name, qualname, doc]}`` is the sender's own
callable, ``{"B": [name]}`` a builtin, ``{"P": [name]}`` a class the prompt defines, and
``{"g": [handle]}`` one of the receiver's own handed back (a stand-in passed back
arrives as the function it stands for, so ``compose(f, g)`` called again with its own
result makes no chain of stand-ins). Anything callable that does not cross as a value
crosses so: a function, a method, a class, a ``functools.partial``, an object with a
``__call__``. A handle stays valid for the whole job (a decorator keeps the function it
wraps); each side numbers its own.

How a call of a stand-in crosses: the candidate's function is called by the tests as the
candidate's entry point is (``CandidateProxy._call`` with a target: the same table,
write-back and kept objects). The tests' function is called by the candidate during one
of the tests' calls (``candidate_calls._Server.callback``), inside that call's table,
kept in step at each crossing (``crossings``); a call the tests' function makes to the
candidate meanwhile is served inside the candidate's wait (``tests_crossings``). The
recursion limit counts the user's frames, not the channel's (``ours``, ``theirs``).
What does not cross is refused rather than shown wrong (docs/LIMITS.md)."""

from __future__ import annotations

import builtins
import sys
import threading
import types
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from . import task_classes
from .codec import HEADROOM, TEXT_LIMIT, CodecError, Shared, decode, encode, restore_recursion_limit
from .shared_table import BUILTIN, GIVEN_BACK, OWN, PROMPT_CLASS

_T = TypeVar("_T")
_BUILTINS_BY_NAME: dict[str, Any] = {name: value for name, value in vars(builtins).items()
                                     if callable(value) and not name.startswith("_")}
_BUILTINS: dict[int, str] = {id(value): name for name, value in _BUILTINS_BY_NAME.items()}
"""Read when this module loads, before any candidate code runs: a candidate that binds
``builtins.int`` to its own function sends that function as its own, not as ``int``."""
_NAMED = (types.FunctionType, types.BuiltinFunctionType)
def _own_ordering(method: str) -> Callable[[Any, Any], tuple[bool, Any]]:
    """The left operand's own ``method`` (``__lt__``...) and nothing else, run where it
    lives: ``(True, result)``, or ``(False, None)`` where it does not answer, so the side
    that asked lets Python try the reflected one there, once (``operator.lt`` tried the
    reflection on the far side, whose stand-in asked back: a thirty-second red team's
    ``fn < g`` crossed back and forth into a ``RecursionError``)."""

    def run(left: Any, right: Any) -> tuple[bool, Any]:
        own = getattr(type(left), method, None)
        answer = own(left, right) if own is not None else NotImplemented
        return (False, None) if answer is NotImplemented else (True, answer)

    return run


_ORDERINGS: dict[str, Callable[[Any, Any], tuple[bool, Any]]] = {
    name: _own_ordering(f"__{name}__") for name in ("lt", "le", "gt", "ge")}
"""The comparisons a stand-in's ``<`` and the like call where the objects live (``compare``)."""
_LOCAL = frozenset({"_table", "_handle", "__name__", "__qualname__", "__doc__", "__dict__", "__class__"})
"""A stand-in's own attributes, never the other side's."""


MAX_CROSSINGS = 2000
"""How deep calls back and forth may nest (a memoizing decorator of the candidate's
around the tests' recursion): each crossing spends C stack in both processes, whatever
the recursion limit (a limit the tests raise reaches the candidate:
``interpreter_settings``). At 8 MB of stack the test server died of it past about 3,700
levels of one-frame functions, the harness's ``error`` on a right answer; each process
may now grow to ``confine.STACK_BYTES``, and past this count it is ``RecursionError``,
as plain Python raises it at its limit."""
THREAD_CROSSINGS = 250
"""The same in any other thread, whose stack stays 8 MB (set when the process began:
a fiftieth red team's recursion through five ``map``s a level, run by the tests in a
thread, killed the test server 1,600 levels down, and a wrong answer's endless one
was the harness's ``error``)."""


def ours(run: Callable[..., _T], *args: Any) -> _T:
    """Run the channel's own part of a call (a stand-in's ``__call__``, the candidate's
    entry point called by the tests) with ``codec.HEADROOM`` frames more than the user's
    code left: it never meets the recursion limit midway, where the two sides' tables
    would part (a twenty-eighth red team's recursion, caught by its tests at the limit,
    was the harness's error). Where it began is kept for ``theirs``."""
    limit = sys.getrecursionlimit()
    entries = _entries()
    if len(entries) >= _local.bound:
        raise RecursionError("maximum recursion depth exceeded in calls back and forth across the channel")
    room = _takeable(limit + HEADROOM)  # at the limit this call raises, before anything below is changed
    entries.append((sys._getframe(), limit))
    before, _local.limit = getattr(_local, "limit", None), limit
    sys.setrecursionlimit(room)
    try:
        return run(*args)
    finally:
        _local.limit = before
        entries.pop()
        restore_recursion_limit(limit)


def with_room(run: Callable[..., _T], *args: Any) -> _T:
    """``ours`` for a call inside which nothing of the user's can be called back (no
    function has crossed yet): the same room, without the record ``theirs`` reads. The
    tests' call of the candidate made a few frames below their recursion limit (a
    recursive test's helper) had none: the reply's reading ran out of frames, a right
    answer's ``bad reply`` or the harness's ``error`` (beside a thirty-eighth red team)."""
    limit = sys.getrecursionlimit()
    # At the very limit this raises RecursionError, where plain Python's call would; and
    # so the limit is set back below at this same depth, where it cannot fail. Set back
    # one frame deeper (``restore_recursion_limit``), a call made at the limit left the
    # tests 260 frames more for the rest of the job (a fortieth red team).
    sys.setrecursionlimit(limit)
    sys.setrecursionlimit(_takeable(limit + HEADROOM))
    before, _local.limit = getattr(_local, "limit", None), limit
    try:
        return run(*args)
    finally:
        _local.limit = before
        sys.setrecursionlimit(limit)


def users_limit() -> int:
    """The user's recursion limit where the channel's code runs now: inside ``ours`` or
    ``with_room``, the limit before the room was made (what the tests' call carries to
    the candidate: ``interpreter_settings``)."""
    limit: int | None = getattr(_local, "limit", None)
    return sys.getrecursionlimit() if limit is None else limit


_LARGEST_LIMIT = (1 << 31) - 1


def _takeable(limit: int) -> int:
    """``limit``, no higher than the interpreter takes (tests that set the limit to
    ``2**31 - 1`` met our ``OverflowError`` when room was made above it: a forty-ninth
    red team)."""
    return min(limit, _LARGEST_LIMIT)


THEIR_FRAMES = 3
"""What a crossing costs the user's recursion on top of the channel's own frames
(``theirs``): its caller's frame and the other side's, which this side cannot see, and
the frame the user's code is called from; measured, so that a decorated recursion meets
``RecursionError`` about where plain Python's does (491 levels of a one-frame wrapper
and a one-frame function under the default limit, plain Python 497, either side's
recursion; ``tests/hostile/test_functions_cross.py``)."""
_SEARCHED = 64
"""How far up the stack ``theirs`` looks for the ``ours`` it runs inside."""


def theirs(run: Callable[[], _T], own_frames: int = 0) -> _T:
    """Run the user's code that the channel calls inside a crossing (the tests' function,
    the candidate's function called from inside it) with the room plain Python would
    leave it: the limit its caller had (at ``ours``), the frames the channel spent since
    not counted. So a chain of calls back and forth (a memoized ``fib`` and the
    candidate's wrapper calling each other) meets ``RecursionError`` about as deep as
    plain Python's, where both sides' frames count against one limit; at that limit it
    is raised here, before the code runs, as plain Python raises it calling the code.
    ``own_frames``: frames more of the channel's in each crossing on this side, beyond
    what ``THEIR_FRAMES`` counts (the tests' side's floor: ``floor.FRAMES``)."""
    entries = _entries()
    if not entries:
        return run()  # not inside a crossing of this thread's (a candidate's own thread)
    entered, limit = entries[-1]
    frame: types.FrameType | None = sys._getframe()
    below = 0
    while frame is not None and frame is not entered and below < _SEARCHED:
        frame, below = frame.f_back, below + 1
    if frame is None or below >= _SEARCHED:
        return run()
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(_takeable(limit + below + THEIR_FRAMES + own_frames))  # too low for this depth: RecursionError
    try:
        return run()
    finally:
        restore_recursion_limit(before)


_local = threading.local()
_get_ident = threading.get_ident
_MAIN_THREAD = _get_ident()
"""Bound when this module loads, in the main thread: tests that patched
``threading.main_thread`` at a thread's first crossing gave the main thread the other
threads' bound for every later task on the server (a fifty-first red team)."""


def _entries() -> list[tuple[types.FrameType, int]]:
    """This thread's crossings in progress: the frame of each ``ours`` and the limit then.
    (Read by walking the frames between, not by the interpreter's own count, which only
    an exception tells: 6 us a call in the channel's loop, a tenth of a call.)"""
    entries: list[tuple[types.FrameType, int]] | None = getattr(_local, "entries", None)
    if entries is None:
        entries = _local.entries = []
        _local.bound = MAX_CROSSINGS if _get_ident() == _MAIN_THREAD else THREAD_CROSSINGS
    return entries


def encode_call(args: tuple[Any, ...], kwargs: dict[str, Any], max_depth: int, shared: Shared
                ) -> tuple[list[Any], dict[str, Any]]:
    """A call that crosses inside another, as it is sent: each argument encoded in the
    call's table, but not the argument list and keyword dict themselves, which nobody
    holds afterwards (numbered, the table would grow by two at each crossing, and a
    recursion 5,000 deep paid for all of them at every one)."""
    return ([encode(value, max_depth, shared) for value in args],
            {str(name): encode(value, max_depth, shared) for name, value in kwargs.items()})


def decode_call(args: Any, kwargs: Any, max_depth: int, shared: Shared) -> tuple[list[Any], dict[str, Any]]:
    """What ``encode_call`` sent, checked."""
    if type(args) is not list or type(kwargs) is not dict:
        raise CodecError("malformed call")
    return ([decode(value, max_depth, shared) for value in args],
            {name: decode(value, max_depth, shared) for name, value in kwargs.items()})


class StandIn:
    """The other side's function, called over the channel by ``call(handle, args, kwargs)``.

    Carries the name, qualified name and docstring the function had (``functools.wraps``
    copies them; a test of a decorator may read ``__name__``). Where the other side
    answers for them (the candidate's functions, ``FunctionTable.attribute``), its other
    attributes are read and set there: a counting decorator's ``wrapper.calls``, a
    memo's ``wrapper.cache``."""

    def __init__(self, table: FunctionTable, handle: int, name: str | None, qualname: str | None,
                 doc: str | None) -> None:
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "_handle", handle)
        if name is not None:
            object.__setattr__(self, "__name__", name)
        if qualname is not None:
            object.__setattr__(self, "__qualname__", qualname)
        object.__setattr__(self, "__doc__", doc)

    def __getattr__(self, name: str) -> Any:
        table = self.__dict__.get("_table")
        if table is None or table.attribute is None or name in _LOCAL:
            raise AttributeError(name)
        return table.attribute(self.__dict__["_handle"], name, ())

    def __setattr__(self, name: str, value: Any) -> None:
        if self._table.attribute is None or name in _LOCAL:
            object.__setattr__(self, name, value)
        else:
            self._table.attribute(self._handle, name, (value,))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        table = self._table
        if table.turn is not None:
            return table.turn(ours, table.call, self._handle, args, kwargs)
        return ours(table.call, self._handle, args, kwargs)

    def __repr__(self) -> str:
        return f"<function {getattr(self, '__qualname__', '?')} of the other side>"

    def __lt__(self, other: Any) -> Any:
        return self._table.compare("lt", self, other)

    def __le__(self, other: Any) -> Any:
        return self._table.compare("le", self, other)

    def __gt__(self, other: Any) -> Any:
        return self._table.compare("gt", self, other)

    def __ge__(self, other: Any) -> Any:
        return self._table.compare("ge", self, other)

    def __copy__(self) -> StandIn:
        return self  # a function is copied as itself (``copy.deepcopy`` of a dict of callbacks)

    def __deepcopy__(self, _memo: Any) -> StandIn:
        return self


class FunctionTable:
    """One side's callables that crossed, by handle, and its stand-ins for the other
    side's (one per handle, so a function handed over twice is one object)."""

    def __init__(self, call: Callable[[int, tuple[Any, ...], dict[str, Any]], Any],
                 attribute: Callable[[int, str, tuple[Any, ...]], Any] | None = None, weak: bool = False) -> None:
        self.call = call
        self.attribute = attribute
        """Reads (``()``) or sets (``(value,)``) an attribute of the other side's function
        under a handle; None where the other side does not answer for its attributes."""
        self.ordered: Callable[[str, tuple[Any, ...], dict[str, Any]], Any] | None = None
        """Calls the other side's ordering comparison by name (``compare``), where set."""
        self.turn: Callable[..., Any] | None = None
        """Runs a call of a stand-in if this thread may talk to the other side, where set:
        the tests' side, where a thread may not while another's call is in flight
        (``floor.Floor.take``)."""
        self._own: dict[int, Any] = {}
        self._handles: dict[Any, int] = {}
        """Each own callable's handle by its identity (``_identity``; ``_own`` keeps it
        alive, so no other takes its id)."""
        self.crossed = False
        """Whether any function has crossed either way yet (the tests' side skips ``ours``
        on its calls until then: nothing of theirs can be called back)."""
        self._theirs: weakref.WeakValueDictionary[int, StandIn] | dict[int, StandIn] = \
            weakref.WeakValueDictionary() if weak else {}
        """The stand-ins the other side's functions have here. The tests' side holds them
        only while something else does (``weak``): a candidate returning thousands of
        functions a call must not grow the tests' process past what plain Python holds (a
        twenty-eighth red team: 2.4 GB). The candidate's side holds them for the job, as
        the tests hold what they passed: a cache keyed by the tests' function
        (``WeakKeyDictionary``, ``id(fn)``) keeps its entry between calls (a twenty-ninth
        red team)."""

    def encode(self, x: Any) -> dict[str, list[Any]]:
        """``x`` (callable) as it crosses."""
        self.crossed = True
        if type(x) is StandIn and x._table is self:
            return {GIVEN_BACK: [x._handle]}
        name = _BUILTINS.get(id(x))
        if name is not None:
            return {BUILTIN: [name]}
        name = task_classes.class_name(x)
        if name is not None:
            return {PROMPT_CLASS: [name]}
        key = _identity(x)
        handle = self._handles.get(key)
        if handle is None:
            handle = self._handles[key] = len(self._own) + 1
            self._own[handle] = x
        return {OWN: [handle, *_names(x)]}

    def decode(self, tag: str, body: list[Any]) -> Any:
        """What ``{tag: body}`` names here: one of ours handed back, a builtin, or a stand-in for theirs."""
        self.crossed = True
        if tag == BUILTIN:
            if len(body) != 1 or type(body[0]) is not str or body[0] not in _BUILTINS_BY_NAME:
                raise CodecError("no builtin of that name")
            return _BUILTINS_BY_NAME[body[0]]
        if tag == PROMPT_CLASS:
            cls = task_classes.class_named(body[0]) if len(body) == 1 else None
            if cls is None:
                raise CodecError("no class of the task's of that name")
            return cls
        if tag == GIVEN_BACK:
            if len(body) != 1 or type(body[0]) is not int or body[0] not in self._own:
                raise CodecError("a function handed back that was never sent")
            return self._own[body[0]]
        if len(body) != 4 or type(body[0]) is not int or body[0] <= 0 \
                or any(part is not None and (type(part) is not str or len(part) > TEXT_LIMIT) for part in body[1:]):
            raise CodecError("malformed function")
        handle = body[0]
        stand_in = self._theirs.get(handle)
        if stand_in is None:
            stand_in = self._theirs[handle] = StandIn(self, handle, body[1], body[2], body[3])
        return stand_in

    def own(self, handle: Any) -> Any:
        """Our callable under ``handle``, as the other side names it: one we sent, or one of
        the ordering comparisons (``compare``)."""
        if type(handle) is str and handle in _ORDERINGS:
            return _ORDERINGS[handle]
        if type(handle) is not int or handle not in self._own:
            raise CodecError("a call of a function never sent")
        return self._own[handle]

    @property
    def holds_theirs(self) -> bool:
        """Whether any of the other side's functions is held here (as a stand-in)."""
        return bool(self._theirs)

    def compare(self, name: str, left: Any, right: Any) -> Any:
        """``left < right`` (or ``<=``, ``>``, ``>=``) where one is a stand-in: made where
        the objects live, as a call of the other side's comparison (what the tests'
        ``functools.cmp_to_key(cmp)`` makes of each item is callable, so it crosses as a
        stand-in, and ``sorted`` compares those: a thirtieth red team). Where ``ordered``
        is set: either side calls the other's comparison of the objects it holds."""
        if self.ordered is None:
            return NotImplemented
        answered = self.ordered(name, (left, right), {})
        if type(answered) is not tuple or len(answered) != 2 or type(answered[0]) is not bool:
            raise TypeError("a comparison's answer did not cross")
        return answered[1] if answered[0] else NotImplemented


def _identity(x: Any) -> Any:
    """What tells one callable from another: a bound method by what it binds and to what
    (``o.m`` is a new object at each reading, and equal to the last: a listener removed
    by ``off(o.m)`` must be the one ``on(o.m)`` added, a twenty-eighth red team); any
    other by itself."""
    if type(x) is types.MethodType:
        return id(x.__self__), id(x.__func__)
    if type(x) is types.BuiltinMethodType and x.__self__ is not None and not isinstance(x.__self__, types.ModuleType) \
            or type(x) is types.MethodWrapperType:
        # ``xs.append``, ``xs.__contains__``: new at each reading. Not a static method's
        # (``str.maketrans`` and ``bytes.maketrans`` both bind None: a thirtieth red team).
        return id(x.__self__), x.__name__
    return id(x)


def _names(x: Any) -> list[str | None]:
    """A function's ``__name__``, ``__qualname__`` and ``__doc__``, each a plain string of
    bounded length or None; read only from the kinds whose attributes run no code of
    anyone's (a function's, a builtin's, a plain class's name; not a class's docstring,
    which may be a descriptor, nor a method's, read through what it wraps)."""
    attributes = ("__name__", "__qualname__", "__doc__") if type(x) in _NAMED \
        else ("__name__", "__qualname__") if type(x) is type else ()
    parts = [getattr(x, attribute, None) for attribute in attributes]
    parts += [None] * (3 - len(parts))
    return [part[:TEXT_LIMIT] if type(part) is str else None for part in parts]
