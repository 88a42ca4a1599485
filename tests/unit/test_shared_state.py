"""What a call's table shares across calls, in process: which objects the candidate
still holds once a call is over (read from reference counts), and changes applied by number."""

from __future__ import annotations

import weakref
from typing import Any

import pytest

from verifiers.runtime.codec import CodecError, Shared, decode, encode
from verifiers.runtime.shared_state import Kept, carried_on, changes, held, refuse_costly_to_visit, snapshots
from verifiers.runtime.write_back import WriteBack, apply_changes


def _arrived(value: Any) -> Shared:
    """A table as the candidate side has it: decoded, with no name of ours on its objects."""
    table = Shared()
    decode(encode(value, shared=Shared()), shared=table)
    return table


def test_nothing_is_held_when_nothing_outside_the_table_refers_to_it() -> None:
    table = _arrived([[1, [2]], {"k": [3]}, ([4],), {5}])
    assert held(table.objects) == []


def test_a_cycle_inside_the_table_is_not_held() -> None:
    loop: list[Any] = []
    loop.append(loop)
    table = _arrived([loop, {"self": loop}])
    assert held(table.objects) == []


def test_an_object_kept_outside_is_held_with_everything_it_holds() -> None:
    table = _arrived([[1, [2, {"d": [3]}]], [9]])
    outer = table.objects[1]
    kept = [outer]  # a global of the candidate's, say
    numbers = held(table.objects)
    got = [table.objects[i] for i in numbers]
    assert got[0] is outer and len(got) == 4  # the list, its inner list, the dict, the dict's list
    assert all(any(x is g for g in got) for x in (outer[1], outer[1][1], outer[1][1]["d"]))
    assert not any(x is table.objects[0] or x is table.objects[-1] for x in got)  # the args, [9]
    del kept


def test_a_list_kept_through_a_tuple_is_held() -> None:
    table = _arrived([([5, 6],)])
    pair = table.objects[1]
    assert type(pair) is tuple
    kept = [pair]
    assert [table.objects[i] for i in held(table.objects)] == [pair, pair[0]]
    del kept


def test_changes_made_on_one_side_land_on_the_other_sides_objects() -> None:
    mine: list[Any] = [[3, 1], [7]]
    sent = Shared()
    their_copy = decode(encode(mine, shared=sent), shared=(theirs := Shared()))
    before = snapshots(theirs.objects)
    their_copy[0].sort()
    their_copy[1].append(their_copy[0])
    their_copy[1].append([8])
    found = changes(theirs, before)
    apply_changes(sent, found, len(sent.objects), lambda _target: None)
    assert mine == [[1, 3], [7, [1, 3], [8]]]
    assert mine[1][1] is mine[0]  # by number: the tests' own list, not a copy


def test_kept_objects_the_tests_dropped_are_let_go_and_their_changes_sent() -> None:
    kept = Kept()
    a: list[Any] = [1]
    b: list[Any] = [2]
    table = Shared()
    decode(encode([a, b], shared=table), shared=Shared())
    kept.keep(table, [1, 2])  # a and b (0 is the arguments' own list)
    del table, b
    a.append(3)
    shared, first = kept.table()
    assert shared.objects == [a] and first["o"] == [0] and first["s"] == [[0, [1, 3]]]


def test_a_set_a_weak_reference_names_is_held() -> None:
    table = _arrived([frozenset({1}), {2}])
    ref = weakref.ref(table.objects[1])
    assert [table.objects[i] for i in held(table.objects)] == [frozenset({1})]
    assert carried_on(table.objects[1])
    del ref


def test_a_value_whose_shared_parts_are_costly_to_visit_is_refused() -> None:
    d: Any = (0,)
    for _ in range(60):
        d = (d, d)
    with pytest.raises(CodecError, match="too costly to visit"):
        refuse_costly_to_visit([[1, 2, d]])
    row = [0] * 1000
    refuse_costly_to_visit([[row] * 1000])  # a million to visit: fine


def test_undo_keeps_one_copy_per_object_and_puts_back_the_first() -> None:
    undo = WriteBack()
    xs = [3, 1, 2]
    table = Shared([xs])
    for _ in range(1000):  # a call that sorts its argument in place, a thousand times
        undo.apply(table, [[0, [1, 2, 3]]], 1)
        undo.keep_reachable([xs], table, 1)
    assert len(undo._undo) == 1  # not a thousand copies of the argument
    undo.undo()
    assert xs == [3, 1, 2]
