"""What one call did to the containers both sides of the channel share, and which of
them both sides still hold when it is over.

Each call's table (``codec.Shared``) numbers the containers the call touches: those
kept from earlier calls first, then the arguments', then any the call made that ended
up in them or in its returned value. Both sides number them in the same order, so a
change travels as ``[number, what it holds now]`` (``changes``) and lands on the other
side's own object (``write_back.apply_changes``).

Kept containers are what makes a job's calls one program, as in plain Python: a
candidate that keeps an argument (in a global, a default argument, a memo) and
changes it during a later call changes the tests' object, and a change the tests make
to it between calls, or to a list the candidate returned and kept, is what the
candidate sees next (a fourth red team: the copy it kept was its own, so a test that
checked the first argument after the second call saw nothing). Only what both sides
still hold is carried from call to call (``held`` on each side), so a candidate that
keeps nothing, or keeps what the tests drop, costs a pass over the call's table.
"""

from __future__ import annotations

import itertools
import operator
import sys
import weakref
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from . import numpy_arrays, numpy_values, task_classes
from .codec import CodecError, FunctionCodec, Shared, encode_members
from .dict_kinds import DICT_KINDS, dict_items
from .key_hashing import HASH_WEIGHT_LIMIT, SHARING_LIMIT

MUTABLE = frozenset({list, set} | DICT_KINDS)
_ARRAYS = numpy_arrays.TYPES
_refcount = sys.getrefcount  # bound at load: the candidate runs in this process and may patch sys
_weakrefs = weakref.getweakrefcount
_SEQUENCES = frozenset({list, tuple, set, frozenset})
BASE = next(map(_refcount, [object()]))
"""The references a list's member has while ``held`` counts it (the list's, and the
counting's own): constant for the interpreter, so counted once."""
CONTAINERS = frozenset({list, set, tuple, frozenset} | DICT_KINDS)
_NUMBERED = CONTAINERS | {float}
"""The types whose objects a table numbers (floats: NaNs)."""
_WEIGHED = _NUMBERED - {float} | {str, bytes}
"""The types ``_visit_weights`` weighs one by one (the rest visit once)."""
_WEAKLY_HELD = frozenset({set, frozenset})
"""The table's types a weak reference can name (lists, dicts and tuples cannot be)."""


def members(container: Any) -> list[Any]:
    """A container's members as they are now (a dict's items, in its own order); an
    object of the task's classes, its class and its ``__dict__`` (``task_classes``); a
    numpy array, its state (``numpy_arrays.state``), compared by value."""
    if type(container) in DICT_KINDS:
        return list(dict_items(container))
    if task_classes.is_object(container):
        return [type(container), object.__getattribute__(container, "__dict__")]
    if numpy_arrays.is_array(container):
        return numpy_arrays.state(container)
    return list(container)


def changeable(x: Any) -> bool:
    """What a call can change: a list, dict or set, an object of the task's classes, or
    a numpy array."""
    return type(x) in MUTABLE or task_classes.is_object(x) or type(x) in _ARRAYS


def snapshots(objects: list[Any]) -> dict[int, list[Any]]:
    """What each list, dict, set and object of the table holds now: the members
    themselves, kept alive, so they are compared by identity."""
    return {i: members(objects[i]) for i in range(len(objects)) if changeable(objects[i])}


def changes(shared: Shared, before: dict[int, list[Any]]) -> list[Any]:
    """Each container of ``before`` that no longer holds the same objects, as ``[its
    number, what it holds now]`` (``encoded_changes``)."""
    return encoded_changes(shared, changed_numbers(shared.objects, before))


def changed_numbers(objects: list[Any], before: dict[int, list[Any]]) -> list[int]:
    """The numbers of ``before``'s containers that no longer hold the same objects (by
    identity: ``1`` made ``1.0`` is a change), compared in C."""
    changed = []
    for i, old in before.items():
        container = objects[i]
        now = members(container)
        if len(now) != len(old):
            same = False
        elif type(container) is set:
            same = sorted(map(id, now)) == sorted(map(id, old))
        elif type(container) in DICT_KINDS:
            same = all(map(operator.is_, itertools.chain.from_iterable(now), itertools.chain.from_iterable(old)))
        elif numpy_arrays.is_array(container):
            same = now == old  # its dtype, shape, bytes and flag, by value
        else:
            same = all(map(operator.is_, now, old))
        if not same:
            changed.append(i)
    return changed


def encoded_changes(shared: Shared, numbers: list[int]) -> list[Any]:
    """``[number, what it holds now]`` for each container of ``numbers``: a member that
    is in the table (moved, or changed itself), or one of its NaNs, is a reference to it;
    anything else is a value, numbered after the table, so what it shares stays shared
    (``[[0] * m] * n``: red team). Encoded after every comparison: a new container met
    in one is numbered once for all. An object of the task's classes changes through its
    ``__dict__`` (numbered itself); one given another ``__dict__`` or class cannot cross."""
    for i in numbers:
        if task_classes.is_object(shared.objects[i]):
            raise CodecError("an object of the task's classes given another __dict__ or class")
    return [[i, encode_members(shared.objects[i], shared)] for i in numbers]


def held(objects: list[Any], also: Iterable[int] = ()) -> list[int]:
    """The numbers of the table's objects that code outside the table can still reach,
    in order (the candidate's, or on the test side the tests'): those something else
    refers to (a global, a default argument, a frame, a weak reference to a set), those
    of ``also``, and what they hold of the table.

    Read from reference counts: an object's references from inside the table are
    counted here, and any beyond those and ``objects`` itself come from elsewhere. The
    caller must hold no other reference to the table's objects (the call's arguments
    and returned value already dropped). An object kept only by a cycle the collector
    has yet to free counts as held: carried for nothing, never missed.
    """
    index = dict(zip(map(id, objects), itertools.count()))
    inside = references_inside(objects, index)
    counts = list(map(_refcount, objects))
    # Per object in C (a grid's rows are thousands of objects): those referred to from
    # outside the table.
    reached = set(itertools.compress(itertools.count(), map(BASE.__lt__, map(operator.sub, counts, inside))))
    # A set can be kept by a weak reference alone (a WeakKeyDictionary memo: red team),
    # which the counts do not show; in plain Python the tests' set lives on, and so the memo.
    reached.update(i for i in _of_types(objects, _WEAKLY_HELD) if _weakrefs(objects[i]))
    if task_classes.accepting():  # so can an object of the prompt's classes (a twenty-second red team)
        reached.update(i for i, x in enumerate(objects) if task_classes.is_object(x) and _weakrefs(x))
    if _ARRAYS:
        # So can a view by its memory: the tests' ``data[0]`` is reached through ``data``
        # though nobody holds the view itself (let go, what the candidate kept of it then
        # no longer followed ``data``: a forty-first red team's forged pass).
        reached.update(i for i in _of_types(objects, _ARRAYS) if objects[i].base is not None)
    reached.update(also)
    if not reached:
        return []
    stack = list(reached)
    while stack:
        for i in _numbers_inside(objects[stack.pop()], index):
            if i not in reached:
                reached.add(i)
                stack.append(i)
    return sorted(reached)


def carried_on(x: Any) -> bool:
    """Whether a held object of the table opens the next call's table: what can change
    (a list, dict or set), a NaN (the table's only floats: equal only to itself, so
    ``x in kept`` needs the same one, red team), and a frozenset a weak reference names
    (its life is what a ``WeakKeyDictionary`` memo keyed on it lasts: red team); tuples
    held only for what they hold need not be."""
    return changeable(x) or type(x) is float or type(x) is frozenset and _weakrefs(x) > 0 \
        or numpy_values.is_scalar_type(type(x))  # a numpy NaN, numbered as a float's (a thirty-ninth red team)


def references_inside(objects: list[Any], index: dict[int, int]) -> list[int]:
    """How many times each object of the table (``index``: number by id) is a member of
    one of them. A container's members are filtered by identity in C, before any Python
    runs (a list of a million ints costs one pass)."""
    inside = [0] * len(objects)
    contains, number_of = index.__contains__, index.__getitem__
    for container in objects:
        t = type(container)
        if t in _SEQUENCES or task_classes.is_record(container):
            found = filter(contains, map(id, container))
        elif t in DICT_KINDS:
            found = filter(contains, map(id, itertools.chain(dict.keys(container), dict.values(container))))
        elif task_classes.is_object(container):
            found = filter(contains, [id(object.__getattribute__(container, "__dict__"))])
        else:
            continue
        for number in map(number_of, found):
            inside[number] += 1
    return inside


def _of_types(objects: list[Any], types: Collection[type]) -> Iterable[int]:
    """The numbers of the objects of exactly these types, picked out in C."""
    return itertools.compress(itertools.count(), map(types.__contains__, map(type, objects)))


def _numbers_inside(container: Any, index: dict[int, int]) -> Iterable[int]:
    """The numbers (``index``: by id) of the table's objects ``container`` holds, with
    repeats. In C: a container whose members are of no numbered type holds nothing of the
    table (a list of a million ints costs one pass over their types), and the rest are
    filtered by identity before any Python runs."""
    inner = contents(container)
    if len(inner) > 8:
        types = set(map(type, inner))
        if _NUMBERED.isdisjoint(types) and not task_classes.any_of(types) \
                and not any(map(numpy_values.is_scalar_type, types)):
            return ()
    return map(index.__getitem__, filter(index.__contains__, map(id, inner)))


def contents(x: Any) -> Collection[Any]:
    """What a container holds, a dict's keys and values, an object of the task's classes
    its ``__dict__``, a named tuple of them its items; nothing for anything else."""
    t = type(x)
    if t in DICT_KINDS:
        return [*dict.keys(x), *dict.values(x)]
    if t in (list, tuple, set, frozenset) or task_classes.is_record(x):
        return x  # type: ignore[no-any-return]
    if task_classes.is_object(x):
        return [object.__getattribute__(x, "__dict__")]
    return ()


def walkable(x: Any) -> bool:
    """What leads on to other values: a container, or an object or named tuple of the task's classes."""
    return type(x) in CONTAINERS or task_classes.walked(x)


def refuse_costly_to_visit(values: list[Any]) -> None:
    """Refuse what the candidate sent when visiting it whole (a test's ``==``, ``repr``,
    ``set()`` of it) would cost far more than what crossed: parts shared many levels deep
    cross in a few bytes, and one uninterruptible C call over them (``set(out)`` on a
    list holding a tuple shared 60 levels deep) stalled the test server until it was
    ended (a sixth red team). The bound is the codec's for hashing
    (``HASH_WEIGHT_LIMIT``, beyond ``SHARING_LIMIT`` times what crossed)."""
    expanded, own = _visit_weights(values)
    if expanded > HASH_WEIGHT_LIMIT and expanded > SHARING_LIMIT * own:
        raise CodecError("a value whose shared parts make it too costly to visit")


def _visit_weights(values: list[Any]) -> tuple[int, int]:
    """How many elements visiting ``values`` whole visits (a part held twice counts
    twice, a cycle once, a string by its length), and how many the distinct containers
    hold (what crossed): each container is weighed once.

    Iterative (a value as deep as the channel carries, or a chain of objects, is no
    recursion: a RecursionError here reached the tests as if the candidate had raised
    it, a thirteenth red team's forged pass). An object of the task's classes is a
    boundary: what holds it visits it once (its class's ``__eq__`` and ``__hash__`` are
    identity's, or Python code an alarm can stop), and what it holds is weighed as a
    value of its own, once, so nodes linked to each other many ways do not multiply
    (a tree whose levels were linked weighed 2^depth)."""
    memo: dict[int, int] = {}
    own = 0
    roots = list(values)
    states_queued: set[int] = set()

    def leaf(x: Any) -> int:
        t = type(x)
        if t is str or t is bytes:
            return 1 + len(x) // 64
        if task_classes.is_object(x) and id(x) not in states_queued:
            states_queued.add(id(x))
            roots.append(object.__getattribute__(x, "__dict__"))
        return 1

    def container(x: Any) -> bool:
        return type(x) in CONTAINERS or task_classes.is_record(x)

    def weigh(root: Any) -> int:
        nonlocal own
        if not container(root):
            return leaf(root)
        if id(root) in memo:
            return memo[id(root)]
        on_path = {id(root)}
        # Each frame: the container, how many it holds, what of it is still to weigh,
        # the weight so far.
        stack: list[tuple[Any, int, Iterator[Any], list[int]]] = [(root, *_to_weigh(root))]
        while stack:
            node, size, pending, total = stack[-1]
            for child in pending:
                if not container(child):
                    total[0] += leaf(child)
                    continue
                known = memo.get(id(child))
                if known is not None:
                    total[0] += known
                elif id(child) in on_path:
                    total[0] += 1  # a cycle: visited once
                else:
                    on_path.add(id(child))
                    stack.append((child, *_to_weigh(child)))
                    break
            else:
                stack.pop()
                on_path.discard(id(node))
                own += 1 + size
                memo[id(node)] = total[0]
                if stack:
                    stack[-1][3][0] += total[0]
        return memo[id(root)]

    expanded = 0
    at = 0
    while at < len(roots):  # the objects' states join the roots as they are met
        expanded += weigh(roots[at])
        at += 1
    return expanded, own


def _to_weigh(x: Any) -> tuple[int, Iterator[Any], list[int]]:
    """How many a container holds, what of it is still to weigh, one by one, and its
    weight so far: itself, and at once what it holds where that is numbers and the like
    (one visit each, counted in C)."""
    inner = contents(x)
    if len(inner) > 8:
        types = set(map(type, inner))
        if _WEIGHED.isdisjoint(types) and not task_classes.any_of(types):
            return len(inner), iter(()), [1 + len(inner)]
    return len(inner), iter(inner), [1]


class Kept:
    """The tests' side of what the candidate keeps between calls: the tests' objects it
    still holds (``held``), and what they held when it last saw them."""

    def __init__(self, functions: FunctionCodec | None = None) -> None:
        self.objects: list[Any] = []
        self._synced: dict[int, list[Any]] = {}
        self._functions = functions
        """Where functions cross, in every table made here (``codec.Shared.functions``)."""

    def table(self) -> tuple[Shared, dict[str, Any]]:
        """The next call's table, opening with the kept objects the tests can still reach
        (``"o"``: their numbers; one nobody else can see is let go, so what a candidate
        keeps of values the tests dropped, a memo of all its arguments, costs nothing),
        and the tests' changes to them since (``"s"``), or word that they are forgotten
        where those cannot cross (``forget``). The caller holds none of the tests' objects
        beside their own (a failed assertion's last call is let go first)."""
        if not self.objects:
            return Shared(functions=self._functions), {}
        changed = changed_numbers(self.objects, self._synced)
        # An array the tests resized, or gave another dtype, no change carries: the
        # candidate's copy is its own from now on, and what else is kept goes on (all
        # forgotten, a list kept beside it no longer crossed: a forty-second red team).
        remade = {i for i in changed if type(self.objects[i]) in _ARRAYS
                  and not numpy_arrays.changed_in_place(self._synced[i], self.objects[i])}
        self._synced = {}  # its references would count as the tests'
        # What the tests changed goes to the candidate even where they dropped it since: it
        # is the candidate's object too (red team: `buf.append(i); buf = []`, then a call,
        # left the candidate's copy without i; a memo's list popped by the tests stayed whole).
        live = held(self.objects, also=changed)
        if remade:
            changed = [i for i in changed if i not in remade]
            live = [i for i in live if i not in remade]
        renumbered = {old: new for new, old in enumerate(live)}
        self.objects = [self.objects[i] for i in live]
        shared = Shared(self.objects, self._functions)
        first: dict[str, Any] = {"o": live}
        try:
            made = encoded_changes(shared, [renumbered[i] for i in changed])
        except CodecError:
            return self.forget()
        if made:
            first["s"] = made
        return shared, first

    def forget(self) -> tuple[Shared, dict[str, Any]]:
        """A fresh table, and word (``"x"``) that the candidate's copies of the kept objects
        are its own from now on, as every argument was before calls shared what is kept:
        the tests made one what the channel cannot carry (an ``object()`` appended, a
        list grown past the message), which plain Python allows (red team: a right answer
        was the harness's error)."""
        self.objects, self._synced = [], {}
        return Shared(functions=self._functions), {"x": 1}

    def keep(self, shared: Shared, numbers: Any) -> None:
        """Keep the objects of the call's table the candidate says it still holds (numbers,
        in order), and what they hold now."""
        if numbers == [] and not self.objects:
            return  # the common case: nothing kept, before or now
        if type(numbers) is not list or any(type(i) is not int for i in numbers) or numbers != sorted(set(numbers)) \
                or (numbers and not 0 <= numbers[0] <= numbers[-1] < len(shared.objects)):
            raise CodecError("malformed list of held objects")
        self.objects = [shared.objects[i] for i in numbers]
        self._synced = snapshots(self.objects)
