"""Building a set or dict from what crossed the channel without a stall no alarm can
reach: hashing and comparing its members are single C calls, so their cost is
weighed before they are made (``refuse_hash_floods_of``), and members that a
subclass's own ``__eq__`` kept apart are refused (``fill_dict``, ``fill_set``).

A set member or dict key hashed by its class's own code (a frozen dataclass of the
prompt's, a point in a set of points) is hashed on what its object holds, and an
object's state crosses after the message's values (``codec.encode_states``), its
changes in the message's changes: so a set or dict holding one is filled only once
the whole message is in (``fill_later``, ``fill_pending``), and then every member is
looked up again (``refuse_unfound``): a set made before its members' last change is
stale, and is refused. So is one sent stale (``refuse_stale``): plain Python's set
holds a member where its hash was when it was added, which the other side cannot
know (a fourteenth red team: sets built before the change passed a wrong answer).
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
            known = memo[id(x)] = 1 + sum(_weight(v, memo, nodes) for v in _members(x))
            if nodes is not None:
                nodes.append(x)
        elif t is frozenset:
            return 1  # a frozenset keeps its hash once made
        return known
    if t is str or t is bytes:
        return 1 + len(x) // 64
    return 1


def _hashes_its_members(x: Any) -> bool:
    """Whether hashing ``x`` may visit what it holds: a tuple or frozenset (a named tuple
    of the task's hashes as a tuple), or an object of a class of the task's hashed by its
    own code (weighed as the tuple of what it holds; one hashed by identity is 1)."""
    t = type(x)
    return t is tuple or t is frozenset or task_classes.is_record(x) or task_classes.hashed_by_value(x)


def _members(x: Any) -> Any:
    """What hashing ``x`` (``_hashes_its_members``) may visit."""
    if task_classes.hashed_by_value(x):
        state = task_classes.state_of(x)
        return () if state is None else list(dict.values(state))
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


Pending = list[tuple[Any, list[Any]]]
"""Sets and dicts (with their members, or items as pairs) to fill once a message is in."""


def fill_later(pending: Pending, out: Any, members: list[Any]) -> bool:
    """Whether ``out`` (a set, or a dict of any kind whose ``members`` are its items as
    pairs) is left for ``fill_pending``: its keys hold an object hashed by its class's own
    code, whose state may not have crossed yet. If so it is noted."""
    if not task_classes.any_hashed_by_value():
        return False
    keys = [key for key, _value in members] if isinstance(out, dict) else members
    if not task_classes.keyed_by_value(keys):
        return False
    pending.append((out, members))
    return True


def fill_pending(pending: Pending) -> None:
    """Fill what ``fill_later`` left, now that every object's state is in, in the order
    noted (what a value holds before the value), each emptied first (a changed set of the
    tests' holds what it held until now); then each member must be found where it is."""
    while pending:
        out, members = pending.pop(0)
        out.clear()
        if isinstance(out, dict):
            fill_dict(out, members)
            refuse_unfound(out, [key for key, _value in members])
        else:
            fill_set(out, members)
            refuse_unfound(out, members)


def refuse_unfound(container: Any, keys: list[Any]) -> None:
    """Each of ``keys`` is found in ``container`` (a set, or a dict of any kind) by its hash
    now, or the container is stale and cannot cross: a member whose hash changed since it
    was added (or whose class's hash or equality raises) is found by nothing in plain
    Python, and made again on the other side it would be found."""
    contains = set.__contains__ if type(container) is set else dict.__contains__
    try:
        found = all(contains(container, key) for key in keys)
    except Exception as exc:  # noqa: BLE001 - the __hash__ or __eq__ of a class of the task's
        raise CodecError(f"a set member or dict key whose class's own hash or equality raised "
                         f"{type(exc).__name__}") from None
    if not found:
        raise CodecError("a set member or dict key changed since it was added (its hash is not where it was put)")


def refuse_stale(container: Any) -> None:
    """A set or dict (of any kind) about to be sent whose members include an object
    hashed by its class's own code holds each where its hash is now (``refuse_unfound``)."""
    if not task_classes.any_hashed_by_value():
        return
    keys = list(container) if type(container) is set else list(dict.keys(container))
    if task_classes.keyed_by_value(keys):
        refuse_unfound(container, keys)
