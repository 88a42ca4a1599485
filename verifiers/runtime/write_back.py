"""The test side's half of a call that changed its arguments: the caller's objects are
made what the candidate left them as, as in plain Python (``candidate_side`` reports
the changes). It decodes plain data only; it never runs candidate code.
"""

from __future__ import annotations

from typing import Any

from .codec import MAX_DEPTH, CodecError, decode, encode, exact_form

_MUTABLE = (list, dict, set)


def write_back(args: tuple[Any, ...], kwargs: dict[str, Any], changed: Any) -> list[Any]:
    """Make the caller's arguments what the candidate left them as (see
    ``candidate_side._changed_arguments``); returns the new values. An argument came in
    at most ``MAX_DEPTH`` deep, and its new value may be as deep."""
    if type(changed) is not list:
        raise CodecError("malformed argument changes")
    values = []
    for item in changed:
        if type(item) is not list or len(item) != 2:
            raise CodecError("malformed argument change")
        key, tree = item
        if type(key) is int and 0 <= key < len(args):
            target = args[key]
        elif type(key) is str and key in kwargs:
            target = kwargs[key]
        else:
            raise CodecError("a change to no argument")
        value = decode(tree, MAX_DEPTH)
        update_in_place(target, value)
        values.append(value)
    return values


def update_in_place(target: Any, value: Any) -> None:
    """``target`` becomes equal to ``value`` keeping its identity, and its nested containers'
    where the shape allows (a test holding an inner list sees it change too). A tuple
    cannot change, but the lists in it can: a tuple is updated through its members."""
    if type(target) is not type(value) or type(target) not in (*_MUTABLE, tuple):
        raise CodecError("an argument changed type")
    if type(target) is tuple:
        if not _fits(target, value):
            raise CodecError("a tuple argument changed")
        for old, new in zip(target, value):
            if type(old) in (*_MUTABLE, tuple):
                update_in_place(old, new)
    elif type(target) is set:
        target.clear()
        target.update(value)
    elif type(target) is list:
        for i in range(min(len(target), len(value))):
            if _updatable(target[i], value[i]):
                update_in_place(target[i], value[i])
            else:
                target[i] = value[i]
        del target[len(value):]
        target.extend(value[len(target):])
    else:
        for key in [k for k in target if k not in value]:
            del target[key]
        for key, item in value.items():
            if key in target and _updatable(target[key], item):
                update_in_place(target[key], item)
            else:
                target[key] = item


def _updatable(old: Any, new: Any) -> bool:
    """Whether ``old``, a member of a list or dict, is updated in place to become ``new``
    (else it is replaced): a container of the same type, and a tuple only where what
    it holds that cannot change is the same."""
    if type(old) is not type(new):
        return False
    return type(old) in _MUTABLE or (type(old) is tuple and _fits(old, new))


def _fits(old: tuple[Any, ...], new: tuple[Any, ...]) -> bool:
    """Whether ``new`` is what ``old`` can have become: the same length, and the same
    members but for the lists, dicts and sets in it (compared exactly: ``1`` is not
    ``1.0``)."""
    if len(old) != len(new):
        return False
    for a, b in zip(old, new):
        if type(a) is not type(b):
            return False
        if type(a) is tuple:
            if not _fits(a, b):
                return False
        elif type(a) not in _MUTABLE and exact_form(encode(a, MAX_DEPTH)) != exact_form(encode(b, MAX_DEPTH)):
            return False
    return True
