"""A failed test's note on the last call: shortened without building the whole repr."""

from __future__ import annotations

from collections import Counter, OrderedDict, defaultdict

import pytest

from verifiers.runtime.failure_text import last_call_note


class Counted:
    shown = 0

    def __repr__(self) -> str:
        Counted.shown += 1
        return "c"


@pytest.mark.parametrize("kind", [dict, Counter, OrderedDict, lambda items: defaultdict(list, items)])
def test_a_large_dict_of_any_kind_is_shortened_before_it_is_shown(kind: object) -> None:
    """reprlib has no method for a Counter, an OrderedDict or a defaultdict and printed
    each whole before cutting the text (a tenth red team: a value in the tests' Counter
    cheap to send and costly to print stalled the test server for 3.5 s)."""
    assert callable(kind)
    value = kind({i: Counted() for i in range(1000)})
    Counted.shown = 0
    note = last_call_note(((value,), {}, None), "f")
    assert Counted.shown <= 10 and "..." in note, (Counted.shown, note)
    if type(value) is not dict:
        assert f"f({type(value).__name__}({{0: c, " in note


def test_a_subclass_of_a_container_is_shortened_as_its_plain_type() -> None:
    """reprlib printed a named tuple or a list subclass whole (an eleventh red team: what a
    candidate put into the tests' list inside a named tuple stalled the test server)."""
    from collections import namedtuple

    class Listing(list[object]):
        pass

    pair = namedtuple("pair", "items other")
    for value in (pair([Counted() for _ in range(1000)], 0), Listing(Counted() for _ in range(1000))):
        Counted.shown = 0
        note = last_call_note(((value,), {}, None), "f")
        assert Counted.shown <= 10 and "..." in note, (Counted.shown, note)


def test_bytes_are_cut_before_they_are_shown() -> None:
    """reprlib printed bytes whole before cutting them (a twelfth red team: 600 KB shared
    a thousand times over in the last call's arguments ran the note past its deadline)."""
    import time

    shared = bytes(2 * 10**6)
    started = time.perf_counter()
    note = last_call_note((([[shared] * 10] * 10,), {}, None), "f")
    spent = time.perf_counter() - started
    assert "f([[b'\\x00" in note and len(note) < 400, note
    assert spent < 0.2, spent  # about a millisecond; printed whole, 100 reprs of 8 MB each


class Loud:
    """A task's class whose own __repr__ would print everything it holds."""

    def __init__(self, items: list[int]) -> None:
        self.items = items

    def __repr__(self) -> str:
        raise AssertionError("the class's own __repr__ ran")


def test_an_object_of_the_tasks_classes_is_shown_by_its_attributes_shortened() -> None:
    from verifiers.runtime import task_classes

    task_classes.accept({"Loud": Loud}, __name__)
    try:
        note = last_call_note(((Loud(list(range(1000))),), {}, Loud([1])), "f")
    finally:
        task_classes.clear()
    assert "f(Loud(items=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...]))" in note and note.endswith("returned Loud(items=[1])")
