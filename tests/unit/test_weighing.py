"""verifiers/runtime/weighing.py: a value's size found without visiting more of it than
could be sent, and a short text of one too large, both in bounded time."""

from __future__ import annotations

import time
from collections import deque
from unittest import mock

from verifiers.runtime.weighing import short_text, small


def _grid(n: int) -> list[list[int]]:
    return [[0] * n] * n  # one row named n times: small in memory, huge to visit


def test_small_values_fit_and_each_kind_is_weighed() -> None:
    assert small([1, 2, 3], 10)
    assert small({"a": [1, 2]}, 10)
    assert not small("x" * 100, 50)
    assert not small(b"x" * 100, 50)
    assert not small(bytearray(100), 50)
    assert not small(10 ** 400, 50)  # an int weighs its digits
    assert not small(deque(range(100)), 50)
    assert not small({}.fromkeys(range(100)).keys(), 50)
    assert not small(frozenset(range(100)), 50)


def test_a_part_named_many_times_weighs_every_time_and_a_huge_one_costs_nothing() -> None:
    assert not small([[0] * 10] * 10, 50)  # 110 values though 20 objects
    started = time.process_time()
    assert not small(_grid(10_000), 16 * 1024)
    assert not small([_grid(10_000)] * 20, 16 * 1024)
    assert time.process_time() - started < 0.1


def test_an_object_that_claims_another_class_is_weighed_as_what_it_is() -> None:
    assert small(mock.Mock(spec=dict), 10)  # its __class__ says dict; dict.__len__ would raise
    assert small([mock.Mock(spec=list)], 10)


def test_a_string_is_its_head_and_anything_else_a_short_form_made_in_bounded_time() -> None:
    words = "first negative at position 20000 " + "pad " * 10_000
    assert short_text(words, 100) == words[:100]
    deep: object = 0
    for _ in range(8):
        deep = [deep] * 20
    members = [frozenset(str(i) for i in range(100_000))] * 20
    started = time.process_time()
    grid = short_text(_grid(10_000), 16 * 1024)
    nested = short_text(deep, 16 * 1024)
    unsorted = short_text(members, 16 * 1024)  # never sorted whole, as reprlib sorts a set
    assert time.process_time() - started < 0.5
    assert grid.startswith("[[0, 0") and len(grid) <= 16 * 1024
    assert len(nested) <= 16 * 1024 and len(unsorted) <= 16 * 1024


def test_a_string_inside_the_args_keeps_its_head() -> None:
    text = short_text(("pad " * 60 + "first negative at position 20000", [0] * 20_000), 16 * 1024)
    assert "position 20000" in text


def test_a_builtins_own_repr_is_not_made_whole() -> None:
    keys, buffer = {}.fromkeys(range(2_000_000)).keys(), bytearray(50_000_000)
    started = time.process_time()
    view = short_text(keys, 1000)
    data = short_text(buffer, 1000)
    assert time.process_time() - started < 0.5
    assert view == "<dict_keys>" and data.startswith("bytearray(b'\\x00") and len(data) <= 1000
