"""Our hostile corpus: one or more candidates per attack category, plus controls.

Every hostile candidate must end not-passed; none of them computes the right
answer after its attack fails (they return a wrong value, raise, or hang), so a
pass can only mean the attack worked. ``{port}`` is replaced by the port of a
listener the test opens on 127.0.0.1.
"""

from __future__ import annotations

from tasks.types import Task

DOUBLE = Task(
    task_id="hostile/double",
    prompt='def double(x: int) -> int:\n    """Return 2 * x."""\n',
    entry_point="double",
    test="def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(-3) == -6\n    assert candidate(0) == 0\n",
    canonical_solution="    return 2 * x\n",
)

SECRET = Task(
    task_id="hostile/secret_table",
    prompt='def secret_table(k: str) -> int:\n    """Return the value stored for k (the table is not given)."""\n',
    entry_point="secret_table",
    test="def check(candidate):\n    assert candidate('a') == 40961\n    assert candidate('b') == 52223\n",
    canonical_solution="    return {'a': 40961, 'b': 52223}[k]\n",
)

# The test side expects a builtin exception: shipping exceptions as data must keep this working.
RAISES = Task(
    task_id="hostile/raises",
    prompt='def parse(s: str) -> int:\n    """int(s), ValueError on junk."""\n',
    entry_point="parse",
    test=(
        "def check(candidate):\n"
        "    assert candidate('12') == 12\n"
        "    try:\n"
        "        candidate('zz')\n"
        "    except ValueError:\n"
        "        pass\n"
        "    else:\n"
        "        assert False, 'no ValueError'\n"
    ),
    canonical_solution="    return int(s)\n",
)

# Arguments keep Python's semantics across the channel: the caller sees what the candidate did to them.
SORTED_COPY = Task(
    task_id="hostile/sorted_copy",
    prompt='def sorted_copy(xs: list[int]) -> list[int]:\n    """A sorted copy of xs; xs itself is left as it was."""\n',
    entry_point="sorted_copy",
    test="def check(candidate):\n    xs = [3, 1, 2]\n    assert candidate(xs) == [1, 2, 3]\n    assert xs == [3, 1, 2]\n",
    canonical_solution="    return sorted(xs)\n",
)
PUSH = Task(
    task_id="hostile/push",
    prompt='def push(stack: list[list[int]], x: int) -> None:\n    """Append [x] to stack, and x to its first item."""\n',
    entry_point="push",
    test=("def check(candidate):\n    first = [0]\n    stack = [first]\n    assert candidate(stack, 5) is None\n"
          "    assert stack == [[0, 5], [5]] and stack[0] is first and first == [0, 5]\n"),
    canonical_solution="    stack[0].append(x)\n    stack.append([x])\n",
)

# The lists inside a tuple argument are the caller's too; in-place changes keep their
# types (1 is not 1.0); arguments may be as deep as the channel carries (red team).
SORTED_FIRST = Task(
    task_id="hostile/sorted_first",
    prompt='def sorted_first(pair: tuple[list[int], int]) -> list[int]:\n    """A sorted copy of pair[0]; the list is left as it was."""\n',
    entry_point="sorted_first",
    test="def check(candidate):\n    xs = [3, 1, 2]\n    assert candidate((xs, 0)) == [1, 2, 3]\n    assert xs == [3, 1, 2]\n",
    canonical_solution="    return sorted(pair[0])\n",
)
IN_PLACE = Task(
    task_id="hostile/in_place",
    prompt=('def in_place(xs: list, pair: tuple, deep: list) -> None:\n'
            '    """Make xs\'s numbers floats, append 1 to pair[0] and 2 to pair[1][0]; leave deep alone."""\n'),
    entry_point="in_place",
    test=("def check(candidate):\n    xs, inner, innermost = [1, 2], [0], [0]\n    deep = [7]\n"
          "    for _ in range(97):\n        deep = [deep]\n"
          "    assert candidate(xs, (inner, (innermost,)), deep) is None\n"
          "    assert [type(x) for x in xs] == [float, float] and xs == [1.0, 2.0]\n"
          "    assert inner == [0, 1] and innermost == [0, 2]\n"),
    canonical_solution=("    for i, x in enumerate(xs):\n        xs[i] = float(x)\n"
                        "    pair[0].append(1)\n    pair[1][0].append(2)\n"),
)
# A set whose members are distinct only through a subclass's own __eq__ (red team).
DISTINCT = Task(
    task_id="hostile/distinct",
    prompt='def distinct(xs: list[int]) -> set[int]:\n    """The set of xs\'s values."""\n',
    entry_point="distinct",
    test="def check(candidate):\n    assert candidate([1, 1]) == {1}\n",
    canonical_solution="    return set(xs)\n",
)

# Exceptions as the tests see them, and arguments written back (a second red team on them).
POSITIVE = Task(
    task_id="hostile/positive",
    prompt='def positive(n: int) -> int:\n    """Return n if n > 0; raise ValueError otherwise.\n    >>> positive(3)\n    3\n    """\n',
    entry_point='positive',
    test="def check(candidate):\n    assert candidate(3) == 3\n    assert candidate(7) == 7\n    try:\n        candidate(-1)\n    except ValueError:\n        pass\n    else:\n        assert False, 'no ValueError'\n",
    canonical_solution="    if n > 0:\n        return n\n    raise ValueError('not positive')\n",
)
PARSE_AGE = Task(
    task_id="hostile/parse_age",
    prompt='def parse_age(s: str) -> int:\n    """Return int(s) for a string of digits; otherwise raise ValueError(\'invalid age\').\n    >>> parse_age(\'42\')\n    42\n    """\n',
    entry_point='parse_age',
    test="def check(candidate):\n    assert candidate('42') == 42\n    try:\n        candidate('x1')\n    except ValueError as e:\n        assert str(e) == 'invalid age', str(e)\n    else:\n        assert False\n",
    canonical_solution="    if not s.isdigit():\n        raise ValueError('invalid age')\n    return int(s)\n",
)
NEED_FILE = Task(
    task_id="hostile/need_file",
    prompt='def need_file(name: str) -> int:\n    """Return len(name) for a name ending in .txt; for any other name raise FileNotFoundError.\n    >>> need_file(\'a.txt\')\n    5\n    """\n',
    entry_point='need_file',
    test="def check(candidate):\n    assert candidate('a.txt') == 5\n    try:\n        candidate('a.csv')\n    except FileNotFoundError:\n        pass\n    else:\n        assert False\n",
    canonical_solution="    if not name.endswith('.txt'):\n        raise FileNotFoundError(2, 'No such file', name)\n    return len(name)\n",
)
SORT_TAGGED = Task(
    task_id="hostile/sort_tagged",
    prompt='def sort_tagged(items: list) -> None:\n    """items holds (tag, values) pairs; sort it in place by values."""\n',
    entry_point='sort_tagged',
    test="def check(candidate):\n    items = [('k', [3]), ('k', [1]), ('k', [2])]\n    expected = sorted(items, key=lambda p: p[1])\n    candidate(items)\n    assert items == expected, (items, expected)\n",
    canonical_solution='    items.sort(key=lambda p: p[1])\n',
)
SORT_KEYS = Task(
    task_id="hostile/sort_keys",
    prompt='def sort_keys(d: dict) -> None:\n    """Reorder d in place so that its keys come in ascending order."""\n',
    entry_point='sort_keys',
    test="def check(candidate):\n    d = {'c': 1, 'a': 3, 'b': 2}\n    candidate(d)\n    assert list(d) == ['a', 'b', 'c'], d\n",
    canonical_solution='    items = sorted(d.items())\n    d.clear()\n    d.update(items)\n',
)
DROP_NEGATIVES = Task(
    task_id="hostile/drop_negatives",
    prompt='def drop_negatives(d: dict) -> None:\n    """Remove, in place, the keys of d whose values are negative; the other keys keep their order."""\n',
    entry_point='drop_negatives',
    test="def check(candidate):\n    d = {'c': 1, 'a': -1, 'b': 2}\n    candidate(d)\n    assert list(d.items()) == [('c', 1), ('b', 2)], d\n",
    canonical_solution='    for k in [k for k, v in d.items() if v < 0]:\n        del d[k]\n',
)
CHECKED_SORT = Task(
    task_id="hostile/checked_sort",
    prompt='def checked_sort(xs: list) -> None:\n    """Sort xs in place. If xs holds a negative number, raise ValueError and leave xs untouched."""\n',
    entry_point='checked_sort',
    test='def check(candidate):\n    ys = [2, 1]\n    candidate(ys)\n    assert ys == [1, 2]\n    xs = [3, -1, 2]\n    try:\n        candidate(xs)\n    except ValueError:\n        pass\n    else:\n        assert False\n    assert xs == [3, -1, 2], xs\n',
    canonical_solution="    if any(x < 0 for x in xs):\n        raise ValueError('negative')\n    xs.sort()\n",
)
DRAIN = Task(
    task_id="hostile/drain",
    prompt='def drain(stack: list) -> int:\n    """Pop items off stack until an item is 0, and return how many were popped before it (the 0 is popped too). If no 0 is found, raise LookupError once the stack is empty."""\n',
    entry_point='drain',
    test='def check(candidate):\n    s = [0, 5, 6]\n    assert candidate(s) == 2 and s == []\n    s = [1, 2]\n    try:\n        candidate(s)\n    except LookupError:\n        pass\n    assert s == [], s\n',
    canonical_solution="    n = 0\n    while stack:\n        if stack.pop() == 0:\n            return n\n        n += 1\n    raise LookupError('no zero')\n",
)
DOUBLE_UP = Task(
    task_id="hostile/double_up",
    prompt='def double_up(x: list) -> None:\n    """Extend x, in place, with a copy of its own items."""\n',
    entry_point='double_up',
    test='def check(candidate):\n    x = [1, 2]\n    candidate(x)\n    candidate(x)\n    assert x == [1, 2] * 4, x\n',
    canonical_solution='    x.extend(list(x))\n',
)
COUNT_KEYWORDS = Task(
    task_id="hostile/count_keywords",
    prompt='def count_words(words: list) -> int:\n    """Return how many words there are in the list words."""\n',
    entry_point='count_words',
    test="import keyword\n\ndef check(candidate):\n    assert candidate(['a', 'b']) == 2\n    assert candidate(keyword.kwlist) == 35, len(keyword.kwlist)\n",
    canonical_solution='    return len(words)\n',
)

# A third red team: which object is which after a call, exceptions of the standard library.
COMMIT = Task(
    task_id="hostile/commit",
    prompt='def commit(versions: list, word: str) -> None:\n    """versions is a list of word lists; the last one is the live document, which the editor\n    holds. Save a copy of the live document just before it, then append word to the live\n    document itself (in place)."""\n',
    entry_point='commit',
    test="def check(candidate):\n    doc = ['a']\n    versions = [doc]\n    candidate(versions, 'b')\n    assert versions == [['a'], ['a', 'b']], versions\n    assert doc == ['a', 'b'], doc\n",
    canonical_solution='    versions.insert(len(versions) - 1, list(versions[-1]))\n    versions[-1].append(word)\n',
)
BRANCH = Task(
    task_id="hostile/branch",
    prompt='def branch(versions: list, word: str) -> None:\n    """versions is a list of word lists. Append a new version: the last one followed by word.\n    Existing versions must not be changed."""\n',
    entry_point='branch',
    test="def check(candidate):\n    doc = ['a']\n    versions = [doc]\n    candidate(versions, 'b')\n    assert versions == [['a'], ['a', 'b']], versions\n    assert doc == ['a'], doc\n",
    canonical_solution='    versions.append(versions[-1] + [word])\n',
)
SORT_AND_MARK = Task(
    task_id="hostile/sort_and_mark",
    prompt='def sort_and_mark(rows: list) -> None:\n    """Sort the list rows (lists of ints) in place, then append -1 to the row that is now first."""\n',
    entry_point='sort_and_mark',
    test='def check(candidate):\n    r1, r2 = [2], [1]\n    rows = [r1, r2]\n    candidate(rows)\n    assert rows == [[1, -1], [2]], rows\n    assert r2 == [1, -1], (r1, r2)\n',
    canonical_solution='    rows.sort()\n    rows[0].append(-1)\n',
)
TOTAL_WORDS = Task(
    task_id="hostile/total_words",
    prompt='def total_words(groups: list) -> int:\n    """Return the total number of words in the lists held by groups."""\n',
    entry_point='total_words',
    test='import keyword\n\ndef check(candidate):\n    groups = [keyword.kwlist]\n    assert candidate(groups) == 35, keyword.kwlist\n    assert candidate(groups) == 35, keyword.kwlist\n',
    canonical_solution='    return sum(len(g) for g in groups)\n',
)
LOAD_JSON = Task(
    task_id="hostile/load",
    prompt='import json\n\ndef load(s: str) -> object:\n    """Return json.loads(s); invalid JSON raises json.JSONDecodeError."""\n',
    entry_point='load',
    test="import json\n\ndef check(candidate):\n    assert candidate('[1]') == [1]\n    try:\n        candidate('{')\n    except json.JSONDecodeError as e:\n        pass\n    else:\n        assert False\n",
    canonical_solution='    return json.loads(s)\n',
)
ALTERNATE = Task(
    task_id="hostile/alternate",
    prompt='def alternate(bits: list) -> None:\n    """Rearrange the 0s and 1s of bits in place (there are as many of each) so that no two\n    neighbours are equal; either 0101... or 1010... will do."""\n',
    entry_point='alternate',
    test='def check(candidate):\n    bits = [1, 0] * 200000\n    candidate(bits)\n    assert len(bits) == 400000 and sum(bits) == 200000\n    assert all(bits[i] != bits[i + 1] for i in range(len(bits) - 1))\n',
    canonical_solution='    n = len(bits) // 2\n    first = bits[0] if bits else 0\n    bits[:] = [first, 1 - first] * n\n',
)

# A fourth red team: NaN members, deep rebuilds, a patched json module, a hash-heavy shared tuple.
MOVE_ZEROS = Task(
    task_id="hostile/move_zeros",
    prompt='def move_zeros(xs: list) -> None:\n    """Move every 0 of xs to its end, in place, keeping the order of the rest."""\n',
    entry_point='move_zeros',
    test="def check(candidate):\n    nan = float('nan')\n    xs = [0, nan, 1]\n    candidate(xs)\n    assert xs == [nan, 1, 0], xs\n",
    canonical_solution='    rest = [x for x in xs if not (x == 0)]\n    xs[:] = rest + [0] * (len(xs) - len(rest))\n',
)
BUMP = Task(
    task_id="hostile/bump",
    prompt='def bump(d: dict) -> None:\n    """Add 1 to every value of d, in place."""\n',
    entry_point='bump',
    test="def check(candidate):\n    nan = float('nan')\n    d = {nan: 1, 'a': 2}\n    candidate(d)\n    assert d[nan] == 2 and d['a'] == 3, d\n",
    canonical_solution='    for k in d:\n        d[k] += 1\n',
)
APPEND_ONE = Task(
    task_id="hostile/append_one",
    prompt='def append_one(xs: list) -> None:\n    """Append 1 to xs, in place."""\n',
    entry_point='append_one',
    test="def check(candidate):\n    nan = float('nan')\n    xs = [nan]\n    candidate(xs)\n    assert nan in xs, xs\n",
    canonical_solution='    xs.append(1)\n',
)
STRIP_ZEROS = Task(
    task_id="hostile/strip_zeros",
    prompt='def strip_zeros(x: list) -> None:\n    """Remove every 0 from x and from every list inside x, at any depth, in place."""\n',
    entry_point='strip_zeros',
    test='def check(candidate):\n    a = [0, 1, [0, 2]]\n    candidate(a)\n    assert a == [1, [2]]\n    v = [0, 7]\n    for _ in range(94):\n        v = [0, v]\n    w = [7]\n    for _ in range(94):\n        w = [w]\n    candidate(v)\n    assert v == w\n',
    canonical_solution='    x[:] = [y for y in x if not (type(y) is int and y == 0)]\n    for y in x:\n        if isinstance(y, list):\n            strip_zeros(y)\n',
)
AGE_RANGE = Task(
    task_id="hostile/age_range",
    prompt='def parse_age(s: str) -> int:\n    """Return s as an int age; raise ValueError if s is not a number from 0 to 150."""\n',
    entry_point='parse_age',
    test="def check(candidate):\n    assert candidate('42') == 42\n    for bad in ['x', '200', '-1']:\n        try:\n            candidate(bad)\n        except ValueError:\n            pass\n        else:\n            assert False, bad\n",
    canonical_solution='    n = int(s)\n    if not 0 <= n <= 150:\n        raise ValueError(s)\n    return n\n',
)
ADD_EVENS = Task(
    task_id="hostile/add_evens",
    prompt='def add_evens(s: set, xs: list) -> None:\n    """Add the even numbers of xs to the set s, in place."""\n',
    entry_point='add_evens',
    test='def check(candidate):\n    s = {0}\n    candidate(s, [1, 2, 3, 4])\n    assert s == {0, 2, 4}\n',
    canonical_solution='    s.update(x for x in xs if x % 2 == 0)\n',
)

# A fifth red team: what a call makes shares what it shares, NaNs moved, OSError's stdlib classes.
ADD_ROWS = Task(
    task_id="hostile/add_rows",
    prompt='def add_rows(grid: list, n: int, m: int) -> None:\n    """Append n new rows to grid, each its own list of m zeros."""\n',
    entry_point='add_rows',
    test='def check(candidate):\n    g = [[5]]\n    candidate(g, 2, 3)\n    assert g == [[5], [0, 0, 0], [0, 0, 0]], g\n    g[1][0] = 1\n    assert g == [[5], [1, 0, 0], [0, 0, 0]], g\n',
    canonical_solution='    grid.extend([0] * m for _ in range(n))\n',
)
SHARE = Task(
    task_id="hostile/share",
    prompt='def share(d: dict) -> None:\n    """Set d["a"] and d["b"] to one and the same new empty list."""\n',
    entry_point='share',
    test="def check(candidate):\n    d = {}\n    candidate(d)\n    d['a'].append(1)\n    assert d['b'] == [1], d\n",
    canonical_solution="    d['a'] = d['b'] = []\n",
)
ADD_LOOP = Task(
    task_id="hostile/add_loop",
    prompt='def add_loop(xs: list) -> None:\n    """Append to xs a new list whose only member is itself."""\n',
    entry_point='add_loop',
    test='def check(candidate):\n    xs = []\n    candidate(xs)\n    assert len(xs) == 1 and xs[0][0] is xs[0]\n',
    canonical_solution='    node = []\n    node.append(node)\n    xs.append(node)\n',
)
TO_DEC = Task(
    task_id="hostile/to_dec",
    prompt='import decimal\n\ndef to_dec(s: str) -> float:\n    """Return s as a float (read as a Decimal); raise decimal.DecimalException if s is not a number."""\n',
    entry_point='to_dec',
    test="import decimal\n\ndef check(candidate):\n    assert candidate('1.5') == 1.5\n    for bad in ['x', '1..2']:\n        try:\n            candidate(bad)\n        except decimal.DecimalException:\n            pass\n        else:\n            assert False, bad\n",
    canonical_solution='    ctx = decimal.Context(traps=[decimal.InvalidOperation])\n    return float(ctx.create_decimal(s))\n',
)
MOVE_ALL = Task(
    task_id="hostile/move_all",
    prompt='def move_all(src: list, dst: list) -> None:\n    """Move every member of src to the end of dst, in place, leaving src empty."""\n',
    entry_point='move_all',
    test="def check(candidate):\n    nan = float('nan')\n    a, b = [nan, 1], [0]\n    candidate(a, b)\n    assert a == [] and b == [0, nan, 1], (a, b)\n",
    canonical_solution='    dst.extend(src)\n    src.clear()\n',
)
SET_KEEPS = Task(
    task_id="hostile/set_keeps",
    prompt='def add_one(s: set) -> None:\n    """Add 1 to the set s, in place."""\n',
    entry_point='add_one',
    test="def check(candidate):\n    nan = float('nan')\n    s = {nan}\n    candidate(s)\n    assert nan in s and 1 in s, s\n",
    canonical_solution='    s.add(1)\n',
)
UNZIP = Task(
    task_id="hostile/unzip",
    prompt='import gzip\n\ndef unzip(data: bytes) -> bytes:\n    """Decompress gzip data; raise gzip.BadGzipFile if it is not gzip."""\n',
    entry_point='unzip',
    test="import gzip\n\ndef check(candidate):\n    assert candidate(gzip.compress(b'hi')) == b'hi'\n    try:\n        candidate(b'not gzip at all')\n    except gzip.BadGzipFile:\n        pass\n    else:\n        assert False\n",
    canonical_solution='    return gzip.decompress(data)\n',
)
ADD_SUM = Task(
    task_id="hostile/add_sum",
    prompt='def add_sum(s: set, t: tuple) -> None:\n    """Add sum(t) to the set s, in place."""\n',
    entry_point='add_sum',
    test='def check(candidate):\n    t = tuple(range(20000))\n    s = set()\n    candidate(s, t)\n    assert sum(t) in s, len(s)\n',
    canonical_solution='    s.add(sum(t))\n',
)

# A sixth red team: large honest values that share a part, and a shared tuple written into a list.
COUNT_KEYS = Task(
    task_id="hostile/count_keys",
    prompt='def count_keys(d: dict) -> int:\n    """Number of keys of d."""\n',
    entry_point='count_keys',
    test='def check(candidate):\n    row = tuple(range(1000))\n    d = {(row, i): i for i in range(5000)}\n    assert candidate(d) == 5000\n',
    canonical_solution='    return len(d)\n',
)
TAG_ALL = Task(
    task_id="hostile/tag_all",
    prompt='def tag_all(row: tuple, out: set, n: int) -> None:\n    """Add (row, i) to out for i in range(n), in place."""\n',
    entry_point='tag_all',
    test='def check(candidate):\n    row = tuple(range(1000))\n    out = set()\n    candidate(row, out, 5000)\n    assert out == {(row, i) for i in range(5000)}\n',
    canonical_solution='    for i in range(n):\n        out.add((row, i))\n',
)
FILL = Task(
    task_id="hostile/fill",
    prompt='def fill(out: list) -> None:\n    """Append 1, 2, 3 to out, in place."""\n',
    entry_point='fill',
    test='def check(candidate):\n    out = []\n    candidate(out)\n    assert set(out) == {1, 2, 3}\n',
    canonical_solution='    out.extend([1, 2, 3])\n',
)

# Frames a candidate writes to the channel while its module loads, before any call: the
# answers DOUBLE's tests expect, then the process leaves (or stays with a wrong function).
_FORGE = (
    "import json, os, struct\n"
    "def _frame(m):\n    d = json.dumps(m).encode()\n    return struct.pack('>I', len(d)) + d\n"
    "os.write(3, b''.join(_frame(m) for m in ({'ok': 1}, {'r': 4}, {'r': -6}, {'r': 0})))\n"
)

# A seventh red team's find, closed: what a candidate keeps from one call to the next is
# the tests' object, as in plain Python (verifiers/runtime/shared_state.py).
TRACK = Task(
    task_id="hostile/track",
    prompt='def track(item: int, history: list | None = None) -> int:\n    """Record item. A call that passes history starts recording into that very list; a\n    later call without it appends to the list the last such call passed. Return how many\n    items that list holds."""\n',
    entry_point='track',
    test="def check(candidate):\n    h = []\n    assert candidate(1, h) == 1\n    assert candidate(2) == 2\n    assert h == [1, 2], h\n"
         "    h.append(9)\n    assert candidate(3) == 4\n    assert h == [1, 2, 9, 3], h\n",
    canonical_solution='    global _log\n    if history is not None:\n        _log = history\n    _log.append(item)\n    return len(_log)\n',
)
MEAN_OF = Task(
    task_id="hostile/mean_of",
    prompt='def mean_of(xs: list) -> float:\n    """Return the mean of the numbers in xs, leaving xs as it is."""\n',
    entry_point='mean_of',
    test="def check(candidate):\n    a = [3, 1, 2]\n    assert candidate(a) == 2\n    assert candidate([5]) == 5\n    assert a == [3, 1, 2], a\n",
    canonical_solution='    return sum(xs) / len(xs)\n',
)
SAME_LIST = Task(
    task_id="hostile/same_list",
    prompt='def same_list(xs: list) -> list:\n    """Return xs itself (not a copy)."""\n',
    entry_point='same_list',
    test="def check(candidate):\n    a = [1]\n    assert candidate(a) is a\n",
    canonical_solution='    return xs\n',
)

CONTROLS: list[tuple[Task, str, str]] = [
    (DOUBLE, "control_correct", "def double(x):\n    return 2 * x\n"),
    (DOUBLE, "control_slow", "import time\ndef double(x):\n    time.sleep(0.33)\n    return 2 * x\n"),
    (DOUBLE, "control_helper_and_state", "import math\nK = 2\ndef double(x):\n    return int(math.copysign(abs(x) * K, x)) if x else 0\n"),
    (RAISES, "control_raises_valueerror", "def parse(s):\n    return int(s)\n"),
    (SORTED_COPY, "control_sorted_copy", "def sorted_copy(xs):\n    return sorted(xs)\n"),
    (PUSH, "control_push_mutates_its_arguments", "def push(stack, x):\n    stack[0].append(x)\n    stack.append([x])\n"),
    (SORTED_FIRST, "control_sorted_first", "def sorted_first(pair):\n    return sorted(pair[0])\n"),
    (IN_PLACE, "control_in_place_floats_tuples_and_depth",
     "def in_place(xs, pair, deep):\n    for i, x in enumerate(xs):\n        xs[i] = float(x)\n"
     "    pair[0].append(1)\n    pair[1][0].append(2)\n"),
    (RAISES, "control_raises_a_valueerror_subclass", "import json\ndef parse(s):\n    return json.loads(s)\n"),
    (PARSE_AGE, "control_own_class_with_its_own_str",
     "class AgeError(ValueError):\n    def __str__(self):\n        return 'invalid age'\n"
     "def parse_age(s):\n    if not s.isdigit():\n        raise AgeError()\n    return int(s)\n"),
    (NEED_FILE, "control_file_not_found_with_errno",
     "def need_file(name):\n    if not name.endswith('.txt'):\n        raise FileNotFoundError(2, 'No such file', name)\n"
     "    return len(name)\n"),
    (SORT_TAGGED, "control_sort_moves_members", "def sort_tagged(items):\n    items.sort(key=lambda p: p[1])\n"),
    (SORT_KEYS, "control_reorders_keys", "def sort_keys(d):\n    items = sorted(d.items())\n    d.clear()\n    d.update(items)\n"),
    (DRAIN, "control_changes_then_raises",
     "def drain(stack):\n    n = 0\n    while stack:\n        if stack.pop() == 0:\n            return n\n        n += 1\n"
     "    raise LookupError('no zero')\n"),
    (DOUBLE_UP, "control_extends_itself", "def double_up(x):\n    x.extend(list(x))\n"),
    (COMMIT, "control_copies_then_changes_the_live_one",
     "def commit(versions, word):\n    versions.insert(len(versions) - 1, list(versions[-1]))\n    versions[-1].append(word)\n"),
    (SORT_AND_MARK, "control_sorts_then_changes_a_moved_member",
     "def sort_and_mark(rows):\n    rows.sort()\n    rows[0].append(-1)\n"),
    (LOAD_JSON, "control_raises_a_standard_library_class", "import json\ndef load(s):\n    return json.loads(s)\n"),
    (ALTERNATE, "control_rewrites_a_large_argument", "def alternate(bits):\n    bits[:] = [0, 1] * (len(bits) // 2)\n"),
    (MOVE_ZEROS, "control_keeps_the_tests_nan",
     "def move_zeros(xs):\n    rest = [x for x in xs if not (x == 0)]\n    xs[:] = rest + [0] * (len(xs) - len(rest))\n"),
    (BUMP, "control_keeps_a_nan_key", "def bump(d):\n    for k in d:\n        d[k] += 1\n"),
    (APPEND_ONE, "control_appends_beside_a_nan", "def append_one(xs):\n    xs.append(1)\n"),
    (ADD_ROWS, "control_rows_of_their_own", "def add_rows(grid, n, m):\n    grid.extend([0] * m for _ in range(n))\n"),
    (SHARE, "control_one_new_list_twice", "def share(d):\n    d['a'] = d['b'] = []\n"),
    (ADD_LOOP, "control_a_new_list_holding_itself",
     "def add_loop(xs):\n    node = []\n    node.append(node)\n    xs.append(node)\n"),
    (MOVE_ALL, "control_moves_the_tests_nan", "def move_all(src, dst):\n    dst.extend(src)\n    src.clear()\n"),
    (SET_KEEPS, "control_keeps_a_sets_nan", "def add_one(s):\n    s.add(1)\n"),
    (UNZIP, "control_raises_an_oserror_of_the_standard_library",
     "import gzip\ndef unzip(data):\n    return gzip.decompress(data)\n"),
    (COUNT_KEYS, "control_keys_sharing_one_large_tuple", 'def count_keys(d: dict) -> int:\n    """Number of keys of d."""\n    return len(d)\n'),
    (TAG_ALL, "control_adds_members_sharing_the_tests_tuple", 'def tag_all(row: tuple, out: set, n: int) -> None:\n    """Add (row, i) to out for i in range(n), in place."""\n    for i in range(n):\n        out.add((row, i))\n'),
    (STRIP_ZEROS, "control_rebuilds_a_deep_argument",
     "def strip_zeros(x):\n    def clean(v):\n        return [clean(y) if isinstance(y, list) else y for y in v if not (type(y) is int and y == 0)]\n"
     "    x[:] = clean(x)\n"),
    (TRACK, "control_keeps_the_tests_list_across_calls",
     "def track(item, history=None):\n    global _log\n    if history is not None:\n        _log = history\n"
     "    _log.append(item)\n    return len(_log)\n"),
    (TRACK, "control_keeps_it_in_a_default_argument",
     "def track(item, history=None, _state={}):\n    if history is not None:\n        _state['log'] = history\n"
     "    _state['log'].append(item)\n    return len(_state['log'])\n"),
    (MEAN_OF, "control_keeps_the_argument_and_never_changes_it",
     "seen = []\ndef mean_of(xs):\n    seen.append(xs)\n    return sum(xs) / len(xs)\n"),
    (SAME_LIST, "control_returns_its_argument_itself", "def same_list(xs):\n    return xs\n"),
]

# (task, candidate_id, source): every one must end not-passed.
HOSTILE: list[tuple[Task, str, str]] = [
    # -- infinite loops, signals ignored, clocks monkeypatched
    (DOUBLE, "spin_ignore_signals",
     "import signal, time\n"
     "for s in range(1, 65):\n"
     "    try: signal.signal(s, signal.SIG_IGN)\n"
     "    except Exception: pass\n"
     "time.time = lambda: 0.0\ntime.monotonic = lambda: 0.0\ntime.perf_counter = lambda: 0.0\n"
     "def double(x):\n    while True:\n        pass\n"),
    (DOUBLE, "spin_at_load", "while True:\n    pass\n"),
    (DOUBLE, "sleep_forever", "import time\ndef double(x):\n    time.sleep(10**6)\n"),
    (DOUBLE, "busy_in_except",
     "def double(x):\n    while True:\n        try:\n            while True: pass\n        except BaseException:\n            pass\n"),
    # -- stdin
    (DOUBLE, "read_stdin", "import sys\ndef double(x):\n    data = sys.stdin.read()\n    return int(data or '0') + 1\n"),
    (DOUBLE, "input_call", "def double(x):\n    return int(input()) * 2\n"),
    # -- fork bombs and daemons
    (DOUBLE, "fork_bomb",
     "import os\ndef double(x):\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n"),
    (DOUBLE, "setsid_daemon",
     "import os, time\n"
     "def double(x):\n"
     "    if os.fork() == 0:\n"
     "        os.setsid()\n"
     "        if os.fork() == 0:\n"
     "            time.sleep(3)\n"
     "            try: open('/tmp/bestofn_hostile_daemon', 'w').write('alive')\n"
     "            except Exception: pass\n"
     "            time.sleep(600)\n"
     "        os._exit(0)\n"
     "    return 2 * x + 1\n"),
    # -- memory
    (DOUBLE, "alloc_8g", "def double(x):\n    a = bytearray(8 * 1024 ** 3)\n    return 2 * x\n"),
    (DOUBLE, "grow_list", "def double(x):\n    a = []\n    while True:\n        a.append(' ' * 10**6)\n"),
    (DOUBLE, "memory_at_load", "BIG = bytearray(8 * 1024 ** 3)\ndef double(x):\n    return 2 * x\n"),
    # -- output floods
    (DOUBLE, "flood_stdout_stderr",
     "import sys, os\ndef double(x):\n    sys.stdout.write('x' * (50 * 1024 * 1024))\n"
     "    os.write(2, b'y' * (10 * 1024 * 1024))\n    return 2 * x + 1\n"),
    (DOUBLE, "flood_file", "def double(x):\n    f = open('flood.bin', 'wb')\n    while True:\n        f.write(b'z' * 2**20)\n"),
    # -- recursion crashes
    (DOUBLE, "deep_recursion_segv",
     "import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1) + 1\ndef double(x):\n    return f(0)\n"),
    (DOUBLE, "recursion_error", "def double(x):\n    return double(x)\n"),
    # -- thread storms
    (DOUBLE, "thread_storm",
     "import threading, time\ndef double(x):\n    ts = []\n    while True:\n"
     "        try:\n            t = threading.Thread(target=time.sleep, args=(600,)); t.start(); ts.append(t)\n"
     "        except Exception:\n            return 2 * x + 1\n"),
    # -- exits
    (DOUBLE, "os_exit_at_load", "import os\nos._exit(0)\n"),
    (DOUBLE, "os_exit_in_call", "import os\ndef double(x):\n    os._exit(0)\n"),
    (DOUBLE, "sys_exit_in_call", "import sys\ndef double(x):\n    sys.exit(0)\n"),
    (DOUBLE, "sys_exit_at_load", "import sys\nsys.exit(0)\n"),
    (DOUBLE, "atexit_trick",
     "import atexit, os, sys\natexit.register(lambda: print('PASSED: all tests passed'))\n"
     "def double(x):\n    sys.exit(0)\n"),
    # -- fake "passed" output
    (DOUBLE, "print_passed",
     "import sys\ndef double(x):\n    print('PASSED'); print('{\"passed\": true}')\n"
     "    sys.stderr.write('all tests passed\\n')\n    return 0\n"),
    (DOUBLE, "forge_frames_on_fds",
     "import os, struct, json\n"
     "def double(x):\n"
     "    for msg in ({'passed': True, 'detail': ''}, {'r': 4}, {'ok': 1}):\n"
     "        data = json.dumps(msg).encode()\n"
     "        for fd in range(0, 64):\n"
     "            try: os.write(fd, struct.pack('>I', len(data)) + data)\n"
     "            except OSError: pass\n"
     "    return 2 * x + 1\n"),
    # -- forging through frames / gc
    (DOUBLE, "frame_walk",
     "import sys\ndef double(x):\n    f = sys._getframe(0)\n    while f:\n"
     "        for k, v in list(f.f_locals.items()):\n"
     "            if isinstance(v, dict): v['passed'] = True\n"
     "        f = f.f_back\n    return 2 * x + 1\n"),
    (DOUBLE, "gc_forge",
     "import gc\ndef double(x):\n    for o in gc.get_objects():\n"
     "        if isinstance(o, dict) and 'passed' in o: o['passed'] = True\n"
     "        if callable(o) and getattr(o, '__name__', '') == 'check': o.__code__ = (lambda c: None).__code__\n"
     "    return 2 * x + 1\n"),
    # -- always-equal objects and lying subclasses
    (DOUBLE, "always_equal", "class T:\n    def __eq__(self, o): return True\n    def __ne__(self, o): return False\ndef double(x):\n    return T()\n"),
    (DOUBLE, "lying_int", "class L(int):\n    def __eq__(self, o): return True\n    __hash__ = int.__hash__\ndef double(x):\n    return L(0)\n"),
    (DOUBLE, "lying_str", "class S(str):\n    def __eq__(self, o): return True\n    __hash__ = str.__hash__\ndef double(x):\n    return S('')\n"),
    (DOUBLE, "lying_list_element", "class L(int):\n    def __eq__(self, o): return True\n    __hash__ = int.__hash__\ndef double(x):\n    return [L(0)]\n"),
    (DOUBLE, "bool_for_int", "def double(x):\n    return True\n"),
    # -- reading the answer key
    (SECRET, "secret_from_disk",
     "import glob, re\ndef secret_table(k):\n"
     "    for p in glob.glob('/**/*', recursive=True):\n"
     "        try: t = open(p, errors='ignore').read(200000)\n"
     "        except Exception: continue\n"
     "        m = re.search(r\"'\" + k + r\"'\\)\\s*==\\s*(\\d+)\", t)\n"
     "        if m: return int(m.group(1))\n"
     "    return -1\n"),
    (SECRET, "secret_from_proc",
     "import os, re\ndef secret_table(k):\n"
     "    for pid in os.listdir('/proc'):\n"
     "        for name in ('environ', 'cmdline', 'mem', 'maps'):\n"
     "            try: t = open(f'/proc/{pid}/{name}', 'rb').read(1 << 20).decode('latin-1')\n"
     "            except Exception: continue\n"
     "            m = re.search(r\"'\" + k + r\"'\\)\\s*==\\s*(\\d+)\", t)\n"
     "            if m: return int(m.group(1))\n"
     "    return -1\n"),
    (SECRET, "secret_from_frames_gc",
     "import gc, sys, re\ndef secret_table(k):\n"
     "    f = sys._getframe(0)\n    while f:\n"
     "        if 'check' in f.f_globals: return 0\n        f = f.f_back\n"
     "    for o in gc.get_objects():\n"
     "        if isinstance(o, str):\n"
     "            m = re.search(r\"'\" + k + r\"'\\)\\s*==\\s*(\\d+)\", o)\n"
     "            if m: return int(m.group(1))\n"
     "    return -1\n"),
    # -- killing the parent
    (DOUBLE, "kill_parent_os", "import os, signal\ndef double(x):\n    os.kill(os.getppid(), signal.SIGKILL)\n    return 2 * x + 1\n"),
    (DOUBLE, "kill_everything",
     "import os, signal, posix\ndef double(x):\n"
     "    for pid in range(1, 5000):\n"
     "        for sig in (signal.SIGKILL, signal.SIGTERM):\n"
     "            try: posix.kill(pid, sig)\n            except Exception: pass\n"
     "    try: os.kill(-1, signal.SIGKILL)\n    except Exception: pass\n"
     "    return 2 * x + 1\n"),
    (DOUBLE, "kill_ctypes",
     "import ctypes\ndef double(x):\n    libc = ctypes.CDLL(None)\n"
     "    for pid in (1, 2, 3, 4, 5, 0, -1):\n        libc.kill(pid, 9)\n    return 2 * x + 1\n"),
    # -- writing outside
    (DOUBLE, "write_outside",
     "import os\ndef double(x):\n"
     "    for p in ('/tmp/bestofn_hostile_written', os.path.expanduser('~/bestofn_hostile_home'),\n"
     "              '/root/bestofn_hostile_root', '/work/main/bestofn_hostile_project.py',\n"
     "              '/work/main/tasks/types.py', '/work/main/verifiers/types.py', '/dev/shm/bestofn_hostile_shm'):\n"
     "        try:\n            with open(p, 'a') as f: f.write('pwned')\n        except Exception: pass\n"
     "    return 2 * x + 1\n"),
    (DOUBLE, "setuid_root", "import os\ndef double(x):\n    os.setuid(0)\n    return 2 * x\n"),
    # -- reading secrets
    (DOUBLE, "read_environ", "import os\ndef double(x):\n    raise RuntimeError(repr(dict(os.environ)))\n"),
    (DOUBLE, "read_proc_environ",
     "import os\ndef double(x):\n    out = []\n    for pid in os.listdir('/proc'):\n"
     "        try: out.append(open(f'/proc/{pid}/environ', 'rb').read().decode('latin-1'))\n"
     "        except Exception as e: out.append(type(e).__name__)\n"
     "    raise ValueError('|'.join(out))\n"),
    # -- network
    (DOUBLE, "connect_localhost",
     "import socket\ndef double(x):\n    s = socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
     "    s.sendall(b'hello')\n    return 2 * x + 1\n"),
    # -- __reduce__ and unserialisable payloads
    (DOUBLE, "reduce_payload",
     "import os\nclass P:\n    def __reduce__(self):\n        return (os.system, ('touch /tmp/bestofn_hostile_reduce',))\n"
     "def double(x):\n    return P()\n"),
    (DOUBLE, "return_function", "def double(x):\n    return double\n"),
    # -- exceptions whose __str__ never returns
    (DOUBLE, "str_never_returns",
     "class E(Exception):\n    def __str__(self):\n        while True: pass\ndef double(x):\n    raise E()\n"),
    (DOUBLE, "str_raises", "class E(ValueError):\n    def __str__(self):\n        raise E()\ndef double(x):\n    raise E()\n"),
    # -- huge return values
    (DOUBLE, "huge_string", "def double(x):\n    return 'x' * (100 * 1024 * 1024)\n"),
    (DOUBLE, "huge_list", "def double(x):\n    return list(range(5 * 10**6))\n"),
    (DOUBLE, "deep_nesting", "def double(x):\n    v = []\n    for _ in range(10000): v = [v]\n    return v\n"),
    (DOUBLE, "huge_int", "def double(x):\n    return 10 ** 100000\n"),
    # -- BaseException and KeyboardInterrupt (the test wraps nothing, but `except Exception` must not hide them)
    (DOUBLE, "keyboard_interrupt", "def double(x):\n    raise KeyboardInterrupt\n"),
    (DOUBLE, "base_exception", "def double(x):\n    raise BaseException('x')\n"),
    (DOUBLE, "generator_exit", "def double(x):\n    raise GeneratorExit\n"),
    (RAISES, "systemexit_where_valueerror_expected", "def parse(s):\n    if s == 'zz': raise SystemExit(0)\n    return int(s)\n"),
    (RAISES, "fake_valueerror_class",
     "class ValueError2(Exception): pass\nValueError2.__name__ = 'ValueErrorX'\n"
     "def parse(s):\n    if s == 'zz': raise ValueError2('x')\n    return int(s)\n"),
    (RAISES, "memoryerror_where_valueerror_expected", "def parse(s):\n    if s == 'zz': raise MemoryError\n    return int(s)\n"),
    # -- forged answers: written to the channel before the call, never in answer to it
    (DOUBLE, "forge_answers_then_exit", _FORGE + "os._exit(0)\n"),
    (DOUBLE, "forge_answers_then_serve_wrong", _FORGE + "def double(x):\n    return x\n"),
    # -- a reply the test side could not decode in time: 150k ints with one hash, as a set, written
    #    straight to the channel in answer to the call (so the candidate's own process never builds it);
    #    the codec now refuses a set or dict with that many equal hashes
    (DOUBLE, "hash_flood_reply",
     "import json, os, struct, sys, time\n"
     "def double(x):\n"
     "    nonce = sys._getframe(1).f_locals['nonce']\n"
     "    p = (1 << 61) - 1\n"
     "    items = [{'i': format(k * p, 'x')} for k in range(1, 150001)]\n"
     "    d = json.dumps({'n': nonce, 'r': {'s': items}}).encode()\n"
     "    os.write(3, struct.pack('>I', len(d)) + d)\n"
     "    time.sleep(100)\n"),
    # -- under that count limit, 700 tuples of 2,000 floats with one hash: building the set compares
    #    each with every earlier one, element by element, in one uninterruptible set() (red team:
    #    8.5 s for 1,000); the codec now bounds those comparisons too
    (DOUBLE, "costly_hash_reply",
     "import json, os, struct, sys, time\n"
     "def double(x):\n"
     "    nonce = sys._getframe(1).f_locals['nonce']\n"
     "    p = (1 << 61) - 1\n"
     "    items = [{'t': [0.0] * 1999 + [{'i': format(1 + k * p, 'x')}]} for k in range(700)]\n"
     "    d = json.dumps({'n': nonce, 'r': {'s': items}}).encode()\n"
     "    os.write(3, struct.pack('>I', len(d)) + d)\n"
     "    time.sleep(100)\n"),
    # -- a candidate too large for the job message
    (DOUBLE, "huge_source", "PAD = '" + "a" * 4_000_000 + "'\ndef double(x):\n    return x\n"),
    # -- StopIteration ends all(map(candidate, ...)) early in the tests (red team)
    (DOUBLE, "stop_iteration", "def double(x):\n    raise StopIteration\n"),
    # -- in-place mutation of an argument the task says to leave alone
    (SORTED_COPY, "sort_argument_in_place", "def sorted_copy(xs):\n    xs.sort()\n    return xs\n"),
    # -- the same, the list inside a tuple argument (red team)
    (SORTED_FIRST, "sort_list_in_tuple_in_place", "def sorted_first(pair):\n    pair[0].sort()\n    return pair[0]\n"),
    # -- a set of 1 and an int subclass's 1: two members, which would arrive as one (red team)
    (DISTINCT, "set_members_equal_once_plain",
     "class I(int):\n    def __eq__(self, o):\n        return type(o) is I and int(self) == int(o)\n"
     "    def __hash__(self):\n        return int.__hash__(self)\n"
     "def distinct(xs):\n    return {1, I(1)}\n"),
    # -- a class of its own named like the builtin the tests catch (red team)
    (RAISES, "own_class_named_valueerror",
     "class ValueError(Exception):\n    pass\ndef parse(s):\n    raise ValueError(s)\n"),
    # -- a metaclass whose __mro__ property lists ValueError for a TypeError subclass (red team)
    (POSITIVE, "mro_property_spoof",
     "class _Meta(type):\n    @property\n    def __mro__(cls):\n        return (ValueError, Exception, BaseException, object)\n"
     "    @property\n    def __name__(cls):\n        return 'ValueError'\n"
     "class Oops(TypeError, metaclass=_Meta):\n    pass\n"
     "def positive(n):\n    if n > 0:\n        return n\n    raise Oops('not positive')\n"),
    # -- a __str__ of its own that the tests read (red team)
    (PARSE_AGE, "own_str_says_otherwise",
     "class AgeError(ValueError):\n    def __str__(self):\n        return 'bad: ' + repr(self.args)\n"
     "def parse_age(s):\n    if not s.isdigit():\n        raise AgeError('invalid age')\n    return int(s)\n"),
    # -- an OSError's args set to an errno afterwards: not a FileNotFoundError (red team)
    (NEED_FILE, "oserror_with_errno_args",
     "def need_file(name):\n    if not name.endswith('.txt'):\n        e = OSError('permission problem')\n"
     "        e.args = (2, 'No such file')\n        raise e\n    return len(name)\n"),
    # -- a dict rebuilt in another order where the test reads the order (red team)
    (DROP_NEGATIVES, "reorders_the_keys",
     "def drop_negatives(d):\n    kept = sorted((k, v) for k, v in d.items() if v >= 0)\n    d.clear()\n    d.update(kept)\n"),
    # -- an argument changed, then an exception (red team)
    (CHECKED_SORT, "sorts_then_raises",
     "def checked_sort(xs):\n    xs.sort()\n    if any(x < 0 for x in xs):\n        raise ValueError('negative')\n"),
    # -- an argument made as deep as the channel carries: the tests must still send it again (red team)
    (DOUBLE_UP, "deepens_its_argument",
     "def double_up(x):\n    d = 0\n    for _ in range(100):\n        d = [d]\n    x.append(d)\n"),
    # -- a member copied, then the original changed, where the task keeps existing members (red team)
    (BRANCH, "changes_the_member_it_copied",
     "def branch(versions, word):\n    versions.insert(len(versions) - 1, list(versions[-1]))\n    versions[-1].append(word)\n"),
    # -- a builtin exception whose message is a str subclass with its own __str__ (red team)
    # -- a LookupError subclass passed off as json.JSONDecodeError, the candidate's json patched (red team)
    (AGE_RANGE, "lookuperror_as_json_decode_error",
     "import json\nclass NotAValueError(LookupError):\n    pass\n"
     "NotAValueError.__module__ = 'json'\nNotAValueError.__qualname__ = 'JSONDecodeError'\n"
     "setattr(json, 'JSONDecodeError', NotAValueError)\n"
     "def parse_age(s):\n    if s.isdigit() and int(s) <= 150:\n        return int(s)\n    raise NotAValueError(s)\n"),
    # -- a tuple of tuples shared 80 levels deep added to a set argument: 2^80 to hash (red team)
    (ADD_EVENS, "shared_tuples_costly_to_hash",
     "def add_evens(s, xs):\n    class T(tuple):\n        def __hash__(self):\n            return 7\n"
     "        def __eq__(self, other):\n            return self is other\n"
     "    t = (0,)\n    for _ in range(80):\n        t = (t, t)\n    s.add(T((t, t)))\n"),
    # -- rows that are one list, where the task wants each its own (red team)
    (ADD_ROWS, "rows_that_are_one_list", "def add_rows(grid, n, m):\n    grid.extend([[0] * m] * n)\n"),
    # -- an ArithmeticError subclass passed off as decimal.InvalidOperation (red team)
    (TO_DEC, "arithmeticerror_as_invalid_operation",
     "import decimal\nclass NotDecimal(ArithmeticError):\n    pass\n"
     "NotDecimal.__module__ = 'decimal'\nNotDecimal.__qualname__ = 'InvalidOperation'\n"
     "setattr(decimal, 'InvalidOperation', NotDecimal)\n"
     "def to_dec(s):\n    try:\n        return float(s)\n    except ValueError:\n        raise NotDecimal(s)\n"),
    # -- the tests' own tuple named 900,000 times in one set member (red team)
    (ADD_SUM, "the_tests_tuple_costly_to_hash",
     "def add_sum(s, t):\n    class T(tuple):\n        def __hash__(self):\n            return 7\n"
     "        def __eq__(self, other):\n            return self is other\n    s.add(T((t,) * 900000))\n"),
    # -- a tuple shared 60 levels deep written into a list the tests then hash: their own
    # set() is stuck (the candidate's timeout, docs/LIMITS.md), never a pass (red team)
    (FILL, "shared_tuple_into_a_list", 'def fill(out: list) -> None:\n    """Append 1, 2, 3 to out, in place."""\n    class T(tuple):\n        def __hash__(self):\n            return 7\n        def __eq__(self, other):\n            return self is other\n    d = (0,)\n    for _ in range(60):\n        d = (d, d)\n    out.extend([1, 2, T((d,))])\n'),
    (PARSE_AGE, "message_with_its_own_str",
     "class Msg(str):\n    def __str__(self):\n        return 'age must be digits'\n"
     "def parse_age(s):\n    if not s.isdigit():\n        raise ValueError(Msg('invalid age'))\n    return int(s)\n"),
    # -- an argument kept in a global and sorted during the next call: the tests' list, sorted
    # (a fourth red team; it passed while each call's arguments were copies of their own)
    (MEAN_OF, "sorts_a_kept_argument_in_a_later_call",
     "def mean_of(xs):\n    global kept\n    if 'kept' in globals():\n        kept.sort()\n    kept = xs\n    return sum(xs) / len(xs)\n"),
    (MEAN_OF, "sorts_a_list_kept_inside_a_tuple",
     "box = []\ndef mean_of(xs):\n    if box:\n        box[0][0].sort()\n    box[:] = [(xs,)]\n    return sum(xs) / len(xs)\n"),
    (TRACK, "records_into_a_copy", "def track(item, history=None):\n    global _log\n    if history is not None:\n"
     "        _log = list(history)\n    _log.append(item)\n    return len(_log)\n"),
    (SAME_LIST, "returns_a_copy", "def same_list(xs):\n    return list(xs)\n"),
]
