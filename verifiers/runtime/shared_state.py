"""What one call did to the containers both sides of the channel share, and which of
them the candidate still holds when the call is over.

Each call's table (``codec.Shared``) numbers the containers the call touches: those
the candidate kept from earlier calls first, then the arguments', then any the call
made that ended up in them. Both sides number them in the same order, so a change
travels as ``[number, what it holds now]`` (``changes``) and lands on the other
side's own object (``write_back.apply_changes``).

Held containers are what makes several calls one program, as in plain Python: a
candidate that keeps an argument (in a global, a default argument, its returned
value) and changes it during a later call changes the tests' object, and a change
the tests make to it between calls is what the candidate sees next (a fourth red
team: the copy it kept was its own, so a test that checked the first argument after
the second call saw nothing). Only containers the candidate really still reaches
are carried from call to call, so a candidate that keeps nothing costs nothing more.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from .codec import MAX_DEPTH, Shared, encode

MUTABLE = (list, dict, set)
_refcount = sys.getrefcount  # bound at load: the candidate runs in this process and may patch sys


def members(container: Any) -> list[Any]:
    """A container's members as they are now (a dict's items)."""
    return list(container.items()) if type(container) is dict else list(container)


def snapshots(objects: list[Any], start: int = 0) -> dict[int, list[Any]]:
    """What each list, dict and set of the table (from ``start`` on) holds now: the
    members themselves, kept alive, so they are compared by identity."""
    return {i: members(objects[i]) for i in range(start, len(objects)) if type(objects[i]) in MUTABLE}


def changes(shared: Shared, before: dict[int, list[Any]]) -> list[Any]:
    """Each container of ``before`` that no longer holds the same objects, as ``[its
    number, what it holds now]``: a member that is in the table (moved, or changed
    itself), or one of its NaNs, is a reference to it; anything else is a value,
    numbered after the table, so what it shares stays shared (``[[0] * m] * n``: red
    team). Exact: ``1`` made ``1.0`` is a change."""
    changed = []
    for i, old in before.items():
        container = shared.objects[i]
        now = members(container)
        if type(container) is set:
            same = len(now) == len(old) and sorted(map(id, now)) == sorted(map(id, old))
        elif type(container) is dict:
            same = len(now) == len(old) and all(k is j and v is w for (k, v), (j, w) in zip(now, old))
        else:
            same = len(now) == len(old) and all(a is b for a, b in zip(now, old))
        if not same:
            changed.append(i)
    # Encoded after every comparison: a new container met in one is numbered once for all.
    return [[i, _encode_members(shared.objects[i], shared)] for i in changed]


def _encode_members(container: Any, shared: Shared) -> list[Any]:
    if type(container) is dict:
        return [[encode(k, MAX_DEPTH, shared), encode(v, MAX_DEPTH, shared)] for k, v in container.items()]
    return [encode(member, MAX_DEPTH, shared) for member in container]


def held(objects: list[Any]) -> list[int]:
    """The numbers of the table's objects the candidate can still reach, in order: those
    something outside the table refers to (a global, a default argument, a frame the
    candidate keeps), and what they hold of the table.

    Read from reference counts: an object's references from inside the table are
    counted here, and any beyond those and ``objects`` itself come from elsewhere. The
    caller must hold no other reference to the table's objects (the call's arguments
    and returned value already dropped). An object kept only by a cycle the collector
    has yet to free counts as held: carried for nothing, never missed.
    """
    inside = _references_inside(objects)
    base = next(map(_refcount, [object()]))  # a list's reference, counted the way the next line counts
    counts = list(map(_refcount, objects))
    reached = {i for i in range(len(objects)) if counts[i] - base > inside[i]}
    if not reached:
        return []
    index = {id(o): i for i, o in enumerate(objects)}
    stack = list(reached)
    while stack:
        for i in map(index.__getitem__, filter(index.__contains__, map(id, _inner(objects[stack.pop()])))):
            if i not in reached:
                reached.add(i)
                stack.append(i)
    return sorted(reached)


def _references_inside(objects: list[Any]) -> list[int]:
    """How many times each object of the table is a member of one of them."""
    index = {id(o): i for i, o in enumerate(objects)}
    inside = [0] * len(objects)
    # Filtered in C first: an argument of a million ints costs a pass, not a Python loop.
    for container in objects:
        for number in map(index.__getitem__, filter(index.__contains__, map(id, _inner(container)))):
            inside[number] += 1
    return inside


def _inner(x: Any) -> Iterable[Any]:
    t = type(x)
    if t is dict:
        return [*x.keys(), *x.values()]
    if t in (list, tuple, set, frozenset):
        return x  # type: ignore[no-any-return]
    return ()
