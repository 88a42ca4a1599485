"""The table of a call in progress, kept in step between the two sides while calls
cross inside it (``functions``): the tests' function called by the candidate, and the
calls that function makes back. Both sides number what crosses in it alike; each
crossing carries what its sender changed of the table since the last one, and the
receiver makes it so. Control passes one way at a time, so the two sides' copies agree
whenever either side's code runs, as one object does in plain Python.

What each side last synced is a snapshot of the table's containers (``shared_state``),
moved on at each crossing by what changed and what was added, never retaken whole: a
key function over 2,000 rows is 2,000 crossings, each of which compares the 2,000 rows
(in C for lists, sets, dicts and the prompt's objects) and copies only what changed."""

from __future__ import annotations

import itertools
import operator
from collections import Counter, defaultdict
from typing import Any

from . import task_classes
from .codec import Shared
from .shared_state import changeable, changed_numbers, encoded_changes, members, snapshots


_KEY = operator.itemgetter(0)
_VALUE = operator.itemgetter(1)
_SEQUENCES = frozenset({list, set})
_DICTS = frozenset({dict, Counter, defaultdict})
"""Dicts whose order is the dict's own (an ``OrderedDict``'s is not: it is compared in
Python with the rest, ``_others``)."""


class _Flat:
    """A snapshot's members laid out flat, to tell "none changed" in a few passes in C:
    the lists' and sets' members, the dicts' keys and values, the objects' classes and
    ``__dict__``s, and the lengths."""

    __slots__ = ("members", "keys", "values", "classes", "states", "lengths", "sizes")

    def __init__(self, sequences: list[list[Any]] = [], dicts: list[list[Any]] = [],  # noqa: B006 - never changed
                 objects: list[list[Any]] = []) -> None:  # noqa: B006
        pairs = list(itertools.chain.from_iterable(dicts))  # each dict's items as snapshotted
        self.members = list(itertools.chain.from_iterable(sequences))
        self.keys, self.values = list(map(_KEY, pairs)), list(map(_VALUE, pairs))
        self.classes, self.states = list(map(_KEY, objects)), list(map(_VALUE, objects))
        self.lengths, self.sizes = list(map(len, sequences)), list(map(len, dicts))


_NOTHING_FLAT = _Flat()


class OpenCall:
    """One side's view of the table of the call in progress (``shared``), and what it
    last synced of it: its lists and sets, dicts and objects of the task's classes apart,
    held flat too (``_Flat``), the other containers by number (``_others``)."""

    __slots__ = ("shared", "synced", "_counted", "_sequences", "_dicts", "_objects", "_others", "_flat", "_pending",
                 "_raw")

    def __init__(self, shared: Shared) -> None:
        # Made for every call: what a crossing needs is made when one comes (``_split``).
        self.shared = shared
        self.synced = False
        self._counted = 0
        """How many of the table's objects the snapshot has looked at."""
        self._raw: dict[int, list[Any]] | None = None
        """The snapshot as the call's start took it, until a crossing splits it."""
        self._pending: list[int] = []
        """What ``changes`` found, for ``settled``."""
        self._sequences: dict[int, list[Any]] = {}
        self._dicts: dict[int, list[Any]] = {}
        self._objects: dict[int, list[Any]] = {}
        self._others: dict[int, list[Any]] = {}
        self._flat = _NOTHING_FLAT

    def sync(self, before: dict[int, list[Any]] | None = None) -> None:
        """The table as it is now (or as ``before`` says it was: a snapshot the caller took
        at the call's start, kept as it is until a crossing needs it split, so a call
        that crosses nothing pays nothing more) is what both sides hold."""
        self._raw = snapshots(self.shared.objects) if before is None else before
        self._counted = len(self.shared.objects)
        self.synced = True

    def changes(self) -> list[Any]:
        """What this side changed of the table since the last crossing, encoded
        (``shared_state.encoded_changes``); ``settled`` moves the snapshot on to it."""
        if not self.synced:
            return []
        objects = self.shared.objects
        if self._raw is not None:
            numbers = changed_numbers(objects, self._raw)
        else:
            numbers = changed_numbers(objects, self._others)
            if not self._unchanged_in_c():
                for group in (self._sequences, self._dicts, self._objects):
                    numbers += changed_numbers(objects, group)
        self._pending = numbers
        return encoded_changes(self.shared, numbers)

    def abandoned(self) -> None:
        """The crossing ``changes`` was for failed before it was sent: nothing moved on."""
        self._pending = []

    def settled(self, targets: tuple[Any, ...] | list[Any] = ()) -> None:
        """A crossing is whole (its values, its changes, the states of the objects of the
        task's classes it met), sent from here or received and made so here (``targets``:
        what its changes changed): the snapshot moves on to it."""
        numbers = self._pending + [i for i in map(self.shared.index_of, targets) if i is not None]
        self._pending = []
        self.moved_on(numbers)

    def moved_on(self, numbers: list[int]) -> None:
        """The containers ``numbers`` changed, and the objects numbered since were added,
        on both sides alike (sent, or received and made so here)."""
        objects = self.shared.objects
        if not self.synced:
            return
        self._split()  # a crossing: from here on, compared the fast way
        if not numbers and self._counted == len(objects):
            return
        for i in itertools.chain(numbers, range(self._counted, len(objects))):
            if changeable(objects[i]):
                self._group(objects[i])[i] = members(objects[i])
        self._counted = len(objects)
        self._flatten()

    def release(self) -> None:
        """Let go of the snapshot: its lists hold what the table's containers hold, which
        would count as held (``shared_state.held``)."""
        self.synced = False
        self._raw = None
        if self._flat is not _NOTHING_FLAT:
            self._sequences, self._dicts, self._objects, self._others = {}, {}, {}, {}
            self._flat = _NOTHING_FLAT

    def _group(self, x: Any) -> dict[int, list[Any]]:
        kind = type(x)
        if kind in _SEQUENCES:
            return self._sequences
        if kind in _DICTS:
            return self._dicts
        return self._objects if task_classes.is_object(x) else self._others

    def _split(self) -> None:
        if self._raw is None:
            return
        objects = self.shared.objects
        for i, held in self._raw.items():
            self._group(objects[i])[i] = held
        self._raw = None
        self._flatten()

    def _flatten(self) -> None:
        self._flat = _Flat(list(self._sequences.values()), list(self._dicts.values()), list(self._objects.values()))

    def _unchanged_in_c(self) -> bool:
        """Whether every list, set, dict and object of the task's classes of the snapshot
        holds the same objects as then (a dict: the same keys, in order, and values; an
        object: the same class and ``__dict__``, whose own changes are its dict's), in a
        few passes in C."""
        get, flat = self.shared.objects.__getitem__, self._flat
        sequences = list(map(get, self._sequences))
        dicts = list(map(get, self._dicts))
        held = list(map(get, self._objects))
        return list(map(len, sequences)) == flat.lengths and list(map(len, dicts)) == flat.sizes \
            and all(map(operator.is_, itertools.chain.from_iterable(sequences), flat.members)) \
            and all(map(operator.is_, itertools.chain.from_iterable(dicts), flat.keys)) \
            and all(map(operator.is_, itertools.chain.from_iterable(map(dict.values, dicts)), flat.values)) \
            and all(map(operator.is_, map(type, held), flat.classes)) \
            and all(map(operator.is_, map(object.__getattribute__, held, itertools.repeat("__dict__")), flat.states))
