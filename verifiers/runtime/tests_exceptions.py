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


class _State:
    """One exception as both sides last agreed on it: its ``args`` and attributes (the
    objects, and each as it would cross), and what Python keeps of it outside its
    ``__dict__`` that a test can read (``__cause__``, ``__suppress_context__``)."""

    __slots__ = ("args", "args_wire", "attributes", "wire", "cause", "suppressed")

    def __init__(self, exc: BaseException) -> None:
        self.args = exc.args
        self.args_wire = _wire(exc.args)
        self.attributes = dict(instance_dict(exc))
        self.wire = {name: _wire(value) for name, value in self.attributes.items()}
        self.cause, self.suppressed = exc.__cause__, exc.__suppress_context__


_received: dict[int, tuple[BaseException, int, _State]] = {}
_let_through: dict[int, tuple[BaseException, _State]] = {}
"""The look-alikes the tests have had back, as they then were: the tests hold the
original from then on, so a later change here is one the tests would see in plain
Python, and does not cross (``stale``; a thirty-second red team: a candidate that kept
the exception changed it in its next call)."""


def received(made: Exception, token: Any) -> Exception:
    """The candidate's side: ``made``, the look-alike of what a function of the tests'
    raised, remembered as it arrived, under the tests' token."""
    if type(token) is int:
        _received[id(made)] = (made, token, _State(made))
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
    _made, token, state = kept
    made_of_it = _changes(exc, state)
    if isinstance(made_of_it, dict):
        _let_through[id(exc)] = (exc, _State(exc))
        while len(_let_through) > KEPT:
            del _let_through[next(iter(_let_through))]
        return token, made_of_it
    return made_of_it


def stale() -> str | None:
    """The candidate's side, as any call ends: why not, where the candidate changed one
    of the tests' exceptions after letting it through (``_let_through``)."""
    for exc, state in list(_let_through.values()):
        made_of_it = _changes(exc, state)
        if made_of_it != {}:
            return "the candidate changed the tests' exception after letting it through (this does not cross)"
    return None


def _changes(exc: BaseException, state: _State) -> dict[str, Any] | str:
    """What the candidate made of ``exc`` since ``state``, as ``let_through`` says it, or
    why it cannot be said: a change in place (of an attribute, or inside ``args``), a
    value that is not plain data, a value set twice over (``e.b = e.a``: one object in
    plain Python, two copies once crossed), a note, a cause."""
    notes = instance_dict(exc).get("__notes__", _MISSING)
    if exc.__cause__ is not state.cause or exc.__suppress_context__ != state.suppressed \
            or notes is not state.attributes.get("__notes__", _MISSING) \
            or notes is not _MISSING and _wire(notes) != state.wire.get("__notes__"):
        return "the candidate gave the tests' exception a cause or a note (this does not cross)"
    changes: dict[str, Any] = {}
    if exc.args is not state.args:
        if _wire(exc.args) is None:
            return "the candidate gave the tests' exception args that do not cross"
        changes["a"] = encode(exc.args, ARGS_DEPTH)
    elif _wire(exc.args) != state.args_wire:
        return "the candidate changed the tests' exception's args in place (this does not cross)"
    now = instance_dict(exc)
    deleted = [name for name in state.attributes if name not in now]
    changed = []
    seen: set[int] = set()
    for name, value in list(now.items()):
        if not attribute_name(name):
            if name != "__notes__" and value is not state.attributes.get(name, _MISSING):
                return f"the candidate set the tests' exception's {name!r} (this does not cross)"
            continue
        if not _atomic(value):
            if id(value) in seen:
                return "the candidate gave two of the tests' exception's attributes one object (this does not cross)"
            seen.add(id(value))
        if value is state.attributes.get(name, _MISSING):
            if _wire(value) != state.wire[name]:
                return f"the candidate changed the tests' exception's {name!r} in place (this does not cross)"
            continue
        if _wire(value) is None:
            return f"the candidate set the tests' exception's {name!r} to what does not cross"
        changed.append([name, encode(value, ARGS_DEPTH)])
    if deleted:
        changes["d"] = deleted
    if changed:
        changes["s"] = changed
    return changes


def _atomic(value: Any) -> bool:
    return value is None or type(value) in (int, float, str, bool, bytes, tuple, frozenset)


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
