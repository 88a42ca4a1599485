"""The interpreter's settings that plain Python's one process shares between the tests
and the candidate, carried across the channel: the recursion limit, the ``decimal``
context and numpy's error settings. In plain Python a test that raises the limit (``sys.setrecursionlimit(5000)``)
before calling a recursive answer, or sets ``getcontext().prec = 50`` before calling one
that divides ``Decimal``s, changes what the candidate's code meets. Here the candidate
runs in a process of its own that kept its defaults, so such a right answer failed: a
``RecursionError`` 1,000 frames down, a quotient of 28 digits where the tests compared
50 (docs/LIMITS.md had both as limits).

The tests' side sends its settings when they differ from what it sent last
(``Outgoing``), with a call of the candidate's entry point, of a function the candidate
returned, or of its iterator's next batch; the candidate's side sets them before the
call's arguments are made (``apply``), into the context it holds (a candidate that
keeps ``getcontext()`` in a global sees them). What the candidate sets of its own is
not sent back: it stands in its process until the tests' settings change, and the
tests' process stays as the tests left it. So where both set a value, the tests' next
change wins, but a test that sets the value it already had sends nothing, and one that
puts back what it had (a ``localcontext`` ending) sends that, over what the candidate
set of its own (docs/LIMITS.md).
A limit the tests lower below the one a process begins with is not sent: the channel's
own frames in the candidate's process run at that limit too, and a test that lowers it
to catch a deep recursion is rare beside one that raises it.

A job of the test server begins from ``decimal``'s own contexts as the server began
(``restore_decimal``): ``decimal.Context()`` copies ``DefaultContext``, and a task's
tests that changed that (``DefaultContext.prec = 5``) reached every later task's tests,
and with them its candidates (a forty-ninth red team).
"""

from __future__ import annotations

import contextvars
import decimal
import sys
from typing import Any

_getcontext = decimal.getcontext
"""Bound at start: a test that replaces ``decimal.getcontext`` does not reach the channel."""


def _decimal_variable() -> contextvars.ContextVar[Any] | None:
    """The ``ContextVar`` that holds ``decimal``'s current context (C's ``decimal_context``),
    found in a context of its own; None where there is none (the pure-Python module)."""
    own = contextvars.Context()
    own.run(_getcontext)
    return next((variable for variable in own if variable.name == "decimal_context"), None)


_DECIMAL_VARIABLE = _decimal_variable()
_SIGNALS = {signal.__name__: signal for signal in (
    decimal.Clamped, decimal.DivisionByZero, decimal.FloatOperation, decimal.Inexact, decimal.InvalidOperation,
    decimal.Overflow, decimal.Rounded, decimal.Subnormal, decimal.Underflow)}
_SIGNAL_CLASSES = frozenset(_SIGNALS.values())
_ROUNDINGS = frozenset({decimal.ROUND_05UP, decimal.ROUND_CEILING, decimal.ROUND_DOWN, decimal.ROUND_FLOOR,
                        decimal.ROUND_HALF_DOWN, decimal.ROUND_HALF_EVEN, decimal.ROUND_HALF_UP, decimal.ROUND_UP})
_LIMIT_AT_START = sys.getrecursionlimit()
"""This process's limit before any code of the user's ran (imported by both servers at start)."""


def decimal_settings(context: decimal.Context) -> tuple[Any, ...]:
    """``(prec, rounding, Emin, Emax, capitals, clamp, traps)``, the traps as a tuple of
    signal classes; read in C (``__reduce__``, 0.3 us: reading ``traps`` item by item
    went through ``MutableMapping``'s Python code, most of 12 us a call)."""
    reduced = context.__reduce__()[1]
    return (*reduced[:6], tuple(reduced[7]))


def write_decimal(context: decimal.Context, settings: tuple[Any, ...]) -> None:
    """Set ``settings`` (as ``decimal_settings`` reads them) into ``context`` in place,
    its flags left as they are."""
    prec, rounding, emin, emax, capitals, clamp, traps = settings
    context.prec, context.rounding, context.Emin, context.Emax = prec, rounding, emin, emax
    context.capitals, context.clamp = capitals, clamp
    for signal in _SIGNALS.values():
        context.traps[signal] = signal in traps


_TEMPLATES = (decimal.DefaultContext, decimal.BasicContext, decimal.ExtendedContext)
_TEMPLATES_AT_START = tuple(decimal_settings(context) for context in _TEMPLATES)


def restore_decimal() -> None:
    """``decimal``'s template contexts as the server began, their flags cleared as they
    began (a job's context is copied from ``DefaultContext``, flags too: a fiftieth red
    team; ``job_state.restore_interpreter``). Each job runs in a ``contextvars`` context
    of its own (``test_side``), where the current ``decimal`` context is made afresh."""
    for context, settings in zip(_TEMPLATES, _TEMPLATES_AT_START):
        if decimal_settings(context) != settings:
            write_decimal(context, settings)
        context.clear_flags()


class Outgoing:
    """The tests' side: what it last sent, to send only what changed since. Made when
    the prompt has loaded (``CandidateProxy.prompt_loaded``): the candidate's program
    holds the prompt and set what it set, then its own, so what the prompt set is not
    sent over what the candidate's code set after it (a fiftieth red team: it was, and
    a wrong answer's own precision was replaced by the prompt's)."""

    def __init__(self) -> None:
        # The limit as the prompt left it, lower than the floor below too: the candidate
        # holds it, and a test that raises it back to 1,000 sends that (a fifty-first red team).
        self._seen: tuple[int, tuple[Any, ...], tuple[str, ...] | None] = (
            sys.getrecursionlimit(), _tests_decimal(_TEMPLATES_AT_START[0]), _tests_numpy(None))
        """The tests' settings when last read: sent only once the tests change them."""
        self._sent = self._seen
        """What the candidate has of the tests': sent only where it differs."""

    def changed(self, limit: int) -> list[Any] | None:
        """The settings to send with a call the tests make at recursion limit ``limit``
        (theirs, before the channel's room: ``functions.users_limit``), or None where
        the tests changed nothing since they last called, or the candidate has them."""
        seen = (limit, _tests_decimal(self._seen[1]), _tests_numpy(self._seen[2]))
        if seen == self._seen:
            return None
        self._seen = seen
        # A limit below the floor is not sent, not even as the floor: a candidate's program
        # whose prompt set 500 keeps it where the tests set 700 (a fifty-second red team).
        now = (limit if limit >= _LIMIT_AT_START else self._sent[0], seen[1], seen[2])
        if now == self._sent:
            return None
        self._sent = now
        settings = now[1]
        return [now[0], [*settings[:6], [signal.__name__ for signal in settings[6]]],
                None if now[2] is None else list(now[2])]


def _tests_decimal(otherwise: tuple[Any, ...]) -> tuple[Any, ...]:
    """The tests' ``decimal`` context now, or ``otherwise`` where it cannot be read (the
    tests set one of a subclass of theirs: theirs to break, never the channel's)."""
    try:
        # Read without making one: where the tests have none yet, theirs will be copied
        # from ``DefaultContext`` at their first use, in whichever context runs it. Made
        # here, in the job's context, every ``copy_context()`` and asyncio task of the
        # tests shared it (a fifty-second red team).
        made = _DECIMAL_VARIABLE is None or _DECIMAL_VARIABLE in contextvars.copy_context()
        now = decimal_settings(_getcontext() if made else decimal.DefaultContext)
        valid = _valid_decimal(now)
    except Exception:  # noqa: BLE001 - see above
        return otherwise
    return now if valid else otherwise


def _valid_decimal(settings: tuple[Any, ...]) -> bool:
    """Whether ``settings`` (as ``decimal_settings`` reads them) are what ``decimal``'s own
    contexts hold: either side checks, the tests' a context of theirs, the candidate's
    what it received."""
    return len(settings) == 7 and all(type(settings[i]) is int for i in (0, 2, 3, 4, 5)) \
        and settings[1] in _ROUNDINGS and all(signal in _SIGNAL_CLASSES for signal in settings[6])


_NUMPY_KINDS = ("divide", "over", "under", "invalid")
_NUMPY_MODES = frozenset({"ignore", "warn", "raise", "print", "log"})
"""What ``np.seterr`` takes, but ``call`` (a function of the tests', which does not cross)."""


def _tests_numpy(otherwise: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """numpy's error settings in the tests now (``np.seterr``, ``np.errstate``: a wrong
    answer's ``x / x`` passed tests that raise on an invalid value, a fifty-second red
    team), or None where they have not loaded numpy; ``otherwise`` where it cannot be read."""
    numpy: Any = sys.modules.get("numpy")
    if numpy is None:
        return None
    try:
        errors = numpy.geterr()
        now = tuple(errors[kind] for kind in _NUMPY_KINDS)
    except Exception:  # noqa: BLE001 - the tests replaced numpy's: theirs to break
        return otherwise
    return now if all(type(mode) is str and mode in _NUMPY_MODES for mode in now) else otherwise


def apply(settings: Any) -> None:
    """The candidate's side: set what the tests sent (``Outgoing.changed``) before the
    call's arguments are made. A value this process cannot take (a limit below the
    stack's depth here, which the tests' shallower stack took) is left as it was."""
    if type(settings) is not list or len(settings) != 3:
        return
    limit, context, errors = settings
    if type(limit) is int and limit >= _LIMIT_AT_START:
        try:
            sys.setrecursionlimit(limit)
        except (RecursionError, ValueError, OverflowError):
            pass
    if type(context) is list and len(context) == 7 and type(context[6]) is list:
        received = (*context[:6], tuple(_SIGNALS.get(name) if type(name) is str else None for name in context[6]))
        try:
            if _valid_decimal(received):
                write_decimal(_getcontext(), received)
        except Exception:  # noqa: BLE001 - the candidate's program set a context of its own kind: its own to break
            pass
    numpy: Any = sys.modules.get("numpy")  # not loaded, the candidate's numpy begins from its defaults
    if numpy is not None and type(errors) is list and len(errors) == len(_NUMPY_KINDS) \
            and all(mode in _NUMPY_MODES for mode in errors):
        try:
            numpy.seterr(**dict(zip(_NUMPY_KINDS, errors)))
        except Exception:  # noqa: BLE001 - the candidate replaced numpy's: its own to break
            pass
