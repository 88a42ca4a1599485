"""An exception across the channel: what the candidate's side says of one its function
raised, and the exception the test side raises for it in the tests' place.

Plain Python hands the tests the exception object itself. The tests here get one
rebuilt from plain data: its class's name, its message, the builtin exception
classes it derives from (so ``except ValueError`` catches a ``json.JSONDecodeError``
or a candidate's own ``class BadInput(ValueError)``, and does not catch a class of
the candidate's own that is merely *named* ``ValueError``: red team), and its
``args`` where they are plain data (``KeyError('b').args`` is ``('b',)``, not the
message ``"'b'"``: red team). Nothing of the candidate's class crosses.
"""

from __future__ import annotations

import builtins
from typing import Any, TypeGuard

from .codec import CodecError, decode, encode, frame

_BUILTIN_CLASSES = {id(cls): (cls, name) for name, cls in vars(builtins).items()
                    if isinstance(cls, type) and issubclass(cls, BaseException)}
"""Taken when the module loads, before any candidate code runs in the process: a
candidate that replaces ``builtins.ValueError`` does not change what counts as it."""
ARGS_LIMIT = 16 * 1024
"""Largest ``args`` sent, as framed: a longer one is left out (the message stands in);
and the most of the message (``str(exc)``) sent."""
ARGS_DEPTH = 10
_MRO = type.__dict__["__mro__"]
_NAME = type.__dict__["__name__"]
"""The class's own MRO and name, read past its metaclass: a metaclass property
``__mro__`` that listed ValueError for a TypeError subclass made ``except ValueError``
catch it, where ``except`` reads the real MRO (red team)."""


def exception_reply(exc: BaseException) -> list[Any]:
    """``[name, message, builtin bases, exact, args]``: the exception's class name and
    message (``describe``), the names of the builtin exception classes in its class's
    MRO (the class itself first when it is one), whether its class is a builtin one
    itself, and its ``args`` encoded, or None. Never raises: the exception is the
    candidate's (its ``args`` a property that raises, its MRO a metaclass's)."""
    name, text = _name_and_text(exc)
    bases: list[str] = []
    exact = False
    try:
        for position, cls in enumerate(_MRO.__get__(type(exc), type)):
            known = _BUILTIN_CLASSES.get(id(cls))
            if known is not None and known[0] is cls:
                bases.append(known[1])
                exact = exact or position == 0
    except Exception:  # noqa: BLE001
        bases, exact = [], False
    args: Any = None
    try:
        sent = exc.args
        if type(sent) is tuple:
            tree = encode(sent, ARGS_DEPTH)
            frame(tree, ARGS_LIMIT)
            args = tree
    except Exception:  # noqa: BLE001 - args that cannot cross: the message stands in
        args = None
    return [name, text, bases[:40], exact, args]


def _name_and_text(exc: BaseException) -> tuple[str, str]:
    """The class's real name and the message as ``str(exc)`` gives it (a class of the
    candidate's own may define its ``__str__``: the tests read that), bounded."""
    try:
        name = str(_NAME.__get__(type(exc), type))[:100]
    except Exception:  # noqa: BLE001
        name = "<unnamed>"
    try:
        text = str(exc)
        text = text[:ARGS_LIMIT] if type(text) is str else ""
    except BaseException:  # noqa: BLE001 - the message is best-effort
        text = "<unprintable>"
    return name, text


_FAULTS = ("StopIteration", "StopAsyncIteration")
"""Raised to the tests, these are faults, not exceptions: StopIteration raised inside
``all(map(candidate, xs))`` would end the iteration early and pass the test (a function
that raises it to its caller is a fault, as Python itself makes it one in a generator,
PEP 479)."""
_NOT_BASES = (*_FAULTS, "MemoryError")
"""Builtins no rebuilt exception derives from (running out of memory has a reply of its own)."""


def valid_reply(body: Any) -> TypeGuard[list[Any]]:
    """Whether ``body`` is what ``exception_reply`` makes (the candidate's side may send anything)."""
    return (type(body) is list and len(body) == 5 and type(body[0]) is str and type(body[1]) is str
            and type(body[2]) is list and all(type(b) is str for b in body[2]) and type(body[3]) is bool)


def rebuilt(body: list[Any], as_data: bool = False) -> Exception | None:
    """The exception to raise in the tests' place for a reply ``body`` that
    ``valid_reply`` accepted; None where it must be a fault instead (a ``StopIteration``
    raised to the tests). ``as_data``: for a generated check, where every exception is
    an output, it is rebuilt whatever it derives from."""
    name, text, bases, exact, args_tree = body
    text = text[:ARGS_LIMIT]
    if not as_data and any(base in _FAULTS for base in bases):
        return None
    classes: list[type[Exception]] = []
    for base in bases:
        known = getattr(builtins, base, None) if base not in _NOT_BASES else None
        if isinstance(known, type) and issubclass(known, Exception) and known not in classes:
            classes.append(known)
    # The most derived ones: a class also in another's MRO adds nothing as a base.
    leaves = [c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)] or [Exception]
    cls: type[Exception]
    if exact and len(leaves) == 1 and leaves[0].__name__ == name:
        cls = leaves[0]
    else:
        cls = _subclass(name, leaves, not exact, text)
    args = _decoded_args(args_tree)
    if args is not None:
        try:
            made = cls(*args)
        except Exception:  # noqa: BLE001 - a constructor that wants other arguments
            pass
        else:
            if type(made) is cls:  # OSError(2, ...) makes a FileNotFoundError: not what was raised
                return made
            made = _with_message(cls, "")
            made.args = args
            return made
    return _with_message(cls, text)


def _subclass(name: str, bases: list[type[Exception]], own: bool, text: str) -> type[Exception]:
    """A class of the candidate's class name deriving from ``bases`` (the first alone where
    together their layouts clash). ``own``: the candidate's class, not a builtin (a
    builtin that is not raised as itself, StopIteration as a generated check's output,
    keeps its name); one named like a builtin says it is not that one: the failure's
    text would read ``ValueError`` where ``except ValueError`` missed it."""
    shown = name[:80] if name.isidentifier() else "Exception"
    if own and isinstance(getattr(builtins, shown, None), type):
        shown += " (the candidate's own class)"
    # The candidate's class may define its own ``__str__`` (a test reads ``str(e)``): its
    # text is what plain Python shows, not what the builtin makes of the args (red team).
    body: dict[str, Any] = {"__str__": lambda self: text} if own else {}
    try:
        return type(shown, tuple(bases), body)
    except TypeError:
        return type(shown, (bases[0],), body)


def _decoded_args(tree: Any) -> tuple[Any, ...] | None:
    if tree is None:
        return None
    try:
        args = decode(tree, ARGS_DEPTH)
    except (CodecError, RecursionError):
        return None
    return args if type(args) is tuple else None


def _with_message(cls: type[Exception], text: str) -> Exception:
    """``cls(text)``; one whose constructor needs more (UnicodeDecodeError) becomes its base."""
    for base in cls.__mro__:
        if issubclass(base, Exception):
            try:
                return base(text)
            except TypeError:
                continue
    return Exception(text)
