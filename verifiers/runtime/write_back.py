"""The test side's half of a call that changed its arguments: the tests' objects are
made what the candidate left its copies as, as in plain Python, and put back as they
were when the job ends. It decodes plain data only; it never runs candidate code.

The call's arguments crossed with their containers numbered (``codec.Shared``), and
the candidate side says, for each list, dict or set of them it changed, what it holds
now: the arguments' own containers (and NaNs) by number, anything else as a value
(``shared_state.changes``). So a sort moves the tests' own members and leaves each
as it was, a member changed in place is the tests' object changed, and a member
replaced is replaced: no guessing which copy went where (red team: matching by value
wrote a sort's values into objects a test still held, and passed a wrong answer that
copied a member before changing it).
"""

from __future__ import annotations

import itertools
import signal
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from . import numpy_arrays, task_classes
from .codec import MAX_DEPTH, CodecError, Shared, decode
from .dict_kinds import DICT_KINDS
from .deferred_keys import fill_later
from .key_hashing import fill_dict, fill_set
from .shared_state import CONTAINERS, MUTABLE, contents, members, walkable


def apply_changes(table: Shared, changes: Any, originals: int, before_change: Callable[[Any], None]) -> list[Any]:
    """Each ``[number, members]`` of ``changes`` (``shared_state.changes``) made so on
    ``table``'s own container of that number, one of its first ``originals``; a
    container the changes make is numbered on in ``table``, as the other side numbered
    it. ``before_change`` sees each target before it changes. The targets, changed.
    Used by both sides: the tests' objects after a call, and the candidate's copies of
    what it kept after the tests changed them between calls."""
    if type(changes) is not list:
        raise CodecError("malformed argument changes")
    targets = []
    writes: list[Callable[[], None]] = []
    for item in changes:
        if type(item) is not list or len(item) != 2 or type(item[0]) is not int \
                or not 0 <= item[0] < originals or type(item[1]) is not list:
            raise CodecError("malformed argument change")
        target = table.objects[item[0]]
        if type(target) in DICT_KINDS:
            pairs = []
            for pair in item[1]:
                if type(pair) is not list or len(pair) != 2:
                    raise CodecError("malformed dict item")
                pairs.append((decode(pair[0], MAX_DEPTH, table), decode(pair[1], MAX_DEPTH, table)))
            before_change(target)
            same_keys = len(pairs) == len(target) and all(map(_same_key, target, (key for key, _ in pairs)))
            if fill_later(table.pending, target, pairs, same_keys):
                # Keyed by objects hashed by their class's own code: set once the states are
                # in (set here, a key's hash ran unguarded on a state not yet given, and its
                # TypeError reached the tests: a thirty-fourth red team).
                pass
            elif same_keys:
                # The same keys in the same order: only the values change, as in plain
                # Python, so tests iterating the dict meanwhile go on (an OrderedDict
                # refilled raised "mutated during iteration": a tenth red team).
                for key, value in pairs:
                    target[key] = value
            else:
                target.clear()
                fill_dict(target, pairs)
        elif type(target) in (list, set):
            new_members = [decode(member, MAX_DEPTH, table) for member in item[1]]
            before_change(target)
            if type(target) is list:
                target[:] = new_members
            elif not fill_later(table.pending, target, new_members):
                target.clear()
                fill_set(target, new_members)
        elif numpy_arrays.is_array(target):
            before_change(target)
            try:
                writes.append(numpy_arrays.write_into(target, item[1]))  # once every array is planned
            except (ValueError, TypeError):
                raise CodecError("an array changed in a way no change in place makes") from None
        else:
            raise CodecError("a change to what cannot change")
        targets.append(target)
    try:
        for write in writes:
            write()
    except (ValueError, TypeError):
        raise CodecError("an array changed in a way no change in place makes") from None
    return targets


def _same_key(ours: Any, sent: Any) -> bool:
    """Whether a key the candidate sent is the tests' own: the same object (a tuple or
    NaN of theirs came back by number), or an equal str, int or bytes, of its type or
    of the plain type it crossed as (an ``IntEnum`` key, an eleventh red team). ``1.0`` for
    ``1`` is another key, as in plain Python after ``del d[1]; d[1.0] = v``, and so is
    ``1`` for ``True``."""
    t = type(sent)
    return ours is sent or t in _EXACT_KEYS and ours == sent and (
        type(ours) is t or isinstance(ours, t) and type(ours) is not bool)


_EXACT_KEYS = frozenset({str, int, bool, bytes})


class WriteBack:
    """The changes of one job's calls, applied to the tests' objects and undone when the
    job ends: a test may pass an object its job does not own (a list of a module the
    test server imported once, ``keyword.kwlist``), and a candidate that emptied it
    broke it for every later candidate of the server (red team)."""

    def __init__(self) -> None:
        self._undo: list[tuple[Any, list[Any]]] = []
        self._kept: set[int] = set()
        self.applied = False
        """Whether any call changed the tests' objects (an argument too large or deep to
        send again is then the candidate's doing)."""

    def apply(self, table: Shared, changes: Any, originals: int) -> list[Any]:
        """What the candidate did to the first ``originals`` containers of ``table``
        (those the call sent), made so here; new containers are numbered on in ``table``.
        The containers changed."""
        targets = apply_changes(table, changes, originals, self._keep)
        self.applied = self.applied or bool(targets)
        return targets

    def keep_reachable(self, values: list[Any], table: Shared, originals: int) -> None:
        """Put back, when the job ends, every list, dict, set and array of the tests' (numbered
        before ``originals``) that ``values`` hold at any depth: a call hands the tests
        their own objects back (its result, or moved into another argument), the tests
        may then change them, and one the test server keeps beyond the job (a module's
        list) must end the job as it began (red team: a candidate that returned the
        tests' ``keyword.kwlist``, which the tests then sorted, failed every later
        candidate of that server)."""
        seen: set[int] = set()
        leading = CONTAINERS | task_classes.walked_types() if task_classes.accepting() else CONTAINERS
        leading |= numpy_arrays.TYPES  # an array of the tests' handed back: a leaf, kept
        stack = [v for v in values if walkable(v) or numpy_arrays.is_array(v)]
        while stack:
            x = stack.pop()
            if id(x) in seen:
                continue
            seen.add(id(x))
            number = table.index_of(x)
            if number is not None and number < originals and (type(x) in MUTABLE or numpy_arrays.is_array(x)):
                self._keep(x)
            inner = contents(x)
            # Only containers (and objects of the task's classes) lead anywhere: picked out
            # in C, so a million ints cost one pass.
            stack.extend(itertools.compress(inner, map(leading.__contains__, map(type, inner))))

    def _keep(self, target: Any) -> None:
        """What ``target`` holds now, kept once per job: the first is what undo puts back
        (a call that sorts a large argument in place, a thousand times, kept a thousand
        copies of it)."""
        if id(target) not in self._kept:
            self._kept.add(id(target))  # the undo list keeps it alive: its id stays its own
            self._undo.append((target, members(target)))

    def undo(self) -> None:
        """Every container kept (``_keep``: changed by a call, or handed back to the tests)
        holds what it held when it was first kept. Not cut short by the job's alarm (a
        candidate's large change left a module's list changed for the next candidate,
        red team): its cost is what keeping them already paid."""
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        try:
            # Sets and dicts keyed by objects hashed by their classes' own code last, once
            # those objects hold what they held (their states are dicts, undone first):
            # a key whose state the candidate emptied raised in the undo and took the
            # test server down (a fourteenth red team).
            rehashed = [(target, before) for target, before in self._undo
                        if type(target) is not list and task_classes.keyed_by_value(before)]
            keyed = {id(target) for target, _before in rehashed}
            for target, before in [*(kept for kept in reversed(self._undo) if id(kept[0]) not in keyed),
                                   *reversed(rehashed)]:
                try:
                    _put_back(target, before)
                except Exception:  # noqa: BLE001 - a class of the task's hashing what its own tests left
                    pass  # the job's own objects, gone with it; nothing else holds one
            self._undo.clear()
            self._kept.clear()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _put_back(target: Any, before: Any) -> None:
    """``target`` holds ``before`` (``members``) again."""
    if type(target) is list:
        target[:] = before
    elif numpy_arrays.is_array(target):
        numpy_arrays.put_back(target, before)
    elif type(target) is set or type(target) is OrderedDict:
        target.clear()
        target.update(before)  # an OrderedDict's own keeps its order
    else:
        dict.clear(target)
        dict.update(target, before)  # a Counter's own update would add the counts

