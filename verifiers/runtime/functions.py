"""Functions across the channel. A function the tests pass (a key, a predicate, the
function a decorator wraps) and one the candidate returns (a closure, a decorator's
wrapper, ``make_adder(1)``) each stay in the process that made them and cross as a
handle; the other side gets a stand-in that calls back over the channel, so each runs
where plain Python would run it, with its own state (a counter a closure keeps, the
tests' list a callback appends to).

On the wire (``codec``), ``{"c": [handle, name, qualname, doc]}`` is the sender's own
callable and ``{"g": [handle]}`` one of the receiver's own handed back (a stand-in
passed back arrives as the function it stands for, so ``compose(f, g)`` called again
with its own result makes no chain of stand-ins). Anything callable that does not cross
as a value crosses so: a function, a method, a class, a ``functools.partial``, an object
with a ``__call__``. A handle stays valid for the whole job (a decorator keeps the
function it wraps); each side numbers its own.

How a call of a stand-in crosses: the candidate's function is called by the tests as
the candidate's entry point is (``CandidateProxy._call`` with a target: the same table,
write-back and kept objects). The tests' function is called by the candidate during one
of the tests' calls (``callback``): its arguments and result cross as copies, and a
call the tests' function makes to the candidate meanwhile is served inside it
(``candidate_calls``; ``CandidateProxy._nested_call``). What does not cross that way
is refused rather than shown wrong (docs/LIMITS.md)."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

from .codec import TEXT_LIMIT, CodecError

OWN = "c"
"""The tag of the sender's own callable."""
GIVEN_BACK = "g"
"""The tag of the receiver's own callable, handed back."""
_NAMED = (types.FunctionType, types.BuiltinFunctionType)
_LOCAL = frozenset({"_table", "_handle", "__name__", "__qualname__", "__doc__", "__dict__", "__class__"})
"""A stand-in's own attributes, never the other side's."""
PLUMBING_FRAMES = 8
"""Frames the channel adds to the stack each time a call crosses inside another (five
on either side, with room): a memoized ``fib(300)``, whose tests' function and the
candidate's wrapper call each other 300 deep, must reach the depth plain Python
reaches, not a ``RecursionError`` of ours (``deeper``)."""


def deeper(run: Callable[[], Any]) -> Any:
    """``run()`` with room on the stack for the frames the channel adds under it, so the
    recursion limit counts what plain Python counts."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit + PLUMBING_FRAMES)
    try:
        return run()
    finally:
        sys.setrecursionlimit(limit)


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
        return self._table.call(self._handle, args, kwargs)

    def __repr__(self) -> str:
        return f"<function {getattr(self, '__qualname__', '?')} of the other side>"

    def __copy__(self) -> StandIn:
        return self  # a function is copied as itself (``copy.deepcopy`` of a dict of callbacks)

    def __deepcopy__(self, _memo: Any) -> StandIn:
        return self


class FunctionTable:
    """One side's callables that crossed, by handle, and its stand-ins for the other
    side's (one per handle, so a function handed over twice is one object)."""

    def __init__(self, call: Callable[[int, tuple[Any, ...], dict[str, Any]], Any],
                 attribute: Callable[[int, str, tuple[Any, ...]], Any] | None = None) -> None:
        self.call = call
        self.attribute = attribute
        """Reads (``()``) or sets (``(value,)``) an attribute of the other side's function
        under a handle; None where the other side does not answer for its attributes."""
        self._own: dict[int, Any] = {}
        self._handles: dict[int, int] = {}
        """Each own callable's handle by its id (``_own`` keeps it alive, so no other takes the id)."""
        self._theirs: dict[int, StandIn] = {}

    def encode(self, x: Any) -> dict[str, list[Any]]:
        """``x`` (callable) as it crosses."""
        if type(x) is StandIn and x._table is self:
            return {GIVEN_BACK: [x._handle]}
        handle = self._handles.get(id(x))
        if handle is None:
            handle = self._handles[id(x)] = len(self._own) + 1
            self._own[handle] = x
        return {OWN: [handle, *_names(x)]}

    def decode(self, tag: str, body: list[Any]) -> Any:
        """What ``{tag: body}`` names here: one of ours handed back, or a stand-in for theirs."""
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
        """Our callable under ``handle``, as the other side names it."""
        if type(handle) is not int or handle not in self._own:
            raise CodecError("a call of a function never sent")
        return self._own[handle]


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


def crosses_as_function(x: Any) -> bool:
    """Whether ``x``, which crosses as no value, crosses as a function."""
    return callable(x)
