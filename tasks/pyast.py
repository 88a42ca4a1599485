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
import threading
from typing import Any

_LOCK = threading.Lock()


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
