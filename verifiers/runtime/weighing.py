"""How large a value the candidate made is, found without visiting more of it than
could be sent (an exception's ``args`` and attributes, ``exceptions``; what a returned
iterator yields, ``iterators``), and a short text of one too large to send.

Both run in the candidate's process on what it made: their time is its own, but a
right answer must not run into its timeout for work plain Python never does (the
tests never read the value). Encoded or printed whole, an exception holding a 10,000
by 10,000 grid (one row named 10,000 times) did exactly that (seventeenth and
eighteenth red teams).
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterator
from typing import Any

from . import numpy_arrays, std_values, task_classes
from .failure_text import ShortRepr

_DICT_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.values()), type({}.items()))
_TOO_LARGE = 1 << 62
"""The weight of a value too large to cross at all (a Fraction past its bits)."""


def small(value: object, budget: int) -> bool:
    """Whether ``value`` could be encoded in ``budget`` characters: each value it holds
    counts, each character of a string or byte of bytes, a part it holds twice twice;
    found visiting at most ``budget`` values, so a huge one costs nothing. Types are
    read as they are (``type``), never as an object says it is (a ``__class__``
    property claiming ``dict`` made the builtin's ``__len__`` raise: a red team)."""
    return weight(value, budget) <= budget


def weight(value: object, cap: int) -> int:
    """What ``small`` counts of ``value``, found visiting at most about ``cap`` values:
    past ``cap``, a number over it."""
    total = 0
    stack = [value]
    while stack:
        x = stack.pop()
        total += 1
        sized = _size(x)
        if sized is not None:
            count, items = sized
            total += count
            if total <= cap and items is not None:
                stack.extend(items)
        if total > cap:
            return total
    return total


def _size(x: Any) -> tuple[int, Iterator[Any] | None] | None:
    """How much ``x`` weighs beyond itself, and what it holds (a dict's keys and values
    both), read through the builtin type's own methods; None for a value of one."""
    t = type(x)
    if issubclass(t, str):
        return str.__len__(x), None
    if issubclass(t, (bytes, bytearray)):
        return len(memoryview(x)), None
    if issubclass(t, int):
        return int.bit_length(x) // 4, None
    if issubclass(t, dict):
        return 2 * dict.__len__(x), itertools.chain(dict.keys(x), dict.values(x))
    for kind in (list, tuple, set, frozenset, collections.deque):
        if issubclass(t, kind):
            return kind.__len__(x), kind.__iter__(x)
    if t in _DICT_VIEWS:
        return len(x), iter(x)
    if numpy_arrays.is_array_type(t):  # not yet met (a generator's item): by its type
        return numpy_arrays.weight(x), None
    if task_classes.is_object(x):  # an object of the prompt's classes crosses with what it holds
        return 1, iter([object.__getattribute__(x, "__dict__")])
    try:
        parts = std_values.parts_of(x)
    except Exception:  # noqa: BLE001 - too large to cross (a Fraction past its bits), or not one after all
        return _TOO_LARGE, None
    if parts is not None:  # a Fraction, a range, a Decimal...: as large as what it crosses as
        return len(parts), iter(parts[1:])
    return None



class _MessageRepr(ShortRepr):
    """The failure notes' short repr, bounded in all it makes (``left`` characters, a
    string's head kept whole up to there: a message's own words are read from its start)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.maxlevel = 4
        self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = self.maxdict = self.maxdeque = 10
        self.maxother = 200
        self.left = limit

    def repr1(self, x: Any, level: int) -> str:
        if self.left <= 0:
            return "..."
        made = super().repr1(x, level)
        self.left -= len(made)
        return made

    def repr_str(self, x: str, level: int) -> str:
        return repr(str.__str__(x)[:max(self.left, 0) + 1])

    def repr_bytearray(self, x: bytearray, level: int) -> str:
        return f"bytearray({self.repr_bytes(bytes(x[:self.maxstring]), level)})"

    def repr_instance(self, x: Any, level: int) -> str:
        # A builtin's own repr is made whole before reprlib cuts it (a dict view of a
        # large dict); a class of the candidate's own prints as its code says.
        if type(x).__module__ == "builtins":
            return f"<{type(x).__name__}>"
        return super().repr_instance(x, level)


def short_text(value: object, limit: int) -> str:
    """``str(value)`` shortened to about ``limit`` characters, never made whole: a string
    is its head, anything else reprlib's short form."""
    if issubclass(type(value), str):
        return str.__str__(value)[:limit]
    return _MessageRepr(limit).repr(value)[:limit]
