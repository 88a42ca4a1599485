"""The property check's tests: a candidate against the task's reference on generated
inputs (``check_against_reference``), and the probe that learns what the reference
makes of those inputs first (``probe``). Run in the sandbox's test server
(``verifiers.properties``); stdlib only. Names carry a ``_bestofn`` prefix: they share
a namespace with the task's prompt."""

from __future__ import annotations

import base64 as _bestofn_base64
import copy as _bestofn_copy
import json as _bestofn_json
import math as _bestofn_math
import signal as _bestofn_signal
import time as _bestofn_time
import typing as _bestofn_typing

if _bestofn_typing.TYPE_CHECKING:  # for mypy only: at run time these names would land in the prompt's namespace
    from collections.abc import Callable, Iterator
    from types import FrameType
    from typing import Any

# bestofn: parameters
_BESTOFN_REFERENCE: str = ""
_BESTOFN_ENTRY: str = ""
_BESTOFN_NONE_OK: bool = False
_BESTOFN_INPUTS: list[tuple[Any, ...]] = []
_BESTOFN_EXAMPLES: list[tuple[Any, ...]] = []
_BESTOFN_PER_CALL: float = 0.0
_BESTOFN_BUDGET: float = 0.0
_BESTOFN_EXPECTED: list[Any] | None = None
_BESTOFN_TASK_TEST: str = ""
_BESTOFN_KEEPS_ARGUMENTS: bool = False
# bestofn: end of parameters


def _bestofn_number(x: Any) -> Any:
    """numpy's scalar (it crosses as itself) as the Python number it holds: an answer
    returning np.sum(xs) where the reference returns sum(xs) is the same answer."""
    t = type(x)
    return x.item() if t.__module__ == "numpy" and t.__name__ in _BESTOFN_NUMPY_SCALARS else x


_BESTOFN_NUMPY_SCALARS = frozenset({"bool", "bool_", "int8", "int16", "int32", "int64", "longlong", "uint8",
                                    "uint16", "uint32", "uint64", "ulonglong", "float16", "float32", "float64",
                                    "complex64", "complex128"})
"""``verifiers.runtime.numpy_values.SCALARS`` (this module runs alone in the test server)."""


def _bestofn_same(a: Any, b: Any) -> bool:
    a, b = _bestofn_number(a), _bestofn_number(b)
    if type(a) is not type(b):
        return False
    if type(a) is float:
        if a != a or b != b:
            return bool(a != a and b != b)
        return _bestofn_math.isclose(a, b, rel_tol=1e-06, abs_tol=1e-09)
    if type(a) is list or type(a) is tuple:
        return len(a) == len(b) and all(_bestofn_same(x, y) for x, y in zip(a, b))
    if type(a) is set or type(a) is frozenset:
        return len(a) == len(b) and {_bestofn_typed(x) for x in a} == {_bestofn_typed(x) for x in b}
    if type(a) is dict:
        if len(a) != len(b):
            return False
        # Keys typed all the way down, as set members are: a key (1.0, 2.0) is not (1, 2) (red team).
        keys_b = {_bestofn_typed(k): k for k in b}
        for k, v in a.items():
            typed = _bestofn_typed(k)
            if typed not in keys_b or not _bestofn_same(v, b[keys_b[typed]]):
                return False
        return True
    return bool(a == b)


def _bestofn_typed(x: Any) -> Any:
    """A set element with its type, recursively: {1.0} is not {1}, though they compare equal."""
    x = _bestofn_number(x)
    t = type(x)
    if t is tuple:
        return (t.__name__, tuple(_bestofn_typed(v) for v in x))
    if t is frozenset:
        return (t.__name__, frozenset(_bestofn_typed(v) for v in x))
    return (t.__name__, x)


def _bestofn_plain(x: Any, depth: int = 0) -> bool:
    t = type(x)
    if depth > 50:
        return False
    if x is None or t is bool or t is int or t is str or t is bytes:
        return True
    if t is float:
        return _bestofn_math.isfinite(x)
    if t is list or t is tuple or t is set or t is frozenset:
        return all(_bestofn_plain(v, depth + 1) for v in x)
    if t is dict:
        return all(_bestofn_plain(k, depth + 1) and _bestofn_plain(v, depth + 1) for k, v in x.items())
    return False


def _bestofn_reference() -> Callable[..., Any]:
    namespace: dict[str, Any] = {"__name__": "__bestofn_reference__"}
    exec(compile(_BESTOFN_REFERENCE, "<reference>", "exec"), namespace)  # noqa: S102 - the task's own reference
    function = namespace[_BESTOFN_ENTRY]

    def reference(*args: Any) -> Any:
        result = function(*args)
        if result is None and not _BESTOFN_NONE_OK:
            raise ValueError("the reference returned None for a non-Optional result: outside its domain")
        return result

    return reference


# --------------------------------------------------------------------------- the check


def _bestofn_message(exc: BaseException, limit: int) -> str:
    """An exception's message, shortened; never raises (``str`` of an int past 4,300 digits
    does, and lost the counterexample: red team)."""
    try:
        text = str(exc)
    except Exception:
        text = "<unprintable>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _bestofn_short(value: Any, limit: int) -> str:
    try:
        text = repr(value)
    except Exception:
        text = "<unprintable>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _bestofn_answers(candidate: Callable[..., Any], calls: list[tuple[Any, ...]],
                     report_changes: bool = False) -> Iterator[tuple[bool, Any, bool]]:
    """The candidate on each of ``calls`` in order: ``(True, result, changed)`` or
    ``(False, the exception it raised, False)``, ``changed`` saying (with
    ``report_changes``; else False) whether the call changed one of its arguments; in one
    message when it is the sandbox's proxy (``map_calls``: no round trip per call), else
    one call at a time on copies."""
    batch = getattr(candidate, "map_calls", None)
    if batch is not None:
        for returned, value in batch(calls, report_changes):
            yield returned, value, report_changes and bool(getattr(candidate, "changed_arguments", False))
        return
    for args in calls:
        copied = _bestofn_copy.deepcopy(args)
        try:
            value = candidate(*copied)
        except Exception as exc:
            yield False, exc, False
            continue
        yield True, value, report_changes and not _bestofn_same(copied, args)


def _bestofn_check_against_reference(candidate: Callable[..., Any]) -> None:
    """Fails on the first input where the candidate's answer differs from the reference's
    (the reference's answers as the probe found them, when it could send them all)."""
    calls: list[tuple[Any, ...]] = []
    expectations: list[Any] = []
    if _BESTOFN_EXPECTED is not None:
        calls, expectations = list(_BESTOFN_INPUTS), list(_BESTOFN_EXPECTED)
    else:
        reference = _bestofn_reference()
        for args in _BESTOFN_INPUTS:
            try:
                expectations.append(reference(*_bestofn_copy.deepcopy(args)))
            except Exception:
                continue
            calls.append(args)
    agreed = 0
    answers = _bestofn_answers(candidate, calls, _BESTOFN_KEEPS_ARGUMENTS)
    for args, expected, (returned, got, changed) in zip(calls, expectations, answers):
        if not returned:
            got_text = "raised " + type(got).__name__ + ": " + _bestofn_message(got, 40)
        elif changed:
            # The reference left every argument as it was on every input: a candidate that
            # sorts its argument in place ("don't change the given array") is wrong there.
            got_text = _bestofn_short(got, 60) + ", and changed its argument"
        elif _bestofn_same(expected, got):
            agreed += 1
            continue
        else:
            got_text = _bestofn_short(got, 60)
        call = _BESTOFN_ENTRY + "(" + ", ".join(_bestofn_short(a, 100) for a in args) + ")"
        call = call if len(call) <= 120 else call[:117] + "..."
        m = ("bestofn-counterexample: " + call + " expected "
             + _bestofn_short(expected, 60) + ", got " + got_text + " (after " + str(agreed) + " agreeing)")
        raise AssertionError(m)


# --------------------------------------------------------------------------- the probe


class _BestofnSlow(BaseException):
    pass


def _bestofn_alarm(signum: int, frame: FrameType | None) -> None:
    raise _BestofnSlow()


def _bestofn_reorderings(args: tuple[Any, ...], thorough: bool = False,
                         sorted_only: bool = False) -> list[tuple[Any, ...]]:
    """The arguments with one list argument rotated by one, then reversed (each when that
    changes it); ``sorted_only``: sorted instead. ``thorough`` (the task's own examples):
    rotated, reversed, interleaved (even places, then odd), sorted, and sorted high to
    low. An example often comes sorted already, and sorting it shows nothing: the round
    table's ``seating_gap([1, 1, 4, 5])`` changes interleaved, where rotated and reversed
    it does not."""
    out: list[tuple[Any, ...]] = []
    for i, arg in enumerate(args):
        if type(arg) is list and len(arg) >= 2:
            moves = [] if sorted_only else [arg[1:] + arg[:1], arg[::-1]]
            if thorough:
                moves.append(arg[::2] + arg[1::2])
            if thorough or sorted_only:
                try:
                    moves.append(sorted(arg))
                    if thorough:
                        moves.append(sorted(arg, reverse=True))
                except TypeError:  # items that do not compare: no sorted order
                    pass
            for moved in moves:
                if moved != arg and all(moved != other[i] for other in out):
                    out.append(tuple(args[:i]) + (moved,) + tuple(args[i + 1:]))
    return out


def _bestofn_beyond_turns(args: tuple[Any, ...]) -> bool:
    """Whether the thorough reorderings of ``args`` include one that no rotation or
    reversal of its list gives: a list of three or fewer items has none, so examples that
    short cannot show that an answer is the same in every order."""
    for i, arg in enumerate(args):
        if type(arg) is list and len(arg) >= 4:
            turns = [arg[k:] + arg[:k] for k in range(len(arg))]
            turns += [turn[::-1] for turn in turns]
            if any(other[i] not in turns for other in _bestofn_reorderings(args, thorough=True)):
                return True
    return False


def _bestofn_call(reference: Callable[..., Any], args: tuple[Any, ...], per_call: float,
                  changed: list[bool] | None = None) -> Any:
    """The reference on a copy of ``args``, under the alarm (_BestofnSlow past ``per_call`` s);
    ``changed`` gets whether the call changed one of its arguments."""
    copied = _bestofn_copy.deepcopy(args)
    try:
        _bestofn_signal.setitimer(_bestofn_signal.ITIMER_REAL, per_call)
        result = reference(*copied)
    finally:
        _bestofn_signal.setitimer(_bestofn_signal.ITIMER_REAL, 0)
    if changed is not None:
        changed.append(not _bestofn_same(copied, args))
    return result


def _bestofn_order_sensitive(reference: Callable[..., Any], args: tuple[Any, ...], expected: Any,
                             per_call: float, thorough: bool = False, sorted_only: bool = False) -> bool | None:
    """None when no argument is a list; else whether reordering a list changes the answer."""
    others = _bestofn_reorderings(args, thorough, sorted_only)
    if not others:
        return None
    for other in others:
        try:
            again = _bestofn_call(reference, other, per_call)
        except BaseException:
            return True
        if not _bestofn_same(expected, again):
            return True
    return False


def _bestofn_task_tests_fail(candidate: Callable[..., Any]) -> str:
    """Why the reference, run as the candidate, fails the task's own tests; "" when it
    passes them (or the probe was given none). A reference that fails them cannot tell
    right from wrong: every right candidate met a counterexample (red team)."""
    if not _BESTOFN_TASK_TEST:
        return ""
    # In this namespace itself, as the task's own job runs them: a copy kept a test's
    # ``global SCALE; SCALE = 2`` from the prompt's helper, and a right reference was
    # declared failing (red team). No future flag of this module's leaks into them.
    space = globals()
    try:
        exec(compile(_BESTOFN_TASK_TEST, "<test>", "exec", dont_inherit=True), space)  # noqa: S102 - the task's own tests
        space["check"](candidate)
    except Exception as exc:  # noqa: BLE001 - a fault of the candidate's process propagates (BaseException)
        line = 0
        trace = exc.__traceback__
        while trace is not None:
            if trace.tb_frame.f_code.co_filename == "<test>":
                line = trace.tb_lineno
            trace = trace.tb_next
        where = f" at test line {line}" if line else ""
        text = str(exc)
        return f"{type(exc).__name__}{where}{': ' + text if text else ''}"[:300]
    return ""


def _bestofn_probe(candidate: Callable[..., Any]) -> str:
    """What the reference made of each input, as JSON text (the reference run as the
    candidate too: it must agree with itself across processes), with its answers on the
    usable ones, so the check need not run it again for every candidate.

    The reference's own runs come first (with its runs on reordered lists); once they
    have taken half of ``_BESTOFN_BUDGET``, the inputs left are dropped: the check runs
    the candidate on every usable input, for every candidate, so each check takes
    about half the budget, and the probe about the budget. Then the reference as the
    candidate, in one batch, on the inputs that gave plain data."""
    failing = _bestofn_task_tests_fail(candidate)
    if failing:
        return _bestofn_json.dumps({"reference_fails": failing}, separators=(",", ":"))
    reference = _bestofn_reference()
    raised = slow = unplain = unstable = usable = sensitive = examples = examples_sensitive = 0
    sorted_sensitive = examples_beyond = 0
    spent = 0.0
    _bestofn_signal.signal(_bestofn_signal.SIGALRM, _bestofn_alarm)
    # The examples first: a sorted order is tried on the generated inputs only where one of
    # them was tried beyond turning it (``verifiers.properties`` uses it only then).
    for args in _BESTOFN_EXAMPLES:
        try:
            expected = _bestofn_call(reference, args, _BESTOFN_PER_CALL)
        except BaseException:
            continue
        order = _bestofn_order_sensitive(reference, args, expected, _BESTOFN_PER_CALL, thorough=True)
        if order is not None:
            examples += 1
            examples_sensitive += int(order)
            examples_beyond += int(_bestofn_beyond_turns(args))
    reference_seconds = 0.0
    kept: list[tuple[int, tuple[Any, ...], Any, float, bool | None, bool | None]] = []
    changed: list[bool] = []  # per call of the reference that returned: did it change an argument?
    for index, args in enumerate(_BESTOFN_INPUTS):
        start = _bestofn_time.perf_counter()
        if _BESTOFN_BUDGET and reference_seconds > _BESTOFN_BUDGET / 2:
            slow += len(_BESTOFN_INPUTS) - index  # the probe's time is spent: the larger inputs left are dropped
            break
        try:
            expected = _bestofn_call(reference, args, _BESTOFN_PER_CALL, changed)
        except _BestofnSlow:
            slow += 1
            continue
        except Exception:
            raised += 1
            continue
        finally:
            seconds = _bestofn_time.perf_counter() - start
            reference_seconds += seconds
        if not _bestofn_plain(expected):
            unplain += 1
            continue
        reordered = _bestofn_time.perf_counter()
        kept.append((index, args, expected, seconds,
                     _bestofn_order_sensitive(reference, args, expected, _BESTOFN_PER_CALL),
                     _bestofn_order_sensitive(reference, args, expected, _BESTOFN_PER_CALL, sorted_only=True)
                     if examples_beyond else None))
        reference_seconds += _bestofn_time.perf_counter() - reordered  # the budget bounds the probe too
    batch_start = _bestofn_time.perf_counter()
    answers = list(_bestofn_answers(candidate, [args for _, args, _, _, _, _ in kept]))
    # Each usable input's share of the batch: the calibrated limit covers the candidate's calls too.
    share = (_bestofn_time.perf_counter() - batch_start) / len(kept) if kept else 0.0
    for (index, args, expected, seconds, order, sorted_order), (returned, got, _) in zip(kept, answers):
        if not returned or not _bestofn_same(expected, got):
            unstable += 1
            continue
        usable |= 1 << index
        spent += seconds + share
        if order:
            sensitive |= 1 << index
        if sorted_order:
            sorted_sensitive |= 1 << index
    wired = [_bestofn_wire(value) for (index, _, value, _, _, _) in kept if usable >> index & 1]
    found: dict[str, Any] = {"raised": raised, "slow": slow, "unplain": unplain, "unstable": unstable,
                             "seconds": spent, "usable": "%x" % usable, "sensitive": "%x" % sensitive,
                             "sorted_sensitive": "%x" % sorted_sensitive, "examples": examples,
                             "examples_sensitive": examples_sensitive, "examples_beyond": examples_beyond,
                             "expected": wired,
                             "keeps": int(bool(changed) and not any(changed))}
    text = _bestofn_json.dumps(found, separators=(",", ":"))
    if len(text) > _BESTOFN_EXPECTED_CHARS:  # too large to send back: the check runs the reference itself
        found["expected"] = None
        text = _bestofn_json.dumps(found, separators=(",", ":"))
    return text


_BESTOFN_EXPECTED_CHARS = 256 * 1024


def _bestofn_wire(x: Any) -> Any:
    """A plain value as the channel's codec writes it (``verifiers.runtime.codec``)."""
    t = type(x)
    if x is None or t is bool or t is str or t is float:
        return x
    if t is int:
        return x if -(1 << 63) < x < (1 << 63) else {"i": format(x, "x")}
    if t is list or t is tuple or t is set or t is frozenset:
        tag = "l" if t is list else "t" if t is tuple else "s" if t is set else "f"
        return {tag: [_bestofn_wire(v) for v in x]}
    if t is dict:
        return {"d": [[_bestofn_wire(k), _bestofn_wire(v)] for k, v in x.items()]}
    return {"b": _bestofn_base64.b64encode(x).decode("ascii")}
