"""The standard library's immutable values that cross the channel as themselves (tag
``"v"`` in ``codec``): ``complex``, ``range``, ``fractions.Fraction``,
``decimal.Decimal``, and ``datetime``'s ``date``, ``time``, ``datetime`` and
``timedelta``.

Before, none of them could cross: a right answer returning ``Fraction(1, 3)``,
``3+1j``, ``Decimal('0.75')`` or a ``date`` failed (``cannot send a value of type
Fraction``), and a task whose tests pass one made every candidate the harness's
``error``. Each is sent as the few plain values that make it again exactly (a
``Decimal``'s text keeps its exponent, ``Decimal('1.10')`` stays ``1.10``), of exactly
these types (a subclass does not cross, as no other subclass's code crosses), and is
made on the other side by the standard library's own constructor, never by anything
the sender names. They are leaves, as ints are: nothing in them can change. numpy's
scalars (``np.int64``, ``np.bool_``, ``np.float32``...) cross the same way
(``numpy_values``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from . import numpy_values
from .wire_errors import CodecError

INT_BITS = 20_000
"""Largest part of a Fraction or a range that crosses, in bits: making one reduces a
Fraction by a gcd, and works out a range's length by a division, in C, which no alarm
reaches (a crafted reply with megabyte integers held the test server 4 s a range: a
nineteenth red team)."""
TEXT_LIMIT = 10_000
"""Longest text a Decimal or a date, time or datetime crosses as."""


_MODULES = frozenset({"fractions", "decimal", "datetime"})
"""Never imported here: loaded for every server, they weighed on the zygote every
candidate is forked from. Where one is not loaded, no value of it exists to send, and
the side that receives one imports it then (``_MADE``)."""


def _loaded(module: str) -> Any:
    return sys.modules.get(module)


def _timezone_fits(tz: Any, datetime: Any) -> bool:
    """A fixed offset (``timezone.utc``, ``timezone(timedelta(hours=2))``) or none: what
    ``isoformat`` writes and ``fromisoformat`` reads back as it was (a zone of
    ``zoneinfo``, or a name given to an offset, would come back as the offset alone)."""
    if tz is None:
        return True
    if type(tz) is not datetime.timezone:
        return False
    offset = tz.utcoffset(None)
    return bool(tz.tzname(None) == datetime.timezone(offset).tzname(None))  # no name of its own to lose


def parts_of(x: Any) -> list[Any] | None:
    """``[name, *parts]`` for a value of one of the module's types, exactly, the parts
    plain ints, floats and strings; None for anything else. Refuses (``CodecError``) one
    that cannot be made again exactly."""
    t = type(x)
    if t is complex:
        return ["complex", x.real, x.imag]
    if t is range:
        parts = [x.start, x.stop, x.step]
        if any(p.bit_length() > INT_BITS for p in parts):
            raise CodecError(f"a range over {INT_BITS} bits")
        return ["range", *parts]
    module = t.__module__
    if module == "numpy":
        return numpy_values.parts(x, t)
    if module not in _MODULES:
        return None
    fractions, decimal, datetime = _loaded("fractions"), _loaded("decimal"), _loaded("datetime")
    if fractions is not None and t is fractions.Fraction:
        numerator, denominator = x.numerator, x.denominator
        if type(numerator) is not int or type(denominator) is not int:
            raise CodecError("a Fraction whose parts are not ints")
        if max(numerator.bit_length(), denominator.bit_length()) > INT_BITS:
            raise CodecError(f"a Fraction over {INT_BITS} bits")
        return ["Fraction", numerator, denominator]
    if decimal is not None and t is decimal.Decimal:
        text = str(x)  # the exact type: its own C method
        if type(text) is not str or len(text) > TEXT_LIMIT:
            raise CodecError(f"a Decimal over {TEXT_LIMIT} digits")
        return ["Decimal", text]
    if datetime is None:
        return None
    if t is datetime.timedelta:
        return ["timedelta", x.days, x.seconds, x.microseconds]
    if t is datetime.date:
        return ["date", x.isoformat()]
    if t is datetime.time or t is datetime.datetime:
        if not _timezone_fits(x.tzinfo, datetime):
            raise CodecError(f"a {t.__name__} of a time zone other than a fixed offset")
        return [t.__name__, x.isoformat(), x.fold]
    return None


def _complex(parts: list[Any]) -> Any:
    if len(parts) != 2 or any(type(p) is not float for p in parts):
        raise ValueError
    return complex(parts[0], parts[1])


def _range(parts: list[Any]) -> Any:
    if len(parts) != 3 or any(type(p) is not int or p.bit_length() > INT_BITS for p in parts):
        raise ValueError
    return range(parts[0], parts[1], parts[2])


def _fraction(parts: list[Any]) -> Any:
    if len(parts) != 2 or any(type(p) is not int or p.bit_length() > INT_BITS for p in parts) or parts[1] <= 0:
        raise ValueError
    import fractions

    made = fractions.Fraction(parts[0], parts[1])
    if made.numerator != parts[0]:  # not in lowest terms: not what a Fraction is
        raise ValueError
    return made


def _decimal(parts: list[Any]) -> Any:
    if len(parts) != 1 or type(parts[0]) is not str or len(parts[0]) > TEXT_LIMIT:
        raise ValueError
    import decimal

    made = decimal.Decimal(parts[0])
    # Only the text a Decimal writes of itself, its exponent's letter as either side's
    # context writes it (``capitals``: the tests' reaches the candidate, but not the
    # other way; a forty-ninth red team).
    if str(made).upper() != parts[0].upper():
        raise ValueError
    return made


def _timedelta(parts: list[Any]) -> Any:
    if len(parts) != 3 or any(type(p) is not int for p in parts):
        raise ValueError
    import datetime

    made = datetime.timedelta(days=parts[0], seconds=parts[1], microseconds=parts[2])
    if [made.days, made.seconds, made.microseconds] != parts:
        raise ValueError
    return made


def _date(parts: list[Any]) -> Any:
    if len(parts) != 1 or type(parts[0]) is not str or len(parts[0]) > 64:
        raise ValueError
    import datetime

    return datetime.date.fromisoformat(parts[0])


def _of_day(name: str) -> Callable[[list[Any]], Any]:
    def made(parts: list[Any]) -> Any:
        if len(parts) != 2 or type(parts[0]) is not str or len(parts[0]) > 64 or parts[1] not in (0, 1) \
                or type(parts[1]) is not int:
            raise ValueError
        import datetime

        return getattr(datetime, name).fromisoformat(parts[0]).replace(fold=parts[1])
    return made


_MADE: dict[str, Callable[[list[Any]], Any]] = {
    "complex": _complex, "range": _range, "Fraction": _fraction, "Decimal": _decimal, "timedelta": _timedelta,
    "date": _date, "time": _of_day("time"), "datetime": _of_day("datetime"),
    **{f"numpy.{name}": numpy_values.maker(name) for name in numpy_values.SCALARS}}


def made(name: object, parts: list[Any]) -> Any:
    """The value ``parts_of`` described, made by its type's own constructor; anything
    malformed is refused (``CodecError``)."""
    maker = _MADE.get(name) if type(name) is str else None
    if maker is None:
        raise CodecError("unknown kind of value")
    try:
        return maker(parts)
    except (ValueError, TypeError, OverflowError, ArithmeticError):
        raise CodecError(f"malformed {name}") from None
