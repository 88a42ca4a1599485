"""The standard library's values (verifiers/runtime/std_values.py) and the iterators a
candidate returns (verifiers/runtime/iterators.py) across the channel: each case runs
on one slot and in this process as plain Python, and the two verdicts must agree.

Before, every right answer below failed (``cannot send a value of type Fraction``,
``... generator``), and a task whose tests pass such a value made every candidate the
harness's ``error``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tasks.types import Task
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Status

from plain_python import assert_agrees_with_plain_python, plain_python_verdict

LIMITS = SandboxLimits(wall_seconds=3)
IMPORTS = ("import collections\nimport datetime\nimport itertools\nfrom decimal import Decimal\nfrom fractions import Fraction\n\n"
           "class Pt:\n    def __init__(self, v):\n        self.v = v\n\n"
           "def f(x, *more):\n")


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=1) as p:
        yield p


CASES = [
    # (what, the candidate's body, the tests, plain Python's verdict)
    ("a Fraction returned", "    return Fraction(1, x)\n",
     "def check(c):\n    assert c(3) == Fraction(1, 3) and type(c(3)) is Fraction\n", Status.PASSED),
    ("a Decimal keeps its exponent", "    return Decimal(x) / 4 + Decimal('0.00')\n",
     "def check(c):\n    assert c(3) == Decimal('0.75') and str(c(3)) == '0.75'\n    assert str(c(2)) == '0.50'\n",
     Status.PASSED),
    ("a wrong Decimal", "    return Decimal(x) / 5\n", "def check(c):\n    assert c(3) == Decimal('0.75')\n",
     Status.FAILED),
    ("complex roots", "    import cmath\n    d = cmath.sqrt(more[0] ** 2 - 4 * x * more[1])\n"
     "    return ((-more[0] + d) / (2 * x), (-more[0] - d) / (2 * x))\n",
     "def check(c):\n    r = c(1, 0, 1)\n    assert r == (1j, -1j) and all(type(z) is complex for z in r)\n", Status.PASSED),
    ("the tests pass a date and get the next day", "    return x + datetime.timedelta(days=1)\n",
     "def check(c):\n    assert c(datetime.date(2020, 2, 28)) == datetime.date(2020, 2, 29)\n", Status.PASSED),
    ("an aware datetime and a timedelta", "    return x - more[0]\n",
     "def check(c):\n    t = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)\n"
     "    assert c(t, datetime.timedelta(hours=1)).isoformat() == '2019-12-31T23:00:00+00:00'\n", Status.PASSED),
    ("a range returned", "    return range(x)\n", "def check(c):\n    assert c(3) == range(3)\n", Status.PASSED),
    ("a dict keyed by dates, and a set of Fractions", "    return {x: {Fraction(1, 2), Fraction(2, 4), Fraction(1, 3)}}\n",
     "def check(c):\n    d = datetime.date(2020, 1, 1)\n    assert c(d) == {d: {Fraction(1, 2), Fraction(1, 3)}}\n",
     Status.PASSED),
    ("the tests' list of Decimals sorted in place", "    x.sort()\n",
     "def check(c):\n    xs = [Decimal('2.5'), Decimal('-1'), Decimal('0.10')]\n    c(xs)\n"
     "    assert xs == [Decimal('-1'), Decimal('0.10'), Decimal('2.5')]\n", Status.PASSED),
    ("a Counter returned is a Counter (it was a plain dict)", "    return collections.Counter(x)\n",
     "def check(c):\n    k = c('aab')\n    assert type(k) is collections.Counter and k.most_common(1) == [('a', 2)]\n",
     Status.PASSED),
    ("a wrong answer: an object returned, kept by a weak reference alone, changed by the next call",
     "    import weakref\n    global W\n    if x == 0:\n        p = Pt(0)\n        W = weakref.ref(p)\n        return p\n"
     "    if W() is not None:\n        W().v = 99\n    return Pt(1)\n",
     "def check(c):\n    a = c(0)\n    b = c(1)\n    assert (a.v, b.v) == (0, 1)\n", Status.FAILED),
    # Iterators.
    ("a generator read whole", "    for i in range(x):\n        yield i * i\n",
     "def check(c):\n    assert list(c(4)) == [0, 1, 4, 9]\n", Status.PASSED),
    ("a generator read by next()", "    yield x\n    yield x + 1\n",
     "def check(c):\n    g = c(5)\n    assert next(g) == 5 and next(g) == 6\n    assert next(g, None) is None\n", Status.PASSED),
    ("a wrong generator", "    yield x\n    yield x\n", "def check(c):\n    assert list(c(5)) == [5, 6]\n", Status.FAILED),
    ("an endless generator read in part", "    n = x\n    while True:\n        yield n\n        n += 1\n",
     "def check(c):\n    assert list(itertools.islice(c(7), 3)) == [7, 8, 9]\n", Status.PASSED),
    ("a map, a zip and itertools.count returned", "    return [map(str, range(x)), zip('ab', 'cd'), itertools.count(x)][more[0]]\n",
     "def check(c):\n    assert list(c(3, 0)) == ['0', '1', '2']\n    assert list(c(3, 1)) == [('a', 'c'), ('b', 'd')]\n"
     "    assert next(c(3, 2)) == 3\n", Status.PASSED),
    ("a generator that raises after its items: the tests meet it where plain Python's do",
     "    yield x\n    raise ValueError('no more')\n",
     "def check(c):\n    g = c(1)\n    assert next(g) == 1\n    try:\n        next(g)\n    except ValueError as e:\n"
     "        assert str(e) == 'no more'\n    else:\n        assert False\n", Status.PASSED),
    ("a generator that yields the tests' own objects", "    for item in x:\n        yield item\n",
     "def check(c):\n    a, b = [1], {2}\n    got = list(c([a, b]))\n    assert got[0] is a and got[1] is b\n", Status.PASSED),
    ("a generator that empties its argument as it goes", "    while x:\n        yield x.pop()\n",
     "def check(c):\n    xs = [1, 2, 3]\n    assert list(c(xs)) == [3, 2, 1] and xs == []\n", Status.PASSED),
    # A nineteenth red team's finds on the first form (run to 100,000 items, as they were).
    ("an endless Fibonacci generator read in part (its numbers filled the memory first)",
     "    a, b = 0, 1\n    while True:\n        yield a\n        a, b = b, a + b\n",
     "def check(c):\n    assert list(itertools.islice(c(0), 10)) == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]\n", Status.PASSED),
    ("endless rows of Pascal's triangle", "    row = [1]\n    while True:\n        yield row\n"
     "        row = [a + b for a, b in zip([0] + row, row + [0])]\n",
     "def check(c):\n    assert list(itertools.islice(c(0), 4)) == [[1], [1, 1], [1, 2, 1], [1, 3, 3, 1]]\n", Status.PASSED),
    # A twentieth red team's finds on those fixes.
    ("endless growing Fractions read in part (each was weighed as one value, so all 100,000 were made)",
     "    p, q = 1, 1\n    while True:\n        yield Fraction(p, q)\n        p, q = p + 2 * q, p + q\n",
     "def check(c):\n    assert list(itertools.islice(c(0), 3)) == [Fraction(1), Fraction(3, 2), Fraction(7, 5)]\n",
     Status.PASSED),
    ("endless doubling ranges read in part", "    n = 1\n    while True:\n        yield range(0, n)\n        n *= 2\n",
     "def check(c):\n    assert next(c(0)) == range(0, 1)\n", Status.PASSED),
    ("the levels of the tests' tree, each a list of the tests' own nodes (copied whole, they were copies)",
     "    level = [x]\n    while level:\n        yield level\n        level = [k for n in level for k in n if k]\n",
     "def check(c):\n    a, b = [None], [None]\n    root = [a, b]\n"
     "    got = list(c(root))\n    assert got[0][0] is root and got[1][0] is a and got[1][1] is b\n", Status.PASSED),
    # Read as the tests read them (before, each was run when returned: the refused
    # cases of that form, and what timed out).
    ("an endless generator read past 100,000 items", "    n = 0\n    while True:\n        yield n\n        n += 1\n",
     "def check(c):\n    assert sum(itertools.islice(c(0), 100_001)) == 100_000 * 100_001 // 2\n", Status.PASSED),
    ("a finite generator of 300,000 items read whole", "    yield from range(x)\n",
     "def check(c):\n    assert sum(c(300_000)) == 300_000 * 299_999 // 2\n", Status.PASSED),
    ("a generator that changes its argument, looked at before it is read (nothing runs when returned)",
     "    while x:\n        yield x.pop()\n",
     "def check(c):\n    xs = [1, 2]\n    g = c(xs)\n    assert xs == [1, 2]\n    assert next(g) == 2 and xs == [1]\n"
     "    assert list(g) == [1]\n", Status.PASSED),
    ("endless primes by trial division, slow per item, read in part",
     "    n = 2\n    while True:\n        if all(n % d for d in range(2, n)):\n            yield n\n        n += 1\n",
     "def check(c):\n    assert list(itertools.islice(c(0), 10)) == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]\n"
     "    assert next(c(0)) == 2\n", Status.PASSED),
    ("a generator driven by send()", "    total = 0\n    while True:\n        v = yield total\n        total += v\n",
     "def check(c):\n    g = c(0)\n    assert next(g) == 0\n    assert g.send(5) == 5 and g.send(2) == 7\n", Status.PASSED),
    ("a generator's return value, seen by yield from and StopIteration.value",
     "    total = 0\n    for v in x:\n        total += v\n        yield v\n    return [total]\n",
     "def collect(g):\n    got = yield from g\n    return got\n"
     "def check(c):\n    g = collect(c([1, 2]))\n    assert list(itertools.islice(g, 2)) == [1, 2]\n    try:\n        next(g)\n"
     "    except StopIteration as e:\n        assert e.value == [3]\n    else:\n        assert False\n", Status.PASSED),
    ("a wrong return value", "    yield 1\n    return 4\n",
     "def check(c):\n    g = c(0)\n    next(g)\n    try:\n        next(g)\n    except StopIteration as e:\n"
     "        assert e.value == 5\n", Status.FAILED),
    ("a value sent to a map (no send, as in plain Python)", "    return map(abs, [x])\n",
     "def check(c):\n    g = c(-1)\n    try:\n        g.send(None)\n    except AttributeError:\n        pass\n"
     "    else:\n        assert False\n", Status.PASSED),
    ("many generators read in part, each holding the tests' list (let go of as the tests drop them)",
     "    for v in x:\n        yield v\n",
     "def check(c):\n    xs = list(range(50))\n    for _ in range(300):\n        assert next(c(xs)) == 0\n", Status.PASSED),
    ("a generator's finally changes the tests' list once they drop it, seen at their next call",
     "    try:\n        yield 1\n        yield 2\n    finally:\n        x.append('closed')\n",
     "def check(c):\n    xs = []\n    g = c(xs)\n    next(g)\n    del g\n    list(c([]))\n    assert xs == ['closed']\n",
     Status.PASSED),
    ("the tests change their list between reads (the candidate reads it as it goes)",
     "    i = 0\n    while i < len(x):\n        yield x[i]\n        i += 1\n",
     "def check(c):\n    xs = [1]\n    g = c(xs)\n    assert next(g) == 1\n    xs.append(2)\n    assert list(g) == [2]\n",
     Status.PASSED),
    # A twenty-first red team's finds on reading in batches.
    ("a wrong answer: one list yielded again after it changed (plain Python's list(g) holds one list)",
     "    cur = []\n    for v in x:\n        cur.append(v)\n        yield cur\n",
     "def check(c):\n    assert list(c([1, 2, 3])) == [[1], [1, 2], [1, 2, 3]]\n", Status.FAILED),
    ("a wrong answer: a row of Pascal's triangle changed in place and yielded again",
     "    row = [1]\n    for _ in range(x):\n        yield row\n        row.append(1)\n"
     "        for i in range(len(row) - 2, 0, -1):\n            row[i] += row[i - 1]\n",
     "def check(c):\n    assert list(c(4)) == [[1], [1, 1], [1, 2, 1], [1, 3, 3, 1]]\n", Status.FAILED),
    ("one list yielded twice is one list", "    acc = [0]\n    for _ in range(x):\n        yield acc\n",
     "def check(c):\n    a, b = c(2)\n    assert a is b\n", Status.PASSED),
    ("a running Counter read step by step", "    cnt = collections.Counter()\n    for w in x:\n        cnt[w] += 1\n        yield cnt\n",
     "def check(c):\n    exp = [{'a': 1}, {'a': 1, 'b': 1}, {'a': 2, 'b': 1}]\n    for step, e in zip(c(['a', 'b', 'a']), exp):\n"
     "        assert step == e\n", Status.PASSED),
    ("an object of the prompt's class changed and yielded again, read step by step",
     "    p = Pt(0)\n    for i in range(x):\n        p.v = i\n        yield p\n",
     "def check(c):\n    g = c(5)\n    assert [next(g).v for _ in range(5)] == [0, 1, 2, 3, 4]\n", Status.PASSED),
    ("a list the candidate holds, inside a fresh tuple, read step by step",
     "    acc = []\n    for v in x:\n        acc.append(v)\n        yield (len(acc), acc)\n",
     "def check(c):\n    assert [(n, list(a)) for n, a in c([1, 2, 3])] == [(1, [1]), (2, [1, 2]), (3, [1, 2, 3])]\n",
     Status.PASSED),
    ("a generator over a large argument the tests share", "    for v in x:\n        yield v * 2\n",
     "def check(c):\n    xs = list(range(300_000))\n    assert sum(c(xs)) == 2 * sum(xs)\n", Status.PASSED),
    ("fifty generators alive at once, each over the tests' list", "    for v in x:\n        yield v\n",
     "def check(c):\n    cases = [list(range(i, i + 2000)) for i in range(50)]\n    gens = [c(xs) for xs in cases]\n"
     "    for g, xs in zip(gens, cases):\n        assert list(g) == xs\n", Status.PASSED),
    ("characters outside the BMP (12 bytes each on the channel)", "    for i in range(x):\n        yield '\\U0001F600' * 100\n",
     "def check(c):\n    assert sum(len(s) for s in c(30000)) == 3_000_000\n", Status.PASSED),
    # A twenty-second red team's finds on those fixes: wrong answers that passed.
    ("a wrong answer: one running Counter yielded again (each was a plain copy)",
     "    cnt = collections.Counter()\n    for w in x:\n        cnt[w] += 1\n        yield cnt\n",
     "def check(c):\n    assert list(c(['a', 'b', 'a'])) == [{'a': 1}, {'a': 1, 'b': 1}, {'a': 2, 'b': 1}]\n", Status.FAILED),
    ("a wrong answer: an object yielded, kept by a weak reference alone, changed later",
     "    import weakref\n    refs = []\n    def mk(v):\n        p = Pt(v)\n        refs.append(weakref.ref(p))\n        return p\n"
     "    yield mk(0)\n    if refs[0]() is not None:\n        refs[0]().v = 99\n    yield mk(1)\n",
     "def check(c):\n    assert [p.v for p in list(c(0))] == [0, 1]\n", Status.FAILED),
    ("a wrong answer: a memo's list returned by a call, then yielded and changed as the batch ran on",
     "    global MEMO\n    if x == 'get':\n        MEMO = [0]\n        return MEMO\n    def g():\n        yield 0\n"
     "        MEMO[0] = -1\n        yield MEMO\n        MEMO[0] = 1\n        yield 2\n    return g()\n",
     "def check(c):\n    m = c('get')\n    for i, item in enumerate(c('gen')):\n        if i == 1:\n            assert item == [1], item\n",
     Status.FAILED),
    ("a wrong answer: a list changed after it was yielded sixty tuples deep",
     "    b = [-1]\n    t = b\n    for _ in range(60):\n        t = (t,)\n    yield 0\n    yield t\n    b[0] = 1\n    yield 2\n",
     "def unwrap(t):\n    while type(t) is tuple:\n        t = t[0]\n    return t\n"
     "def check(c):\n    for i, t in enumerate(c(0)):\n        if i == 1:\n            assert unwrap(t) == [1]\n", Status.FAILED),
    ("combinations of the candidate's lists (the pool's references are not the candidate's)",
     "    pts = [[i, i * i] for i in range(x)]\n    return itertools.combinations(pts, 2)\n",
     "def check(c):\n    assert sum(1 for a, b in c(150) if a[0] < b[0]) == 150 * 149 // 2\n", Status.PASSED),
    ("enumerate of fresh lists (its reused result tuple is not the candidate's hold)",
     "    return enumerate([i, i + 1] for i in range(x))\n",
     "def check(c):\n    assert sum(p[1] for i, p in c(20000)) == 20000 * 20001 // 2\n", Status.PASSED),
    # A twenty-third red team's finds on those fixes.
    ("a wrong answer: accumulate changing its running list in place",
     "    return itertools.accumulate(x, lambda a, v: (a.append(v), a)[1], initial=[])\n",
     "def check(c):\n    assert list(c([1, 2, 3])) == [[], [1], [1, 2], [1, 2, 3]]\n", Status.FAILED),
    ("a wrong answer: combinations of the candidate's own tuple of lists, changed by a later call",
     "    global T\n    if x == 'new':\n        T = ([], [], [])\n    elif x == 'add':\n        T[more[0]].append(more[1])\n"
     "    elif x == 'pairs':\n        return itertools.combinations(T, 2)\n",
     "def check(c):\n    c('new'); c('add', 0, 1); c('add', 1, 2)\n    p = next(c('pairs'))\n    c('add', 0, 3)\n"
     "    assert p == ([1], [2]), p\n", Status.FAILED),
    ("a wrong answer: a grid whose rows are one list, yielded (its copy had rows apart)",
     "    for n in x:\n        yield [[0] * n] * n\n",
     "def check(c):\n    for g in c([2, 3]):\n        g[0][0] = 1\n        assert sum(map(sum, g)) == 1, g\n", Status.FAILED),
    ("combinations of fresh lists name the same lists", "    return itertools.combinations([[i] for i in range(x)], 2)\n",
     "def check(c):\n    ps = list(c(4))\n    assert ps[0][0] is ps[1][0]\n", Status.PASSED),
    ("one iterator returned by two calls, read in turn", "    global IT\n    if x == 'new':\n        IT = iter(range(100))\n    return IT\n",
     "def check(c):\n    a = c('new'); b = c('get')\n    assert next(a) == 0 and next(b) == 1 and next(a) == 2 and next(b) == 3\n",
     Status.PASSED),
    # A twenty-fourth red team's finds on those fixes.
    ("a wrong answer: its own iterator class named list_iterator, fixing what it had yielded",
     "    class It:\n        __module__ = 'builtins'\n        def __init__(self):\n            self.rows = [[0], [0], [0], [0]]\n"
     "            self.i = 0\n        def __iter__(self):\n            return self\n        def __next__(self):\n"
     "            if self.i:\n                self.rows[self.i - 1][0] = 1\n            if self.i == len(self.rows):\n"
     "                raise StopIteration\n            self.i += 1\n            return self.rows[self.i - 1]\n"
     "    It.__name__ = It.__qualname__ = 'list_iterator'\n    return It()\n",
     "def check(c):\n    it = c(0)\n    a = next(it)\n    b = next(it)\n    assert b == [1], b\n", Status.FAILED),
    ("a wrong answer: a list's __del__, run as its iterator runs out, fixing the rows already read",
     "    class L(list):\n        def __del__(self):\n            for r in self:\n                r[0] += 1\n"
     "    return iter(L([[0], [1]]))\n",
     "def check(c):\n    it = c(0)\n    a = next(it)\n    b = next(it)\n    assert (a, b) == ([1], [2])\n", Status.FAILED),
    ("a wrong answer: an iterator over the tests' list, which they change between reads",
     "    return iter(x)\n",
     "def check(c):\n    xs = [1, 2, 3, 4]\n    it = c(xs)\n    next(it)\n    next(it)\n    xs[2] = 99\n    assert next(it) == 3\n",
     Status.FAILED),
    ("an iterator over the tests' dict, which they grow between reads", "    return iter(x)\n",
     "def check(c):\n    d = {1: 1, 2: 2, 3: 3}\n    it = c(d)\n    next(it)\n    next(it)\n    d[9] = 9\n    try:\n"
     "        next(it)\n    except RuntimeError:\n        return\n    assert False\n", Status.PASSED),
    ("one iterator returned by two calls, run out by one of them", "    global IT\n    if x:\n        IT = iter([1, 2, 3])\n    return IT\n",
     "def check(c):\n    a = c(1)\n    b = c(0)\n    assert list(a) == [1, 2, 3]\n    assert list(b) == []\n", Status.PASSED),
    # A twenty-fifth red team's finds on those fixes.
    ("a wrong answer: a map that goes on after it raised, where the tests want it to stop",
     "    return map(int, x)\n",
     "def check(c):\n    it = c(['1', 'x', '3'])\n    assert next(it) == 1\n    try:\n        next(it)\n    except ValueError:\n"
     "        pass\n    assert list(it) == []\n", Status.FAILED),
    ("a wrong answer: an iterator over its own list subclass, changed by a later call",
     "    global XS\n    class Store(list):\n        pass\n    if x == 'it':\n        XS = Store(range(10))\n        return iter(XS)\n"
     "    XS[5] = 99\n",
     "def check(c):\n    it = c('it')\n    assert [next(it) for _ in range(4)] == [0, 1, 2, 3]\n    c('set')\n"
     "    assert list(it) == [4, 5, 6, 7, 8, 9]\n", Status.FAILED),
    ("a wrong answer: the iterator it returned, run out by its next call",
     "    global IT\n    if x == 'it':\n        IT = iter(list(range(10)))\n        return IT\n    return sum(1 for _ in IT)\n",
     "def check(c):\n    it = c('it')\n    assert next(it) == 0 and next(it) == 1\n    c('rest')\n    assert next(it) == 2\n",
     Status.FAILED),
    ("one cursor shared by the tests and the candidate's next call",
     "    global IT\n    if x == 'it':\n        IT = iter(list(range(10)))\n        return IT\n    return next(IT)\n",
     "def check(c):\n    it = c('it')\n    assert next(it) == 0 and next(it) == 1\n    assert c('take') == 2\n    assert next(it) == 3\n",
     Status.PASSED),
    ("a deque's iterator", "    return iter(collections.deque(x))\n",
     "def check(c):\n    assert list(c([1, 2])) == [1, 2]\n", Status.PASSED),
    # A twenty-sixth red team's find on those fixes.
    ("a wrong answer: a list subclass yielded, then changed as the batch ran on",
     "    class L(list):\n        pass\n    w = L()\n    for i in range(x):\n        w.append(999 if i == 1 else i)\n"
     "        yield w\n        w[-1] = i\n        w = L(w)\n",
     "def check(c):\n    g = c(4)\n    assert next(g) == [0]\n    assert next(g) == [0, 1]\n", Status.FAILED),
    # A twenty-seventh red team's finds on those fixes.
    ("a wrong answer: a grid of one list subclass's object, yielded (its copies were apart)",
     "    class L(list):\n        pass\n    yield [L([0, 0])] * 2\n",
     "def check(c):\n    g = next(c(0))\n    g[0][0] = 1\n    assert g[1][0] == 0\n", Status.FAILED),
    ("a wrong answer: an OrderedDict yielded in the wrong order (it was flattened to a dict)",
     "    yield collections.OrderedDict([('a', 2), ('b', 1)])\n",
     "def check(c):\n    assert next(c(0)) == collections.OrderedDict([('b', 1), ('a', 2)])\n", Status.FAILED),
    ("a fresh Counter yielded is a Counter", "    for w in x:\n        yield collections.Counter(w)\n",
     "def check(c):\n    assert next(c(['aab'])).most_common(1) == [('a', 2)]\n", Status.PASSED),
    ("a wrong answer: a map over an iterator the candidate advances in its next call",
     "    global G\n    if x == 0:\n        G = iter(range(100))\n        return map(abs, G)\n    return next(G)\n",
     "def check(c):\n    m = c(0)\n    next(m)\n    next(m)\n    c(1)\n    assert next(m) == 2\n", Status.FAILED),
    ("one list yielded and changed in place between items (the tests saw its last state every time)",
     "    win = []\n    for v in more[0]:\n        win.append(v)\n        if len(win) > x:\n            win.pop(0)\n"
     "        if len(win) == x:\n            yield win\n",
     "def check(c):\n    assert [tuple(w) for w in c(2, [1, 2, 3])] == [(1, 2), (2, 3)]\n", Status.PASSED),
]


@pytest.mark.parametrize("what,body,test,plain", CASES, ids=[c[0] for c in CASES])
def test_agrees_with_plain_python(pool: SandboxPool, what: str, body: str, test: str, plain: Status) -> None:
    assert_agrees_with_plain_python(pool, "hostile/returned-kinds", what, IMPORTS, body, test, plain, LIMITS)


REFUSED = [
    # What plain Python allows and the channel refuses, each the candidate's own failure
    # (docs/LIMITS.md).
    ("a value sent to a generator read ahead of the tests (its second batch ran two items)",
     "    total = 0\n    while True:\n        v = yield total\n        total += v or 0\n",
     "def check(c):\n    g = c(0)\n    assert next(g) == 0 and next(g) == 0\n    assert g.send(5) == 5\n"),
    ("an exception thrown into a generator that catches it",
     "    while True:\n        try:\n            yield x\n        except ValueError:\n            yield -1\n",
     "def check(c):\n    g = c(1)\n    assert next(g) == 1\n    assert g.throw(ValueError) == -1\n"),
    ("a generator's finally, looked at as soon as the tests drop it (it runs at their next call)",
     "    try:\n        yield 1\n        yield 2\n    finally:\n        x.append('closed')\n",
     "def check(c):\n    xs = []\n    g = c(xs)\n    next(g)\n    del g\n    assert xs == ['closed']\n"),
]


REFUSED_LATE = [
    # Read ahead, where plain Python's tests stop reading in time (docs/LIMITS.md).
    ("a search that yields its last answer and then searches on forever (a batch runs ahead into it)",
     "    for a in itertools.count(1):\n        if a * a > x:\n            continue\n        if x % a == 0:\n"
     "            yield (a, x // a)\n",
     "def check(c):\n    assert list(itertools.islice(c(24), 4)) == [(1, 24), (2, 12), (3, 8), (4, 6)]\n", Status.TIMEOUT),
    ("a generator that changes the tests' list, looked at after each item (the second batch ran two)",
     "    for i in range(3):\n        x.append(i)\n        yield len(x)\n",
     "def check(c):\n    xs = []\n    g = c(xs)\n    assert next(g) == 1 and xs == [0]\n    assert next(g) == 2 and xs == [0, 1]\n",
     Status.FAILED),
    ("rows of the candidate's own grid, two thousand (each a round trip, each paying for all kept)",
     "    grid = [[i] * 10 for i in range(x)]\n    for row in grid:\n        yield row\n",
     "def check(c):\n    assert len(list(c(2000))) == 2000\n", Status.TIMEOUT),
    ("a map read on after it raised (plain Python's goes on; reading on does not cross)",
     "    return map(int, x)\n",
     "def check(c):\n    it = c(['1', 'x', '3'])\n    assert next(it) == 1\n    try:\n        next(it)\n    except ValueError:\n"
     "        pass\n    assert list(it) == [3]\n", Status.FAILED),
    ("a map over the tests' list, which they change between reads (read ahead)", "    return map(abs, x)\n",
     "def check(c):\n    xs = [0, -1, -2, -3, -4, -5, -6]\n    it = c(xs)\n    assert [next(it) for _ in range(2)] == [0, 1]\n"
     "    xs[2] = -9\n    assert next(it) == 9\n", Status.FAILED),
    ("a map returned is not a map to the tests (a stand-in that iterates)", "    return map(abs, x)\n",
     "def check(c):\n    assert isinstance(c([-1]), map)\n", Status.FAILED),
]


@pytest.mark.parametrize("what,body,test,status", [(*c, Status.FAILED) for c in REFUSED] + REFUSED_LATE,
                         ids=[c[0] for c in REFUSED + REFUSED_LATE])
def test_refused_as_the_candidates_failure(pool: SandboxPool, what: str, body: str, test: str, status: Status) -> None:
    assert plain_python_verdict(IMPORTS, body, test) is Status.PASSED
    report = pool.run_source(Task("hostile/returned-kinds", IMPORTS, "f", test), IMPORTS + body, LIMITS)
    assert report.status is status, f"{what}: {report.status.value}: {report.detail}"


def test_a_task_whose_tests_pass_a_decimal_no_longer_errs_every_candidate(pool: SandboxPool) -> None:
    test = "def check(c):\n    assert c(Decimal('1.5')) == Decimal('3.0')\n"
    right = pool.run_source(Task("hostile/returned-kinds", IMPORTS, "f", test), IMPORTS + "    return x * 2\n", LIMITS)
    wrong = pool.run_source(Task("hostile/returned-kinds", IMPORTS, "f", test), IMPORTS + "    return x\n", LIMITS)
    assert (right.status, wrong.status) == (Status.PASSED, Status.FAILED), (right.detail, wrong.detail)
