"""numpy's arrays on the wire (tag ``"a"`` of ``codec``): as their dtype, shape and
bytes, numbered in a call's table as a list is, so a test that passes an array sees
what the candidate did to it in place, and gets back the very array it passed where
the candidate returns it.

Before, no array crossed: where the tests passed one every candidate was the harness's
``error``, and a right answer returning one failed (``cannot send a value of type
ndarray``). What crosses is the data, never an object the sender made: the receiver
makes a fresh, C-ordered array of its own by numpy's constructor from a dtype of a
fixed few kinds (booleans, integers, floats, complex numbers, bytes and text; not
objects, records, datetimes or ``longdouble``). An array arrives with its own memory:
a view and the array it views cross as two (docs/LIMITS.md).

What a call can do to an array in place, and what the tests put back when the job ends,
is its state (``state``): its dtype, shape, bytes and whether it is writeable, compared
by value.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable
from typing import Any

from . import numpy_values

_DTYPE = re.compile(r"[<>|=](?:b1|[iu][1248]|f[248]|c(?:8|16)|[SU][1-9][0-9]{0,6})")
"""The dtypes that cross, as numpy writes them (``dtype.str``): byte order, kind, size."""
MAX_DIMENSIONS = 64
"""numpy 2's most (numpy 1's, 32): numpy itself refuses more on the side that receives."""
MAX_BYTES = 12 * 1024 * 1024
"""Largest array that crosses, in bytes: its text is a third larger, and a message of the
tests' is at most 16 MiB (``codec.MAX_MESSAGE``; the candidate's, half that)."""
_ARRAY = frozenset({"ndarray"})


TYPES: set[type] = set()
"""numpy's ``ndarray`` once one has been met here (``is_array_type``): what a call's
table holds was met so, and asking this set is all that the many checks of every
object of a table cost (twice what a snapshot of 100,000 tuples cost asking by name)."""


def is_array_type(t: type) -> bool:
    """numpy's own ``ndarray``, exactly (a subclass, a ``matrix`` or a stand-in named so,
    made in Python, is a heap type or another name: ``numpy_values.is_own_type``)."""
    if t in TYPES:
        return True
    if numpy_values.is_own_type(t, _ARRAY):
        TYPES.add(t)
        return True
    return False


def is_array(x: Any) -> bool:
    """An array met before (``TYPES``): every array in a call's table crossed the codec."""
    return type(x) in TYPES


def refusal(x: Any) -> tuple[str, bool] | None:
    """Why the array ``x`` cannot cross, and whether for its type (a dtype outside the few
    that cross) rather than its size (more than ``MAX_BYTES``); None where it can."""
    dtype = x.dtype
    text = dtype.str
    if type(text) is not str or not _DTYPE.fullmatch(text) or dtype.fields is not None or dtype.subdtype is not None:
        return f"numpy array of dtype {str(dtype)[:40]}", True
    if x.nbytes > MAX_BYTES:
        return f"a numpy array over {MAX_BYTES} bytes", False
    return None


def parts(x: Any) -> list[Any]:
    """``[dtype, shape, data, writeable]`` of an array that can cross (``refusal``): the
    dtype as numpy writes it, the shape, the bytes in C order (base64) and whether the
    array may be written. Read through the static type's own attributes (a candidate
    cannot replace them)."""
    return [x.dtype.str, list(x.shape), base64.b64encode(x.tobytes()).decode("ascii"), bool(x.flags.writeable)]


def made(described: Any) -> Any:
    """A fresh array of numpy's own, holding what ``parts`` described; ValueError for
    anything malformed: a dtype outside the few that cross, a shape the bytes do not fill,
    a shape too large."""
    if type(described) is not list or len(described) != 4:
        raise ValueError("malformed array")
    text, shape, data, writeable = described
    if type(text) is not str or not _DTYPE.fullmatch(text) or type(shape) is not list \
            or len(shape) > MAX_DIMENSIONS or any(type(n) is not int or not 0 <= n < 1 << 63 for n in shape) \
            or type(data) is not str or type(writeable) is not bool or len(data) > 2 * MAX_BYTES:
        raise ValueError("malformed array")
    try:
        raw = base64.b64decode(data, validate=True)
    except binascii.Error:
        raise ValueError("malformed array") from None
    numpy = numpy_values.imported()
    if numpy is None:
        raise ValueError("no numpy to make an array")
    dtype = numpy.dtype(text)
    if math.prod(shape) * dtype.itemsize != len(raw):
        raise ValueError("an array's bytes do not fill its shape")
    array = numpy.frombuffer(raw, dtype=dtype).reshape(shape).copy()  # its own memory, writeable
    TYPES.add(type(array))
    if not writeable:
        array.flags.writeable = False
    return array


def state(x: Any) -> list[Any]:
    """What a call can change of an array in place, compared by value: its dtype, shape,
    bytes and whether it may be written (``shared_state.members``)."""
    return [x.dtype.str, x.shape, x.tobytes(), bool(x.flags.writeable)]


def changed_in_place(before: list[Any], x: Any) -> bool:
    """Whether the array ``x``, which held ``before`` (``state``), holds what it does now
    by a change ``write_into`` can carry: the same dtype and size."""
    return bool(before[0] == x.dtype.str and math.prod(before[1]) == x.size)


def write_into(target: Any, described: Any) -> Callable[[], None]:
    """How ``target`` is made to hold what the other side's copy holds now (``parts``), in
    place: its shape (same size), the items whose bytes differ from what it holds now,
    and its writeable flag. Planned now, done when the write is called: every array a
    reply changed is planned before any is written, so two arrays over the same memory
    (``candidate(base, base[2:5])``) are each compared with what was sent, and the
    second does not write back as it was what the first changed (a forty-third red
    team's forged pass). ValueError where no change in place could have made it so
    (another dtype or size)."""
    now = made(described)
    return _planned(target, now.dtype.str, now.shape, now, bool(now.flags.writeable))


def put_back(target: Any, before: list[Any]) -> None:
    """``target`` holds what ``state`` read of it before again."""
    text, shape, raw, writeable = before
    numpy = numpy_values.imported()
    _planned(target, text, shape, numpy.frombuffer(raw, dtype=numpy.dtype(text)).reshape(shape), writeable)()


def _planned(target: Any, text: str, shape: tuple[int, ...], values: Any, writeable: bool) -> Callable[[], None]:
    if text != target.dtype.str or values.size != target.size:
        raise ValueError("an array given another dtype or size")
    # Only the items that differ, by their bytes: in a view whose items share memory (a
    # sliding window made by ``as_strided``, ``broadcast_to``), an item written back as
    # it was would undo what the candidate wrote into another one over the same memory
    # (a forty-second red team: a wrong answer that changed its input passed).
    item = f"V{values.dtype.itemsize}"
    differ = target.copy().reshape(shape).view(item) != values.view(item)

    def write() -> None:
        if target.shape != shape:
            try:
                target.shape = shape
            except AttributeError:  # not without a copy (a view of another's part)
                raise ValueError("an array that cannot take another shape in place") from None
        if not target.flags.writeable:
            target.flags.writeable = True
        target[differ] = values[differ]
        if not writeable:
            target.flags.writeable = False
    return write


def weight(x: Any) -> int:
    """How much an array weighs as it crosses (``weighing``): its bytes, eight to a unit."""
    return int(x.nbytes) // 8
