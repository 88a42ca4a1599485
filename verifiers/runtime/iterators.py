"""An iterator the candidate returns (a generator, a ``map``, ``zip`` or ``filter``
object, an ``itertools`` one): it cannot cross the channel as it is, so it stays in the
candidate's process (``LiveIterators``) and the tests read it through a generator of
their own that asks for its items in batches as they read (``CandidateProxy._iterator``:
each batch is a call of its own, so what it does to the tests' objects crosses as a
call's changes do).

Before, a right answer returning one failed (``cannot send a value of type
generator``); then it was run to its end when returned, so an endless one slow to run
(primes by trial division) ran into the call's time limit, and a finite one of more
than 100,000 items failed, where plain Python's tests read only what they need.

Now nothing of it runs when it is returned, as in plain Python; the tests' first read
runs it for one item, each later batch for twice as many as the one before (bounded by
``SIZE_LIMIT`` values as ``weighing`` counts and ``BATCH_SECONDS`` of its time), so
reading a long one costs a round trip per doubling. A batch ends right after an item
holding a container the candidate still holds (``_still_held``), which crosses as one
object with the candidate's, as a value a call returns and keeps does. The C iterators
that run none of the candidate's code (``_INERT``) are read in full batches; one the
candidate itself still holds, or one over a container someone else holds, or one read
through two handles, one item a batch. What differs
from plain Python: a batch runs ahead of what the tests have read (what it does to
their arguments may be done a few items early); ``send()`` crosses only where nothing
was read ahead; after ``TOTAL_LIMIT`` values in all (an endless one read whole)
reading on fails the candidate, as plain Python's tests would hang.

The generated checks (``map_calls``) read every output whole, so there an iterator is
run to its end when returned (``drained``), each item copied as it was when yielded,
or cut at ``ITEMS_LIMIT`` items or ``SIZE_LIMIT`` values: the cut is an output of its
own.
"""

from __future__ import annotations

import gc
import itertools
import sys
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from . import numpy_arrays, numpy_values, shared_state, task_classes, weighing
from .codec import REPLY_DEPTH
from .dict_kinds import DICT_KINDS

ITEMS_LIMIT = 100_000
"""Most items a generated check reads of one iterator, and one batch's count at most."""
SIZE_LIMIT = 250_000
"""Most values one batch carries, as ``weighing`` counts: an endless one whose items
grow (Fibonacci's numbers) stops here, long before it fills the candidate's memory (a
red team's ran into the memory limit), and the reply fits the channel however its
values are written (a float takes up to 25 bytes, a character outside the BMP 12:
a million of them outgrew the reply, a twenty-first red team)."""
TOTAL_LIMIT = 40 * SIZE_LIMIT
"""Most values the tests may read of one iterator in all."""
BATCH_SECONDS = 0.02
"""A batch that has run this long ends at its next item: an endless generator slow per
item (primes by trial division) is read as far as the tests read it, not for a batch's
count of items, which could outlast the call's time limit."""
BATCH_OVERHEAD = 10
"""How many times a call's bookkeeping a batch may run for (``LiveIterators.bookkeeping``)."""
BOOKKEEPING_FLOOR = 0.001
"""Bookkeeping below this (a table of a few thousand values) leaves batches to their
count: run ahead for time, a batch would change the tests' arguments early, or keep
them waiting on an item they never read, for nothing worth saving."""
_POOLED: frozenset[type] = frozenset({
    itertools.combinations, itertools.permutations, itertools.combinations_with_replacement, itertools.product,
    itertools.repeat})
"""The ``itertools`` objects whose pool was made when they were."""
_INERT: frozenset[type] = _POOLED | frozenset({
    type(iter([])), type(iter(())), type(reversed([])), type(iter(range(0))), type(iter(range(1 << 64))),
    type(iter("")), type(iter("\u00e9")), type(iter(b"")), type(iter({}.keys())), type(iter({}.values())),
    type(iter({}.items())), type(iter(set()))})
"""The iterators that run no code of the candidate's as they go (their pools were made
when they were: ``combinations`` of the candidate's lists): nothing can change an item
between its yield and the batch's end, so their items cross as themselves, numbered,
and never end a batch (a pool's own references made every item look held: a
twenty-second red team's 11,175 pairs timed out; told apart by what the pool held when
returned, a pool that was the candidate's own tuple hid its holds: a twenty-third)."""
_OPEN = (list, dict, set)
"""The builtin containers that can change (``isinstance``: a subclass's object too)."""
_CHANGEABLE = frozenset(_OPEN)
_RESULT_REUSERS: frozenset[type] = frozenset({enumerate, zip, itertools.zip_longest})
"""The iterators that hand out one result tuple again when nothing else holds it: their
own reference to the item is theirs, filled by C with new values (every item of an
``enumerate`` of fresh lists ended its batch). Not ``accumulate``: its total goes to the
candidate's function, which may change it (a twenty-third red team)."""
SNAPSHOT_DEPTH = 50
"""How deep into a yielded item its containers are copied; deeper ones are themselves."""
MORE = "more"
"""The ending of an iterator cut where it was read to (``drained``; ``TOTAL_LIMIT``)."""
RETURNED = "returned"
"""The ending of a generator that returned a value (not None), the batch's last item:
the tests' generator returns it, so ``yield from`` and ``StopIteration.value`` see it."""
_ITERATOR_MODULES = frozenset({"builtins", "itertools", "_collections"})  # a deque's iterators
_monotonic = time.monotonic  # bound at load: the candidate runs in this process and may patch time
_refcount = sys.getrefcount
_weakrefs = weakref.getweakrefcount
_referents = gc.get_referents
_HOLDING = frozenset({list, tuple, set, frozenset} | DICT_KINDS)
_NOTHING = object()
_GENERATOR = type((lambda: (yield))())

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
    return type(x) is _GENERATOR


class _Reading:
    """One iterator the tests are reading: how many items its next batch runs for, what
    they have read of it so far (``weighing``), and an item it yielded that did not fit
    the last batch."""

    __slots__ = ("iterator", "batch", "read", "held_over", "driven", "readers", "kept", "inert", "reuses_result",
                 "pooled", "anchor", "finished")

    def __init__(self, iterator: Iterator[Any], kept: set[int] | None = None) -> None:
        self.iterator = iterator
        # By the types themselves: a class of the candidate's may take any name (a
        # twenty-fourth red team's ``list_iterator`` changed what it had yielded).
        self.inert = type(iterator) in _INERT
        """It runs no code of the candidate's as it goes (``_INERT``)."""
        self.reuses_result = type(iterator) in _RESULT_REUSERS
        self.pooled = is_generator(iterator) or type(iterator) in _POOLED
        """It reads from nothing another call could advance: a generator (its frame is
        not looked into), or an ``itertools`` object whose pool was made when it was."""
        """It may hand out its result tuple again (``_RESULT_REUSERS``)."""
        self.batch = 1
        self.read = 0
        self.held_over: Any = _NOTHING
        self.driven = False
        """The tests have sent it a value (``send()``), or read it through two handles:
        from then on, one item a batch."""
        self.readers = 1
        """The tests' generators reading it (``LiveIterators.returned``)."""
        self.kept = set() if kept is None else kept
        """``LiveIterators.kept``."""
        self.anchor = list(_referents(iterator)) if self.inert else []
        """What an inert iterator reads from, held while the tests read it: run out, it lets
        go of its list, whose ``__del__`` (the candidate's) then ran inside the batch and
        changed items already taken (a twenty-fourth red team)."""
        if any(n > _CONTAINER_BASE for n in _open_containers(self.anchor)):
            # A list, dict or set someone else holds (the tests', the candidate's global)
            # may change between reads: read ahead, its items went stale (a twenty-fourth
            # red team: ``iter(xs)``, then the tests set ``xs[2]``).
            self.driven = True
        self.finished = False
        """It ended while another of the tests' generators still reads it: that one meets
        its end too (a twenty-fourth red team: a ``KeyError``, the candidate's fault)."""


class LiveIterators:
    """The candidate's side: the iterators it returned that the tests are still reading,
    by number (a handle the tests' generator sends back for its next batch)."""

    def __init__(self) -> None:
        self._readings: dict[int, _Reading] = {}
        self._ended: list[_Reading] = []
        self._handles: dict[int, int] = {}
        """Each iterator's handle, by its id (an id outliving its iterator names a handle
        whose reading is gone or another's: checked by identity)."""
        self._numbers = itertools.count(1)
        self.kept: set[int] = set()
        """The ids of the candidate's containers that crossed while it held them (yielded by
        any of its iterators, or returned by a call, ``candidate_calls._reply``): they are
        the tests' objects too from then on, so an item holding one ends its batch as a
        container still held does (a twenty-second red team: a memo's list returned by a
        call, then yielded and changed as the batch ran on; an id outliving its object
        only ends batches early)."""
        self.may_call_back: Callable[[], bool] = lambda: False
        """Whether the candidate holds any function of the tests' (``candidate_calls``): then
        a lazy reading runs one item a batch, so no function of the tests' runs for an item
        the tests have not asked for, nor for the end (a thirtieth red team: a generator's
        ``on_done()`` after its loop ran when the tests read its last item)."""
        self.callbacks = 0
        """How many times the candidate has called a function of the tests' (``candidate_calls``):
        a batch ends right after an item whose making called one, so the tests' function
        has run for no item the tests have not read (a lazy ``map`` of a counting function)."""
        self.bookkeeping = 0.0
        """What the last call spent on the table it shares with the tests (its snapshots and
        changes): a batch runs at least ``BATCH_OVERHEAD`` times as long (past its count),
        so a generator over a large argument the tests share is not read in batches each
        of which costs more to account for than to run (a twenty-first red team: a
        million items timed out)."""

    def returned(self, iterator: Iterator[Any]) -> int:
        """The handle the tests read ``iterator`` by, returned by a call: nothing of it
        runs before they read it. One returned again (a global the candidate hands out
        twice) keeps its handle, and is read one item a batch from then on: two readers
        of one iterator each get the item after the other's (a twenty-third red team:
        each read ahead of its own)."""
        handle = self._handles.get(id(iterator), 0)
        reading = self._readings.get(handle)
        if reading is not None and reading.iterator is iterator:
            reading.readers += 1
            reading.driven = True
            return handle
        handle = self._handles[id(iterator)] = next(self._numbers)
        self._readings[handle] = _Reading(iterator, self.kept)
        return handle

    def next_batch(self, handle: Any, sent: list[Any], reply_of: ReplyOf, the_tests: TheTests
                   ) -> tuple[list[Any], Any]:
        """The next batch of the iterator ``handle`` names (``sent``: ``[value]`` where the
        tests sent it one, else empty), and how it ended: None at its end, ``reply_of``
        the exception it raised, ``MORE`` past ``TOTAL_LIMIT``, or the handle again
        where it has more. A handle the candidate never gave is a ``KeyError``."""
        reading = self._readings.pop(handle)
        if reading.finished:
            self._readings[handle] = reading
            return [], None
        if not reading.driven and (_refcount(reading.iterator) > _ITERATOR_BASE or _weakrefs(reading.iterator)
                                   or not reading.pooled and _reads_what_others_hold(reading.iterator)):
            # The candidate holds the iterator itself (a global it reads on in another
            # call, ``__reduce__`` reaching its list), or, for a C iterator, what it reads
            # from (``map(abs, G)``): read ahead, the tests got items it took afterwards
            # (twenty-fifth and twenty-seventh red teams). From then on, one item a batch.
            reading.driven = True
        if sent:
            if reading.held_over is not _NOTHING:
                raise RuntimeError("a value sent to an iterator read ahead")
            reading.driven = True
        if not reading.driven and not reading.inert and self.may_call_back():
            reading.driven = True
        now, least = _monotonic(), 0.0
        if self.bookkeeping > BOOKKEEPING_FLOOR and not reading.driven:
            least = BATCH_OVERHEAD * self.bookkeeping
        items, ending, weight = _batch(reading, 1 if reading.driven else reading.batch,
                                       (now + least, now + max(BATCH_SECONDS, least)), sent, reply_of, the_tests,
                                       lambda: self.callbacks)
        reading.read += weight
        reading.batch = min(2 * reading.batch, ITEMS_LIMIT)
        if ending is _NOTHING and reading.read >= TOTAL_LIMIT:
            ending = MORE
        if ending is _NOTHING:
            self._readings[handle] = reading
            return items, handle
        if reading.readers > 1:
            reading.finished = True
            self._readings[handle] = reading
        else:
            self._ended.append(reading)  # let go of at the next call, never while this reply is made
        return items, ending

    def drop(self, handles: Any) -> None:
        """At a call's start: let go of the iterators that ended at the last call, and of
        those the tests dropped unread to their end (a generator's ``finally`` then
        runs, as in plain Python when the tests let go of it)."""
        self._ended.clear()
        if type(handles) is not list:
            raise TypeError("malformed list of dropped iterators")
        for handle in handles:
            reading = self._readings.get(handle) if type(handle) is int else None
            if reading is not None:
                reading.readers -= 1
                if reading.readers <= 0:
                    del self._readings[handle]


def drained(it: Iterator[Any], reply_of: ReplyOf, the_tests: TheTests) -> tuple[list[Any], Any]:
    """What ``it`` yields, run now, for a generated check: to its end, or cut (``MORE``)
    past ``ITEMS_LIMIT`` items or ``SIZE_LIMIT`` values."""
    items, ending, _ = _batch(_Reading(it), ITEMS_LIMIT, None, [], reply_of, the_tests)
    return items, MORE if ending is _NOTHING else ending


def _batch(reading: _Reading, count: int, deadline: tuple[float, float] | None, sent: list[Any],
           reply_of: ReplyOf, the_tests: TheTests, callbacks: Callable[[], int] = lambda: 0
           ) -> tuple[list[Any], Any, int]:
    """Up to ``count`` items of ``reading`` and ``SIZE_LIMIT`` values in all (one item
    alone may weigh more); how it ended (None, an exception's reply, or ``_NOTHING``
    where it may have more; read lazily, ``RETURNED``, the last item being a generator's
    return value); and what the items weigh. An item that does not fit is
    held over for the next batch, never lost. A fault of the candidate's process
    (``SystemExit``, ``MemoryError``) propagates, as from a call.

    Read lazily (with a ``deadline``: not before its first time, by its second), the
    batch ends at ``count`` once past the first time, at the second once it has an
    item, and right after an item holding a container the candidate still holds
    (``_still_held``): the tests get that item before the candidate runs on, and
    what it then does to the container reaches their object as a call's changes do,
    so a generator that yields one list and changes it in place shows what plain
    Python shows (``list(g)`` sees it in its last state; a sliding window read item by
    item sees each). Run now (no ``deadline``, a generated check's output), it is run
    one item past ``count`` to tell an end from a cut, and each item is kept as it was
    when yielded (``_as_yielded``)."""
    items: list[Any] = []
    size = 0
    it: Any = reading.iterator
    while True:
        called = callbacks()
        if reading.held_over is not _NOTHING:
            item, reading.held_over = reading.held_over, _NOTHING
        else:
            try:
                # ``send`` of a map or zip raises AttributeError, as in plain Python.
                item = it.send(sent[0]) if sent else next(it)
            except StopIteration as stop:
                if deadline is None or stop.value is None:
                    return items, None, size
                items.append(stop.value)  # a generator's return value: after its items
                return items, RETURNED, size
            except MemoryError:
                raise
            except Exception as exc:  # noqa: BLE001 - raised by the candidate's iterator: the tests meet it
                return items, reply_of(exc), size
            sent = []
        t = type(item)
        # numpy's scalars are leaves too, kept as the very object (its NaN's identity: a
        # thirty-ninth red team).
        scalar = t is int or t is float or t is str or item is None or t is bool or numpy_values.is_scalar_type(t)
        # What ``weighing`` makes of a scalar, in place: a million items cost one call each.
        weight = 1 + (int.bit_length(item) >> 2 if t is int else str.__len__(item) if t is str else 0) if scalar \
            else weighing.weight(item, SIZE_LIMIT)
        if items and (deadline is None and len(items) == count or size + weight > SIZE_LIMIT):
            reading.held_over = item
            return items, _NOTHING, size
        size += weight
        if deadline is None:
            items.append(item if scalar else _as_yielded(item, the_tests))
            continue
        if scalar or reading.inert:  # nothing of the candidate's runs before the tests read it
            items.append(item)
        else:
            own = 1 if reading.reuses_result and type(item) is tuple and any(r is item for r in _referents(it)) else 0
            held = _still_held(item, the_tests, reading.kept, _ITEM_REFERENCES + own)
            # One nothing else holds is copied all the same (a subclass's object as its
            # plain value): what crosses is what was yielded, whatever the batch runs on
            # to. (The collector reaches anything in this process, the copy too: a
            # candidate going there to behave well only here is docs/LIMITS.md's.)
            items.append(item if held else _as_yielded(item, the_tests))
            if held:
                return items, _NOTHING, size
        if callbacks() != called:
            return items, _NOTHING, size
        if len(items) >= count and _monotonic() >= deadline[0] or _monotonic() > deadline[1]:
            return items, _NOTHING, size


def _still_held(item: Any, the_tests: TheTests, kept: set[int], item_references: int) -> bool:
    """Whether the candidate still holds (in its generator's frame, a global...) a
    container of ``item`` that can change, or one that leads to such a container: read
    from reference counts, as ``shared_state.held`` reads them, ``item_references``
    being the references the caller's frames hold to ``item`` itself; the containers
    found held are added to ``kept``. Of the tests' own objects (what happens to them
    crosses with every call anyway), only those ``kept`` names count: the candidate's
    containers that crossed in an earlier batch."""
    found, theirs = _containers(item, the_tests)
    if any(map(kept.__contains__, map(id, theirs))):
        return True
    if not any(map(_changeable, found)):
        return False
    inside = shared_state.references_inside(found, dict(zip(map(id, found), itertools.count())))
    counts = list(map(_refcount, found))  # found's own reference and the call's: shared_state's base
    if found[0] is item:
        counts[0] -= item_references
    # A weak reference is a hold the counts do not show (a set, an object of the
    # prompt's classes, looked up again through a ``weakref.ref`` the generator keeps).
    if not any(count - within > shared_state.BASE for count, within in zip(counts, inside)) \
            and not any(map(_weakrefs, found)):
        return False
    kept.update(id(x) for x in found if _changeable(x))
    return True


def _changeable(x: Any) -> bool:
    """What can change: ``shared_state.changeable``'s, and a list, dict or set subclass's
    object (it crosses as a plain copy, made when the reply is)."""
    return shared_state.changeable(x) or isinstance(x, _OPEN)


def _plain_base(x: Any) -> Any:
    """The builtin container ``x``'s class subclasses, if it is such a subclass."""
    for base in (list, dict, set, tuple, frozenset):
        if isinstance(x, base):
            return base if type(x) is not base else None
    return None


def _containers(item: Any, the_tests: TheTests) -> tuple[list[Any], list[Any]]:
    """The containers in ``item`` (``item`` first, if it is one), numpy's arrays among
    them, each once, as deep as a reply carries, and apart the tests' own ones met (not
    looked into)."""
    found: list[Any] = []
    theirs: list[Any] = []
    seen: set[int] = set()
    level = [item]
    for _ in range(REPLY_DEPTH + 1):  # as deep as anything crosses (a twenty-second red team: 60 tuples deep)
        below: list[Any] = []
        for x in level:
            t = type(x)
            holds = t in _HOLDING or task_classes.is_record(x)
            base = None if holds else _plain_base(x)  # a subclass: a twenty-sixth red team's
            array = not holds and numpy_arrays.is_array_type(t)  # changes in place, holds nothing
            if not holds and base is None and not array and not task_classes.is_object(x) or id(x) in seen:
                continue
            seen.add(id(x))
            if the_tests(x):
                theirs.append(x)
                continue
            found.append(x)
            if array:
                continue
            if t in DICT_KINDS or base is dict:
                below.extend(dict.keys(x))
                below.extend(dict.values(x))
            elif holds:
                below.extend(x)
            elif base is not None:
                below.extend(base.__iter__(x))  # the builtin's own: none of the subclass's code
            else:
                below.append(object.__getattribute__(x, "__dict__"))
        if not below:
            break
        level = below
    return found, theirs


def _open_containers(anchor: list[Any]) -> list[int]:
    """The reference counts of the changeable containers of ``anchor`` (a subclass's too:
    a twenty-fifth red team's ``class Store(list)``)."""
    return [_refcount(c) for c in anchor if isinstance(c, _OPEN)]


def _container_base() -> int:
    """A list's references while ``_Reading`` looks at one only its iterator holds."""
    iterator = iter([0])
    anchor = list(_referents(iterator))
    return max(_open_containers(anchor))


def _reads_what_others_hold(iterator: Any) -> bool:
    """Whether a C iterator reads from an iterator (through the C iterators it reads
    from) that something else holds too: the candidate, to advance it in another call.
    A list it reads from is not looked at (a ``map`` over the tests' list read an item
    a round trip would time out on a large one; docs/LIMITS.md: a batch may read ahead
    of a later change), nor a generator's frame."""
    return any(count > _REFERENT_BASE for count in _source_counts(iterator))


def _source_counts(iterator: Any) -> list[int]:
    """The reference counts of the iterators ``iterator`` reads from, as far as C
    iterators lead (a few levels: ``map(f, zip(a, b))``)."""
    counts: list[int] = []
    level = [iterator]
    for _ in range(6):
        below = []
        for source in level:
            for r in _referents(source):
                if type(r) is tuple:  # how ``map`` and ``zip`` hold their sources
                    below.append(r)
                elif is_iterator(r):
                    counts.append(_refcount(r))
                    if not is_generator(r):
                        below.append(r)
        level = below
    return counts


def _referent_base() -> int:
    """A source's references while ``_source_counts`` looks at one only its reader holds."""
    iterator = map(abs, iter([0]))
    return max(_source_counts(iterator))  # the list_iterator's, in map's tuple


def _iterator_base() -> int:
    """An iterator's references while ``LiveIterators.next_batch`` looks at one only its
    reading holds."""
    reading = _Reading(iter([0]))
    return _refcount(reading.iterator)


def _item_references() -> int:
    """The references ``_batch``'s frames hold to the item it asks ``_still_held`` about,
    measured once on an item nothing else holds (an interpreter's constant)."""
    item: Any = [[0]]
    return next(n for n in range(16) if not _still_held(item, _nobody, set(), n))


def _nobody(_x: Any) -> bool:
    return False


def _as_yielded(x: Any, the_tests: TheTests) -> Any:
    """``x`` as it is now: the lists, dicts and sets the candidate made in it copied, as
    far as they reach (``SNAPSHOT_DEPTH``), one copy of each, so what the item named
    twice it names twice (``[[0] * n] * n``: n rows copied apart passed the wrong answer
    whose rows are one, a twenty-third red team); the tests' own objects, and any other
    object, themselves (copied whole, the tests' nodes in a yielded level of a tree came
    back as copies, and a long chain of them ran into the recursion limit: a twentieth
    red team)."""
    memo: dict[int, Any] = {}

    def copied(x: Any, depth: int) -> Any:
        t = type(x)
        # A Counter, OrderedDict or defaultdict crosses as its own kind: left as it is.
        base = None if t in _CHANGEABLE or t is tuple or t in DICT_KINDS else _plain_base(x)
        if t not in _CHANGEABLE and t is not tuple and base is None \
                or depth > SNAPSHOT_DEPTH or the_tests(x) or task_classes.is_record(x):
            return x
        if id(x) in memo:
            return memo[id(x)]
        original = x
        if base is not None:
            # A subclass's object crosses as the plain value it holds, read through the
            # builtin's own methods: made now, before the candidate changes it (a
            # twenty-sixth red team: made when the reply was, after the batch ran on).
            x = dict(dict.items(x)) if base is dict else base(base.__iter__(x))
            t = type(x)
            if t is frozenset:
                memo[id(original)] = x
                return x
        # Named by the original's id, before its members (a list that holds itself); a
        # subclass's object by its own too (its one copy: a twenty-seventh red team's
        # ``[L([0, 0])] * 2`` came back as two).
        if t is tuple:
            made: Any = tuple([copied(v, depth + 1) for v in x])
        elif t is list:
            made = memo[id(original)] = []
            made.extend([copied(v, depth + 1) for v in x])
        elif t is dict:
            made = memo[id(original)] = {}
            made.update({k: copied(v, depth + 1) for k, v in x.items()})
        else:
            made = t(x)  # a set (its members cannot change)
        memo[id(original)] = made
        return made

    return copied(x, 0)


_ITEM_REFERENCES = _item_references()
_CONTAINER_BASE = _container_base()
_ITERATOR_BASE = _iterator_base()
_REFERENT_BASE = _referent_base()
