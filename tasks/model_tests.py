"""Tests a model wrote for a task that came without any: parsed, never trusted.

A model asked to test a task (``sampler.core.test_writing``) answers with lines like
``assert add(2, 3) == 5``. Each one that calls the entry point with literal
arguments and compares its result with ``==`` to a literal becomes a ``ModelTest``:
an input, and the output the model expects there. They are evidence for agreement
(``verifiers.agreement.dual_pick``), not ground truth: a small model's expected
outputs are often wrong, so a test counts only by how many candidates it agrees with.

Nothing here runs the model's text: arguments and expected values are read with
``ast.literal_eval``, and the only code made from them (``expectation_source``, a
function that answers each test's input with its expected value, so the sandbox
collects the expectations in the same encoding as candidates' outputs) holds them
as literals and runs in the sandbox like a candidate.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tasks.pyast import parse_module, unparse_or_none

MAX_TESTS = 16
"""Tests kept from one answer (the first ones): more cost sandbox time and add little."""
MAX_LINE_CHARS = 2000


@dataclass(frozen=True)
class ModelTest:
    call: tuple[Any, ...]
    expected: Any
    line: str


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None
    # Only values whose repr reads back as the same literal (not inf, nan, or objects).
    try:
        return ast.literal_eval(repr(value)) == value, value
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def parse_model_tests(text: str, entry_point: str, limit: int = MAX_TESTS) -> tuple[ModelTest, ...]:
    """Each ``assert ENTRY(literal, ...) == literal`` line of ``text``, once per input (the first)."""
    found: dict[str, ModelTest] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line.startswith("assert ") or len(line) > MAX_LINE_CHARS:
            continue
        try:
            tree = parse_module(line)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        node = tree.body[0] if len(tree.body) == 1 else None
        if not isinstance(node, ast.Assert) or not isinstance(node.test, ast.Compare):
            continue
        compare = node.test
        if len(compare.ops) != 1 or not isinstance(compare.ops[0], ast.Eq):
            continue
        call = compare.left
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == entry_point and not call.keywords):
            continue
        args = [_literal(arg) for arg in call.args]
        ok, expected = _literal(compare.comparators[0])
        if not ok or not all(good for good, _ in args):
            continue
        try:
            key = repr(tuple(value for _, value in args))  # recurses, as ast.unparse does
        except (RecursionError, MemoryError):
            continue
        if key not in found:
            source = unparse_or_none(node)
            if source is None:
                continue
            found[key] = ModelTest(tuple(value for _, value in args), expected, source)
        if len(found) >= limit:
            break
    return tuple(found.values())


CALL_KEY_SOURCE = (
    "def _bestofn_call_key(x):\n"
    "    t = type(x)\n"
    "    if t is list or t is tuple:\n"
    "        return t.__name__ + '(' + ','.join([_bestofn_call_key(v) for v in x]) + ')'\n"
    "    if t is set or t is frozenset:\n"
    "        return t.__name__ + '(' + ','.join(sorted([_bestofn_call_key(v) for v in x])) + ')'\n"
    "    if t is dict:\n"
    "        return 'dict(' + ','.join(sorted([_bestofn_call_key(k) + ':' + _bestofn_call_key(v)\n"
    "                                          for k, v in x.items()])) + ')'\n"
    "    return repr(x)\n"
)
"""A call's arguments as text that no process's hash seed decides: a set's (or a dict's)
members sorted by their own texts. ``repr`` follows the order a set iterates in, which
the string hash seed of the process decides: the expectations' table, written here,
was looked up in the sandbox by a text written there, and a test whose argument is a
set of strings lost its expected value at random (a thirty-third red team). One source,
run here and inside ``expectation_source``, so both ends write the same text."""
_KEYING: dict[str, Any] = {}
exec(compile(CALL_KEY_SOURCE, "<call key>", "exec"), _KEYING)  # noqa: S102 - our own constant code
call_key: Callable[[tuple[Any, ...]], str] = _KEYING["_bestofn_call_key"]


def expectation_source(entry_point: str, tests: tuple[ModelTest, ...]) -> str:
    """A function that returns each test's expected value for its input (and raises
    ``KeyError`` on any other): run in the sandbox like a candidate, its outputs are
    the expectations, in the encoding the candidates' outputs have. Its table is keyed
    by ``call_key``."""
    rows = []
    for t in tests:
        try:
            rows.append(f"{call_key(t.call)!r}: {t.expected!r}")
        except (RecursionError, MemoryError):
            continue  # too deep to key: its input finds nothing, as any other input
    return (f"_BESTOFN_EXPECTED = {{{', '.join(rows)}}}\n\n\n"
            f"{CALL_KEY_SOURCE}\n\n"
            f"def {entry_point}(*args):\n"
            "    return _BESTOFN_EXPECTED[_bestofn_call_key(args)]\n")
