"""The test side's half of a call that changed its arguments: the caller's objects are
made what the candidate left them as, as in plain Python (``candidate_side`` reports
the changes). It decodes plain data only; it never runs candidate code.

The candidate worked on copies, so what comes back is a value, not which object went
where. Plain Python moves references: a sort reorders the list's members and leaves
each of them as it was, so a test holding one (``expected = sorted(items)``) still
sees it unchanged (red team: updating each position in place wrote the values into
the wrong objects). So a member that comes back equal, exactly, to one the container
held is that object, moved; only a member equal to none is an old one changed in
place (``stack[0].append(x)``), or new.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .codec import MAX_DEPTH, REPLY_DEPTH, CodecError, decode, encode

_MUTABLE = (list, dict, set)


class WriteBack:
    """The changes of one job's calls, applied to the tests' objects, and undone when the
    job ends: a test may pass an object its job does not own (a list of a module the
    test server imported once, ``keyword.kwlist``), and a candidate that emptied it
    broke it for every later candidate of the server (red team)."""

    def __init__(self) -> None:
        self._undo: list[tuple[Any, Any]] = []

    def apply(self, args: tuple[Any, ...], kwargs: dict[str, Any], changed: Any) -> list[Any]:
        """Make the caller's arguments what the candidate left them as (see
        ``candidate_side._changed_arguments``); returns the new values. A new value may
        be as deep as its argument came (more, and the tests could not send it again)."""
        if type(changed) is not list:
            raise CodecError("malformed argument changes")
        values = []
        for item in changed:
            if type(item) is not list or len(item) != 2:
                raise CodecError("malformed argument change")
            key, tree = item
            if type(key) is int and 0 <= key < len(args):
                target = args[key]
            elif type(key) is str and key in kwargs:
                target = kwargs[key]
            else:
                raise CodecError("a change to no argument")
            try:
                value = decode(tree, REPLY_DEPTH)
            except CodecError:
                value = decode(tree, min(MAX_DEPTH, max(REPLY_DEPTH, depth_of(target))))
            if type(target) is not type(value) or type(target) not in (*_MUTABLE, tuple):
                raise CodecError("an argument changed type")
            self._undo.append((target, encode(target, MAX_DEPTH)))
            _Matcher().update(target, value)
            values.append(value)
        return values

    def undo(self) -> None:
        """Every object changed by ``apply`` as it was before, last change first."""
        while self._undo:
            target, tree = self._undo.pop()
            try:
                _Matcher().update(target, decode(tree, MAX_DEPTH))
            except (CodecError, RecursionError, TypeError):
                pass  # best effort: the job is over, its verdict is made


def depth_of(value: Any) -> int:
    """How deep ``value`` nests, counted as ``codec.encode`` counts."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if type(item) in (list, tuple, set, frozenset):
            stack.extend((member, depth + 1) for member in item)
        elif type(item) is dict:
            stack.extend((part, depth + 1) for pair in item.items() for part in pair)
    return deepest


class _Matcher:
    """Updates ``target`` to ``value`` in place; an exact key per value (``1``, ``1.0``
    and ``True`` differ), each object's made once."""

    def __init__(self) -> None:
        self._keys: dict[int, bytes] = {}
        self._held: list[Any] = []  # keeps every keyed object alive, so no id is reused meanwhile

    def key(self, x: Any) -> bytes:
        cached = self._keys.get(id(x))
        if cached is not None:
            return cached
        t = type(x)
        if t in (list, tuple):
            body = b"".join(self.key(v) for v in x)
        elif t in (set, frozenset):
            body = b"".join(sorted(self.key(v) for v in x))
        elif t is dict:
            body = b"".join(self.key(k) + self.key(v) for k, v in x.items())
        elif t is int:
            body = format(x, "x").encode()
        elif t is float:
            body = float.hex(x).encode() if x == x else b"nan"
        elif t is str:
            body = x.encode("utf-8", "surrogatepass")
        elif t is bytes:
            body = x
        else:
            body = repr(x).encode()  # None, True, False
        digest = hashlib.blake2b(t.__name__.encode() + b":" + body, digest_size=16).digest()
        self._keys[id(x)] = digest
        self._held.append(x)
        return digest

    def update(self, target: Any, value: Any) -> None:
        if type(target) is tuple:
            if not self._fits(target, value):
                raise CodecError("a tuple argument changed")
            for old, new in zip(target, value):
                if type(old) in (*_MUTABLE, tuple):
                    self.update(old, new)
        elif type(target) is set:
            target.clear()
            target.update(value)
        elif type(target) is list:
            target[:] = self._members(list(target), list(value))
        else:
            keys = list(value)
            olds = [target[k] if k in target else _ABSENT for k in keys]
            members = self._members(olds, [value[k] for k in keys])
            target.clear()  # and filled in the new order, with the new keys (1 may have become 1.0)
            target.update(zip(keys, members))

    def _members(self, olds: list[Any], news: list[Any]) -> list[Any]:
        """The objects that hold ``news``, position by position: an old member where it came
        back unchanged, else an old member equal to it that moved, else the old one in its
        place changed in place, else the new value."""
        chosen: list[Any] = [_ABSENT] * len(news)
        unused = set(range(len(olds)))
        for i, new in enumerate(news):
            if i < len(olds) and olds[i] is not _ABSENT and self.key(olds[i]) == self.key(new):
                chosen[i] = olds[i]
                unused.discard(i)
        by_key: dict[bytes, list[int]] = {}
        for j in sorted(unused):
            if olds[j] is not _ABSENT:
                by_key.setdefault(self.key(olds[j]), []).append(j)
        for i, new in enumerate(news):
            if chosen[i] is _ABSENT:
                moved = by_key.get(self.key(new))
                if moved:
                    j = moved.pop(0)
                    chosen[i] = olds[j]
                    unused.discard(j)
        for i, new in enumerate(news):
            if chosen[i] is not _ABSENT:
                continue
            if i in unused and self._updatable(olds[i], new):
                self.update(olds[i], new)
                chosen[i] = olds[i]
                unused.discard(i)
            else:
                chosen[i] = new
        return chosen

    def _updatable(self, old: Any, new: Any) -> bool:
        """Whether ``old`` can have become ``new`` in place: a container of the same type,
        and a tuple only where what it holds that cannot change is the same."""
        if type(old) is not type(new):
            return False
        return type(old) in _MUTABLE or (type(old) is tuple and self._fits(old, new))

    def _fits(self, old: tuple[Any, ...], new: tuple[Any, ...]) -> bool:
        """Whether ``new`` is what ``old`` can have become: the same length, and the same
        members but for the lists, dicts and sets in it."""
        if len(old) != len(new):
            return False
        for a, b in zip(old, new):
            if type(a) is not type(b):
                return False
            if type(a) is tuple:
                if not self._fits(a, b):
                    return False
            elif type(a) not in _MUTABLE and self.key(a) != self.key(b):
                return False
        return True


_ABSENT: Any = object()
"""A dict's key the argument did not hold before the call."""
