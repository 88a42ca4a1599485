"""An iterator the candidate returns (a generator, a ``map``, ``zip`` or ``filter``
object, an ``itertools`` one): it cannot cross the channel as it is, so it stays in the
candidate's process and the tests read it through a generator of their own that asks
for its items in batches, as they read (``LiveIterators`` on the candidate's side,
``read_lazily`` on the tests').

Before, a right answer returning one failed (``cannot send a value of type
generator``); then it was run to its end when returned, so an endless one slow to run
(primes by trial division) ran into the call's time limit, and a finite one of more
than 100,000 items failed, where plain Python's tests read only what they need.

Now nothing of it runs when it is returned, as in plain Python; the tests' first read
runs it for one item, each later batch for twice as many as the one before (up to
``ITEMS_LIMIT`` items, ``SIZE_LIMIT`` values as ``weighing`` counts, or
``BATCH_SECONDS`` of its time), so reading a long one costs a round trip per doubling.
What differs from plain Python: a batch runs ahead of what the tests have read (what
it does to its arguments may be done a few items early); ``send()`` crosses only where
nothing was read ahead; after ``TOTAL_LIMIT`` values in all (an endless one read
whole) reading on fails the candidate, as plain Python's tests would hang.

The generated checks (``map_calls``) read every output whole, so there an iterator is
run to its end when returned (``drained``), or cut at ``ITEMS_LIMIT`` items or
``SIZE_LIMIT`` values: the cut is an output of its own.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

from . import weighing

ITEMS_LIMIT = 100_000
"""Most items one batch runs for (and the generated checks read of one iterator)."""
SIZE_LIMIT = 1_000_000
"""Most values one batch carries, as ``weighing`` counts: an endless one whose items
grow (Fibonacci's numbers) stops here, long before it fills the candidate's memory (a
red team's ran into the memory limit) or the reply outgrows the channel."""
TOTAL_LIMIT = 10 * SIZE_LIMIT
"""Most values the tests may read of one iterator in all."""
BATCH_SECONDS = 0.02
"""A batch that has run this long ends at its next item: an endless generator slow per
item (primes by trial division) is read as far as the tests read it, not for a batch's
count of items, which could outlast the call's time limit."""
_CHANGEABLE = frozenset({list, dict, set, bytearray})
SNAPSHOT_DEPTH = 50
"""How deep into a yielded item its containers are copied; deeper ones are themselves."""
MORE = "more"
"""The ending of an iterator cut where it was read to (``drained``; ``TOTAL_LIMIT``)."""
_ITERATOR_MODULES = frozenset({"builtins", "itertools"})
_monotonic = time.monotonic  # bound at load: the candidate runs in this process and may patch time
_NOTHING = object()

ReplyOf = Callable[[Exception], list[Any]]
"""How the candidate's side writes an exception its iterator raised (``exceptions``)."""
TheTests = Callable[[Any], bool]
"""Whether a value is one of the tests' own objects (it crosses as itself, never copied)."""


def is_iterator(x: object) -> bool:
    """Whether ``x`` is one of Python's own iterators (a generator, ``map``, an
    ``itertools`` object...); an iterator class of the candidate's own is not (its other
    methods are its own, and it cannot cross)."""
    t = type(x)
    return t.__module__ in _ITERATOR_MODULES and hasattr(t, "__next__") and hasattr(t, "__iter__")


def is_generator(x: object) -> bool:
    """Whether ``x`` is a generator (the one iterator with ``send`` and ``throw``)."""
    t = type(x)
    return t.__module__ == "builtins" and t.__name__ == "generator"


class _Reading:
    """One iterator the tests are reading: how many items its next batch runs for, what
    they have read of it so far (``weighing``), and an item it yielded that did not fit
    the last batch."""

    __slots__ = ("iterator", "batch", "read", "held_over", "driven")

    def __init__(self, iterator: Iterator[Any]) -> None:
        self.iterator = iterator
        self.batch = 1
        self.read = 0
        self.held_over: Any = _NOTHING
        self.driven = False
        """The tests have sent it a value (``send()``): from then on, one item a batch."""


class LiveIterators:
    """The candidate's side: the iterators it returned that the tests are still reading,
    by number (a handle the tests' generator sends back for its next batch)."""

    def __init__(self) -> None:
        self._readings: dict[int, _Reading] = {}
        self._numbers = itertools.count(1)

    def returned(self, iterator: Iterator[Any]) -> int:
        """The handle the tests read ``iterator`` by, returned by a call: nothing of it
        runs before they read it."""
        handle = next(self._numbers)
        self._readings[handle] = _Reading(iterator)
        return handle

    def next_batch(self, handle: Any, sent: list[Any], reply_of: ReplyOf, the_tests: TheTests
                   ) -> tuple[list[Any], Any]:
        """The next batch of the iterator ``handle`` names (``sent``: ``[value]`` where the
        tests sent it one, else empty), and how it ended: None at its end, ``reply_of``
        the exception it raised, ``MORE`` past ``TOTAL_LIMIT``, or the handle again
        where it has more. A handle the candidate never gave is a ``KeyError``."""
        reading = self._readings.pop(handle)
        if sent:
            if reading.held_over is not _NOTHING:
                raise RuntimeError("a value sent to an iterator read ahead")
            reading.driven = True
        items, ending, weight = _batch(reading, 1 if reading.driven else reading.batch,
                                       _monotonic() + BATCH_SECONDS, sent, reply_of, the_tests)
        reading.read += weight
        reading.batch = min(2 * reading.batch, ITEMS_LIMIT)
        if ending is not _NOTHING:
            return items, ending
        if reading.read >= TOTAL_LIMIT:
            return items, MORE
        self._readings[handle] = reading
        return items, handle

    def drop(self, handles: Any) -> None:
        """Let go of the iterators the tests dropped unread to their end (a generator's
        ``finally`` then runs, as in plain Python when the tests let go of it)."""
        if type(handles) is not list:
            raise TypeError("malformed list of dropped iterators")
        for handle in handles:
            if type(handle) is int:
                self._readings.pop(handle, None)


def drained(it: Iterator[Any], reply_of: ReplyOf, the_tests: TheTests) -> tuple[list[Any], Any]:
    """What ``it`` yields, run now, for a generated check: to its end, or cut (``MORE``)
    past ``ITEMS_LIMIT`` items or ``SIZE_LIMIT`` values."""
    items, ending, _ = _batch(_Reading(it), ITEMS_LIMIT, None, [], reply_of, the_tests)
    return items, MORE if ending is _NOTHING else ending


def _batch(reading: _Reading, count: int, deadline: float | None, sent: list[Any],
           reply_of: ReplyOf, the_tests: TheTests) -> tuple[list[Any], Any, int]:
    """Up to ``count`` items of ``reading`` and ``SIZE_LIMIT`` values in all (one item
    alone may weigh more), and, read lazily (with a ``deadline``), until then once it
    has one; how it ended (None, an exception's reply, or ``_NOTHING`` where it may have
    more); and what the items weigh. Run now (no ``deadline``), it is run one item past
    ``count`` to tell an end from a cut. An item that does not fit is held over for the
    next batch, never lost. Each item is kept as it was when yielded (``_as_yielded``):
    a generator that yields one list and changes it in place (a sliding window, a row of
    Pascal's triangle) gave the tests its last state every time. A fault of the
    candidate's process (``SystemExit``, ``MemoryError``) propagates, as from a call."""
    items: list[Any] = []
    size = 0
    it: Any = reading.iterator
    while True:
        if reading.held_over is not _NOTHING:
            item, reading.held_over = reading.held_over, _NOTHING
        else:
            try:
                # ``send`` of a map or zip raises AttributeError, as in plain Python.
                item = it.send(sent[0]) if sent else next(it)
            except StopIteration:
                return items, None, size
            except MemoryError:
                raise
            except Exception as exc:  # noqa: BLE001 - raised by the candidate's iterator: the tests meet it
                return items, reply_of(exc), size
            sent = []
        weight = weighing.weight(item, SIZE_LIMIT)
        if items and (len(items) == count or size + weight > SIZE_LIMIT):
            reading.held_over = item
            return items, _NOTHING, size
        size += weight
        items.append(_as_yielded(item, the_tests))
        if deadline is not None and (len(items) == count or _monotonic() > deadline):
            return items, _NOTHING, size


def _as_yielded(x: Any, the_tests: TheTests, depth: int = 0) -> Any:
    """``x`` as it is now: the lists, dicts, sets and bytearrays the candidate made in it
    copied, as far as they reach (``SNAPSHOT_DEPTH``); the tests' own objects, and any
    other object, themselves (copied whole, the tests' nodes in a yielded level of a
    tree came back as copies, and a long chain of them ran into the recursion limit: a
    twentieth red team)."""
    t = type(x)
    if t not in _CHANGEABLE and t is not tuple or depth > SNAPSHOT_DEPTH or the_tests(x):
        return x
    if t is list or t is tuple:
        copied = [_as_yielded(v, the_tests, depth + 1) for v in x]
        return copied if t is list else tuple(copied)
    if t is dict:
        return {k: _as_yielded(v, the_tests, depth + 1) for k, v in x.items()}
    return t(x)  # a set (its members cannot change) or a bytearray
