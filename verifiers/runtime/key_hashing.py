"""Building a set or dict from what crossed the channel without a stall no alarm can
reach: hashing and comparing its members are single C calls, so their cost is
weighed before they are made (``refuse_hash_floods_of``), and members that a
subclass's own ``__eq__`` kept apart are refused (``fill_dict``, ``fill_set``).
"""

from __future__ import annotations

from typing import Any

from . import task_classes
from .wire_errors import CodecError


def fill_dict(out: dict[Any, Any], pairs: list[tuple[Any, Any]]) -> None:
    """``out`` (empty) holds ``pairs``: refused where the keys flood one hash, cannot be
    hashed, or are equal (``_MERGED``)."""
    try:
        refuse_hash_floods_of([key for key, _value in pairs])
        for key, value in pairs:
            out[key] = value
    except CodecError:
        raise
    except TypeError:
        raise CodecError("unhashable dict key") from None
    except Exception as exc:  # noqa: BLE001 - the __hash__ or __eq__ of a class of the task's, on what crossed
        raise CodecError(f"a dict key whose class's own hash or equality raised {type(exc).__name__}") from None
    if len(out) != len(pairs):
        raise CodecError(_MERGED)


def fill_set(out: set[Any], items: list[Any]) -> None:
    """``out`` (empty) holds ``items``, refused as ``fill_dict`` refuses keys."""
    try:
        refuse_hash_floods_of(items)
        out.update(items)
    except CodecError:
        raise
    except TypeError:
        raise CodecError("unhashable set element") from None
    except Exception as exc:  # noqa: BLE001 - as in fill_dict
        raise CodecError(f"a set member whose class's own hash or equality raised {type(exc).__name__}") from None
    if len(out) != len(items):
        raise CodecError(_MERGED)


_MERGED = "a set or dict whose members are equal as plain values (a subclass's own __eq__ kept them apart)"
"""A set holding ``1`` and an int subclass's ``1`` (its own ``__eq__`` and ``__hash__``) has
two members; sent as plain values it would arrive as one, and ``== {1}`` passed where
plain Python says False (red team). Such a value cannot cross."""


SAME_HASH_LIMIT = 1000
"""Most set members or dict keys that may share one hash: past that, building the set
is quadratic in C, where no alarm reaches (150,000 ints of one hash wedged the test
server past its deadline: red team). Plain values collide this often only on purpose."""
SAME_HASH_COMPARISONS = 2_000_000
"""Most element comparisons the members sharing a hash may cost to build one set or dict.
Each member is compared with every earlier one of its hash, and comparing two tuples
visits their elements: 1,000 tuples of 2,000 floats, one hash, under the count limit,
took one uninterruptible ``set()`` 8.5 s (red team)."""
_SMALL = 32
"""Up to this many members the comparisons are bounded by the message's size times 16."""


def _weight(x: Any, memo: dict[int, int] | None = None, nodes: list[Any] | None = None) -> int:
    """About how many elements hashing ``x``, or one equality test of it with an
    equal-hash value, visits: its expanded size (a part held twice counts twice), worked
    out once per object (``memo``), so a tuple shared 80 levels deep is weighed in 80
    steps, as 2^80. ``nodes`` collects the tuples and frozensets weighed."""
    t = type(x)
    if _hashes_its_members(x):
        memo = {} if memo is None else memo
        known = memo.get(id(x))
        if known is None:
            known = memo[id(x)] = 1 + sum(_weight(v, memo, nodes) for v in x)
            if nodes is not None:
                nodes.append(x)
        elif t is frozenset:
            return 1  # a frozenset keeps its hash once made
        return known
    if t is str or t is bytes:
        return 1 + len(x) // 64
    return 1


def _hashes_its_members(x: Any) -> bool:
    """Whether hashing ``x`` visits what it holds: a tuple or frozenset (a named tuple of
    the task's hashes as a tuple). An object of the task's classes that is a key is
    hashed by identity (``refuse_hash_floods_of``)."""
    t = type(x)
    return t is tuple or t is frozenset or task_classes.is_record(x)


def _own_weight(nodes: list[Any]) -> int:
    """The weight of ``nodes`` counting each once: what the message itself carries."""
    return sum(1 + sum(1 if _hashes_its_members(v) else _weight(v) for v in node)
               for node in nodes)


HASH_WEIGHT_LIMIT = 100_000_000
"""Most elements hashing a set's members or a dict's keys may visit (about a second of
one uninterruptible C call) where that is more
than ``SHARING_LIMIT`` times what the message carries of them. What crosses by
reference (the tests' own tuple, named 900,000 times inside one member) is small on the
wire and large to hash: one uninterruptible ``hash()`` of it wedged the test server
where the candidate's own tuple subclass hashed cheaply (red team). A large value sent
whole costs about its own size to hash, as it did to send, and is never refused."""
SHARING_LIMIT = 4


def refuse_hash_floods_of(items: list[Any]) -> None:
    if task_classes.keyed_by_value(items):
        # Its hash would be its class's code run on what the candidate sent, and changed
        # by what the candidate changes later in the message, or before the job's undo
        # (a fourteenth red team: stale sets passed a wrong answer; a key whose hash then
        # raised in the undo took the test server down).
        raise CodecError("a set member or dict key hashed by its class's own code")
    memo: dict[int, int] = {}
    nodes: list[Any] = []
    expanded = 0
    for item in items:
        if _hashes_its_members(item):
            # Weighed as expanded (a tuple's hash visits all it holds, shared or not),
            # each shared part weighed once.
            expanded += _weight(item, memo, nodes)
    if expanded > HASH_WEIGHT_LIMIT and expanded > SHARING_LIMIT * _own_weight(nodes):
        raise CodecError("set members or dict keys too costly to hash")
    if len(items) <= _SMALL:
        return
    buckets: dict[int, list[Any]] = {}
    for item in items:
        bucket = buckets.setdefault(hash(item), [])
        bucket.append(item)
        if len(bucket) > SAME_HASH_LIMIT:
            raise CodecError("too many set members or dict keys with one hash")
    cost = 0
    for bucket in buckets.values():
        if len(bucket) > 1:
            cost += len(bucket) * (len(bucket) - 1) // 2 * max(_weight(item, memo) for item in bucket)
            if cost > SAME_HASH_COMPARISONS:
                raise CodecError("set members or dict keys with one hash, too costly to compare")
