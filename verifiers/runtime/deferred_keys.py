"""Sets and dicts keyed by objects hashed by their class's own code, filled once a
message is in.

A set member or dict key hashed by its class's own code (a frozen dataclass of the
prompt's, a point in a set of points) is hashed on what its object holds, and an
object's state crosses after the message's values (``codec.encode_states``), its
changes in the message's changes: so a set or dict holding one is filled only once
the whole message is in (``fill_later``, ``fill_pending``), and then every member is
looked up again: a set made before a member's last change is stale. A key's hash may
read another such set (a shape hashed on its set of points), so they are filled
again until every member of every one is found where its hash is (a thirty-fourth
red team: filled in the order noted, a set of shapes was hashed on empty sets of
points, and passed a wrong answer). One sent stale is refused by the side that sends
it (``refuse_stale``): plain Python's set holds a member where its hash was when it was
added, which the other side cannot know (a fourteenth red team: sets built before the
change passed a wrong answer). So a candidate that patches the channel's code in its
own process can send a stale set as a sound one, as it can leave out a change it made
(a thirty-fifth red team): the tests then see what a program that re-added the members
would have shown (docs/LIMITS.md).
"""

from __future__ import annotations

from typing import Any

from . import task_classes
from .key_hashing import fill_dict, fill_set, hash_raised
from .wire_errors import CodecError

STALE = "a set member or dict key changed since it was added (its hash is not where it was put)"
Pending = list[tuple[Any, list[Any], bool]]
"""Sets and dicts to fill once a message is in: each with its members (a dict's items as
pairs), and whether they are a dict's own keys again (only its values change)."""


def fill_later(pending: Pending, out: Any, members: list[Any], same_keys: bool = False) -> bool:
    """Whether ``out`` (a set, or a dict of any kind whose ``members`` are its items as
    pairs) is left for ``fill_pending``: its keys hold an object hashed by its class's own
    code, whose state may not have crossed yet. If so it is noted. ``same_keys``: the
    tests' own dict, its keys the very objects it holds (``write_back``), whose values
    alone are set, so tests iterating it go on."""
    if not task_classes.any_hashed_by_value():
        return False
    if not task_classes.keyed_by_value(_keys(out, members)):
        return False
    pending.append((out, members, same_keys))
    return True


def fill_pending(pending: Pending) -> None:
    """Fill what ``fill_later`` left, now that every object's state is in; then fill
    again each that failed or holds a member not found where its hash is now (it was
    hashed before what its hash reads was filled: shapes whose sets of points were
    still empty were equal, and merged), until none does, one round more than there are
    containers at most: past that, one fails or is stale in itself (refused)."""
    if not pending:
        return
    filled = list(pending)
    pending.clear()
    todo = filled
    rounds = len(filled) + 1
    for round_ in range(rounds):
        last = round_ == rounds - 1
        failed: set[int] = set()
        for out, members, same_keys in todo:
            try:
                _fill(out, members, same_keys)  # only the first round's may be the same keys
            except CodecError:
                if last:
                    raise
                failed.add(id(out))
        todo = [(out, members, False) for out, members, _same in filled
                if id(out) in failed or not _all_found(out, _keys(out, members), strict=last)]
        if not todo:
            return
    raise CodecError(STALE)


def _fill(out: Any, members: list[Any], same_keys: bool) -> None:
    if same_keys:
        try:
            for key, value in members:
                out[key] = value
        except Exception as exc:  # noqa: BLE001 - the key's class's own hash or equality, on what crossed
            raise hash_raised("a dict key", exc) from None
        if len(out) == len(members):
            return  # else a key was not found where it was: filled again
    out.clear()
    if isinstance(out, dict):
        fill_dict(out, members)
    else:
        fill_set(out, members)


def _keys(container: Any, members: list[Any]) -> list[Any]:
    return [key for key, _value in members] if isinstance(container, dict) else members


def _all_found(container: Any, keys: list[Any], strict: bool = True) -> bool:
    """Whether ``container`` holds ``keys`` alone, each found where its hash is now; a
    hash or equality that raises is refused (``strict``), or says no."""
    contains = set.__contains__ if type(container) is set else dict.__contains__
    try:
        return len(container) == len(keys) and all(contains(container, key) for key in keys)
    except Exception as exc:  # noqa: BLE001 - the __hash__ or __eq__ of a class of the task's
        if not strict:
            return False
        raise hash_raised("a set member or dict key", exc) from None


def refuse_stale(container: Any) -> None:
    """A set or dict (of any kind) about to be sent whose members include an object
    hashed by its class's own code holds each where its hash is now."""
    if not task_classes.any_hashed_by_value():
        return
    keys = list(container) if type(container) is set else list(dict.keys(container))
    if task_classes.keyed_by_value(keys):
        refuse_unfound(container, keys)


def refuse_unfound(container: Any, keys: list[Any]) -> None:
    """``refuse_stale`` for a container known to be keyed so, ``keys`` its members."""
    if not _all_found(container, keys):
        raise CodecError(STALE)
