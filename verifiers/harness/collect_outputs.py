"""The output collector's test (``verifiers.outputs``): every call in order, each on a
deep copy of its arguments under a per-call alarm, and what the candidate made of
it returned as JSON text. Run in the sandbox's test server; stdlib only. Names carry
a ``_bestofn`` prefix: they share a namespace with the task's prompt."""

from __future__ import annotations

import copy as _bestofn_copy
import enum as _bestofn_enum
import hashlib as _bestofn_hashlib
import json as _bestofn_json
import signal as _bestofn_signal
import time as _bestofn_time
import typing as _bestofn_typing

if _bestofn_typing.TYPE_CHECKING:  # for mypy only: at run time these names would land in the prompt's namespace
    from collections.abc import Callable
    from types import FrameType
    from typing import Any

# bestofn: parameters
_BESTOFN_INPUTS: list[tuple[Any, ...]] = []
_BESTOFN_PER_CALL: float = 0.0
_BESTOFN_SET_UP: float = 0.0
_BESTOFN_VALUE_CHARS: int = 0
# bestofn: end of parameters
_BESTOFN_CALLING = [False]
_BESTOFN_SET_UP_LEFT = [True]
"""One call of the job may take ``_BESTOFN_SET_UP`` (the one-off set-up the job's limits
allow, ``verifiers.timeouts.with_set_up_call``): the first that takes longer than a call
may spends it. This alarm stopped it at the per-call limit first, so a right answer that
built a table on first use was a timeout on every input, each job paying the set-up
again (a thirty-third red team)."""


def _bestofn_arm() -> None:
    """Inside a call (or reading its reply) from now, under its alarm."""
    _BESTOFN_CALLING[0] = True
    limit = max(_BESTOFN_PER_CALL, _BESTOFN_SET_UP) if _BESTOFN_SET_UP_LEFT[0] else _BESTOFN_PER_CALL
    _bestofn_signal.setitimer(_bestofn_signal.ITIMER_REAL, limit)


def _bestofn_disarm() -> None:
    """Out of the call: its alarm off, and the set-up spent if the call took longer than a call may."""
    _BESTOFN_CALLING[0] = False
    left = _bestofn_signal.setitimer(_bestofn_signal.ITIMER_REAL, 0)[0]
    if _BESTOFN_SET_UP_LEFT[0] and max(_BESTOFN_PER_CALL, _BESTOFN_SET_UP) - left > _BESTOFN_PER_CALL:
        _BESTOFN_SET_UP_LEFT[0] = False


class _BestofnSlow(BaseException):
    pass


def _bestofn_alarm(signum: int, frame: FrameType | None) -> None:
    # Only inside a call: an alarm that lands just after the call returned is spent.
    if _BESTOFN_CALLING[0]:
        raise _BestofnSlow()


def _bestofn_text(tree: Any) -> str:
    return _bestofn_json.dumps(tree, separators=(",", ":"))


def _bestofn_tree(x: Any) -> Any:
    t = type(x)
    if x is None or t is bool or t is str or t is float:
        return x
    if t is int:
        return x if -(1 << 63) < x < (1 << 63) else {"i": format(x, "x")}
    if t is list:
        return {"l": [_bestofn_tree(v) for v in x]}
    if t is tuple:
        return {"t": [_bestofn_tree(v) for v in x]}
    # Set members and dict keys in a canonical order: sorted by their text, but kept as
    # trees. Kept as text, each level escaped the text of the level below again, so the
    # size doubled with every level: 28 nested frozensets took the test server past
    # 1 GiB where no alarm reached it (red team).
    if t is set or t is frozenset:
        return {"s": _bestofn_canonical([[v] for v in x])}
    if t is dict:
        return {"d": _bestofn_canonical([[k, v] for k, v in x.items()])}
    if t is bytes:
        return {"b": x.hex()}
    if t is complex:
        return {"c": [x.real, x.imag]}  # floats, compared within the tolerance
    if t.__module__ == "builtins" and t.__name__ == "generator":
        return _bestofn_yielded(x)
    if t is range:  # as the sequence it is: range(0, 3, 2) == range(0, 4, 2)
        size = max(0, (x.stop - x.start + x.step - (1 if x.step > 0 else -1)) // x.step)
        return {"r": [_bestofn_tree(size), _bestofn_tree(x.start if size else 0), _bestofn_tree(x.step if size > 1 else 0)]}
    if (t.__module__, t.__name__) == ("fractions", "Fraction"):  # ints as ints: str() of one past 4,300 digits raises
        return {"q": [_bestofn_tree(x.numerator), _bestofn_tree(x.denominator)]}
    if t.__module__ == "numpy" and t.__name__ in _BESTOFN_NUMPY_SCALARS:
        # numpy's scalar (it crosses as itself) as the Python number it holds: an answer
        # returning np.sum(xs) agrees with one returning sum(xs), as before it crossed.
        return _bestofn_tree(x.item())
    if t.__module__ == "numpy" and t.__name__ == "ndarray":
        # numpy's array (it crosses as itself): its kind of number, shape and values, so
        # arrays of int32 and int64 alike agree, as np.array_equal has them; a list never.
        kind = x.dtype.kind
        return {"A": ["i" if kind == "u" else kind, list(x.shape), _bestofn_tree(x.tolist())]}
    if (t.__module__, t.__name__) in _BESTOFN_STD_VALUES:
        # The standard library's values that cross as themselves (a Decimal, a date...):
        # by their text, which says all they are ('1.10' is not '1.1').
        return {"v": [t.__name__, str(x)]}
    # An enum's member and a named tuple (the prompt's cross as themselves): by their
    # class's name and their own name or fields. As the "?" of their class they agreed
    # with every other member or tuple of it: a wrong sign grouped with the right one
    # (a thirty-third red team).
    if isinstance(x, _bestofn_enum.Enum):
        return {"e": [t.__name__, _bestofn_tree(x._name_)]}
    if isinstance(x, tuple) and isinstance(getattr(t, "_fields", None), tuple):
        return {"n": [t.__name__, [_bestofn_tree(v) for v in tuple.__iter__(x)]]}
    numbered = _bestofn_numbered(x)
    if numbered is not None:
        return numbered
    return {"?": t.__name__}


_BESTOFN_OBJECTS: list[Any] = []
"""While a value is encoded (``_bestofn_entry``): the objects of the prompt's classes it
holds, by id to their number, and in the order first met."""


def _bestofn_numbered(x: Any) -> Any:
    """An object of a class the prompt defines (its objects cross with their attributes)
    as its number in the value; None for anything else. Each object's class and
    attributes are encoded once, after the value (``_bestofn_entry``), so a cycle of
    nodes or a linked list of thousands is no deeper than one node. Such objects were
    the candidate's crash on every input, a right answer's and a wrong one's alike (a
    thirty-third red team)."""
    if not _BESTOFN_OBJECTS or getattr(type(x), "__module__", None) != __name__:
        return None
    try:
        state = object.__getattribute__(x, "__dict__")
    except AttributeError:
        return None
    if type(state) is not dict:
        return None
    if _BESTOFN_SHAPE:
        # Numbered already (met earlier in the value, in an order no address decides): its
        # number tells apart members that differ in what they share with the rest.
        number = _BESTOFN_OBJECTS[0].get(id(x))
        return {"o": number} if number is not None else {"o": [type(x).__name__, _bestofn_shape_of(x, state)]}
    seen, order = _BESTOFN_OBJECTS
    number = seen.get(id(x))
    if number is None:
        number = seen[id(x)] = len(order)
        order.append(x)
    return {"o": number}


_BESTOFN_STD_VALUES = frozenset({("decimal", "Decimal"), ("datetime", "date"), ("datetime", "time"),
                                 ("datetime", "datetime"), ("datetime", "timedelta")})
_BESTOFN_NUMPY_SCALARS = frozenset({"bool", "bool_", "int8", "int16", "int32", "int64", "longlong", "uint8",
                                    "uint16", "uint32", "uint64", "ulonglong", "float16", "float32", "float64",
                                    "complex64", "complex128"})
"""``verifiers.runtime.numpy_values.SCALARS`` (this module runs alone in the test server)."""


def _bestofn_yielded(x: Any) -> Any:
    """The candidate's returned iterator, as the sandbox hands it over (a generator): what
    it yields, and the exception it ended with, if any (a red team: an exception on the
    way made it unencodable, equal to every other that was)."""
    items: list[Any] = []
    try:
        for v in x:
            items.append(_bestofn_tree(v))
    except Exception as exc:  # noqa: BLE001 - the candidate's, raised as the tests read it
        # That it raised, not what: as for a call, which exception is incidental (a
        # thirty-third red team: two generators alike but for it were split). Cut by the
        # channel is another ending (a twentieth red team: an endless one agreed with
        # one that raised where it was cut).
        return {"g": items, "x": "cut" if type(exc).__qualname__ == "IteratorCut" else 1}
    return {"g": items}


_BESTOFN_SHAPE: list[Any] = []
"""While the order of a set's members or a dict's items is worked out: how many objects
deep what an object shows of itself still goes, and what each object showed at each
depth (``_bestofn_shape_of``)."""
_BESTOFN_SHAPE_DEPTH = 4
_BESTOFN_CLASSES: list[bool] = []
"""Whether the prompt defines any class whose objects may be numbered (worked out once)."""


def _bestofn_canonical(rows: list[list[Any]]) -> list[Any]:
    """A set's members (``[member]`` rows) or a dict's items (``[key, value]`` rows) as
    trees, in the order of their first tree's text. Where the prompt defines classes,
    the objects a member holds would be numbered in the order the set iterates or the
    dict was built, so equal values were told apart: a dict of employees built in
    another order, a set of points built downwards, and six copies of one answer
    returning a set of cells hashed by their address were six groups, outvoted by two
    wrong answers alike (a thirty-fifth red team). So there the rows are put in the order
    of what their first tree shows, its objects a few deep and never by number, before
    any of them is numbered. Worked out first, once a level (numbered, then put in order
    and numbered again, every level of nested dicts did twice the work of the one below:
    20 levels were a timeout, a thirty-sixth red team)."""
    if _BESTOFN_SHAPE or not _BESTOFN_OBJECTS or not _bestofn_classes():
        return _bestofn_sorted([[_bestofn_tree(v) for v in row] for row in rows])
    _BESTOFN_SHAPE[:] = [_BESTOFN_SHAPE_DEPTH, {}]
    try:
        shapes = [_bestofn_text(_bestofn_tree(row[0])) for row in rows]
    finally:
        _BESTOFN_SHAPE[:] = []
    trees = [[_bestofn_tree(v) for v in rows[i]] for i in sorted(range(len(rows)), key=shapes.__getitem__)]
    return [tree if len(tree) == 2 else tree[0] for tree in trees]


def _bestofn_shape_of(x: Any, state: dict[str, Any]) -> str:
    """What object ``x`` shows of itself while an order is worked out: a digest of its
    attributes, their objects shown the same way one level less deep, none past the
    depth. Each object's digest is made once a depth (a node whose children are itself
    ten times over, with a long string, was written out 111 times into one text of 635
    MiB: a thirty-sixth red team)."""
    depth, shown = _BESTOFN_SHAPE
    if depth <= 0:
        return ""
    known = shown.get((id(x), depth))
    if known is None:
        _BESTOFN_SHAPE[0] = depth - 1
        try:
            text = _bestofn_text(_bestofn_tree(dict(state)))
        finally:
            _BESTOFN_SHAPE[0] = depth
        known = shown[(id(x), depth)] = _bestofn_hashlib.sha256(text.encode()).hexdigest()[:32]
    return str(known)


def _bestofn_classes() -> bool:
    """Whether the prompt (this namespace) defines a class whose objects may cross."""
    if not _BESTOFN_CLASSES:
        _BESTOFN_CLASSES.append(any(isinstance(v, type) and getattr(v, "__module__", None) == __name__
                                    and not issubclass(v, BaseException) for v in list(globals().values())))
    return _BESTOFN_CLASSES[0]


def _bestofn_sorted(rows: list[list[Any]]) -> list[Any]:
    """Rows by the text of their first tree: ``[member]`` rows (a set) give the members,
    ``[key, value]`` rows (a dict) stay pairs."""
    keyed = sorted(((_bestofn_text(row[0]), row) for row in rows), key=lambda kr: kr[0])
    return [row if len(row) == 2 else row[0] for _, row in keyed]


def _bestofn_entry(value: Any) -> list[Any]:
    _BESTOFN_OBJECTS[:] = [{}, []]
    try:
        tree = _bestofn_tree(value)
        order = _BESTOFN_OBJECTS[1]
        if order:
            # Each object of the prompt's classes the value holds, in the order first met:
            # its class's name and its attributes (which may number more of them).
            states: list[Any] = []
            while len(states) < len(order):
                x = order[len(states)]
                state = dict(object.__getattribute__(x, "__dict__"))
                states.append([type(x).__name__, _bestofn_tree(state)])
            tree = {"O": [tree, states]}
        text = _bestofn_text(tree)
    except (RecursionError, ValueError):
        return ["h", "unencodable"]
    finally:
        _BESTOFN_OBJECTS[:] = []
    if len(text) > _BESTOFN_VALUE_CHARS:
        return ["h", _bestofn_hashlib.sha256(text.encode()).hexdigest()[:32]]
    return ["v", tree]


def _bestofn_call(candidate: Callable[..., Any], args: tuple[Any, ...]) -> list[Any]:
    """The call and the encoding of what it returned, both under the call's alarm: what
    a candidate returns is its own doing, however slow it is to encode."""
    _bestofn_arm()
    try:
        value = candidate(*args)
        return _bestofn_entry(value)
    finally:
        _bestofn_disarm()


def _bestofn_collect(candidate: Callable[..., Any]) -> str:
    # The job's own deadline alarm is put back afterwards, with the time it had left.
    left, interval = _bestofn_signal.getitimer(_bestofn_signal.ITIMER_REAL)
    deadline = _bestofn_time.monotonic() + left
    previous = _bestofn_signal.signal(_bestofn_signal.SIGALRM, _bestofn_alarm)
    out: list[list[Any]] = []
    stop = ""
    batch = getattr(candidate, "map_calls", None)
    try:
        if batch is not None:
            return _bestofn_json.dumps({"o": out, "stop": _bestofn_collect_batch(candidate, batch, out)},
                                       separators=(",", ":"))
        for args in _BESTOFN_INPUTS:
            try:
                entry = _bestofn_call(candidate, _bestofn_copy.deepcopy(args))
            except _BestofnSlow:
                stop = "t"
                break
            except Exception as exc:
                out.append(["x", type(exc).__name__])
                continue
            except BaseException as exc:
                if type(exc).__name__ != "CandidateFault":
                    raise  # the job's deadline, say: not the candidate's output
                # The channel is done with this candidate. An exception class of its own
                # ends the channel too, but it is an exception all the same.
                text = str(exc)
                if text.startswith("the candidate raised "):
                    out.append(["x", text[21:].split(":", 1)[0]])
                    stop = "e"
                else:
                    stop = "c"
                break
            out.append(entry)
    finally:
        _BESTOFN_CALLING[0] = False
        _bestofn_signal.setitimer(_bestofn_signal.ITIMER_REAL, 0)
        _bestofn_signal.signal(_bestofn_signal.SIGALRM, previous)
        if left > 0:
            _bestofn_signal.setitimer(_bestofn_signal.ITIMER_REAL,
                                      max(deadline - _bestofn_time.monotonic(), 0.001), interval)
    return _bestofn_json.dumps({"o": out, "stop": stop}, separators=(",", ":"))


def _bestofn_collect_batch(candidate: Any, batch: Callable[..., Any], out: list[list[Any]]) -> str:
    """Every call in one message (the sandbox's ``map_calls``: no round trip per call; its
    per-call limit is the job's ``call_seconds``), the outputs appended to ``out``; returns
    how it stopped, as ``_bestofn_collect`` does."""
    answers = batch(list(_BESTOFN_INPUTS))
    while True:
        # Each reply is read and decoded under the call's alarm too: a reply slow to decode
        # is the candidate's own doing, and outside any alarm it ran until our process
        # gave the whole slot up (red team: 26 s for 12 inputs, a 1 s limit per call).
        _bestofn_arm()
        try:
            returned, value = next(answers)
        except StopIteration:
            return ""
        except _BestofnSlow:
            return "t"
        except BaseException as exc:
            if type(exc).__name__ != "CandidateFault":
                raise  # the job's deadline, say: not the candidate's output
            if getattr(candidate, "timeout", False):
                return "t"
            text = str(exc)
            if text.startswith("the candidate raised "):
                out.append(["x", text[21:].split(":", 1)[0]])
                return "e"
            return "c"
        finally:
            _bestofn_disarm()
        if not returned:
            out.append(["x", type(value).__name__])
            continue
        # Encoded under the call's alarm, as in a call: what a candidate returns is its own doing.
        _bestofn_arm()
        try:
            entry = _bestofn_entry(value)
        except _BestofnSlow:
            return "t"
        finally:
            _bestofn_disarm()
        out.append(entry)
