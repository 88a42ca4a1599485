"""verifiers/runtime/std_values.py: the standard library's immutable values cross the
codec as themselves, made again exactly, and nothing malformed is made."""

from __future__ import annotations

import datetime
import decimal
import fractions
from typing import Any

import pytest

from verifiers.runtime.codec import CodecError, decode, encode

D = decimal.Decimal
UTC2 = datetime.timezone(datetime.timedelta(hours=2))

VALUES: list[Any] = [
    3 + 1j, complex(float("inf"), -0.0), range(3), range(10, -5, -3), range(2 ** 70), fractions.Fraction(-1, 3), fractions.Fraction(10 ** 40, 3),
    D("0.75"), D("1.10"), D("-0"), D("1E+999999"), D("NaN"), D("-Infinity"),
    datetime.date(2020, 1, 3), datetime.time(23, 59, 1, 5), datetime.time(1, 2, tzinfo=UTC2),
    datetime.datetime(2020, 1, 3, 4, 5, 6, 7), datetime.datetime(2020, 1, 3, tzinfo=datetime.timezone.utc),
    datetime.datetime(2021, 11, 7, 1, 30, fold=1), datetime.timedelta(days=-3, seconds=5, microseconds=7),
]


@pytest.mark.parametrize("value", VALUES, ids=[repr(v) for v in VALUES])
def test_each_value_is_made_again_exactly(value: Any) -> None:
    back = decode(encode(value))
    assert type(back) is type(value)
    assert str(back) == str(value) and repr(back) == repr(value)
    if isinstance(value, (datetime.time, datetime.datetime)):
        assert back.fold == value.fold and back.tzinfo == value.tzinfo


def test_values_inside_containers_and_as_keys() -> None:
    value = {D("1.5"): [fractions.Fraction(1, 2), 1j], datetime.date(2020, 1, 1): {datetime.timedelta(1)}}
    assert decode(encode(value)) == value


@pytest.mark.parametrize("value", [
    type("MyDecimal", (D,), {})("1.5"),  # a subclass's own code never crosses
    fractions.Fraction(2 ** 30000, 3),  # reduced by a gcd in C no alarm reaches
    range(2 ** 30000),  # its length a division in C (a crafted one held the test server 4 s)
    datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=1), "CET")),  # its name would be lost
])
def test_what_cannot_be_made_again_exactly_does_not_cross(value: Any) -> None:
    with pytest.raises(CodecError):
        encode(value)


@pytest.mark.parametrize("tree", [
    {"v": []}, {"v": ["Pickle", "x"]}, {"v": ["complex", 1, 2]}, {"v": ["complex", 1.0]},
    {"v": ["range", 0, 3, 0]}, {"v": ["range", 0, 3]}, {"v": ["range", 0, 3, 1.0]},
    {"v": ["range", 0, {"i": "1" + "0" * 6000}, {"i": "1" + "0" * 3000}]},
    {"v": ["Fraction", 2, 4]}, {"v": ["Fraction", 1, 0]}, {"v": ["Fraction", 1, -3]},
    {"v": ["Fraction", {"i": "1" + "0" * 6000}, 3]},
    {"v": ["Decimal", "1.5 "]}, {"v": ["Decimal", "x"]}, {"v": ["Decimal", 1.5]},
    {"v": ["date", "2020-13-01"]}, {"v": ["date", "2020-01-01" * 10]},
    {"v": ["datetime", "2020-01-01T00:00:00", 2]}, {"v": ["time", "25:00", 0]},
    {"v": ["timedelta", 0, 86400, 0]}, {"v": ["timedelta", 10 ** 12, 0, 0]},
])
def test_a_malformed_value_is_refused(tree: Any) -> None:
    with pytest.raises(CodecError):
        decode(tree)
