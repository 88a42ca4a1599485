"""The interpreter's settings that plain Python's one process shares between the tests
and the candidate, carried across the channel: the recursion limit and the ``decimal``
context. In plain Python a test that raises the limit (``sys.setrecursionlimit(5000)``)
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

import decimal
import sys
from typing import Any

_getcontext = decimal.getcontext
"""Bound at start: a test that replaces ``decimal.getcontext`` does not reach the channel."""
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
        self._seen: tuple[int, tuple[Any, ...]] = (sys.getrecursionlimit(), _tests_decimal(_TEMPLATES_AT_START[0]))
        """The tests' settings when last read: sent only once the tests change them."""
        self._sent = self._seen
        """What the candidate has of the tests': sent only where it differs."""

    def changed(self, limit: int) -> list[Any] | None:
        """The settings to send with a call the tests make at recursion limit ``limit``
        (theirs, before the channel's room: ``functions.users_limit``), or None where
        the tests changed nothing since they last called, or the candidate has them."""
        seen = (limit, _tests_decimal(self._seen[1]))
        if seen == self._seen:
            return None
        self._seen = seen
        now = (max(limit, _LIMIT_AT_START), seen[1])
        if now == self._sent:
            return None
        self._sent = now
        settings = now[1]
        return [now[0], [*settings[:6], [signal.__name__ for signal in settings[6]]]]


def _tests_decimal(otherwise: tuple[Any, ...]) -> tuple[Any, ...]:
    """The tests' ``decimal`` context now, or ``otherwise`` where it cannot be read (the
    tests set one of a subclass of theirs: theirs to break, never the channel's)."""
    try:
        now = decimal_settings(_getcontext())
        valid = all(type(now[i]) is int for i in (0, 2, 3, 4, 5)) and now[1] in _ROUNDINGS \
            and all(signal in _SIGNAL_CLASSES for signal in now[6])
    except Exception:  # noqa: BLE001 - see above
        return otherwise
    return now if valid else otherwise


def apply(settings: Any) -> None:
    """The candidate's side: set what the tests sent (``Outgoing.changed``) before the
    call's arguments are made. A value this process cannot take (a limit below the
    stack's depth here, which the tests' shallower stack took) is left as it was."""
    if type(settings) is not list or len(settings) != 2:
        return
    limit, context = settings
    if type(limit) is int and limit >= _LIMIT_AT_START:
        try:
            sys.setrecursionlimit(limit)
        except (RecursionError, ValueError, OverflowError):
            pass
    if type(context) is list and len(context) == 7 and type(context[6]) is list \
            and all(name in _SIGNALS for name in context[6]) and context[1] in _ROUNDINGS:
        try:
            write_decimal(_getcontext(), (*context[:6], [_SIGNALS[name] for name in context[6]]))
        except Exception:  # noqa: BLE001 - the candidate's program set a context of its own kind: its own to break
            pass
