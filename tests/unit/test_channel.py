"""The strict plain-data codec and the framing: what crosses, what must not, and the caps."""

from __future__ import annotations

import json
import math
import socket
import struct
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifiers.channel import MAX_DEPTH, MAX_MESSAGE, CodecError, decode, encode, frame, recv_msg, send_msg

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | st.binary()
hashables = st.recursive(scalars, lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3), max_leaves=8)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.tuples(inner, inner)
    | st.sets(hashables, max_size=4)
    | st.frozensets(hashables, max_size=4)
    | st.dictionaries(hashables, inner, max_size=4),
    max_leaves=20,
)


def _roundtrip(value: object) -> object:
    return decode(json.loads(json.dumps(encode(value))))


def _same(a: object, b: object) -> bool:
    """Equal *and* of the same exact types all the way down (1 == True == 1.0 would hide a bug)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple))
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return a == b


@given(values)
def test_roundtrip_keeps_values_and_exact_types(value: object) -> None:
    assert _same(_roundtrip(value), value)


@pytest.mark.parametrize("value", [2**63, -(2**63), 10**5000, -(10**5000) + 7], ids=["2^63", "-2^63", "1e5000", "-1e5000"])
def test_big_ints_cross_despite_the_decimal_digit_cap(value: int) -> None:
    assert _roundtrip(value) == value


def test_special_floats() -> None:
    assert _roundtrip(math.inf) == math.inf
    assert math.isnan(_roundtrip(math.nan))  # type: ignore[arg-type]


def test_bool_and_int_stay_distinct() -> None:
    assert _roundtrip(True) is True
    assert type(_roundtrip(1)) is int
    assert _roundtrip((1, True, 1.0)) == (1, True, 1.0)
    assert [type(x) for x in _roundtrip((1, True, 1.0))] == [int, bool, float]  # type: ignore[union-attr]


class LyingInt(int):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__


class LyingStr(str):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


class AlwaysEqual:
    def __eq__(self, other: object) -> bool:
        return True


class Reducer:
    def __reduce__(self) -> tuple[object, ...]:
        return (print, ("pwned",))


@pytest.mark.parametrize(
    "value",
    [AlwaysEqual(), Reducer(), {"k": AlwaysEqual()}, bytearray(b"x"), print, iter([1]), type("C", (complex,), {})(1j),
     type("R", (), {})],
)
def test_encoder_refuses_anything_but_plain_data(value: object) -> None:
    with pytest.raises(CodecError):
        encode(value)


def test_subclasses_of_plain_types_cross_as_the_plain_values_they_hold() -> None:
    """A ``Counter``, a named tuple, an ``IntEnum`` member: sent as the dict, the tuple,
    the int (a right answer returning a ``Counter`` failed where ``==`` passes it). Only
    the plain value arrives: a subclass's ``__eq__`` that says yes to anything stays behind."""
    import collections
    import enum

    class Colour(enum.IntEnum):
        RED = 1

    point = collections.namedtuple("point", "x y")
    cases = [(LyingInt(3), 3), (LyingStr("a"), "a"), ([LyingInt(1)], [1]), ({LyingStr("k"): 1}, {"k": 1}),
             (collections.Counter("aab"), {"a": 2, "b": 1}), (collections.OrderedDict(a=1), {"a": 1}),
             (collections.defaultdict(list, a=[1]), {"a": [1]}), (point(1, 2), (1, 2)), (Colour.RED, 1)]
    for value, plain in cases:
        back = _roundtrip(value)
        assert back == plain and type(back) is type(plain), (value, back)
    assert _roundtrip(LyingInt(3)) != 4


@pytest.mark.parametrize(
    "tree",
    [[1, 2], {"l": 1}, {"l": [], "t": []}, {"x": []}, {"d": [[1]]}, {"d": [1]}, {"s": [{"l": []}]},
     {"d": [[{"l": []}, 1]]}, {"b": "not base64!"}, {"b": 3}, {"i": "zz"}, {"i": 5}, {}],
)
def test_decoder_rejects_malformed_trees(tree: object) -> None:
    with pytest.raises(CodecError):
        decode(tree)


def test_depth_is_capped_both_ways() -> None:
    ok: object = []
    for _ in range(MAX_DEPTH - 1):
        ok = [ok]
    assert _roundtrip(ok) == ok
    deep: object = []
    for _ in range(MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(CodecError):
        encode(deep)
    tree: object = {"l": []}
    for _ in range(MAX_DEPTH + 5):
        tree = {"l": [tree]}
    with pytest.raises(CodecError):
        decode(tree)


def test_frames_roundtrip_over_a_socket() -> None:
    a, b = socket.socketpair()
    with a, b:
        send_msg(a, {"r": encode((1, "é", b"\x00"))})
        assert decode(recv_msg(b, time.monotonic() + 5)["r"]) == (1, "é", b"\x00")


def test_oversized_frame_is_refused_without_reading_it() -> None:
    a, b = socket.socketpair()
    with a, b:
        a.sendall(struct.pack(">I", MAX_MESSAGE + 1))
        with pytest.raises(CodecError):
            recv_msg(b, time.monotonic() + 5)
    with pytest.raises(CodecError):
        frame({"r": "x" * MAX_MESSAGE})


def test_garbage_frame_is_a_codec_error() -> None:
    a, b = socket.socketpair()
    with a, b:
        a.sendall(struct.pack(">I", 3) + b"\xff\xfe{")
        with pytest.raises(CodecError):
            recv_msg(b, time.monotonic() + 5)


def test_deadline_and_eof() -> None:
    a, b = socket.socketpair()
    with b:
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            recv_msg(b, time.monotonic() + 0.2)
        assert 0.15 < time.monotonic() - start < 2
        a.sendall(struct.pack(">I", 10) + b"{}")  # truncated, then the peer goes away
        a.close()
        with pytest.raises(EOFError):
            recv_msg(b, time.monotonic() + 5)


def test_equal_hash_members_too_costly_to_compare_are_refused_quickly() -> None:
    """Under the count limit, 1,000 tuples of 2,000 floats with one hash took one
    uninterruptible set() 8.5 s to build (red team): the comparisons they would cost
    are bounded too. Plain sets of the same size, and small collisions, still cross."""
    p = (1 << 61) - 1  # hash(1 + k * p) == hash(1) for every k
    width, count = 2000, 200
    flood = {"s": [{"t": [0.0] * (width - 1) + [1 + k * p]} for k in range(count)]}
    start = time.perf_counter()
    with pytest.raises(CodecError, match="too costly"):
        decode(flood)
    assert time.perf_counter() - start < 0.5
    plain = {"s": [{"t": [0.0] * (width - 1) + [k]} for k in range(count)]}
    assert len(decode(plain)) == count  # type: ignore[arg-type]
    assert decode({"s": [-1, -2] + list(range(100))}) == {-1, -2, *range(100)}  # hash(-1) == hash(-2)
    assert len(decode({"d": [[1 + k * p, k] for k in range(500)]})) == 500  # type: ignore[arg-type]
