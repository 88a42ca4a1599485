"""The interpreter's settings that plain Python's one process shares between the tests
and the candidate, carried across the channel: the recursion limit and the ``decimal``
context. In plain Python a test that raises the limit (``sys.setrecursionlimit(5000)``)
before calling a recursive answer, or sets ``getcontext().prec = 50`` before calling one
that divides ``Decimal``s, changes what the candidate's code meets. Here the candidate
runs in a process of its own that kept its defaults, so such a right answer failed: a
``RecursionError`` 1,000 frames down, a quotient of 28 digits where the tests compared
50 (docs/LIMITS.md had both as limits).

The tests' side sends what it has now when that differs from what it sent last
(``Outgoing``), with a call of the candidate's entry point or of a function the
candidate returned; the candidate's side sets it before the call runs (``apply``). So
the last one to set a value has it, as in plain Python: a candidate that raised its own
limit when its module loaded keeps that until the tests set theirs. Only the tests'
settings cross: the tests' process stays as the tests left it, whatever the candidate
sets. A limit the tests lower is not the candidate's (it keeps the limit it began with):
the channel's own frames in the candidate's process run at that limit too, and a test
that lowers it to catch a deep recursion is rare beside one that raises it.
"""

from __future__ import annotations

import sys
from typing import Any

DECIMAL_DEFAULT = (28, "ROUND_HALF_EVEN", -999999, 999999, 1, 0, ("DivisionByZero", "InvalidOperation", "Overflow"))
"""A fresh interpreter's ``decimal`` context, as ``_decimal_now`` reads one: the test
server puts it back at each job's start (``job_state``), and a candidate's process
begins with it."""
_SIGNALS = frozenset({"Clamped", "DivisionByZero", "FloatOperation", "Inexact", "InvalidOperation", "Overflow",
                      "Rounded", "Subnormal", "Underflow"})
_ROUNDINGS = frozenset({"ROUND_05UP", "ROUND_CEILING", "ROUND_DOWN", "ROUND_FLOOR", "ROUND_HALF_DOWN",
                        "ROUND_HALF_EVEN", "ROUND_HALF_UP", "ROUND_UP"})
_LIMIT_AT_START = sys.getrecursionlimit()
"""This process's limit before any code of the user's ran (imported by both servers at start)."""


class Outgoing:
    """The tests' side: what it last sent, to send only what changed since."""

    def __init__(self, limit: int = _LIMIT_AT_START) -> None:
        self._floor = limit
        self._sent: tuple[int, tuple[Any, ...]] = (limit, DECIMAL_DEFAULT)

    def changed(self, limit: int) -> list[Any] | None:
        """The settings to send with a call the tests make at recursion limit ``limit``
        (theirs, before the channel's room: ``functions.ours``), or None where the
        candidate has them already."""
        now = (max(limit, self._floor), _decimal_now(self._sent[1]))
        if now == self._sent:
            return None
        self._sent = now
        return [now[0], list(now[1][:6]) + [list(now[1][6])]]


def _decimal_now(otherwise: tuple[Any, ...]) -> tuple[Any, ...]:
    """The tests' ``decimal`` context now, or ``otherwise`` where they have not imported
    ``decimal`` or it cannot be read (the tests replaced ``getcontext``: theirs to break,
    never the channel's)."""
    decimal: Any = sys.modules.get("decimal")
    if decimal is None:
        return otherwise
    try:
        context = decimal.getcontext()
        traps = tuple(sorted(signal.__name__ for signal, on in context.traps.items() if on))
        now = (context.prec, context.rounding, context.Emin, context.Emax, context.capitals, context.clamp, traps)
    except Exception:  # noqa: BLE001 - see above
        return otherwise
    valid = (all(type(part) is int for part in (now[0], *now[2:6])) and now[1] in _ROUNDINGS
             and set(traps) <= _SIGNALS)
    return now if valid else otherwise


def apply(settings: Any) -> None:
    """The candidate's side: set what the tests sent (``Outgoing.changed``) before the
    call runs. A value this process cannot take (a limit below the stack's depth here,
    which the tests' shallower stack took) is left as it was."""
    if type(settings) is not list or len(settings) != 2:
        return
    limit, context = settings
    if type(limit) is int and limit >= _LIMIT_AT_START:
        try:
            sys.setrecursionlimit(limit)
        except (RecursionError, ValueError, OverflowError):
            pass
    if type(context) is list and len(context) == 7:
        _set_decimal(*context)


def _set_decimal(prec: Any, rounding: Any, emin: Any, emax: Any, capitals: Any, clamp: Any, traps: Any) -> None:
    if type(traps) is not list or not set(traps) <= _SIGNALS or rounding not in _ROUNDINGS:
        return
    import decimal  # only where the tests changed the context: most candidates never load it

    try:
        decimal.setcontext(decimal.Context(prec=prec, rounding=rounding, Emin=emin, Emax=emax, capitals=capitals,
                                           clamp=clamp, traps=[getattr(decimal, name) for name in traps]))
    except (TypeError, ValueError, AttributeError):
        pass  # the candidate's program replaced what ``decimal`` holds: its own to break
