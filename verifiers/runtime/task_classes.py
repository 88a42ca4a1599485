"""The classes a task's prompt defines, whose objects cross the channel.

A task may define a class in its prompt (a linked list's ``ListNode``, a ``dataclass``,
an ``Enum``, a named tuple) and its tests pass the candidate objects of it, as plain
Python lets them. Both sides of the channel run the prompt's code: the tests' server
loads the prompt, and the candidate's program begins with it. So an object of such a
class crosses as the name its class is bound to at the top of the module and what it
holds, and arrives as an object of the class bound to that name on the other side,
made without running any of its code (no ``__init__``, no ``__setattr__``: as ``copy``
and ``pickle`` make one):

- an object of a plain class as its ``__dict__``, which becomes the new object's own.
  That dict is numbered in the call's table as any dict is (``codec.Shared``), so what
  a call does to an object's attributes (``node.next = None``) is a change of that
  dict, written back to the tests' own object as a change of any dict is
  (``shared_state``, ``write_back``); the object itself is numbered, so what is one
  object stays one (a cycle of nodes, ``candidate(a, a)``). The dict travels after the
  message's values (``codec.encode_states``), so a long chain is no deeper than one
  node. Such an object is a set member or dict key as itself; one hashed by its class's
  own code (a frozen dataclass: ``keyed_by_value``) is hashed by that code on what it
  holds, so the set or dict holding it is filled once the message's states are in
  (``deferred_keys``), and cannot be a frozenset's member (a frozenset is made as it is
  read, before any state);
- a named tuple (a "record") as the tuple it is, numbered as a tuple is;
- an enum's member as its own name: the member of that name, itself, on the other side.

Only what behaves as its parts cross. A plain class: ``type`` (or ``abc.ABCMeta``) its
metaclass, every base a class of Python code (not a builtin's subclass: a ``list``
subclass's state is not in its ``__dict__``), no non-empty ``__slots__``,
``object.__new__`` its ``__new__``. A record: a tuple's subclass with no attribute of
its own beside its fields (empty ``__slots__`` all the way down) that leaves the
tuple's comparisons, hashing and iteration alone. Exceptions cross as exceptions
(``exceptions``). On the tests' side only the prompt's classes are accepted: what the
candidate sends never names a class of the tests' own or of a module.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterable
from typing import Any

_HEAP_TYPE = 1 << 9
"""``Py_TPFLAGS_HEAPTYPE``: a class made by a ``class`` statement, not a builtin."""


def made_by_python(klass: type) -> bool:
    """Whether ``klass`` was made by Python code (a ``class`` statement, ``type(...)``),
    as a candidate's own classes are, rather than by C: a builtin's or an extension's."""
    return bool(klass.__flags__ & _HEAP_TYPE)
_TUPLE_BEHAVIOUR = frozenset({
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__", "__iter__", "__len__",
    "__getitem__", "__contains__", "__reversed__", "__bool__"})
"""What a record must leave to ``tuple``: the codec and the tests' comparisons read it as one."""

# Classes are looked up by their id (each is kept alive by its ``_by_name`` table): a
# value whose class cannot be hashed (a metaclass with ``__eq__`` alone) raised a
# TypeError in the codec, which reached the tests as the candidate's (a thirteenth red team).
_by_name: dict[str, type] = {}
_by_class: dict[int, str] = {}
_records_by_name: dict[str, type] = {}
_records_by_class: dict[int, str] = {}
_enums_by_name: dict[str, type] = {}
_enums_by_class: dict[int, str] = {}
_exceptions_by_name: dict[str, type] = {}
_exceptions_by_class: dict[int, str] = {}
_by_value: set[int] = set()
"""The accepted plain classes hashed by what their objects hold (not ``object``'s hash)."""
_walked: set[int] = set()
"""The accepted classes whose objects lead on to other values (plain classes, records)."""
_walked_types: set[type] = set()


def crossable(cls: object) -> bool:
    """Whether objects of ``cls`` can cross as its name and ``__dict__`` (see the module)."""
    if type(cls) is not type and type(cls) is not abc.ABCMeta:  # an ABC's concrete classes too
        return False
    if not cls.__dictoffset__:  # empty __slots__ all the way down: no __dict__ (a fourteenth red team)
        return False
    new: object = cls.__new__
    if new is not object.__new__:
        return False
    for klass in cls.__mro__[:-1]:  # a builtin's subclass (list, Exception) keeps state outside its __dict__
        if not made_by_python(klass):
            return False
        if vars(klass).get("__slots__"):
            return False
        # A heap class's own __dict__ slot; a class that put something else under that
        # name would not keep our dict where its code looks.
        own = vars(klass).get("__dict__")
        if own is not None and type(own).__name__ != "getset_descriptor":
            return False
    return True


def is_record_class(cls: object) -> bool:
    """Whether ``cls`` is a named tuple as the module means it: crosses as its tuple."""
    if type(cls) is not type or not issubclass(cls, tuple) or not isinstance(getattr(cls, "_fields", None), tuple):
        return False
    mro = cls.__mro__
    if mro[-2:] != (tuple, object):
        return False
    return all(made_by_python(klass) and vars(klass).get("__slots__", None) == ()
               and _TUPLE_BEHAVIOUR.isdisjoint(vars(klass)) for klass in mro[:-2])


def accept(namespace: dict[str, Any], module: str) -> None:
    """The classes bound at the top of ``namespace`` and defined by its own code
    (``module``: the ``__name__`` they were made under) are those that cross from now on."""
    clear()
    for name, value in list(namespace.items()):
        if type(name) is not str or not isinstance(value, type) or getattr(value, "__module__", None) != module:
            continue
        if issubclass(value, BaseException):
            _exceptions_by_name.setdefault(name, value)
            _exceptions_by_class.setdefault(id(value), name)
        elif type(value) is enum.EnumType:
            _enums_by_name.setdefault(name, value)
            _enums_by_class.setdefault(id(value), name)
        elif is_record_class(value):
            _records_by_name.setdefault(name, value)
            _records_by_class.setdefault(id(value), name)
        elif crossable(value):
            _by_name.setdefault(name, value)
            _by_class.setdefault(id(value), name)
            hashing = getattr(value, "__hash__", None)
            if hashing is not None and hashing is not object.__hash__:
                _by_value.add(id(value))
    _walked.update(_by_class, _records_by_class)
    _walked_types.update(cls for cls in (*_by_name.values(), *_records_by_name.values()) if id(cls) in _walked)


def clear() -> None:
    for table in (_by_name, _by_class, _records_by_name, _records_by_class, _enums_by_name, _enums_by_class,
                  _exceptions_by_name, _exceptions_by_class, _by_value, _walked, _walked_types):
        table.clear()


def objects_accepted() -> bool:
    """Whether any plain class is accepted (its objects cross with their states)."""
    return bool(_by_class)


def accepting() -> bool:
    """Whether any class whose objects hold others is accepted (none: the codec's and
    the shared state's checks for them cost nothing)."""
    return bool(_walked)


def name_of(x: object) -> str | None:
    """The name ``x``'s class crosses under, if it is one of the accepted plain classes."""
    return _by_class.get(id(type(x))) if _by_class else None


def is_object(x: object) -> bool:
    """Whether ``x`` is an object of an accepted plain class (changeable, as a dict is)."""
    return bool(_by_class) and id(type(x)) in _by_class


def record_name(x: object) -> str | None:
    """The name ``x``'s class crosses under, if it is an accepted record class."""
    return _records_by_class.get(id(type(x))) if _records_by_class else None


def any_hashed_by_value() -> bool:
    """Whether any accepted plain class is hashed by its own code (none: nothing to check)."""
    return bool(_by_value)


def keyed_by_value(keys: Iterable[Any]) -> bool:
    """Whether an object of an accepted plain class hashed by its class's own code (a
    frozen dataclass, a ``__hash__`` of its own) is one of ``keys`` or in one, through
    their tuples, frozensets and named tuples, each visited once (a tuple shared many
    levels deep, or by every key, is small to send and huge to walk). A set or dict
    keyed so is filled once the message's states are in (``deferred_keys.fill_later``)."""
    if not _by_value:
        return False
    stack, seen = list(keys), set()
    while stack:
        x = stack.pop()
        if id(type(x)) in _by_value:
            return True
        if (type(x) is tuple or type(x) is frozenset or id(type(x)) in _records_by_class) and id(x) not in seen:
            seen.add(id(x))
            stack.extend(x)
    return False


def hashed_by_value(x: object) -> bool:
    """Whether ``x`` is an object of an accepted plain class hashed by its class's own code."""
    return bool(_by_value) and id(type(x)) in _by_value


def is_record(x: object) -> bool:
    return bool(_records_by_class) and id(type(x)) in _records_by_class


def walked(x: object) -> bool:
    """Whether ``x`` is an object of an accepted class that holds others (plain, record)."""
    return bool(_walked) and id(type(x)) in _walked


def any_of(types: set[type]) -> bool:
    """Whether any of ``types`` is an accepted class whose objects hold others."""
    return bool(_walked) and not types.isdisjoint(_walked_types)


def walked_types() -> set[type]:
    """The accepted classes whose objects hold others (plain classes, records)."""
    return _walked_types


def state_of(x: object) -> dict[str, Any] | None:
    """An accepted object's ``__dict__``, read past any ``__getattribute__`` of its class;
    None if it is not a plain dict."""
    state = object.__getattribute__(x, "__dict__")
    return state if type(state) is dict else None


def made(name: object) -> object | None:
    """A new object of the class accepted under ``name``, none of its code run; None if
    no class is accepted under that name."""
    cls = _by_name.get(name) if type(name) is str else None
    if cls is None:
        return None
    try:
        return object.__new__(cls)
    except TypeError:  # an abstract class of the task's: plain Python could not make one either
        return None


def give_state(obj: object, state: object) -> bool:
    """Make ``state`` (a dict that crossed, attributes named by strings) ``obj``'s own
    ``__dict__``; False if it is not such a dict or ``obj`` would not keep it."""
    if type(state) is not dict or not all(type(key) is str for key in state):
        return False
    try:
        object.__setattr__(obj, "__dict__", state)
        return object.__getattribute__(obj, "__dict__") is state
    except (AttributeError, TypeError):
        return False


def record_made(name: object, items: list[Any]) -> tuple[Any, ...] | None:
    """A record of the class accepted under ``name`` holding ``items``, none of its code
    run; None if there is no such class or ``items`` are not one per field."""
    cls = _records_by_name.get(name) if type(name) is str else None
    if cls is None or len(items) != len(cls._fields):  # type: ignore[attr-defined]
        return None
    record: tuple[Any, ...] = tuple.__new__(cls, items)
    return record


def class_name(cls: object) -> str | None:
    """The name a class the prompt defines (plain, record, enum or exception) is bound to,
    if it is one: the class itself crosses as that name (``functions``), so the
    candidate's ``except E``, ``isinstance(v, C)`` and ``Color[name]`` see the prompt's."""
    key = id(cls)
    for by_class in (_by_class, _records_by_class, _enums_by_class, _exceptions_by_class):
        name = by_class.get(key)
        if name is not None:
            return name
    return None


def class_named(name: object) -> type | None:
    """The class the prompt binds to ``name`` on this side, if any (``class_name``)."""
    if type(name) is not str:
        return None
    for by_name in (_by_name, _records_by_name, _enums_by_name, _exceptions_by_name):
        cls = by_name.get(name)
        if cls is not None:
            return cls
    return None


def exception_name(cls: object) -> str | None:
    """The name an exception class the prompt defines is bound to, if it is one."""
    return _exceptions_by_class.get(id(cls)) if _exceptions_by_class else None


def exception_named(name: str) -> type | None:
    """The exception class the prompt binds to ``name`` on this side, if any."""
    return _exceptions_by_name.get(name)


def member_of(x: object) -> list[str] | None:
    """A member of an enum the task's prompt defines, as it crosses: its class's name
    and its own (a member is one object on each side, ``is`` holds); None for anything
    else, a combination of flags (no member of its own) too."""
    name = _enums_by_class.get(id(type(x))) if _enums_by_class else None
    if name is None:
        return None
    own = vars(x).get("_name_")
    return [name, own] if type(own) is str and type(x)._member_map_.get(own) is x else None  # type: ignore[attr-defined]


def member_named(body: list[Any]) -> object | None:
    """The member ``member_of`` named, on this side; None if there is none."""
    if len(body) != 2 or type(body[0]) is not str or type(body[1]) is not str:
        return None
    cls = _enums_by_name.get(body[0])
    return None if cls is None else cls._member_map_.get(body[1])  # type: ignore[attr-defined]
