"""The table of a call in progress, kept in step between the two sides while calls
cross inside it (``functions``): the tests' function called by the candidate, and the
calls that function makes back. Both sides number what crosses in it alike; each
crossing carries what its sender changed of the table since the last one, and the
receiver makes it so. Control passes one way at a time, so the two sides' copies agree
whenever either side's code runs, as one object does in plain Python.

What each side last synced is a snapshot of the table's containers (``shared_state``),
moved on at each crossing by what changed and what was added, never retaken whole: a
key function over 2,000 rows is 2,000 crossings, each of which compares the 2,000 rows
(in C where they are lists) and copies only what changed."""

from __future__ import annotations

import itertools
import operator
from typing import Any

from .codec import Shared
from .shared_state import changeable, changed_numbers, encoded_changes, members, snapshots


_NOTHING_FLAT: tuple[list[Any], list[Any], list[Any], list[int], list[int]] = ([], [], [], [], [])
_KEY = operator.itemgetter(0)
_VALUE = operator.itemgetter(1)


class OpenCall:
    """One side's view of the table of the call in progress (``shared``), and what it
    last synced of it: its lists and plain dicts apart, their members also held flat to
    tell "none changed" in one pass in C (``_unchanged_in_c``), the other containers by
    number (``_others``)."""

    __slots__ = ("shared", "synced", "_counted", "_lists", "_dicts", "_others", "_flat", "_pending", "_raw")

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
        self._lists: dict[int, list[Any]] = {}
        self._dicts: dict[int, list[Any]] = {}
        self._others: dict[int, list[Any]] = {}
        self._flat: tuple[list[Any], list[Any], list[Any], list[int], list[int]] = _NOTHING_FLAT
        """The lists' members, the dicts' keys and values, the lists' and the dicts' lengths."""

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
                numbers += changed_numbers(objects, self._lists) + changed_numbers(objects, self._dicts)
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
                self._kind(objects[i])[i] = members(objects[i])
        self._counted = len(objects)
        self._flatten()

    def release(self) -> None:
        """Let go of the snapshot: its lists hold what the table's containers hold, which
        would count as held (``shared_state.held``)."""
        self.synced = False
        self._raw = None
        if self._flat is not _NOTHING_FLAT:
            self._lists, self._dicts, self._others, self._flat = {}, {}, {}, _NOTHING_FLAT

    def _kind(self, x: Any) -> dict[int, list[Any]]:
        return self._lists if type(x) is list else self._dicts if type(x) is dict else self._others

    def _split(self) -> None:
        if self._raw is None:
            return
        objects = self.shared.objects
        for i, held in self._raw.items():
            self._kind(objects[i])[i] = held
        self._raw = None
        self._flatten()

    def _flatten(self) -> None:
        lists = self._lists.values()
        pairs = list(itertools.chain.from_iterable(self._dicts.values()))  # each dict's items as snapshotted
        self._flat = (list(itertools.chain.from_iterable(lists)), list(map(_KEY, pairs)), list(map(_VALUE, pairs)),
                      list(map(len, lists)), list(map(len, self._dicts.values())))

    def _unchanged_in_c(self) -> bool:
        """Whether every list and dict of the snapshot holds the same objects as then (a
        dict: the same keys, in order, and values), in a few passes in C."""
        get = self.shared.objects.__getitem__
        lists = list(map(get, self._lists))
        dicts = list(map(get, self._dicts))
        items, keys, values, list_lengths, dict_lengths = self._flat
        return list(map(len, lists)) == list_lengths and list(map(len, dicts)) == dict_lengths \
            and all(map(operator.is_, itertools.chain.from_iterable(lists), items)) \
            and all(map(operator.is_, itertools.chain.from_iterable(dicts), keys)) \
            and all(map(operator.is_, itertools.chain.from_iterable(map(dict.values, dicts)), values))
