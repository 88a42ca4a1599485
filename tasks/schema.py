"""The HumanEval-compatible task JSONL format.

One object per line: ``task_id``, ``prompt``, ``entry_point``, ``test`` (defining
``check(candidate)``) and optionally ``canonical_solution`` (the body that follows
the prompt, as in HumanEval). Files may be gzipped (``.jsonl.gz``); evalplus's
HumanEval+ and MBPP+ files load as they are downloaded (``tasks.evalplus``).
"""

from __future__ import annotations

import ast
import json
import keyword
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tasks.errors import TaskFormatError
from tasks.evalplus import evalplus_task, is_evalplus
from tasks.examples import with_example_tests
from tasks.jsonl import read_jsonl_objects, require_str
from tasks.program import MAX_CANDIDATE_CHARS
from tasks.pyast import BUILTIN_NAMES, must_parse
from tasks.types import Task


def task_from_dict(obj: dict[str, Any], where: str) -> Task:
    """Validate one decoded object as a Task (evalplus's plain format included:
    ``tasks.evalplus``)."""
    task_id = require_str(obj, "task_id", where)
    prompt = require_str(obj, "prompt", where)
    entry_point = require_str(obj, "entry_point", where)
    assert task_id is not None and prompt is not None and entry_point is not None
    if not task_id:
        raise TaskFormatError(f"{where}: empty task_id")
    # As Python reads a name: "def ﬁnd" defines find (a ligature's entry point never matched: red team).
    entry_point = unicodedata.normalize("NFKC", entry_point)
    if not entry_point.isidentifier() or keyword.iskeyword(entry_point):
        raise TaskFormatError(f"{where}: entry_point {entry_point!r} is not a Python identifier a function can have")
    if entry_point in BUILTIN_NAMES or (entry_point.startswith("__") and entry_point.endswith("__")):
        # The checks run in the prompt's namespace: a task's ``def len`` turned the property
        # check off and ``exec`` made every verdict an infrastructure error (red team).
        raise TaskFormatError(f"{where}: entry_point {entry_point!r} is a name Python itself defines; rename it")
    if len(prompt) >= MAX_CANDIDATE_CHARS:  # every candidate carries it: each failed as too long (red team)
        raise TaskFormatError(f"{where}: prompt is {len(prompt)} characters; a candidate with it may have "
                              f"at most {MAX_CANDIDATE_CHARS}")
    if is_evalplus(obj):
        return evalplus_task(obj, where, task_id, prompt, entry_point)
    test = require_str(obj, "test", where, optional=True)
    canonical = require_str(obj, "canonical_solution", where, optional=True)
    must_parse(prompt, "prompt", where, awaiting_body=True)
    if test is None:
        # A task without tests: judged by the examples its prompt states (tasks.examples).
        return with_example_tests(Task(task_id, prompt, entry_point, "", canonical))
    tree = must_parse(test, "test", where)
    if not any(isinstance(node, ast.FunctionDef) and node.name == "check" for node in tree.body):
        # The words alone are not enough: "def check(" inside a string defined nothing (red team).
        raise TaskFormatError(f"{where}: test must define check(candidate)")
    return Task(task_id, prompt, entry_point, test, canonical)


def load_tasks(path: Path) -> list[Task]:
    """Read a task JSONL file; duplicate task ids are an error."""
    tasks: list[Task] = []
    seen: set[str] = set()
    for number, obj in read_jsonl_objects(path):
        task = task_from_dict(obj, f"{path}:{number}")
        if task.task_id in seen:
            raise TaskFormatError(f"{path}:{number}: duplicate task_id {task.task_id!r}")
        seen.add(task.task_id)
        tasks.append(task)
    if not tasks:
        raise TaskFormatError(f"{path}: no tasks")
    return tasks


def task_to_dict(task: Task) -> dict[str, Any]:
    out: dict[str, Any] = {
        "task_id": task.task_id,
        "prompt": task.prompt,
        "entry_point": task.entry_point,
    }
    if task.test_origin == "given":
        out["test"] = task.test
    if task.canonical_solution is not None:
        out["canonical_solution"] = task.canonical_solution
    return out


def write_tasks(path: Path, tasks: Iterable[Task]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for task in tasks:
            handle.write(json.dumps(task_to_dict(task)) + "\n")
