"""Tests the model writes for tasks without tests, before sampling: asked once, kept.

``solve`` asks the cheap model once per task that came without tests
(``sampler.core.test_writing``), before the sampling loop starts, and appends each
answer to ``written_tests.jsonl`` in the run directory as it arrives: a rerun asks
only for the tasks not there yet (an answer from another model or prompt is asked
again). The parsed tests reach agreement through ``WrittenTestsCollector``: their
inputs join every candidate's inputs, and their expected outputs are collected
once per task like a candidate's, for ``verifiers.agreement.dual_pick``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sampler.backends.base import Backend, Generation, GenerationRequest, StreamingBackend
from sampler.core.test_writing import parse_answer, request_for_tests, writing_prompt_id
from tasks.model_tests import ModelTest, expectation_source
from tasks.types import Task
from verifiers.outputs import Behaviour, Inputs, OutputCollector, carried_tests
from verifiers.types import Candidate

WRITTEN_TESTS = "written_tests.jsonl"
BATCH = 16
EXPECTED_ID = "written-tests"
"""The candidate id the expectations are collected under."""


def read_written(path: Path, model: str) -> dict[str, str]:
    """Task id -> answer text, for answers of ``model`` to the current prompt. A torn
    last line (a crash mid-write) is skipped: that task is asked again."""
    return {task_id: record["text"] for task_id, record in read_written_records(path, model).items()}


def read_written_records(path: Path, model: str) -> dict[str, dict[str, Any]]:
    """``read_written``, each answer's whole line (with its token counts, where kept)."""
    found: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return found
    prompt_id = writing_prompt_id()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if type(record) is dict and record.get("model") == model and record.get("prompt_id") == prompt_id \
                and type(record.get("task_id")) is str and type(record.get("text")) is str:
            found[record["task_id"]] = record
    return found


def answer_text(generation: Generation) -> str:
    return generation.completions[0].text if generation.completions else ""


def append_written(path: Path, model: str, texts: Mapping[str, str],
                   tokens: Mapping[str, tuple[int, int]] | None = None) -> None:
    """Appends ``model``'s answers (task id -> text; ``tokens``: task id -> tokens in and
    out, where kept) to ``path`` durably, in the form ``read_written`` reads back."""
    with path.open("a", encoding="utf-8") as out:
        for task_id, text in texts.items():
            record: dict[str, Any] = {"task_id": task_id, "model": model, "prompt_id": writing_prompt_id(),
                                      "text": text}
            if tokens is not None and task_id in tokens:
                record["tokens_in"], record["tokens_out"] = tokens[task_id]
            out.write(json.dumps(record) + "\n")
        out.flush()
        os.fsync(out.fileno())


def _generate(backend: Backend | StreamingBackend, requests: Sequence[GenerationRequest]) -> list[Generation]:
    """Every request's generation, in order: the backend's own batch call where it has
    one (every engine here does), else submitted and polled until all are back."""
    generate = getattr(backend, "generate", None)
    if callable(generate):
        return list(generate(requests))
    assert isinstance(backend, StreamingBackend)
    backend.submit(requests)
    got: dict[str, Generation] = {}
    while len(got) < len(requests):
        for generation in backend.poll(1.0):
            got[generation.request_id] = generation
    return [got[r.request_id] for r in requests]


def write_tests(backend: Backend | StreamingBackend, tasks: Sequence[Task], path: Path, *, seed: int,
                prefill: bool, progress: Callable[[str], None] | None = None,
                deadline: float | None = None) -> dict[str, tuple[ModelTest, ...]]:
    """The model's tests for every task in ``tasks`` without tests: read from ``path``
    (a run's ``WRITTEN_TESTS``), or asked for now (in batches, each appended durably; none
    once ``time.monotonic()`` is past ``deadline``, the run's time limit: those tasks
    have no written tests)."""
    wanted = [t for t in tasks if t.test_origin != "given"]
    texts = read_written(path, backend.model)
    todo = [t for t in wanted if t.task_id not in texts]
    start = time.monotonic()
    for at in range(0, len(todo), BATCH):
        if deadline is not None and time.monotonic() >= deadline:
            break
        batch = todo[at:at + BATCH]
        requests = [request_for_tests(t, seed=seed, prefill=prefill) for t in batch]
        generations = _generate(backend, requests)
        answered = {task.task_id: answer_text(generation) for task, generation in zip(batch, generations)}
        texts.update(answered)
        append_written(path, backend.model, answered)
        if progress is not None:
            progress(f"tests written for {at + len(batch)}/{len(todo)} tasks without tests "
                     f"({time.monotonic() - start:.0f} s)")
    return {t.task_id: parse_answer(t, texts.get(t.task_id, "")) for t in wanted}


class WrittenTestsCollector:
    """An ``OutputCollector`` whose inputs for a task include its written tests'
    inputs; ``expected(task)`` is what those tests expect, in the same encoding."""

    def __init__(self, inner: OutputCollector, tests: Mapping[str, tuple[ModelTest, ...]]) -> None:
        self._inner = inner
        self._tests = {task_id: carried_tests(found) for task_id, found in tests.items()}
        self._expected: dict[str, tuple[Behaviour, list[int]]] = {}
        self._lock = threading.Lock()

    def tests(self, task: Task) -> tuple[ModelTest, ...]:
        return self._tests.get(task.task_id, ())

    def _extra(self, task: Task) -> list[tuple[Any, ...]]:
        return [t.call for t in self.tests(task)]

    def inputs(self, task: Task) -> Inputs:
        return self._inner.inputs(task, self._extra(task))

    def behaviours(self, task: Task, candidates: Sequence[Candidate]) -> list[Behaviour]:
        return self._inner.behaviours(task, candidates, self._extra(task))

    def behaviours_on(self, task: Task, candidates: Sequence[Candidate],
                      calls: Sequence[tuple[Any, ...]]) -> list[Behaviour]:
        return self._inner.behaviours_on(task, candidates, calls)

    def expected(self, task: Task) -> tuple[Behaviour, list[int]] | None:
        """The tests' expected outputs and where their inputs sit among ``inputs(task)``;
        None for a task without written tests."""
        tests = self.tests(task)
        if not tests:
            return None
        with self._lock:
            known = self._expected.get(task.task_id)
        if known is None:
            source = expectation_source(task.entry_point, tests)
            [outputs] = self._inner.behaviours(task, [Candidate(task.task_id, EXPECTED_ID, source)], self._extra(task))
            where = {repr(call): i for i, call in enumerate(self.inputs(task).calls)}
            known = outputs, [where[repr(t.call)] for t in tests]
            with self._lock:
                self._expected[task.task_id] = known
        return known
