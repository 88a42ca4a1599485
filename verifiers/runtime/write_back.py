"""The test side's half of a call that changed its arguments: the caller's objects are
made what the candidate left them as, as in plain Python (``candidate_side`` reports
the changes). It decodes plain data only; it never runs candidate code.
"""

from __future__ import annotations

from typing import Any

from .codec import REPLY_DEPTH, CodecError, decode


def write_back(args: tuple[Any, ...], kwargs: dict[str, Any], changed: Any) -> list[Any]:
    """Make the caller's arguments what the candidate left them as (see
    ``candidate_side._changed_arguments``); returns the new values."""
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
        value = decode(tree, REPLY_DEPTH)
        update_in_place(target, value)
        values.append(value)
    return values


def update_in_place(target: Any, value: Any) -> None:
    """``target`` becomes equal to ``value`` keeping its identity, and its nested containers'
    where the shape allows (a test holding an inner list sees it change too)."""
    if type(target) is not type(value) or type(target) not in (list, dict, set):
        raise CodecError("an argument changed type")
    if type(target) is set:
        target.clear()
        target.update(value)
    elif type(target) is list:
        for i in range(min(len(target), len(value))):
            if type(target[i]) is type(value[i]) and type(value[i]) in (list, dict, set):
                update_in_place(target[i], value[i])
            else:
                target[i] = value[i]
        del target[len(value):]
        target.extend(value[len(target):])
    else:
        for key in [k for k in target if k not in value]:
            del target[key]
        for key, item in value.items():
            old = target.get(key)
            if key in target and type(old) is type(item) and type(item) in (list, dict, set):
                update_in_place(old, item)
            else:
                target[key] = item
