"""Inputs for a task whose prompt has no ``def`` (MBPP's style: a sentence and an ``assert``).

Agreement needs inputs to run candidates on, and ``verifiers.strategies`` reads their
types off the entry point's signature. An MBPP-style task states none, so before
this such a task had no inputs at all: its candidates were grouped on nothing but
the tests the model wrote, and candidates that misread the task the same way agreed
trivially. Its example calls still say how many arguments the function takes and of
what kinds: the arity is the count most of its calls pass (positionally, no keywords),
and each argument's shape and domain are read off the values the examples pass there
(``verifiers.shapes.constrain``), exactly as an unannotated parameter's are.
"""

from __future__ import annotations

import ast
from collections import Counter

from tasks.pyast import parse_module
from tasks.types import Task
from verifiers import strategies


def example_arity(task: Task) -> int | None:
    """How many positional arguments the task's example calls pass (the most common count), if any."""
    try:
        tree = parse_module(task.test)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    names = {"candidate", task.entry_point}
    counts = Counter(
        len(node.args) for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names
        and not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args)
    )
    if not counts:
        return None
    return counts.most_common(1)[0][0]


def plan_from_examples(task: Task, arity: int) -> strategies.InputPlan:
    """Shapes for ``arity`` arguments read off the task's example calls alone."""
    calls = strategies.observed_calls(task, arity)
    if not calls:
        return strategies.InputPlan((), "no example calls to read the arguments' types from")
    return strategies.plan_from_calls(task, [(f"argument {i + 1}", None) for i in range(arity)], calls)
