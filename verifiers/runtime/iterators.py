"""An iterator the candidate returns (a generator, a ``map``, ``zip`` or ``filter``
object, an ``itertools`` one): it cannot cross the channel as it is, so the
candidate's side runs it to its end (``drained``) and the tests get a generator over
what it yielded (``yielded``), which then raises what it raised, if it did.

Before, a right answer returning one failed (``cannot send a value of type
generator``), whatever its tests did with it. What differs from plain Python: the
candidate's iterator runs when it is returned, not as the tests read it (its
exception comes where the tests read past the items before it, as in plain Python,
but what it does to its arguments is done by then); one that yields more than
``ITEMS_LIMIT`` items, or more than ``SIZE_LIMIT`` in all (an endless one), gives the
tests what it yielded to there, and reading past them fails the candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from . import weighing

ITEMS_LIMIT = 100_000
"""Most items an iterator is run for: an endless one stops here (a test of one reads a
few: ``islice(candidate(), 10)``)."""
SIZE_LIMIT = 1_000_000
"""Most it is run for in all, as ``weighing`` counts: an endless one whose items grow
(Fibonacci's numbers) stops here, long before it fills the candidate's memory (a red
team's ran into the memory limit)."""
_CHANGEABLE = frozenset({list, dict, set, bytearray})
SNAPSHOT_DEPTH = 50
"""How deep into a yielded item its containers are copied; deeper ones are themselves."""
MORE = "more"
"""How ``drained`` says the iterator had more items than it ran for."""
_ITERATOR_MODULES = frozenset({"builtins", "itertools"})


def is_iterator(x: object) -> bool:
    """Whether ``x`` is one of Python's own iterators (a generator, ``map``, an
    ``itertools`` object...); an iterator class of the candidate's own is not (its other
    methods are its own, and it cannot cross)."""
    t = type(x)
    return t.__module__ in _ITERATOR_MODULES and hasattr(t, "__next__") and hasattr(t, "__iter__")


def drained(it: Iterator[Any], reply_of: Callable[[Exception], list[Any]],
            the_tests: Callable[[Any], bool]) -> tuple[list[Any], Any]:
    """What ``it`` yields, up to ``ITEMS_LIMIT`` items and ``SIZE_LIMIT`` in all
    (``weighing.weight``), and how it ended: None at its end, ``MORE`` where it had
    more, or ``reply_of`` the exception it raised. Each item is kept as it was when
    yielded (``_as_yielded``): a generator that yields one list and changes it in place
    (a window sliding over the input, a row of Pascal's triangle) gave the tests its
    last state every time. What ``the_tests`` own crosses as itself.
    A fault of the candidate's process (``SystemExit``, ``MemoryError``) propagates, as
    from a call."""
    items: list[Any] = []
    size = 0
    while True:
        try:
            item = next(it)
        except StopIteration:
            return items, None
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - raised by the candidate's iterator: the tests meet it
            return items, reply_of(exc)
        size += weighing.weight(item, SIZE_LIMIT)
        if len(items) == ITEMS_LIMIT or size > SIZE_LIMIT:
            return items, MORE
        items.append(_as_yielded(item, the_tests))


def _as_yielded(x: Any, the_tests: Callable[[Any], bool], depth: int = 0) -> Any:
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


def yielded(items: list[Any], ending: Any, raised: Callable[[Any], BaseException]) -> Iterator[Any]:
    """The tests' generator over ``items``, ending as the candidate's did: at its end, or
    raising ``raised(ending)`` (the rebuilt exception, or the candidate's fault for an
    iterator longer than it was run for)."""
    yield from items
    if ending is not None:
        raise raised(ending)
