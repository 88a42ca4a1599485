"""Python's ``ast`` for a process with threads: every parse under one lock.

CPython 3.11 keeps the AST constructor's recursion counter in interpreter-wide
state and resets it from the calling thread's stack depth when a parse begins. A
thread switch inside a parse (a garbage collection running a finalizer is enough)
lets another thread's parse reset it, and the first then fails with
``SystemError: AST constructor recursion depth mismatch`` (CPython gh-106905).
It happened here with two tasks verified at once; three threads at different
depths reproduce it in one parse of six (tests/unit/test_pyast.py). The verifier
and the solve loop parse task text and streamed answers from several threads, so
in this process (not in the sandbox, which has one thread) every parse that
builds AST objects goes through here.
"""

from __future__ import annotations

import ast
import builtins
import threading
from typing import Any

from tasks.errors import TaskFormatError

_LOCK = threading.Lock()

BUILTIN_NAMES = frozenset(dir(builtins))
"""The names every module sees without defining them."""


def parse_module(source: str, *, type_comments: bool = False) -> ast.Module:
    with _LOCK:
        return ast.parse(source, type_comments=type_comments)


def parse_expression(source: str) -> ast.Expression:
    with _LOCK:
        return ast.parse(source, mode="eval")


def literal_eval_text(text: str) -> Any:
    """``ast.literal_eval`` of a string (it parses first; a node needs no lock)."""
    tree = parse_expression(text.lstrip(" \t"))
    return ast.literal_eval(tree)


def unparse_or_none(node: ast.AST) -> str | None:
    """``ast.unparse``, or None where it overflows: it recurses, and a prompt's example or
    a model-written test 900 operators deep parsed and then overflowed it (red team)."""
    try:
        return ast.unparse(node)
    except (RecursionError, MemoryError):
        return None


def compile_to_ast(source: str, filename: str, flags: int) -> Any:
    """``compile`` with ``ast.PyCF_ONLY_AST`` among ``flags`` (it builds AST objects too)."""
    with _LOCK:
        return compile(source, filename, "exec", flags, dont_inherit=True)


AWAITED_BODY = "    pass\n"
"""What a prompt ending in a bare header (``def f(x):``) is completed with to run alone;
``verifiers.runtime.test_side`` runs it so (that package stands alone in the sandbox, so
it keeps its own copy)."""


def must_parse(source: str, field: str, where: str, awaiting_body: bool = False) -> ast.Module:
    """The sandbox runs a task's prompt and tests before every candidate: text that does
    not parse made every verdict of the task an infrastructure ``error`` (red team).
    Parsed only (the AST, no compiling): nothing of it runs here. A prompt may end in a
    bare header awaiting its body (``AWAITED_BODY``). Returns the parsed module."""
    attempts = [source, source + AWAITED_BODY] if awaiting_body else [source]
    first: SyntaxError | None = None
    for text in attempts:
        try:
            return parse_module(text)
        except SyntaxError as exc:
            first = first or exc
        except (ValueError, RecursionError, MemoryError) as exc:
            raise TaskFormatError(f"{where}: {field} does not parse: {type(exc).__name__}: {exc}") from None
    assert first is not None
    raise TaskFormatError(f"{where}: {field} does not parse: {first.msg} (line {first.lineno})")
