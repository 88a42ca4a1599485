"""The output collector's test (``verifiers.outputs``): every call in order, each on a
deep copy of its arguments under a per-call alarm, and what the candidate made of
it returned as JSON text. Run in the sandbox's test server; stdlib only. Names carry
a ``_bestofn`` prefix: they share a namespace with the task's prompt."""

from __future__ import annotations

import copy as _bestofn_copy
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
_BESTOFN_VALUE_CHARS: int = 0
# bestofn: end of parameters
_BESTOFN_CALLING = [False]


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
        return {"s": _bestofn_sorted([[_bestofn_tree(v)] for v in x])}
    if t is dict:
        return {"d": _bestofn_sorted([[_bestofn_tree(k), _bestofn_tree(v)] for k, v in x.items()])}
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
    if (t.__module__, t.__name__) in _BESTOFN_STD_VALUES:
        # The standard library's values that cross as themselves (a Decimal, a date...):
        # by their text, which says all they are ('1.10' is not '1.1').
        return {"v": [t.__name__, str(x)]}
    return {"?": t.__name__}


_BESTOFN_STD_VALUES = frozenset({("decimal", "Decimal"), ("datetime", "date"), ("datetime", "time"),
                                 ("datetime", "datetime"), ("datetime", "timedelta")})


def _bestofn_yielded(x: Any) -> Any:
    """The candidate's returned iterator, as the sandbox hands it over (a generator): what
    it yields, and the exception it ended with, if any (a red team: an exception on the
    way made it unencodable, equal to every other that was)."""
    items: list[Any] = []
    try:
        for v in x:
            items.append(_bestofn_tree(v))
    except Exception as exc:  # noqa: BLE001 - the candidate's, raised as the tests read it
        return {"g": items, "x": type(exc).__name__}
    return {"g": items}


def _bestofn_sorted(rows: list[list[Any]]) -> list[Any]:
    """Rows by the text of their first tree: ``[member]`` rows (a set) give the members,
    ``[key, value]`` rows (a dict) stay pairs."""
    keyed = sorted(((_bestofn_text(row[0]), row) for row in rows), key=lambda kr: kr[0])
    return [row if len(row) == 2 else row[0] for _, row in keyed]


def _bestofn_entry(value: Any) -> list[Any]:
    try:
        tree = _bestofn_tree(value)
        text = _bestofn_text(tree)
    except (RecursionError, ValueError):
        return ["h", "unencodable"]
    if len(text) > _BESTOFN_VALUE_CHARS:
        return ["h", _bestofn_hashlib.sha256(text.encode()).hexdigest()[:32]]
    return ["v", tree]


def _bestofn_call(candidate: Callable[..., Any], args: tuple[Any, ...]) -> list[Any]:
    """The call and the encoding of what it returned, both under the call's alarm: what
    a candidate returns is its own doing, however slow it is to encode."""
    _BESTOFN_CALLING[0] = True
    _bestofn_signal.setitimer(_bestofn_signal.ITIMER_REAL, _BESTOFN_PER_CALL)
    try:
        value = candidate(*args)
        return _bestofn_entry(value)
    finally:
        _BESTOFN_CALLING[0] = False


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
        _BESTOFN_CALLING[0] = True
        _bestofn_signal.setitimer(_bestofn_signal.ITIMER_REAL, _BESTOFN_PER_CALL)
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
            _BESTOFN_CALLING[0] = False
            _bestofn_signal.setitimer(_bestofn_signal.ITIMER_REAL, 0)
        if not returned:
            out.append(["x", type(value).__name__])
            continue
        # Encoded under the call's alarm, as in a call: what a candidate returns is its own doing.
        _BESTOFN_CALLING[0] = True
        _bestofn_signal.setitimer(_bestofn_signal.ITIMER_REAL, _BESTOFN_PER_CALL)
        try:
            entry = _bestofn_entry(value)
        except _BestofnSlow:
            return "t"
        finally:
            _BESTOFN_CALLING[0] = False
            _bestofn_signal.setitimer(_bestofn_signal.ITIMER_REAL, 0)
        out.append(entry)
