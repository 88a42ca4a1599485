"""The function table (verifiers/runtime/functions.py): handles, stand-ins, builtins by
name, and the recursion room the channel makes and gives back."""

from __future__ import annotations

import gc
import sys
from typing import Any

import pytest

from verifiers.runtime.codec import CodecError
from verifiers.runtime.functions import MAX_CROSSINGS, FunctionTable, StandIn, _entries, ours, theirs


def _calls() -> tuple[FunctionTable, list[Any]]:
    seen: list[Any] = []

    def call(handle: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
        seen.append((handle, args, kwargs))
        return handle

    return FunctionTable(call), seen


def test_a_function_crosses_as_one_handle_and_comes_back_as_itself() -> None:
    ours_table, _ = _calls()
    theirs_table, seen = _calls()

    def key(v: int) -> int:
        """Doc."""
        return -v

    sent = ours_table.encode(key)
    assert sent == ours_table.encode(key) and sent["c"][1:] == ["key", sent["c"][2], "Doc."]
    stand_in = theirs_table.decode("c", sent["c"])
    assert stand_in is theirs_table.decode("c", sent["c"]) and stand_in.__name__ == "key"
    assert stand_in(3) == sent["c"][0] and seen == [(sent["c"][0], (3,), {})]
    assert ours_table.decode("g", theirs_table.encode(stand_in)["g"]) is key


def test_builtins_cross_by_name_and_bound_methods_by_what_they_bind() -> None:
    table, _ = _calls()
    assert table.encode(int) == {"B": ["int"]} and table.decode("B", ["int"]) is int
    xs: list[int] = []
    assert table.encode(xs.append) == table.encode(xs.append)

    class O:
        def m(self) -> None:
            pass

    o = O()
    assert table.encode(o.m) == table.encode(o.m) != table.encode(O().m)


@pytest.mark.parametrize(("tag", "body"), [("g", [7]), ("c", [0, None, None, None]), ("c", [1, 2, None, None]),
                                           ("c", [1]), ("B", ["__import__"]), ("B", ["nothing"])])
def test_malformed_or_unknown_handles_are_refused(tag: str, body: list[Any]) -> None:
    table, _ = _calls()
    with pytest.raises(CodecError):
        table.decode(tag, body)


def test_the_tests_hold_stand_ins_only_while_something_else_holds_them() -> None:
    table = FunctionTable(lambda handle, args, kwargs: None, weak=True)
    stand_in = table.decode("c", [5, "f", None, None])
    assert isinstance(stand_in, StandIn)
    del stand_in
    gc.collect()
    assert 5 not in table._theirs
    kept, _ = _calls()  # the candidate's side keeps the tests' functions for the job
    assert kept.decode("c", [5, "f", None, None]) is kept.decode("c", [5, "f", None, None])
    gc.collect()
    assert 5 in kept._theirs


def test_the_room_made_for_the_channel_is_given_back() -> None:
    limit = sys.getrecursionlimit()
    assert ours(lambda: theirs(sys.getrecursionlimit)) < ours(sys.getrecursionlimit)
    assert ours(sys.getrecursionlimit) > limit and sys.getrecursionlimit() == limit


def _crossing_depth(limit: int) -> int:
    """How many levels a recursion through ``ours`` and ``theirs`` reaches under ``limit``."""
    depth = [0]

    def other_side(n: int) -> int:
        return ours(lambda: theirs(lambda: down(n)))

    def down(n: int) -> int:
        depth[0] += 1
        return 0 if n == 0 else other_side(n - 1)

    before = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)  # hypothesis, drawn in this process by earlier tests, may have raised it
    try:
        with pytest.raises(RecursionError):
            down(10 ** 6)
    finally:
        sys.setrecursionlimit(before)
    assert not _entries(), "a crossing stopped at the limit left its record behind"
    return depth[0]


def test_recursion_through_the_channel_stops_about_where_plain_pythons_does() -> None:
    # Two of the user's frames a level (its own and the other side's): near half the limit.
    assert 1000 // 3 < _crossing_depth(1000) < 1000


def test_calls_back_and_forth_nest_at_most_max_crossings_deep_whatever_the_limit() -> None:
    assert _crossing_depth(100_000) == MAX_CROSSINGS + 1
