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
import itertools
import sys
from typing import Any, TypeGuard

from . import task_classes
from .codec import CodecError, decode, encode
from .framing import frame
from .weighing import short_text, small

_BUILTIN_CLASSES = {id(cls): (cls, cls.__name__) for cls in vars(builtins).values()
                    if isinstance(cls, type) and issubclass(cls, BaseException)}
"""Taken when the module loads, before any candidate code runs in the process: a
candidate that replaces ``builtins.ValueError`` does not change what counts as it."""


def _builtin_name(cls: object) -> str | None:
    """The name of ``cls`` where it is a builtin exception class itself, else None: one
    reading for both sides (OSError's name read two ways, one its alias ``IOError``,
    refused every standard-library OSError: red team)."""
    known = _BUILTIN_CLASSES.get(id(cls))
    return known[1] if known is not None and known[0] is cls else None
ARGS_LIMIT = 16 * 1024
"""Largest ``args`` sent, as framed: a longer one is left out (the message stands in);
and the most of the message (``str(exc)``) sent."""
ARGS_DEPTH = 10
_MRO = type.__dict__["__mro__"]
_NAME = type.__dict__["__name__"]
_MODULE = type.__dict__["__module__"]
_QUALNAME = type.__dict__["__qualname__"]
"""The class's own MRO and name, read past its metaclass: a metaclass property
``__mro__`` that listed ValueError for a TypeError subclass made ``except ValueError``
catch it, where ``except`` reads the real MRO (red team)."""


def exception_reply(exc: BaseException) -> list[Any]:
    """``[name, message, builtin bases, exact, args, importable, attributes]``: the
    exception's class name and message (``str(exc)``), the names of the builtin exception
    classes in its class's MRO (the class itself first when it is one), whether its class
    is a builtin one itself, its ``args`` encoded (or None), ``[position in the MRO,
    module, qualified name]`` for each other class of the MRO that its module names (a
    standard-library class, ``json.JSONDecodeError``: a test may catch it by that name,
    red team), and its own attributes (``_attributes``). Never raises: the exception is
    the candidate's (its ``args`` a property that raises, its MRO a metaclass's)."""
    name, text = _name_and_text(exc)
    bases: list[str] = []
    importable: list[list[Any]] = []
    exact = False
    try:
        for position, cls in enumerate(_MRO.__get__(type(exc), type)):
            builtin = _builtin_name(cls)
            if builtin is not None:
                bases.append(builtin)
                exact = exact or position == 0
            elif len(importable) < 8 and cls is not object:
                where = _importable(cls) or _of_the_task(cls)
                if where is not None:
                    importable.append([position, *where])
    except Exception:  # noqa: BLE001
        bases, exact, importable = [], False, []
    return [name, text, bases[:40], exact, _args(exc), importable, _attributes(exc)]


def _args(exc: BaseException) -> Any:
    """The exception's ``args`` encoded, or None where they cannot cross (not plain data,
    or too large: weighed first, never encoded whole)."""
    try:
        sent = exc.args
        if type(sent) is tuple and small(sent, ARGS_LIMIT):
            tree = encode(sent, ARGS_DEPTH)
            frame(tree, ARGS_LIMIT)
            return tree
    except BaseException:  # noqa: BLE001 - args that cannot cross: the message stands in
        pass
    return None


ATTRIBUTES_LIMIT = 32
"""The most attributes of one exception sent, and read back."""
_INSTANCE_DICT = BaseException.__dict__["__dict__"]
"""An exception's own ``__dict__``, read past its class (no code of the candidate's runs)."""


def _attributes(exc: BaseException) -> list[list[Any]]:
    """``[[name, value encoded], ...]``: what the exception holds in its ``__dict__`` (set
    by its ``__init__``, or after it) that is plain data, up to ``ARGS_LIMIT`` in all. A
    test reads them (``e.needed`` of an ``InsufficientFunds(needed=5)``, a
    ``JSONDecodeError``'s ``pos``); before, only the class and ``args`` crossed, and a
    right answer failed such a test. An attribute that cannot cross is left out: the
    test meets an ``AttributeError`` there, as before."""
    sent: list[list[Any]] = []
    try:
        held = _INSTANCE_DICT.__get__(exc)
        if type(held) is not dict:
            return []
        room = ARGS_LIMIT
        for name, value in itertools.islice(dict.items(held), 8 * ATTRIBUTES_LIMIT):
            if type(name) is not str or not attribute_name(name):
                continue
            try:
                if not small(value, room):  # weighed first: encoded whole, a huge one ran into the timeout
                    continue
                tree = encode(value, ARGS_DEPTH)
                size = len(frame([name, tree], room))
            except BaseException:  # noqa: BLE001 - not plain data, or too large: left out
                continue
            # One too large for what is left is skipped, not the end: a JSONDecodeError's
            # long ``doc`` comes before its ``pos`` (red team).
            room -= size
            sent.append([name, tree])
            if len(sent) == ATTRIBUTES_LIMIT:
                break
    except BaseException:  # noqa: BLE001 - the attributes are best-effort (a ``__class__`` property may raise anything)
        return []
    return sent


def instance_dict(exc: BaseException) -> dict[str, Any]:
    """An exception's own ``__dict__``, read past its class (no code of its class runs)."""
    held: dict[str, Any] = _INSTANCE_DICT.__get__(exc)
    return held


def attribute_name(name: str) -> bool:
    """An attribute the tests may read: never a dunder (``__notes__``, or one Python
    itself reads), and a name Python code could write (``e.needed``)."""
    return len(name) <= 100 and name.isidentifier() and not name.startswith("__")


def _importable(cls: Any) -> tuple[str, str] | None:
    """``(module, qualified name)`` where that module, loaded, holds ``cls`` under that name."""
    try:
        module, qualname = _MODULE.__get__(cls, type), _QUALNAME.__get__(cls, type)
        if type(module) is not str or type(qualname) is not str or not _dotted(qualname) \
                or module.startswith("__") or not _dotted(module):
            return None
        found: Any = sys.modules.get(module)
        for part in qualname.split("."):
            found = getattr(found, part, None)
        return (module, qualname) if found is cls else None
    except Exception:  # noqa: BLE001
        return None


TASK_MODULE = "__task__"
"""Where an exception class the task's prompt defines is named (``task_classes``): the
prompt's own class of that name on the tests' side, so ``except InsufficientFunds``
catches what the candidate raised (a fifteenth red team: a stand-in of that name was
raised, which no test could catch by its class)."""


def _of_the_task(cls: Any) -> tuple[str, str] | None:
    name = task_classes.exception_name(cls)
    return None if name is None else (TASK_MODULE, name)


def _named_as(cls: Any) -> tuple[str, str]:
    """How ``exception_reply`` names a class that is not a builtin one."""
    return _of_the_task(cls) or (str(cls.__module__), str(cls.__qualname__))


def _dotted(name: str) -> bool:
    parts = name.split(".")
    return 0 < len(parts) <= 5 and len(name) <= 200 and all(part.isidentifier() for part in parts)


def _name_and_text(exc: BaseException) -> tuple[str, str]:
    """The class's real name and the message as ``str(exc)`` gives it (a class of the
    candidate's own may define its ``__str__``: the tests read that), bounded."""
    try:
        name = str(_NAME.__get__(type(exc), type))[:100]
    except Exception:  # noqa: BLE001
        name = "<unnamed>"
    try:
        text = _shortened(exc)
        if text is None:
            text = str(exc)
        text = text[:ARGS_LIMIT] if type(text) is str else ""
    except BaseException:  # noqa: BLE001 - the message is best-effort
        text = "<unprintable>"
    return name, text


_BUILTIN_STRS = tuple({id(cls.__str__): cls.__str__ for cls, _ in _BUILTIN_CLASSES.values()}.values())
"""The ``__str__`` of every builtin exception class (``KeyError``'s, ``OSError``'s...)."""


def _shortened(exc: BaseException) -> str | None:
    """The message of an exception whose ``args`` are too large to send and whose class
    leaves ``str()`` to a builtin's: its ``args`` shortened (``weighing.short_text``),
    never made whole; None for any other (its own ``str()`` is what the tests read). ``str()`` of a
    ``ValueError(grid)`` or a ``KeyError(grid)``, a 10,000 by 10,000 grid of one row
    named 10,000 times, ran a right answer into its timeout though the tests never read
    it (seventeenth and eighteenth red teams)."""
    own = type(exc).__str__
    if not any(own is builtin for builtin in _BUILTIN_STRS):
        return None
    args = exc.args
    if type(args) is not tuple or small(args, ARGS_LIMIT):
        return None
    if len(args) != 1:
        return short_text(args, ARGS_LIMIT)
    if own is KeyError.__str__ and issubclass(type(args[0]), str):
        return repr(str.__str__(args[0])[:ARGS_LIMIT])[:ARGS_LIMIT]  # a KeyError shows its key's repr
    return short_text(args[0], ARGS_LIMIT)


_FAULTS = ("StopIteration", "StopAsyncIteration")
"""Raised to the tests, these are faults, not exceptions: StopIteration raised inside
``all(map(candidate, xs))`` would end the iteration early and pass the test (a function
that raises it to its caller is a fault, as Python itself makes it one in a generator,
PEP 479)."""
_NOT_BASES = (*_FAULTS, "MemoryError")
"""Builtins no rebuilt exception derives from (running out of memory has a reply of its own)."""


def valid_reply(body: Any) -> TypeGuard[list[Any]]:
    """Whether ``body`` is what ``exception_reply`` makes (the candidate's side may send anything)."""
    return (type(body) is list and len(body) == 7 and type(body[0]) is str and type(body[1]) is str
            and type(body[2]) is list and all(type(b) is str for b in body[2]) and type(body[3]) is bool
            and type(body[5]) is list and type(body[6]) is list)


def rebuilt(body: list[Any], as_data: bool = False, task_bases: bool = False) -> Exception | None:
    """The exception to raise in the tests' place for a reply ``body`` that
    ``valid_reply`` accepted, holding the attributes the candidate's did; None where it
    must be a fault instead (a ``StopIteration`` raised to the tests). ``as_data``: for a
    generated check, where every exception is an output, it is rebuilt whatever it
    derives from."""
    made = _rebuilt_bare(body, as_data, task_bases)
    if made is not None:
        _set_attributes(made, body[6])
    return made


def _set_attributes(made: Exception, pairs: list[Any]) -> None:
    """Into ``made``'s own ``__dict__``, as ``copy`` would (no code of its class runs):
    whatever the reply holds, only names ``attribute_name`` allows and values that
    decode."""
    held = _INSTANCE_DICT.__get__(made)
    for pair in pairs[:ATTRIBUTES_LIMIT]:
        if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str or not attribute_name(pair[0]):
            continue
        try:
            held[pair[0]] = decode(pair[1], ARGS_DEPTH)
        except (CodecError, RecursionError):
            continue


def _rebuilt_bare(body: list[Any], as_data: bool, task_bases: bool = False) -> Exception | None:
    name, text, bases, exact, args_tree, importable, _ = body
    text = text[:ARGS_LIMIT]
    if not as_data and any(base in _FAULTS for base in bases):
        return None
    classes: list[type[Exception]] = []
    for base in bases:
        known = getattr(builtins, base, None) if base not in _NOT_BASES else None
        if isinstance(known, type) and issubclass(known, Exception) and known not in classes:
            classes.append(known)
    own_class = None
    for where in importable[:8]:
        found = _loaded_class(where)
        if found is None or found in classes:
            continue
        # Its builtin classes must be among the exception's (all of them, for its own
        # class): a LookupError subclass named json.JSONDecodeError, the candidate's json
        # module patched to hold it, was raised as the real one, a ValueError (red team).
        theirs = {name for name in map(_builtin_name, found.__mro__) if name is not None}
        if not theirs <= set(bases) or (where[0] == 0 and theirs != set(bases)):
            continue
        # And every class of its own MRO that is not a builtin is one the exception's MRO
        # named too (a subclass of ArithmeticError passed off as decimal.InvalidOperation
        # is no decimal.DecimalException: red team).
        named = {(str(w[1]), str(w[2])) for w in importable if type(w) is list and len(w) == 3}
        if any(_named_as(c) not in named for c in found.__mro__
               if c is not object and _builtin_name(c) is None):
            continue
        classes.append(found)
        own_class = found if where[0] == 0 else own_class
    # The most derived ones: a class also in another's MRO adds nothing as a base. Never a
    # class of the task's: deriving from one runs its code (``__init_subclass__``: a
    # sixteenth red team's registry raised into the tests, a forged pass).
    # Where the exception is the tests' and the class made here the candidate's (``task_bases``),
    # the prompt's classes are bases too: ``except AppError`` catches the tests' subclass
    # of it, as in plain Python (a thirty-first red team: a retry that caught too broadly
    # passed), and the code deriving runs is the candidate's own.
    plain = [c for c in classes if task_bases or task_classes.exception_name(c) is None]
    leaves = [c for c in plain if not any(o is not c and issubclass(o, c) for o in plain)] or [Exception]
    cls: type[Exception]
    if own_class is not None:
        cls = own_class  # a standard-library class the tests may name, itself
    elif exact and len(leaves) == 1 and leaves[0].__name__ == name:
        cls = leaves[0]
    else:
        cls = _subclass(name, leaves, not exact, text)
    args = _decoded_args(args_tree)
    if task_classes.exception_name(cls) is not None:
        # The prompt's own class, made without its ``__init__``: its ``args`` are what the
        # candidate's exception holds, not what its constructor took, and running it on
        # them grew the test server by gigabytes (a sixteenth red team).
        return _made_bare(cls, args if args is not None else (text,))
    made = _made(cls, args) if args is not None else None
    if args is None or made is None:
        return _with_message(cls, text)
    if len(text) < ARGS_LIMIT and _text_of(made) != text:
        # The args' own str() said otherwise (a str subclass with its own __str__): the
        # tests read what plain Python shows (red team).
        made = _made(_subclass(name, [cls], False, text), args) or made
    return made


def _made(cls: type[Exception], args: tuple[Any, ...]) -> Exception | None:
    """``cls(*args)``, or an instance made without its ``__init__`` where that wants other
    arguments (``JSONDecodeError(msg, doc, pos)`` keeps only the message in ``args``); None
    where neither gives an instance of ``cls`` itself (``OSError(2, ...)`` makes a
    ``FileNotFoundError``: not what was raised)."""
    try:
        made = cls(*args)
        if type(made) is cls:
            return made
    except Exception:  # noqa: BLE001
        pass
    for given in (args, ()):
        try:
            made = cls.__new__(cls, *given)
            made.args = args
            if type(made) is cls:
                return made
        except Exception:  # noqa: BLE001
            continue
    return None


def _made_bare(cls: type[Exception], args: tuple[Any, ...]) -> Exception:
    made = BaseException.__new__(cls)
    made.args = args
    return made


def _text_of(exc: Exception) -> str | None:
    try:
        return str(exc)
    except Exception:  # noqa: BLE001
        return None


def _loaded_class(where: Any) -> type[Exception] | None:
    """The exception class a module this process has already loaded holds under that name
    (nothing is imported for a candidate's say-so)."""
    if type(where) is not list or len(where) != 3 or type(where[0]) is not int \
            or type(where[1]) is not str or type(where[2]) is not str or not _dotted(where[1]) \
            or not _dotted(where[2]):
        return None
    found: Any
    if where[1] == TASK_MODULE:
        found = task_classes.exception_named(where[2])
    elif where[1].startswith("__"):
        # The tests' own module (``__test__``): its classes are theirs alone, never the
        # candidate's to name (a sixteenth red team's forged reply named one they caught).
        return None
    else:
        found = sys.modules.get(where[1])
        for part in where[2].split("."):
            found = getattr(found, part, None) if found is not None else None
    if isinstance(found, type) and issubclass(found, Exception) \
            and not any(issubclass(found, getattr(builtins, fault)) for fault in _NOT_BASES):
        return found
    return None


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
    body: dict[str, Any] = {"__str__": lambda self: text}
    try:
        return type(shown, tuple(bases), body)
    except TypeError:
        return type(shown, (bases[0],), body)
    except Exception:  # noqa: BLE001 - a base's own code refused (bases are builtin or a module's)
        return type(shown, (Exception,), body)


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
    made = _made(cls, (text,))
    if made is not None:
        return made
    for base in cls.__mro__:
        if issubclass(base, Exception):
            try:
                return base(text)
            except TypeError:
                continue
    return Exception(text)
