"""verifiers/runtime/iterators.py: the candidate's side of a returned iterator, read in
batches as the tests read it (``LiveIterators``), or run now for a generated check
(``drained``)."""

from __future__ import annotations

import itertools
import time
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from verifiers.runtime import iterators, task_classes, weighing
from verifiers.runtime.iterators import MORE, LiveIterators, drained


def _reply_of(exc: Exception) -> list[Any]:
    return [type(exc).__name__, str(exc)]


def _nobody(_x: Any) -> bool:
    return False


def _read_all(live: LiveIterators, handle: int, the_tests: Any = _nobody) -> tuple[list[list[Any]], Any]:
    batches = []
    ending: Any = handle
    while type(ending) is int:
        items, ending = live.next_batch(ending, [], _reply_of, the_tests)
        batches.append(items)
    return batches, ending


def test_nothing_runs_when_returned_and_batches_double() -> None:
    ran: list[int] = []

    def gen() -> Iterator[int]:
        for i in range(10):
            ran.append(i)
            yield i

    live = LiveIterators()
    handle = live.returned(gen())
    assert ran == []
    batches, ending = _read_all(live, handle)
    assert batches == [[0], [1, 2], [3, 4, 5, 6], [7, 8, 9]] and ending is None
    assert ran == list(range(10))


def test_an_exception_ends_the_batch_after_the_items_before_it() -> None:
    def gen() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("no more")

    live = LiveIterators()
    batches, ending = _read_all(live, live.returned(gen()))
    assert batches == [[1], [2]] and ending == ["ValueError", "no more"]


def test_a_slow_endless_iterator_ends_its_batch_at_the_deadline() -> None:
    def slow() -> Iterator[int]:
        for i in itertools.count():
            time.sleep(0.005)
            yield i

    live = LiveIterators()
    ending: Any = live.returned(slow())
    for _ in range(12):  # batches of up to 2,048 items, each cut at its deadline
        start = time.monotonic()
        _, ending = live.next_batch(ending, [], _reply_of, _nobody)
        assert time.monotonic() - start < iterators.BATCH_SECONDS + 0.05
    assert type(ending) is int


def test_an_item_that_does_not_fit_is_held_over_not_lost() -> None:
    big = list(range(iterators.SIZE_LIMIT // 2))
    live = LiveIterators()
    ending: Any = live.returned(iter([0, 1, 2, big, big, big, 3]))
    got: list[Any] = []
    sizes = []
    while type(ending) is int:
        items, ending = live.next_batch(ending, [], _reply_of, _nobody)
        got.extend(items)
        sizes.append(len(items))
    assert got == [0, 1, 2, big, big, big, 3] and ending is None
    assert max(sizes) <= 3  # never two halves of the size limit and more in one batch


def test_reading_past_the_total_limit_is_cut() -> None:
    item = list(range(1000))
    weight = weighing.weight(item, iterators.SIZE_LIMIT)
    live = LiveIterators()
    ending: Any = live.returned(itertools.repeat(item))
    read = 0
    while type(ending) is int:
        items, ending = live.next_batch(ending, [], _reply_of, _nobody)
        read += len(items)
    assert ending == MORE
    assert iterators.TOTAL_LIMIT // weight <= read <= (iterators.TOTAL_LIMIT + iterators.SIZE_LIMIT) // weight


def test_a_sent_value_reaches_the_generator_and_it_is_read_one_item_a_batch_after() -> None:
    def acc() -> Iterator[int]:
        total = 0
        while True:
            v = yield total
            total += v or 0

    live = LiveIterators()
    ending: Any = live.returned(acc())
    items, ending = live.next_batch(ending, [], _reply_of, _nobody)
    assert items == [0]
    items, ending = live.next_batch(ending, [5], _reply_of, _nobody)
    assert items == [5]
    items, ending = live.next_batch(ending, [], _reply_of, _nobody)
    assert items == [5]  # one a batch: a driven generator is never read ahead
    items, ending = live.next_batch(ending, [2], _reply_of, _nobody)
    assert items == [7]


def test_a_value_sent_where_an_item_was_held_over_is_refused() -> None:
    big = list(range(iterators.SIZE_LIMIT))
    live = LiveIterators()
    ending: Any = live.returned(iter([0, 1, big, 2]))
    _, ending = live.next_batch(ending, [], _reply_of, _nobody)
    items, ending = live.next_batch(ending, [], _reply_of, _nobody)
    assert items == [1]  # ``big`` held over
    with pytest.raises(RuntimeError):
        live.next_batch(ending, [3], _reply_of, _nobody)


def test_dropped_and_unknown_handles() -> None:
    closed: list[int] = []

    def gen() -> Iterator[int]:
        try:
            yield 1
            yield 2
        finally:
            closed.append(1)

    live = LiveIterators()
    handle = live.returned(gen())
    live.next_batch(handle, [], _reply_of, _nobody)
    live.drop([handle, 999, "x"])
    assert closed == [1]
    with pytest.raises(KeyError):
        live.next_batch(handle, [], _reply_of, _nobody)
    with pytest.raises(TypeError):
        live.drop("not a list")


def test_drained_runs_to_the_end_or_cuts_one_past_the_limit() -> None:
    assert drained(iter(range(5)), _reply_of, _nobody) == ([0, 1, 2, 3, 4], None)
    exactly, ending = drained(itertools.repeat(0, iterators.ITEMS_LIMIT), _reply_of, _nobody)
    assert len(exactly) == iterators.ITEMS_LIMIT and ending is None
    cut, ending = drained(itertools.repeat(0), _reply_of, _nobody)
    assert len(cut) == iterators.ITEMS_LIMIT and ending == MORE


def test_items_are_kept_as_yielded_but_the_tests_objects_stay_themselves() -> None:
    theirs = [1]

    def gen() -> Iterator[list[Any]]:
        window: list[Any] = []
        for v in (1, 2, 3):
            window.append(v)
            yield [window, theirs]

    items, _ = drained(gen(), _reply_of, lambda x: x is theirs)
    assert [i[0] for i in items] == [[1], [1, 2], [1, 2, 3]]
    assert all(i[1] is theirs for i in items)


def test_a_container_the_candidate_still_holds_ends_its_batch_and_is_not_copied() -> None:
    def same_list() -> Iterator[list[int]]:
        cur: list[int] = []
        for v in (1, 2, 3):
            cur.append(v)
            yield cur

    def fresh_lists() -> Iterator[list[int]]:
        for v in range(20):
            yield [v, v]

    def held_inside() -> Iterator[tuple[int, dict[str, list[int]]]]:
        path: list[int] = []
        for v in range(3):
            path.append(v)
            yield (v, {"path": path})

    live = LiveIterators()
    batches, _ = _read_all(live, live.returned(same_list()))
    assert [len(b) for b in batches if b] == [1, 1, 1]
    assert batches[0][0] is batches[1][0] is batches[2][0]  # one list, as in plain Python
    batches, _ = _read_all(live, live.returned(fresh_lists()))
    assert [len(b) for b in batches] == [1, 2, 4, 8, 5]  # nothing held: batches grow
    batches, _ = _read_all(live, live.returned(held_inside()))
    assert [len(b) for b in batches if b] == [1, 1, 1]
    theirs = [[1], [2], [3]]
    batches, _ = _read_all(live, live.returned(t for t in theirs), lambda x: any(x is t for t in theirs))
    assert [len(b) for b in batches] == [1, 2, 0]  # the tests' own lists: their changes cross anyway


def test_a_container_held_by_a_weak_reference_alone_is_held() -> None:
    class Box:
        pass

    refs: list[weakref.ref[Box]] = []

    def registered(box: Box) -> Box:
        refs.append(weakref.ref(box))
        return box

    def gen() -> Iterator[Any]:
        yield 0
        yield registered(Box())  # nothing but the weak reference holds it once yielded
        still = refs[-1]()
        if still is not None:
            still.changed = True  # type: ignore[attr-defined]
        yield 1

    task_classes.accept({"Box": Box}, __name__)
    try:
        live = LiveIterators()
        batches, _ = _read_all(live, live.returned(gen()))
        assert [len(b) for b in batches[:2]] == [1, 1]  # the tests get the box before it changes
    finally:
        task_classes.clear()


def test_iterators_that_run_none_of_the_candidates_code_never_end_a_batch_early() -> None:
    live = LiveIterators()
    pts = [[i] for i in range(20)]  # held here, as a candidate's global would hold them
    batches, _ = _read_all(live, live.returned(itertools.combinations(pts, 2)))
    assert [len(b) for b in batches[:5]] == [1, 2, 4, 8, 16]
    assert batches[1][0][0] is pts[0]  # themselves, not copies: one object with the candidate's
    batches, _ = _read_all(live, live.returned(enumerate([i] for i in range(40))))
    assert [len(b) for b in batches[:5]] == [1, 2, 4, 8, 16]  # its reused result tuple is its own
    # accumulate hands its total to the candidate's function, which changes it in place.
    def grow(total: list[int], v: int) -> list[int]:
        total.append(v)
        return total

    running: Iterator[list[int]] = itertools.accumulate(range(5), grow, initial=[])
    batches, _ = _read_all(live, live.returned(running))
    assert all(len(b) <= 1 for b in batches)


def test_an_iterator_returned_twice_is_read_one_item_at_a_time_by_both() -> None:
    live = LiveIterators()
    it = iter(range(10))
    first = live.returned(it)
    assert live.next_batch(first, [], _reply_of, _nobody)[0] == [0]
    second = live.returned(it)
    assert second == first
    got = [live.next_batch(h, [], _reply_of, _nobody)[0] for h in (first, second, first)]
    assert got == [[1], [2], [3]]
    live.drop([first])  # one reader let go: the other reads on
    assert live.next_batch(second, [], _reply_of, _nobody)[0] == [4]


def test_a_copied_item_names_twice_what_it_named_twice() -> None:
    items, _ = drained(iter([[[0] * 2] * 2]), _reply_of, _nobody)
    grid = items[0]
    assert grid[0] is grid[1]


def test_an_inert_iterator_over_a_list_someone_else_holds_is_read_an_item_a_batch() -> None:
    live = LiveIterators()
    batches, _ = _read_all(live, live.returned(iter([[i] for i in range(6)])))
    assert [len(b) for b in batches] == [1, 2, 3]  # only its iterator holds the list
    shared = [[i] for i in range(3)]
    batches, _ = _read_all(live, live.returned(iter(shared)))
    assert [len(b) for b in batches] == [1, 1, 1, 0]  # may change between reads: never read ahead


def test_an_iterator_read_by_two_ends_for_both_and_is_let_go_of_a_call_later() -> None:
    live = LiveIterators()
    it = iter([1])
    first = live.returned(it)
    second = live.returned(it)
    assert live.next_batch(first, [], _reply_of, _nobody) == ([1], first)
    assert live.next_batch(first, [], _reply_of, _nobody) == ([], None)
    assert live.next_batch(second, [], _reply_of, _nobody) == ([], None)  # not a KeyError
    live.drop([first, second])
    with pytest.raises(KeyError):
        live.next_batch(second, [], _reply_of, _nobody)


def test_an_iterator_the_candidate_holds_itself_is_read_an_item_a_batch() -> None:
    live = LiveIterators()
    held = iter(range(10))  # as a candidate's global would hold it
    handle = live.returned(held)
    assert [live.next_batch(handle, [], _reply_of, _nobody)[0] for _ in range(3)] == [[0], [1], [2]]
    handle = live.returned(iter(range(10)))
    assert [live.next_batch(handle, [], _reply_of, _nobody)[0] for _ in range(3)] == [[0], [1, 2], [3, 4, 5, 6]]
