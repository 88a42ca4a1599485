"""The dicts that cross the channel as their own kind: the standard library's exact
``Counter``, ``OrderedDict`` and ``defaultdict`` (tag ``"k"`` in ``codec``), so the
candidate sees what plain Python shows (``k[c] += 1``, ``move_to_end``) and what it
does to them comes back to the tests' own object."""

from __future__ import annotations

import functools
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable
from typing import Any

from .wire_errors import CodecError


DICT_KINDS = frozenset({dict, Counter, OrderedDict, defaultdict})
"""The dicts that cross as themselves (``kind_of``), plain dicts first."""
_FACTORIES: tuple[tuple[str, Any], ...] = (
    ("", None), ("int", int), ("float", float), ("str", str), ("bool", bool), ("bytes", bytes), ("list", list),
    ("dict", dict), ("set", set), ("tuple", tuple), ("frozenset", frozenset))
"""A defaultdict's factories that cross by name (any other makes it a plain dict)."""


def kind_of(x: object) -> str | None:
    """The name a Counter, OrderedDict or defaultdict crosses under, exactly of those
    types: the standard library's own, so none of its methods is anyone's override (a
    subclass of them is read as a plain dict, ``codec._as_plain``: a ninth red team's
    OrderedDict subclass, written back through its own methods, was left rearranged)."""
    t = type(x)
    if t is Counter:
        return "Counter"
    if t is OrderedDict:
        return "OrderedDict"
    if t is defaultdict:
        assert isinstance(x, defaultdict)
        factory = x.default_factory
        for name, made in _FACTORIES:
            if made is factory:
                return f"defaultdict:{name}"
    return None


_MADE_OF_KIND: dict[str, Callable[[], dict[Any, Any]]] = {
    "Counter": Counter, "OrderedDict": OrderedDict,
    **{f"defaultdict:{name}": functools.partial(defaultdict, made) for name, made in _FACTORIES}}


def of_kind(kind: Any) -> dict[Any, Any]:
    """A new, empty dict of a kind ``kind_of`` names; anything else is malformed."""
    made = _MADE_OF_KIND.get(kind) if type(kind) is str else None
    if made is None:
        raise CodecError("unknown kind of dict")
    return made()


def dict_items(x: Any) -> Any:
    """A dict's items in its own order, read through the standard library's C methods (a
    candidate may patch ``Counter``, a Python class, but not ``dict`` or ``OrderedDict``)."""
    return OrderedDict.items(x) if type(x) is OrderedDict else dict.items(x)
