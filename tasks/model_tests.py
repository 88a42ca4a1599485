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


def expectation_source(entry_point: str, tests: tuple[ModelTest, ...]) -> str:
    """A function that returns each test's expected value for its input (and raises
    ``KeyError`` on any other): run in the sandbox like a candidate, its outputs are
    the expectations, in the encoding the candidates' outputs have."""
    table = ", ".join(f"{repr(t.call)!r}: {t.expected!r}" for t in tests)
    return (f"_BESTOFN_EXPECTED = {{{table}}}\n\n\n"
            f"def {entry_point}(*args):\n"
            "    return _BESTOFN_EXPECTED[repr(args)]\n")
