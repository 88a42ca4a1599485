"""What a failed test says: the exception, the test line it came from, and what the
candidate's last call returned, each shortened (the values are the candidate's: their
size and their repr's cost are its choice, never the verdict's).
"""

from __future__ import annotations

import itertools
import reprlib
import traceback
from typing import Any

from . import numpy_arrays, task_classes
from .codec import describe
from .dict_kinds import DICT_KINDS, dict_items


_ARRAY_SHOWN = 100
"""Most items of a numpy array a note shows as numpy prints it."""


class ShortRepr(reprlib.Repr):
    """reprlib's short repr, without its sorting of a whole set or dict first (the
    candidate's values: sorting a large one of costly members is time it chose)."""

    def repr1(self, x: Any, level: int) -> str:
        # An object of the task's classes is shown by its attributes, never by its class's
        # own __repr__: a dataclass's prints what the candidate put into it whole, and an
        # object's default one (``<ListNode object at 0x7f...>``) says nothing to whoever
        # reads the note (the strong model, told what failed).
        if task_classes.is_object(x):
            return self._object(x, level)
        if task_classes.is_record(x):
            return type(x).__name__ + self.repr_tuple(x, level)
        # A subclass of a container (a named tuple, a list subclass) is shortened as its
        # plain type: reprlib printed it whole first, and what the candidate put into the
        # tests' list inside a named tuple stalled the test server (an eleventh red team).
        if type(x) not in _SHOWN_AS_THEMSELVES:
            for plain in _PLAIN_CONTAINERS:
                if isinstance(x, plain):
                    return str(getattr(self, "repr_" + plain.__name__)(x, level))
        return super().repr1(x, level)

    def _object(self, x: Any, level: int) -> str:
        name = type(x).__name__
        state = task_classes.state_of(x)
        if state is None or level <= 0:
            return name + "(...)"
        pieces = [f"{k}={self.repr1(v, level - 1)}" for k, v in itertools.islice(dict.items(state), self.maxdict)]
        return f"{name}({', '.join(pieces)}{', ...' if len(state) > self.maxdict else ''})"

    def repr_ndarray(self, x: Any, level: int) -> str:
        # numpy prints an array whole where no axis is longer than twice its edge items: a
        # wrong answer's 2**22 items on axes of 2 took the note seconds, its verdict a
        # timeout (a forty-first red team).
        if numpy_arrays.is_array(x) and x.size > _ARRAY_SHOWN:
            return f"array(<{x.size} items of {x.dtype}, shape {x.shape}>)"
        return self.repr_instance(x, level)

    def repr_bytes(self, x: bytes, level: int) -> str:
        # reprlib printed bytes whole before cutting them (a twelfth red team: 600 KB shared
        # a thousand times over ran a failed test's note past its deadline).
        return repr(x[:self.maxstring]) + ("..." if len(x) > self.maxstring else "")

    def repr_int(self, x: int, level: int) -> str:
        # repr of an int past 4300 digits raises, and is quadratic below that.
        return repr(x) if x.bit_length() <= 256 else f"<an int of {x.bit_length()} bits>"

    def repr_set(self, x: set[Any], level: int) -> str:
        return self._members(x, level, "{", "}") if x else "set()"

    def repr_frozenset(self, x: frozenset[Any], level: int) -> str:
        return self._members(x, level, "frozenset({", "})") if x else "frozenset()"

    def _members(self, x: set[Any] | frozenset[Any], level: int, left: str, right: str) -> str:
        if level <= 0:
            return left + "..." + right
        pieces = [self.repr1(v, level - 1) for v in itertools.islice(x, self.maxset)]
        return left + ", ".join(pieces) + (", ..." if len(x) > self.maxset else "") + right

    def repr_dict(self, x: dict[Any, Any], level: int) -> str:
        if not x or level <= 0:
            return "{}" if not x else "{...}"
        pieces = [f"{self.repr1(k, level - 1)}: {self.repr1(v, level - 1)}"
                  for k, v in itertools.islice(dict_items(x), self.maxdict)]
        return "{" + ", ".join(pieces) + (", ..." if len(x) > self.maxdict else "") + "}"

    # The dicts that cross as themselves (dict_kinds.DICT_KINDS), shortened as dicts are:
    # reprlib has no such methods and builds the whole repr first (a Counter's sorts
    # its counts), so a candidate that filled the tests' Counter with a value cheap to
    # send and costly to print stalled the test server (a tenth red team).
    def repr_Counter(self, x: Any, level: int) -> str:
        return self._of_kind(x, level, "Counter")

    def repr_OrderedDict(self, x: Any, level: int) -> str:
        return self._of_kind(x, level, "OrderedDict")

    def repr_defaultdict(self, x: Any, level: int) -> str:
        return self._of_kind(x, level, "defaultdict")

    def _of_kind(self, x: Any, level: int, name: str) -> str:
        if not isinstance(x, dict):  # another class of that name
            return self.repr_instance(x, level)
        return f"{name}({self.repr_dict(x, level)})"


_PLAIN_CONTAINERS = (dict, list, tuple, frozenset, set)
_SHOWN_AS_THEMSELVES = frozenset(_PLAIN_CONTAINERS) | DICT_KINDS


_SHORT = ShortRepr()
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlevel = 80, 80, 3
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxset = _SHORT.maxfrozenset = _SHORT.maxdict = 10


def last_call_note(last_call: tuple[tuple[Any, ...], dict[str, Any], Any] | None, entry: str) -> str:
    """``; candidate(2) returned 10``: after a failed assertion, what the candidate's last
    call answered (the value an ``assert candidate(x) == y`` compared), shortened."""
    if last_call is None:
        return ""
    args, kwargs, result = last_call
    try:  # a note: it never costs the verdict (a huge int's repr raised and took the test server down)
        shown = [_SHORT.repr(a) for a in args] + [f"{k}={_SHORT.repr(v)}" for k, v in kwargs.items()]
        call = f"{entry}({', '.join(shown)})"
        return f"; the last call, {call[:160]}, returned {_SHORT.repr(result)[:200]}"
    except Exception:  # noqa: BLE001
        return ""


def failure_detail(exc: BaseException, test_source: str) -> str:
    name, text = describe(exc)
    where = ""
    for entry in traceback.extract_tb(exc.__traceback__):
        if entry.filename == "<test>" and entry.lineno:
            lines = test_source.splitlines()
            if 0 < entry.lineno <= len(lines):
                where = f" at test line {entry.lineno}: {lines[entry.lineno - 1].strip()[:200]}"
    return f"{name}: {text}{where}" if text else f"{name}{where}"
