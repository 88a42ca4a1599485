"""One call's table on either side of the channel (``Shared``): the containers and
objects of its messages, numbered alike on both sides, and how its functions cross
(``FunctionCodec``, the tags of ``functions``). The codec (``codec``) encodes and
decodes with it.
"""

from __future__ import annotations

from typing import Any, Protocol

from . import numpy_arrays, task_classes
from .deferred_keys import Pending
from .dict_kinds import DICT_KINDS


class FunctionCodec(Protocol):
    """How a side's functions cross (``functions.FunctionTable``)."""

    def encode(self, x: Any) -> dict[str, list[Any]]: ...

    def decode(self, tag: str, body: list[Any]) -> Any: ...


OWN = "c"
"""The tag of the sender's own callable."""
GIVEN_BACK = "g"
"""The tag of the receiver's own callable, handed back."""
BUILTIN = "B"
"""The tag of a builtin (``int``, ``len``, ``ValueError``): itself on either side, by
name, so ``typ is bool`` holds for the one the tests passed (a twenty-eighth red team)."""
PROMPT_CLASS = "P"
"""The tag of a class the prompt defines, passed as a value (``except E``, ``isinstance(v,
C)``, ``Color[name]``): the other side's class of that name (``task_classes``)."""
FUNCTION_TAGS = frozenset({OWN, GIVEN_BACK, BUILTIN, PROMPT_CLASS})
"""How a function crosses (``functions``)."""


class Shared:
    """The containers of one call's arguments by the order they were first met (before
    what they hold), on both sides of the channel: met again, a container travels as
    ``{"@": its index}``. So parts of an argument that are one object (``[row, row]``)
    arrive as one, and what a call did to the tests' objects comes back naming them
    (``shared_state.changes``): a list the candidate moved is the tests' own list,
    moved, not a copy equal to it (red teams: copies written back by value wrote a
    sort's values into the wrong objects, and left a test's own objects changed)."""

    def __init__(self, objects: list[Any] | None = None, functions: FunctionCodec | None = None) -> None:
        self.objects: list[Any] = list(objects or [])
        self._index = {id(o): i for i, o in enumerate(self.objects)}
        self._open: set[int] = set()
        """Tuples and frozensets being encoded: one that contains itself (through a list)
        cannot be decoded, since it exists only once what it holds does."""
        self.references = 0
        """How many references decoding met: none, and what was decoded is a tree."""
        self.numbering = True
        """False: only lists, dicts, sets and arrays met for the first time are numbered (a
        candidate's returned value: what could change, or the tests could change, keeps
        one identity on both sides; tuples cross as copies, at no numbering cost)."""
        self.deferred: list[Any] = []
        """Objects of the task's classes met, in order, whose state has yet to be encoded
        (or, decoding, given): each travels after the message's values, at depth 0
        (``encode_states``), so a linked list of a thousand nodes is no deeper than one."""
        self._states_done = 0
        self.pending: Pending = []
        """Sets and dicts decoded whose keys are hashed by their classes' own code, to fill
        once the message's states are in (``deferred_keys.fill_later``)."""
        self._copies: dict[int, tuple[object, int]] = {}
        """A subclass's object (a list subclass) by id, with the number of its plain copy:
        met again in the call (in its keyword arguments, or its reply), it is that copy
        (``_as_plain``). Kept alive with the table, as the table's objects are."""
        self.functions = functions
        """Where functions cross (a single call's table on either side): a callable that is
        no value crosses as a handle (``functions``); without it, it cannot cross."""
        self.busy = False
        """Set while a message is being encoded from this table: the candidate's code that
        runs meanwhile (a ``__class__`` property read by ``isinstance``) may not cross in
        the middle of it (a twenty-ninth red team: its callback's values were numbered
        inside the reply's)."""

    def checkpoint(self) -> tuple[int, int, int, int, int]:
        """Where the table stands, to go back to (``rollback``) if a message being made
        from it fails: numbered halfway, the two sides would number one apart from then on
        (a twenty-ninth red team: a callback the candidate caught the failure of)."""
        return len(self.objects), len(self._copies), len(self.deferred), self._states_done, len(self.pending)

    def rollback(self, point: tuple[int, int, int, int, int]) -> None:
        """The table as it was at ``point``."""
        count, copies, deferred, done, pending = point
        del self.pending[pending:]
        for x in self.objects[count:]:
            if self._index.get(id(x), -1) >= count:
                del self._index[id(x)]
        del self.objects[count:]
        for key in list(self._copies)[copies:]:
            del self._copies[key]
        del self.deferred[deferred:]
        self._states_done = done
        self._open = {at for at in self._open if at < count}

    def forget_deferred(self) -> None:
        """Every state sent (or given): the list lets go of the objects, whose references
        would otherwise count as the candidate's own (``shared_state.held``)."""
        self.deferred.clear()
        self._states_done = 0

    def index_of(self, x: object) -> int | None:
        return self._index.get(id(x))

    def add(self, x: object) -> int:
        if not self.numbering and type(x) is not list and type(x) is not dict and type(x) is not set \
                and type(x) not in DICT_KINDS and not task_classes.is_object(x) and not numpy_arrays.is_array(x):
            return -1
        self._index[id(x)] = len(self.objects)
        self.objects.append(x)  # and kept alive, so no other object takes its id meanwhile
        return len(self.objects) - 1

    def reserve(self) -> int:
        """A place for a tuple or frozenset being decoded, numbered before what it holds."""
        if not self.numbering:
            return -1
        self.objects.append(PENDING)
        return len(self.objects) - 1

    def settle(self, at: int, x: object) -> None:
        if at >= 0:
            self.objects[at] = x
            self._index[id(x)] = at


PENDING: Any = object()
"""A tuple or frozenset being decoded: it exists only once what it holds does."""
