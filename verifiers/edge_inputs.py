"""Edge cases made from a task's own example calls, for agreement between candidates.

Inputs generated from the signature stay inside the examples' domain (sizes and
magnitudes bounded by what the examples show), so they seldom reach the cases a
one-line task leaves to be read carefully: the empty input, a tie, a repeated
element, a round number, another letter case. Those are exactly where two readings
of the task part (on the held-out MBPP-style tasks: candidates that crash on an
empty string in the list, leave keys unsorted when two share a value, or test
``year % 100`` without ``% 400`` all agreed with right answers on every generated
input). So each example call gives a few variants, one argument changed at a time:

- an int: 0, 1, its negation, and it rounded down to tens, hundreds, thousands
  (2024 -> 2020, 2000);
- a float: 0.0 and its negation;
- a string: empty, its first character, reversed, its case swapped, doubled, its
  first character repeated, its first run of digits moved to 0 and to 1;
- a list, a set or a variable tuple: empty, its first item alone, reversed, its
  first item repeated at the end, every item repeated (the list twice over), and for
  strings or numbers, an empty string or a zero appended; a list of numbers with every
  number negated;
- a dict: empty, its first item alone, its items in reverse order, every value the
  first value (ties), and those ties in reverse order (the first key against the
  smallest);
- a string, again, with the separators the task names ("hyphens", "commas",
  "underscores", ...): each space replaced by one, or one put in its middle; and when
  it names spaces or whitespace, runs of them and spaces around it (empty words);
- where the task speaks of characters other than letters ("every non-letter is kept",
  "ignoring punctuation"): a string with a digit, then a punctuation mark, in its middle;
- where the task's words make letter case matter ("case-sensitive", "ignoring
  case"): a string with every second letter's case swapped, and a list of strings
  with two items that differ only in case;
- a bool: its negation;
- inside a list, a tuple or a dict (two levels down): its first item (a dict's first
  value) moved to each of that item's own edges above, which reaches what a task says
  of the values it holds (a list of dicts whose first dict loses its key, a string
  inside emptied);
- where the task speaks of ``None`` ("a value of None still counts"), that value
  made None, and where it speaks of values of another kind ("a value along the path
  is not a dict", "non-string items"), a value of another kind: a container's keys or
  items as one string (so ``key in value`` still holds), its length, a number as a
  string or in a list, a string's length or its characters as a list.

A variant the task rules out splits right answers that differ only where nothing
is asked of them (one returns 0 for an empty list the task promised not to pass,
another raises), so what the task's text states about its domain is kept:
"non-empty" (or "at least one") drops the empty variants, "positive" drops zero and
negations, "non-negative" the negations (``verifiers.stated_domain``). Any exception agrees
with any exception (``verifiers.agreement``), so a variant all candidates refuse
splits nothing. Variants are plain data, deterministic, and capped
(``MAX_EDGE_CALLS``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from verifiers.shapes import DIGIT_RUN
from verifiers.stated_domain import Domain

MAX_EDGE_CALLS = 40
MAX_INNER_CALLS = 20
"""Variants made inside an argument or of another kind: counted apart, after the
argument-level ones, so those never crowd them out."""
MAX_DEPTH = 2
BUILT_PER_KEPT = 4
"""Calls built per call a pass may keep, at most: the rest were duplicates of calls
already made, and each costs the call's size to build and compare."""


def edge_calls(examples: Sequence[tuple[Any, ...]], domain: Domain = Domain(),
               limit: int = MAX_EDGE_CALLS, inner_limit: int = MAX_INNER_CALLS) -> list[tuple[Any, ...]]:
    """Variants of ``examples`` with one argument moved to an edge ``domain`` admits,
    in order, distinct from each other and from the examples: at most ``limit`` made
    of whole arguments, then at most ``inner_limit`` made inside one or of another kind."""
    seen = {repr(call) for call in examples}
    out: list[tuple[Any, ...]] = []
    for inner, cap in ((False, limit), (True, inner_limit)):
        made = built = 0
        for new in _moved_calls(examples, domain, inner):
            if made >= cap or built >= BUILT_PER_KEPT * cap:
                break
            built += 1
            key = repr(new)
            if key not in seen:
                seen.add(key)
                out.append(new)
                made += 1
    return out


def _moved_calls(examples: Sequence[tuple[Any, ...]], domain: Domain, inner: bool) -> Iterator[tuple[Any, ...]]:
    """Each example call with one argument replaced by one of its edges (made inside it,
    or of another kind, when ``inner``) that ``domain`` admits and that differs from the
    argument, lazily. Both are checked before the call is built, so an edge refused
    costs the argument's size, not the whole call's (a call of thousands of arguments
    whose edges the task's words all rule out stays linear in its size)."""
    # Each position held to the words only as far as every example's argument there keeps
    # them (a red team: one example's negative list frees the others' copies too).
    held = [domain.fitted(*(call[position] for call in examples if len(call) > position))
            for position in range(max((len(call) for call in examples), default=0))]
    for call in examples:
        for position, value in enumerate(call):
            own = repr(value)
            edges = [*_retyped(value, domain), *_inner(value, domain, 0)] if inner else \
                [*_variants(value), *_separated(value, domain), *_cased(value, domain), *_unlettered(value, domain)]
            for variant in edges:
                if held[position].admits(variant) and repr(variant) != own:
                    yield call[:position] + (variant,) + call[position + 1:]


def _inner(value: Any, domain: Domain, depth: int) -> Iterator[Any]:
    """``value`` with its first item (a dict's first value) moved to that item's edges,
    to None or another kind where the task speaks of them, and, ``MAX_DEPTH`` levels
    down, to the same inside that item."""
    t = type(value)
    if not value or t not in (list, tuple, dict):
        return
    key = next(iter(value)) if t is dict else 0
    item = value[key]
    deeper = _inner(item, domain, depth + 1) if depth + 1 < MAX_DEPTH else iter(())
    for variant in [*_variants(item), *_retyped(item, domain), *deeper]:
        if t is dict:
            yield {**value, key: variant}
        else:
            yield t([variant, *value[1:]])


def _retyped(value: Any, domain: Domain) -> Iterator[Any]:
    """None, where the task speaks of it; values of another kind, where it speaks of those."""
    if domain.none and value is not None:
        yield None
    if not domain.kinds:
        return
    t = type(value)
    if t in (dict, list, tuple):
        if not _holds_a_set(value):  # a set's text follows the hash seed: inputs must not
            yield "".join(str(x) for x in value)  # keys or items as one string: ``k in value`` still holds
        yield len(value)
    elif t is str:
        yield len(value)
        yield list(value)
    elif t in (int, float):
        yield str(value)
        yield [value]


def _holds_a_set(value: Any) -> bool:
    """Whether a set is anywhere in ``value``: its text lists members in hash order."""
    t = type(value)
    if t in (set, frozenset):
        return True
    if t is dict:
        return any(_holds_a_set(k) or _holds_a_set(v) for k, v in value.items())
    return t in (list, tuple) and any(_holds_a_set(x) for x in value)


def _variants(value: Any) -> Iterator[Any]:
    t = type(value)
    if t is bool:
        yield not value
    elif t is int:
        yield from (0, 1, -value)
        yield from _rounded(value)
    elif t is float:
        yield from (0.0, -value)
    elif t is str:
        yield from ("", value[:1], value[::-1], value.swapcase(), value + value, value[:1] + value)
        yield from _renumbered(value)
    elif t in (list, tuple):
        items = list(value)
        yield from (t(x) for x in _sequence_variants(items))
    elif t in (set, frozenset):
        yield t()
        first = next(iter(sorted(value, key=repr)), None)
        if first is not None:
            yield t([first])
        pad = _padding(list(value))
        if pad is not None:
            yield t([*value, pad])
    elif t is dict and value:
        first_key = next(iter(value))
        yield {}
        yield {first_key: value[first_key]}
        yield dict(reversed(list(value.items())))
        yield {k: value[first_key] for k in value}
        yield {k: value[first_key] for k in reversed(list(value))}


def _renumbered(value: str) -> Iterator[str]:
    """A string's first run of digits moved to 0 and to 1, as an int's edges are: set
    ad's ``is_private_ipv4`` was called wrong (it checked the address, not the private
    ranges) when every input held the example's "192.168..." or no address at all."""
    found = DIGIT_RUN.search(value)
    if found is None:
        return
    for number in ("0", "1"):
        yield value[:found.start()] + number + value[found.end():]


def _separated(value: Any, domain: Domain) -> Iterator[str]:
    """A string with the separators the task names put where a space is, or in its middle."""
    if type(value) is not str or not value:
        return
    for sep in domain.separators:
        if sep in value:
            continue
        yield value.replace(" ", sep) if " " in value else value[:len(value) // 2] + sep + value[len(value) // 2:]
    if domain.spaces and " " in value.strip():
        yield "  " + value.replace(" ", "   ") + " "


def _cased(value: Any, domain: Domain) -> Iterator[Any]:
    """Where the task's words make letter case matter: a string with every second letter's
    case swapped (``'aabbc'`` -> ``'aAbBc'``), and a list of strings whose first item is
    the second's with its case swapped, which brings two items that differ only in case
    together (``['pear', 'fig']`` -> ``['FIG', 'fig']``)."""
    if not domain.cased:
        return
    if type(value) is str and any(c.isalpha() for c in value):
        yield "".join(c.swapcase() if i % 2 else c for i, c in enumerate(value))
    elif type(value) is list and len(value) >= 2 and all(type(x) is str for x in value):
        yield [value[1].swapcase(), *value[1:]]


def _unlettered(value: Any, domain: Domain) -> Iterator[str]:
    """Where the task speaks of characters other than letters: a string of letters with
    a digit, then a punctuation mark, put in its middle (set y's ``every_other_upper``
    was called wrong on a one-word example: counting positions instead of letters
    agreed with the right answer on every input of letters alone)."""
    if not domain.non_letters or type(value) is not str or not any(c.isalpha() for c in value):
        return
    middle = len(value) // 2
    for mark in "1!":
        if mark not in value:
            yield value[:middle] + mark + value[middle:]


def _sequence_variants(items: list[Any]) -> Iterator[list[Any]]:
    yield []
    if items:
        yield items[:1]
        yield items[::-1]
        yield [*items, items[0]]
        yield items + items  # every item repeated, apart: duplicates inside a run, a pair, a window
    pad = _padding(items)
    if pad is not None:
        yield [*items, pad]
    if items and all(type(x) in (int, float) for x in items) and any(x > 0 for x in items):
        # Every number below zero: an example of positive numbers never reaches a
        # running maximum started at 0 (set aa's ``indices_of_maximum`` was called
        # wrong so, "a list of integers"); a task that says "positive" or
        # "non-negative" rules it out (``Domain.admits``).
        yield [-x for x in items]


def _padding(items: list[Any]) -> Any:
    """The edge item of a sequence's own kind: an empty string among strings, a zero among numbers."""
    kinds = {type(x) for x in items}
    if kinds == {str}:
        return ""
    if kinds == {int}:
        return 0
    if kinds == {float}:
        return 0.0
    return None


def _rounded(value: int) -> Iterator[int]:
    """``value`` rounded toward zero to tens, hundreds, thousands (those that differ from it)."""
    sign, magnitude = (-1 if value < 0 else 1), abs(value)
    for unit in (10, 100, 1000):
        if magnitude >= unit:
            yield sign * (magnitude // unit * unit)
