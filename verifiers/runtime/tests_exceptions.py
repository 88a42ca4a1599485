"""The tests' own exceptions through the candidate (``functions``): a function of the
tests' that the candidate calls raises one of a class the candidate's side cannot make
(the tests define it, or a module the candidate never loaded does), and the candidate
lets it through to the tests, as a retry decorator's last failure.

The candidate gets a look-alike (``exceptions.rebuilt``), remembered with the token the
tests sent. If that very object reaches the tests again, they raise their own, made what
the candidate made of the look-alike: its ``args`` replaced, attributes set or deleted.
What cannot be said so fails the candidate, rather than show the tests an object plain
Python would not: an attribute changed in place (in plain Python the tests' own list
would have changed), or a value that is not plain data (a thirty-first red team: each
of these passed a wrong answer while the original was raised as it had been sent, and
carrying only what crossed lost deletions and identity)."""

from __future__ import annotations

from typing import Any

from .codec import CodecError, decode, encode
from .exceptions import ARGS_DEPTH, ARGS_LIMIT, attribute_name, instance_dict
from .framing import frame

KEPT = 64
"""How many of the tests' exceptions the candidate's side remembers."""
_received: dict[int, tuple[BaseException, int, tuple[Any, ...], dict[str, Any], dict[str, bytes | None]]] = {}


def received(made: Exception, token: Any) -> Exception:
    """The candidate's side: ``made``, the look-alike of what a function of the tests'
    raised, remembered as it arrived, under the tests' token."""
    if type(token) is int:
        held = dict(instance_dict(made))
        _received[id(made)] = (made, token, made.args, held, {name: _wire(value) for name, value in held.items()})
        while len(_received) > KEPT:
            del _received[next(iter(_received))]
    return made


def let_through(exc: BaseException) -> tuple[int, dict[str, Any]] | str | None:
    """The candidate's side, as ``exc`` leaves a call: None where it is no look-alike of
    the tests' (``received``); else the tests' token and what the candidate made of it
    (``"a"``: its new ``args``; ``"s"``: attributes set, as ``[name, value]``; ``"d"``:
    names deleted), or, where that cannot be said, why (the candidate's failure)."""
    kept = _received.get(id(exc))
    if kept is None or kept[0] is not exc:
        return None
    _made, token, args, attributes, wire = kept
    changes: dict[str, Any] = {}
    if exc.args is not args:
        sent = _wire(exc.args)
        if sent is None:
            return "the candidate gave the tests' exception args that do not cross"
        changes["a"] = encode(exc.args, ARGS_DEPTH)
    now = instance_dict(exc)
    deleted = [name for name in attributes if name not in now]
    changed = []
    for name, value in list(now.items()):
        if not attribute_name(name):
            continue
        if value is attributes.get(name, _MISSING):
            if _wire(value) != wire[name]:
                return f"the candidate changed the tests' exception's {name!r} in place (this does not cross)"
            continue
        if _wire(value) is None:
            return f"the candidate set the tests' exception's {name!r} to what does not cross"
        changed.append([name, encode(value, ARGS_DEPTH)])
    if deleted:
        changes["d"] = deleted
    if changed:
        changes["s"] = changed
    return token, changes


def carried_onto(original: BaseException, changes: Any) -> BaseException:
    """The tests' side: their own exception, which the candidate let through, made what
    ``let_through`` says the candidate made of it. Malformed: ``CodecError``."""
    if changes is None:
        return original
    if type(changes) is not dict or not set(changes) <= {"a", "s", "d"}:
        raise CodecError("malformed changes to an exception")
    if "a" in changes:
        args = decode(changes["a"], ARGS_DEPTH)
        if type(args) is not tuple:
            raise CodecError("malformed exception args")
        original.args = args
    held = instance_dict(original)
    for pair in changes.get("s", []):
        if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str or not attribute_name(pair[0]):
            raise CodecError("malformed exception attribute")
        held[pair[0]] = decode(pair[1], ARGS_DEPTH)
    for name in changes.get("d", []):
        if type(name) is not str:
            raise CodecError("malformed exception attribute")
        held.pop(name, None)
    return original


_MISSING = object()


def _wire(value: Any) -> bytes | None:
    """``value`` as it would cross, or None where it cannot (not plain data, too large)."""
    try:
        return frame(encode(value, ARGS_DEPTH), ARGS_LIMIT)
    except (CodecError, RecursionError):
        return None
