"""What one generated value looks like (``Shape``: its type and domain), and how the
values a task shows fill in and bound it (``constrain``).

``verifiers.strategies`` reads the shapes off a task's signature and examples;
``verifiers.input_generation`` draws values of them. Nothing here parses or runs
task code: it sees plain values only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

INT_LIMIT = 1000
"""No generated int exceeds this in magnitude, whatever the examples use."""
INT_DEFAULT = 20
FLOAT_LIMIT = 1e6
FLOAT_DEFAULT = 100.0
STR_MAX = 20
STR_DEFAULT_MAX = 8
LIST_MAX = 10
LIST_DEFAULT_MAX = 6
DEFAULT_ALPHABET = "abcAB 01"

_SEQUENCES = {"list", "set", "vtuple"}


@dataclass(frozen=True)
class Shape:
    """The type and domain of one value to generate.

    ``kind``: int, float, str, bool, none, list, set, tuple (fixed items),
    vtuple (``tuple[X, ...]``), dict (items: key, value), union (items: members)
    or any (unknown). ``lo``/``hi`` bound numbers; ``alphabet``/``words`` and
    ``min_size``/``max_size`` bound strings and containers.
    """

    kind: str
    items: tuple[Shape, ...] = ()
    lo: float | None = None
    hi: float | None = None
    alphabet: str = ""
    words: tuple[str, ...] = ()
    min_size: int = 0
    max_size: int = 0
    template: tuple[str, ...] = ()
    """Strings: the literal pieces every example shares between its digit runs
    (``'# apples and # oranges'`` as ``('', ' apples and ', ' oranges')``); when set,
    strings are made by filling the slots with numbers up to ``hi``."""
    balanced: bool = False
    """Strings: every example nests its brackets properly, so generated ones do too."""
    unique: bool = False
    """Lists: no repeated elements (the task promises it and every example keeps it)."""
    spaced: bool = False
    """Strings: every example is words single-spaced, none at either end, so generated
    ones are too (unless the task's words make spacing matter: ``stated_domain``). A
    right ``s.split()`` and a reference's ``s.split(" ")`` part only on strings no
    example resembles (HumanEval/111, disputed on ``'d '``)."""

    def resolved(self) -> bool:
        if self.kind == "any":
            return False
        return all(item.resolved() for item in self.items)


def union(members: Sequence[Shape]) -> Shape:
    flat: list[Shape] = []
    for member in members:
        for part in member.items if member.kind == "union" else (member,):
            if part not in flat:
                flat.append(part)
    return flat[0] if len(flat) == 1 else Shape("union", tuple(flat))


def shape_of_value(value: Any) -> Shape:
    t = type(value)
    if t is bool:
        return Shape("bool")
    if t is int:
        return Shape("int")
    if t is float:
        return Shape("float") if math.isfinite(value) else Shape("any")
    if t is str:
        return Shape("str")
    if value is None:
        return Shape("none")
    if t is tuple and value:
        # A tuple is a record of fixed arity ("an interval (start, end)"), as typing reads
        # ``tuple[int, int]``: one of another length is outside the task (HumanEval/127's
        # correct answer unpacks two items and was disputed on a generated 3-tuple).
        return Shape("tuple", tuple(shape_of_value(v) for v in value))
    if t in (list, set, frozenset) or t is tuple:
        elem = _merge([shape_of_value(v) for v in value])
        kind = "list" if t is list else "set" if t in (set, frozenset) else "vtuple"
        return Shape(kind, (elem,))
    if t is dict:
        return Shape("dict", (_merge([shape_of_value(k) for k in value]),
                              _merge([shape_of_value(v) for v in value.values()])))
    return Shape("any")


def _merge(shapes: Sequence[Shape]) -> Shape:
    """The least shape covering all (unknown parts filled from the others)."""
    out: Shape | None = None
    for shape in shapes:
        out = shape if out is None else _merge2(out, shape)
    return out if out is not None else Shape("any")


def _merge2(a: Shape, b: Shape) -> Shape:
    if a.kind == "any":
        return b
    if b.kind == "any":
        return a
    if {a.kind, b.kind} == {"int", "float"}:
        return Shape("float")
    if a.kind == b.kind and a.kind != "union" and len(a.items) == len(b.items):
        return Shape(a.kind, tuple(_merge2(x, y) for x, y in zip(a.items, b.items)))
    if {a.kind, b.kind} <= {"tuple", "vtuple"}:  # tuples of several lengths: a sequence after all
        return Shape("vtuple", (_merge([*a.items, *b.items]),))
    return union([a, b])


# --------------------------------------------------------------------------- domains


def constrain(shape: Shape, values: Sequence[Any]) -> Shape:
    """Fill unknown parts from the observed values and bound the domain by them."""
    if shape.kind == "any":
        shape = _merge([shape_of_value(v) for v in values])
        if shape.kind == "any":
            return shape
    kind = shape.kind
    if kind == "int":
        ints = [v for v in values if type(v) is int]
        lo, hi = _int_bounds(ints)
        return Shape("int", lo=lo, hi=hi)
    if kind == "float":
        nums = [float(v) for v in values if type(v) in (int, float) and math.isfinite(v)]
        flo, fhi = _float_bounds(nums)
        return Shape("float", lo=flo, hi=fhi)
    if kind == "str":
        return _constrain_str([v for v in values if type(v) is str])
    if kind in ("bool", "none"):
        return shape
    if kind in _SEQUENCES:
        seqs = [v for v in values if type(v) in (list, tuple, set, frozenset)]
        elements = [e for s in seqs for e in s]
        lo_size, hi_size = _sizes([len(s) for s in seqs])
        return Shape(kind, (constrain(shape.items[0], elements),), min_size=lo_size, max_size=hi_size)
    if kind == "tuple":
        tuples = [v for v in values if type(v) in (tuple, list) and len(v) == len(shape.items)]
        return Shape("tuple", tuple(constrain(item, [t[i] for t in tuples]) for i, item in enumerate(shape.items)))
    if kind == "dict":
        dicts = [v for v in values if type(v) is dict]
        lo_size, hi_size = _sizes([len(d) for d in dicts])
        key = constrain(shape.items[0], [k for d in dicts for k in d])
        val = constrain(shape.items[1], [x for d in dicts for x in d.values()])
        return Shape("dict", (key, val), min_size=lo_size, max_size=min(hi_size, 5))
    if kind == "union":
        members = []
        for member in shape.items:
            mine = [v for v in values if _fits(member, v)]
            constrained = constrain(member, mine)
            if constrained.resolved():
                members.append(constrained)
        return union(members) if members else Shape("any")
    return Shape("any")


def _fits(shape: Shape, value: Any) -> bool:
    t = type(value)
    return {
        "int": t is int, "float": t in (int, float), "str": t is str, "bool": t is bool,
        "none": value is None, "list": t is list, "set": t in (set, frozenset),
        "vtuple": t is tuple, "tuple": t is tuple, "dict": t is dict, "any": True,
    }.get(shape.kind, False)  # fmt: skip


def _int_bounds(ints: Sequence[int]) -> tuple[int, int]:
    if not ints:
        return -INT_DEFAULT, INT_DEFAULT
    low, high = min(ints), max(ints)
    # Non-negative examples: never below what every example has, down to 2 at most
    # ("assume n > 1": largest_prime_factor(1) is outside the task, and its reference's
    # answer there proves nothing), as list sizes are bounded below.
    lo = min(low, 2) if low >= 0 else max(min(low, -10), -INT_LIMIT)
    hi = min(max(2 * high, INT_DEFAULT), INT_LIMIT)
    return lo, max(lo, hi)


def _float_bounds(nums: Sequence[float]) -> tuple[float, float]:
    if not nums:
        return -FLOAT_DEFAULT, FLOAT_DEFAULT
    low, high = min(nums), max(nums)
    lo = 0.0 if low >= 0 else max(min(low, -10.0), -FLOAT_LIMIT)
    hi = min(max(2 * high, 10.0), FLOAT_LIMIT)
    return lo, max(lo, hi)


def _sizes(lengths: Sequence[int]) -> tuple[int, int]:
    if not lengths:
        return 0, LIST_DEFAULT_MAX
    lo = min(min(lengths), 2)  # "a list of at least two numbers": never below what every example has
    return lo, max(lo, min(max(max(lengths), 5), LIST_MAX))


def _constrain_str(strs: Sequence[str]) -> Shape:
    if not strs:
        return Shape("str", alphabet=DEFAULT_ALPHABET, min_size=0, max_size=STR_DEFAULT_MAX)
    template = _digit_template(strs)
    if template:
        numbers = [int(run) for s in strs for run in DIGIT_RUN.findall(s)]
        return Shape("str", template=template, hi=min(max(2 * max(numbers), INT_DEFAULT), INT_LIMIT))
    chars = "".join(sorted({c for s in strs for c in s})) or DEFAULT_ALPHABET
    lo = 1 if min(len(s) for s in strs) >= 1 else 0
    hi = max(lo, min(max(max(len(s) for s in strs), 5), STR_MAX))
    words: tuple[str, ...] = ()
    if any(" " in s.strip() for s in strs):
        words = tuple(sorted({w for s in strs for w in s.split(" ") if w}))[:50]
    balanced = any(c in _OPENERS for s in strs for c in s) and all(is_balanced(s) for s in strs)
    spaced = bool(words) and all("  " not in s and s == s.strip(" ") for s in strs)
    return Shape("str", alphabet=chars, words=words, min_size=lo, max_size=hi, balanced=balanced, spaced=spaced)


DIGIT_RUN = re.compile(r"[0-9]+")
"""A run of decimal digits in a string: a number as text."""
_PAIRS = {")": "(", "]": "[", "}": "{"}
_OPENERS = set(_PAIRS.values())


def _digit_template(strs: Sequence[str]) -> tuple[str, ...]:
    """The literal pieces around digit runs, when at least two examples share them and
    they have words besides the numbers (a format such as ``'5 apples and 6 oranges'``);
    else empty. Bare numbers (``'123'``) are not a format: their digits vary freely."""
    if len(strs) < 2:
        return ()
    pieces = {tuple(DIGIT_RUN.split(s)) for s in strs}
    if len(pieces) != 1:
        return ()
    (template,) = pieces
    if len(template) < 2 or not any(piece.strip() for piece in template):
        return ()
    return template


def is_balanced(text: str) -> bool:
    """Whether every ``)``, ``]`` and ``}`` closes the innermost open bracket of its kind, and all close."""
    stack: list[str] = []
    for c in text:
        if c in _OPENERS:
            stack.append(c)
        elif c in _PAIRS:
            if not stack or stack.pop() != _PAIRS[c]:
                return False
    return not stack
