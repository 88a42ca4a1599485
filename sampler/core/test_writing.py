"""Asking a model to test a task that came without tests.

One request per task: the task's code, and an answer started (when the backend can
prefill) as an ``assert`` calling the entry point, so a small model writes test
lines rather than an implementation. What comes back is parsed by
``tasks.model_tests`` (literal calls and expected values only) and used as evidence
by agreement (``verifiers.agreement.dual_pick``), never as ground truth.
"""

from __future__ import annotations

import hashlib

from sampler.backends.base import ChatMessage, GenerationRequest
from sampler.core.prompting import task_seed
from tasks.model_tests import MAX_TESTS, ModelTest, parse_model_tests
from tasks.types import Task

TEST_INSTRUCTION = (
    "Write {count} assert statements that test a correct implementation of this Python "
    "function, one per line, each calling `{entry}` with literal arguments and comparing "
    "the result with `==` to the exact expected value. Cover different cases, including "
    "edge cases. Work out each expected value carefully from the description.\n\n"
    "```python\n{prompt}```"
)
TEST_PREFILL = "```python\nassert {entry}("
TEST_STOPS = ("\n```", "\ndef ", "\nclass ")
TEST_MAX_TOKENS = 200
TESTS_ASKED = 8


def writing_prompt_id() -> str:
    """Names the test-writing prompt, so a resumed run never mixes two prompts' tests."""
    text = "|".join((TEST_INSTRUCTION, TEST_PREFILL, *TEST_STOPS, str(TEST_MAX_TOKENS), str(TESTS_ASKED)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def request_for_tests(task: Task, *, seed: int, prefill: bool, request_id: str | None = None) -> GenerationRequest:
    """One greedy request for ``task``'s tests."""
    return GenerationRequest(
        request_id=request_id or f"{task.task_id}|tests",
        completions=1,
        task_id="",  # keyed by request id: a replay script answers "TASK|tests" apart from the task's samples
        temperature=0.0,
        top_p=1.0,
        max_tokens=TEST_MAX_TOKENS,
        seed=task_seed(seed, task.task_id),
        messages=(ChatMessage("user", TEST_INSTRUCTION.format(
            count=TESTS_ASKED, entry=task.entry_point, prompt=task.prompt)),),
        stop=TEST_STOPS,
        prefill=TEST_PREFILL.format(entry=task.entry_point) if prefill else "",
    )


def parse_answer(task: Task, text: str) -> tuple[ModelTest, ...]:
    """The usable tests in one answer (its text begins with the prefill when one was sent)."""
    return parse_model_tests(text, task.entry_point, MAX_TESTS)
