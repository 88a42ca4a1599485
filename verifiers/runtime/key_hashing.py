"""Building a set or dict from what crossed the channel without a stall no alarm can
reach: hashing and comparing its members are single C calls, so their cost is
weighed before they are made (``refuse_hash_floods_of``), and members that a
subclass's own ``__eq__`` kept apart are refused (``fill_dict``, ``fill_set``).

An object of the task's classes hashed by its class's own code (a frozen dataclass)
is weighed as what it holds, lists and dicts among them: its hash is that code,
which may hash all of it in one C call (``hash(tuple(self.coeffs))``). Sets and dicts
keyed by such objects are filled once a message is in (``deferred_keys``).
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
        raise hash_raised("a dict key", exc) from None
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
        raise hash_raised("a set member", exc) from None
    if len(out) != len(items):
        raise CodecError(_MERGED)


def hash_raised(what: str, exc: Exception) -> CodecError:
    """What is refused where a class of the task's hashed or compared ``what`` and raised."""
    return CodecError(f"{what} whose class's own hash or equality raised {type(exc).__name__}")


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
    steps, as 2^80. ``nodes`` collects the containers weighed. Walked with a stack of
    its own, since an object's state is as deep as the objects it leads to (a chain of
    600 nodes hashed by a loop ran out of frames here: a thirty-fourth red team), and
    a part met again on its own path (a doubly linked node) counts 1 (weighed through,
    it never ended: the same red team)."""
    if not _hashes_its_members(x):
        return _leaf_weight(x)
    memo = {} if memo is None else memo
    known = memo.get(id(x))
    if known is not None:
        return 1 if type(x) is frozenset else known  # a frozenset keeps its hash once made
    memo[id(x)] = 1
    path: list[list[Any]] = [[x, iter(_members(x)), 1]]  # each: the part, its members to go, its weight so far
    while True:
        frame = path[-1]
        for v in frame[1]:
            if not _hashes_its_members(v):
                frame[2] += _leaf_weight(v)
                continue
            known = memo.get(id(v))
            if known is None:
                memo[id(v)] = 1
                path.append([v, iter(_members(v)), 1])
                break
            frame[2] += 1 if type(v) is frozenset else known
        else:
            path.pop()
            memo[id(frame[0])] = frame[2]
            if nodes is not None:
                nodes.append(frame[0])
            if not path:
                return int(frame[2])
            path[-1][2] += frame[2]


def _leaf_weight(x: Any) -> int:
    t = type(x)
    if t is str or t is bytes:
        return 1 + len(x) // 64
    return 1


def _hashes_its_members(x: Any) -> bool:
    """Whether hashing ``x`` may visit what it holds: a tuple or frozenset (a named tuple
    of the task's hashes as a tuple), an object of a class of the task's hashed by its
    own code (weighed as what it holds; one hashed by identity is 1), and a list, set or
    dict such an object may hold (never a key itself)."""
    t = type(x)
    return (t is tuple or t is frozenset or t is list or t is set or isinstance(x, dict)
            or task_classes.is_record(x) or task_classes.hashed_by_value(x))


def _members(x: Any) -> Any:
    """What hashing ``x`` (``_hashes_its_members``) may visit."""
    if task_classes.hashed_by_value(x):
        state = task_classes.state_of(x)
        return () if state is None else list(dict.values(state))
    if isinstance(x, dict):
        return [*dict.keys(x), *dict.values(x)]
    return x


def _own_weight(nodes: list[Any]) -> int:
    """The weight of ``nodes`` counting each once: what the message itself carries."""
    return sum(1 + sum(1 if _hashes_its_members(v) else _weight(v) for v in _members(node))
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

