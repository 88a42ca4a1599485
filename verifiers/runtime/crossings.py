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


class OpenCall:
    """One side's view of the table of the call in progress (``shared``), and what it
    last synced of it: its lists apart (``_lists``, their members also held flat, to tell
    "none changed" in one pass in C), the other containers by number (``_others``)."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self.synced = False
        self._counted = 0
        """How many of the table's objects the snapshot has looked at."""
        self._lists: dict[int, list[Any]] = {}
        self._others: dict[int, list[Any]] = {}
        self._flat: list[Any] = []
        self._lengths: list[int] = []
        self._pending: list[int] = []
        """What ``changes`` found, for ``settled``."""
        self._raw: dict[int, list[Any]] | None = None
        """The snapshot as the call's start took it, until a crossing splits it."""

    def sync(self, before: dict[int, list[Any]] | None = None) -> None:
        """The table as it is now (or as ``before`` says it was: a snapshot the caller took
        at the call's start, kept as it is until a crossing needs it split, so a call
        that crosses nothing pays nothing more) is what both sides hold."""
        self._raw = snapshots(self.shared.objects) if before is None else before
        self._counted = len(self.shared.objects)
        self.synced = True

    def _split(self) -> None:
        if self._raw is None:
            return
        objects = self.shared.objects
        self._lists = {i: held for i, held in self._raw.items() if type(objects[i]) is list}
        self._others = {i: held for i, held in self._raw.items() if type(objects[i]) is not list}
        self._raw = None
        self._flatten()

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
            if not self._lists_unchanged():
                numbers += changed_numbers(objects, self._lists)
        self._pending = numbers
        return encoded_changes(self.shared, numbers)

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
        if not self.synced or not numbers and self._counted == len(objects):
            return
        self._split()
        for i in itertools.chain(numbers, range(self._counted, len(objects))):
            if changeable(objects[i]):
                (self._lists if type(objects[i]) is list else self._others)[i] = members(objects[i])
        self._counted = len(objects)
        self._flatten()

    def release(self) -> None:
        """Let go of the snapshot: its lists hold what the table's containers hold, which
        would count as held (``shared_state.held``)."""
        self.synced = False
        self._lists, self._others, self._flat, self._lengths, self._pending, self._raw = {}, {}, [], [], [], None

    def _flatten(self) -> None:
        self._flat = list(itertools.chain.from_iterable(self._lists.values()))
        self._lengths = list(map(len, self._lists.values()))

    def _lists_unchanged(self) -> bool:
        """Whether every list of the snapshot holds the same objects as then, in one pass."""
        lists = list(map(self.shared.objects.__getitem__, self._lists))
        return list(map(len, lists)) == self._lengths \
            and all(map(operator.is_, itertools.chain.from_iterable(lists), self._flat))
