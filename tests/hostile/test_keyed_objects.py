"""Set members and dict keys hashed by their class's own code (a frozen dataclass of the
prompt's, a class with a ``__hash__`` of its own; verifiers/runtime/key_hashing.py):
each case runs on one slot and in this process as plain Python, and the two verdicts
must agree.

Before, such an object was never a key: a set of frozen points, the most natural value
of a geometry task, failed every candidate that returned one, the reference too, and
was the harness's ``error`` where the tests sent one. An object's state crosses after
the message's values, so the set was made before its members held anything; now it is
filled once the whole message is in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tasks.types import Task
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Status

from plain_python import assert_agrees_with_plain_python, assert_refused_as_the_candidates_failure

LIMITS = SandboxLimits(wall_seconds=3)

FROZEN = ("from dataclasses import dataclass\nfrom typing import Optional\n\n@dataclass(frozen=True)\nclass Point:\n"
          "    x: int\n    y: int\n\ndef f(ps, *more):\n")
OWN_HASH = ("class Cell:\n    def __init__(self, r, c):\n        self.r, self.c = r, c\n\n"
            "    def __eq__(self, o):\n        return isinstance(o, Cell) and (self.r, self.c) == (o.r, o.c)\n\n"
            "    def __hash__(self):\n        return hash((self.r, self.c))\n\ndef f(ps, *more):\n")
CHAIN = ("from dataclasses import dataclass\nfrom typing import Optional\n\n@dataclass(frozen=True)\nclass Link:\n"
         "    val: int\n    rest: Optional['Link'] = None\n\ndef f(ps, *more):\n")
SHAPE = ("from dataclasses import dataclass\n\n@dataclass(frozen=True)\nclass Point:\n    x: int\n    y: int\n\n"
         "class Shape:\n    def __init__(self, pts):\n        self.pts = set(pts)\n"
         "    def __eq__(self, o):\n        return isinstance(o, Shape) and self.pts == o.pts\n"
         "    def __hash__(self):\n        return hash(frozenset(self.pts))\n\ndef f(xs, *more):\n")
CHAIN_BY_LOOP = ("class Node:\n    def __init__(self, val, nxt=None):\n        self.val, self.nxt = val, nxt\n"
                 "    def vals(self):\n        out, h = [], self\n        while h is not None:\n"
                 "            out.append(h.val)\n            h = h.nxt\n        return tuple(out)\n"
                 "    def __eq__(self, o):\n        return isinstance(o, Node) and self.vals() == o.vals()\n"
                 "    def __hash__(self):\n        return hash(self.vals())\n\n"
                 "def make(n):\n    h = None\n    for v in range(n):\n        h = Node(v, h)\n    return h\n\ndef f(ps, *more):\n")
DOUBLY = ("class Node:\n    def __init__(self, val):\n        self.val = val\n        self.prev = None\n        self.next = None\n"
          "    def __eq__(self, o):\n        return isinstance(o, Node) and self.val == o.val\n"
          "    def __hash__(self):\n        return hash(self.val)\n\n"
          "def pair():\n    a, b = Node(1), Node(2)\n    a.next, b.prev = b, a\n    return a, b\n\ndef f(xs, *more):\n")
POLY = ("class Poly:\n    def __init__(self, coeffs):\n        self.coeffs = list(coeffs)\n"
        "    def __eq__(self, o):\n        return isinstance(o, Poly) and self.coeffs == o.coeffs\n"
        "    def __hash__(self):\n        return hash(tuple(self.coeffs))\n\ndef f(ps, *more):\n")
THREE = "def check(c):\n    assert c([Point(1, 2), Point(1, 2), Point(0, 0)]) == {Point(1, 2), Point(0, 0)}\n"


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=1) as p:
        yield p


CASES = [
    ("a set of frozen points returned", FROZEN, "    return set(ps)\n", THREE, Status.PASSED),
    ("a wrong set of frozen points returned", FROZEN, "    return set(ps[:1])\n", THREE, Status.FAILED),
    ("points counted in a dict keyed by them", FROZEN,
     "    d = {}\n    for p in ps:\n        d[p] = d.get(p, 0) + 1\n    return d\n",
     "def check(c):\n    assert c([Point(1, 2), Point(1, 2)]) == {Point(1, 2): 2}\n", Status.PASSED),
    ("points counted in a Counter", FROZEN, "    import collections\n    return collections.Counter(ps)\n",
     "def check(c):\n    r = c([Point(1, 2), Point(1, 2), Point(3, 3)])\n    assert r[Point(1, 2)] == 2 and r[Point(3, 3)] == 1\n"
     "    assert r.most_common(1) == [(Point(1, 2), 2)]\n", Status.PASSED),
    ("a dict keyed by pairs of points", FROZEN,
     "    return {(a, b): abs(a.x - b.x) + abs(a.y - b.y) for a in ps for b in ps if a != b}\n",
     "def check(c):\n    d = c([Point(0, 0), Point(1, 1)])\n    assert d[(Point(0, 0), Point(1, 1))] == 2 and len(d) == 2\n",
     Status.PASSED),
    ("the tests send a set of points, the candidate adds one in place", FROZEN,
     "    ps.add(Point(9, 9))\n    return len(ps)\n",
     "def check(c):\n    s = {Point(0, 0)}\n    assert c(s) == 2\n    assert Point(9, 9) in s and Point(0, 0) in s\n", Status.PASSED),
    ("the tests send a dict keyed by points, the candidate deletes one", FROZEN,
     "    del ps[Point(0, 0)]\n    return len(ps)\n",
     "def check(c):\n    d = {Point(0, 0): 'a', Point(1, 0): 'b'}\n    assert c(d) == 1\n    assert d == {Point(1, 0): 'b'}\n",
     Status.PASSED),
    ("a wrong answer that clears the tests' set of points", FROZEN, "    ps.clear()\n    return 1\n",
     "def check(c):\n    s = {Point(0, 0)}\n    assert c(s) == 1\n    assert s == {Point(0, 0)}\n", Status.FAILED),
    ("the tests' own point returned inside a set is their object", FROZEN, "    return {ps[0]}\n",
     "def check(c):\n    p = Point(4, 5)\n    s = c([p])\n    assert next(iter(s)) is p\n", Status.PASSED),
    ("a set of cells of a class with its own __hash__", OWN_HASH,
     "    return {Cell(r + 1, c) for r, c in ps}\n",
     "def check(c):\n    assert c([(0, 0), (1, 1)]) == {Cell(1, 0), Cell(2, 1)}\n", Status.PASSED),
    ("a wrong answer that moves the tests' cells and returns them in a set (hashed where they end)", OWN_HASH,
     "    for cell in ps:\n        cell.r += 1\n    return set(ps)\n",
     "def check(c):\n    s = c([Cell(0, 0)])\n    assert Cell(1, 0) not in s\n", Status.FAILED),
    ("a set of frozen linked lists (a key holding keys)", CHAIN,
     "    return {Link(v, Link(v + 1)) for v in ps}\n",
     "def check(c):\n    assert c([1, 5]) == {Link(1, Link(2)), Link(5, Link(6))}\n", Status.PASSED),
    ("a point holding a list is no set member, as in plain Python", FROZEN, "    return {Point(1, [2])}\n",
     "def check(c):\n    assert len(c([])) == 1\n", Status.FAILED),
    ("a generator yielding sets of points", FROZEN,
     "    for i in range(3):\n        yield {Point(i, i), Point(0, 0)}\n",
     "def check(c):\n    assert [len(s) for s in c([])] == [1, 2, 2]\n", Status.PASSED),
    # A thirty-fourth red team's: a key whose hash reads a set of keys of its own (filled
    # in the order noted, the shapes were hashed on empty sets of points and merged).
    ("a set of shapes, each hashed on its set of points", SHAPE, "    return {Shape([Point(x, x)]) for x in xs}\n",
     "def check(c):\n    r = c([1, 2])\n    assert Shape([Point(1, 1)]) in r\n"
     "    assert r == {Shape([Point(1, 1)]), Shape([Point(2, 2)])}\n", Status.PASSED),
    ("a dict keyed by shapes", SHAPE, "    return {Shape([Point(x, x)]): x for x in xs}\n",
     "def check(c):\n    assert c([1, 2])[Shape([Point(2, 2)])] == 2\n", Status.PASSED),
    ("a wrong set of shapes", SHAPE, "    return {Shape([Point(x, x)]) for x in xs}\n",
     "def check(c):\n    r = c([1])\n    assert Shape([Point(1, 1)]) not in r\n", Status.FAILED),
    ("the tests send a set of shapes", SHAPE, "    return Shape([Point(0, 0)]) in xs\n",
     "def check(c):\n    assert c({Shape([Point(0, 0)])}) is True\n", Status.PASSED),
    ("the tests' shape grown in place and returned in a set", SHAPE, "    xs.pts.add(Point(1, 1))\n    return {xs}\n",
     "def check(c):\n    s = Shape([Point(0, 0)])\n    assert s in c(s)\n", Status.PASSED),
    ("the tests' shape grown in place and returned as a key", SHAPE, "    xs.pts.add(Point(1, 1))\n    return {xs: 'grown'}\n",
     "def check(c):\n    r = c(Shape([Point(0, 0)]))\n    assert r[Shape([Point(0, 0), Point(1, 1)])] == 'grown'\n",
     Status.PASSED),
    ("a set holding a chain of 2,000 nodes hashed by a loop (weighed recursively, it ran out of frames)",
     CHAIN_BY_LOOP, "    return {make(ps)}\n", "def check(c):\n    assert c(2000) == {make(2000)}\n", Status.PASSED),
    ("the tests send a set holding a chain of 2,000 nodes hashed by a loop", CHAIN_BY_LOOP, "    return len(ps)\n",
     "def check(c):\n    assert c({make(2000)}) == 1\n", Status.PASSED),
    ("a set of two doubly linked nodes (weighed through the cycle, it never ended)", DOUBLY,
     "    a, b = pair()\n    return {a, b}\n", "def check(c):\n    assert c(0) == {Node(1), Node(2)}\n", Status.PASSED),
    ("the tests send a set of one node pointing at itself", DOUBLY, "    return len(xs)\n",
     "def check(c):\n    a = Node(1)\n    a.next = a\n    assert c({a}) == 1\n", Status.PASSED),
    ("a set of points kept by the candidate across calls", FROZEN,
     "    seen = more[0]\n    seen.add(ps)\n    return len(seen)\n",
     "def check(c):\n    seen = set()\n    assert c(Point(0, 0), seen) == 1\n    assert c(Point(0, 0), seen) == 1\n"
     "    assert c(Point(1, 0), seen) == 2\n    assert seen == {Point(0, 0), Point(1, 0)}\n", Status.PASSED),
]


@pytest.mark.parametrize("what,prompt,body,test,plain", CASES, ids=[c[0] for c in CASES])
def test_agrees_with_plain_python(pool: SandboxPool, what: str, prompt: str, body: str, test: str,
                                  plain: Status) -> None:
    assert_agrees_with_plain_python(pool, "hostile/keyed-objects", what, prompt, body, test, plain, LIMITS)


REFUSED = [
    # What plain Python allows and the channel refuses, each the candidate's own failure
    # (never a pass, never the harness's error): docs/LIMITS.md.
    ("a frozenset of frozen points (made as it is read, before the points' states)", FROZEN,
     "    return frozenset(ps)\n",
     "def check(c):\n    assert c([Point(1, 2)]) == frozenset({Point(1, 2)})\n"),
    ("a polynomial whose hash hashes its list of coefficients, one tuple of 10,000 held 12,000 times: too costly "
     "to hash in one call no alarm reaches (a list was weighed as 1: a thirty-fourth red team's 100,000 "
     "references held the test server to its deadline)", POLY, "    t = tuple(range(10_000))\n    return {Poly([t] * 12_000)}\n",
     "def check(c):\n    assert len(c(0)) == 1\n"),
    ("a set whose point was changed after it was added (plain Python finds it nowhere)", FROZEN,
     "    s = set(ps)\n    object.__setattr__(ps[0], 'x', 7)\n    return s\n",
     "def check(c):\n    assert len(c([Point(1, 2)])) == 1\n"),
]


@pytest.mark.parametrize("what,prompt,body,test", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_as_the_candidates_failure(pool: SandboxPool, what: str, prompt: str, body: str, test: str) -> None:
    assert_refused_as_the_candidates_failure(pool, "hostile/keyed-objects", what, prompt, body, test, LIMITS)


def test_a_stale_set_never_passes_for_a_consistent_one(pool: SandboxPool) -> None:
    """Plain Python's set holds the point where its hash was when it was added, so the
    set equals nothing: made again on the other side from the point's new state, it
    would equal the set of the moved point (the forged pass a deferred fill invites)."""
    body = "    s = {ps[0]}\n    object.__setattr__(ps[0], 'x', 7)\n    return s\n"
    test = "def check(c):\n    assert c([Point(1, 2)]) == {Point(7, 2)}\n"
    assert_agrees_with_plain_python(pool, "hostile/keyed-objects", "a stale set", FROZEN, body, test, Status.FAILED,
                                    LIMITS)


def test_a_keys_hash_that_raises_on_a_change_never_reaches_the_tests(pool: SandboxPool) -> None:
    """A thirty-fourth red team's: the tests' dict, its keys the same, had its values set
    at once, before the key's new state was in, and the key's hash raised unguarded; inside
    a callback that TypeError reached the tests' own ``except TypeError`` (a forged pass).
    Now the dict is set once the states are in, and what its key's hash raises is the
    candidate's failure."""
    body = ("    if not more:\n        KEPT.append(ps)\n        return 0\n"
            "    class HL(list):\n        __hash__ = lambda s: 0\n"
            "    d, cb = more\n    d[ps] = 'B'\n    object.__setattr__(ps, 'x', HL([1]))\n    cb()\n    return 1\n"
            "KEPT = []\n")
    test = ("def check(c):\n    p = Point(0, 0)\n    d = {p: 'A'}\n    c(p)\n    try:\n"
            "        c(p, d, lambda: None)\n    except TypeError:\n        return\n"
            "    raise AssertionError('expected a TypeError')\n")
    assert_agrees_with_plain_python(pool, "hostile/keyed-objects", "a key's hash raising in a callback", FROZEN, body,
                                    test, Status.FAILED, LIMITS)


def test_a_key_whose_state_the_candidate_broke_fails_it_and_the_server_lives_on(pool: SandboxPool) -> None:
    """A fourteenth red team's candidate changed the state of the tests' frozen dataclass
    key; the write-back and then the job's undo re-hashed it, and the test server died
    (the harness's error, twice). Now the candidate's change cannot be sent (its own
    key's hash raises: its failure), the undo puts keys back after the states they hash,
    and the next job runs."""
    test = "def check(c):\n    p = Point(0, 0)\n    assert c(p, {p: 'A'}) == 0\n"
    body = "    d = more[0]\n    d[ps] = 'B'\n    object.__delattr__(ps, 'x')\n    return 0\n"
    report = pool.run_source(Task("hostile/keyed-objects", FROZEN, "f", test), FROZEN + body, LIMITS)
    assert report.status is Status.FAILED and "hash" in report.detail, report.detail
    after = pool.run_source(Task("hostile/keyed-objects", FROZEN, "f", THREE), FROZEN + "    return set(ps)\n", LIMITS)
    assert after.status is Status.PASSED, after.detail
