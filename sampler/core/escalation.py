"""What the strong tier is asked: its own greedy answer to the bare task, drafts from
the task and the cheap tier's failures, then (later rounds) a review and repair of
its own best failing draft.

Failures are picked by how far a candidate got through the checks (a wrong answer
on the tests says more than a syntax error), most informative first, one per
distinct failure message.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Sequence

from sampler.backends.base import ChatMessage, GenerationRequest
from sampler.config import EscalationConfig, SampleConfig
from sampler.core.prompting import ANSWER_PREFILL, CHAT_INSTRUCTION, PREFILL_STOPS, task_seed
from sampler.core.task_run import candidate_id
from sampler.storage.records import CHEAP, STRONG, SampleRecord
from tasks.types import Task
from verifiers.types import Status

# Later stages first: a candidate that got past the tests was well-formed and ran right.
_STAGE_RANK = {"syntax": 0, "tests": 1, "mypy": 2, "properties": 3}
# A failing draft and its message are clipped: the 1.5B reads about 40 prompt tokens
# a second on 2 cores, and the whole prompt must fit a llama.cpp slot (LlamaCppConfig).
_MAX_CODE = 1500
_MAX_DETAIL = 500

DRAFT_FAILURES = (
    "\n\nEarlier attempts at this function failed these checks. Avoid their mistakes."
    "{failures}"
)
FAILURE = "\n\n### Attempt {number}\n```python\n{code}```\nFailed check `{stage}`: {detail}"
REPAIR_INSTRUCTION = (
    "Review this Python function against its specification and the check it failed, "
    "find the bug, and reply with the corrected full function in a ```python block. "
    "Keep its name and signature.\n\nSpecification:\n```python\n{prompt}```\n\n"
    "Draft:\n```python\n{code}```\nFailed check `{stage}`: {detail}"
)

CAREFUL_READER_INSTRUCTION = (
    "Read this Python task closely. First list, one short line each, the requirements "
    "and edge cases its description states, in its own words; add nothing it does not "
    "say. Then write the complete function, satisfying every item on your list, in one "
    "```python block. Keep its name and signature.\n\n```python\n{prompt}```"
)
"""The careful reader's prompt (``sampler.core.second_reader``)."""
CAREFUL_READER_PREFILL = "Requirements and edge cases the task states:\n1."
"""Where its answer starts on a backend that prefills: asked only in words, the 1.5B
went straight to the code (4 of 5 tasks tried)."""
CAREFUL_READER_INDEX = 1
"""The careful reader's strong sample index: a task that asks readers never escalates,
so strong samples 0 (the greedy reader) and 1 are its readers' and no round's."""
READER_SAMPLES_INDEX = 2
"""Where the strong samples drawn after a greedy reader disagreed begin
(``EscalationConfig.reader_samples``): past both readers' indices."""


CODE_END = "```"
"""A prefilled answer's code ends where the model closes its block; said to the server,
because a round's samples share one request (below), which the client cannot cut
sample by sample."""


def template_id(prefill: bool = False, greedy_first: bool = False, plain_samples: int = 0,
                more_plain_samples: int = 0) -> str:
    text = DRAFT_FAILURES + FAILURE + REPAIR_INSTRUCTION + "|one-request-per-round"
    if prefill:
        text += "|prefill:" + ANSWER_PREFILL + "|stops:" + "|".join((*PREFILL_STOPS, CODE_END))
    if greedy_first:
        text += "|greedy-plain-first"
    if greedy_first and plain_samples:
        text += f"|plain-samples:{plain_samples}"
    if greedy_first and more_plain_samples:
        text += f"|more-plain-samples:{more_plain_samples}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _stage(sample: SampleRecord) -> str:
    return sample.verifier.rsplit(":", 1)[-1] or "?"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "\n... (cut)"


def informative_failures(samples: Sequence[SampleRecord], count: int) -> list[SampleRecord]:
    """Up to ``count`` failed samples, furthest stage first, distinct failure messages."""
    failed = [s for s in samples if not s.passed and s.status is not Status.ERROR]
    ranked = sorted(failed, key=lambda s: (-_STAGE_RANK.get(_stage(s), -1), s.status is not Status.FAILED,
                                           not s.detail, s.tier, s.sample_index))
    chosen: list[SampleRecord] = []
    seen: set[str] = set()
    for sample in ranked:
        key = sample.detail.strip() or sample.solution
        if key in seen:
            continue
        seen.add(key)
        chosen.append(sample)
        if len(chosen) == count:
            break
    return chosen


def _describe(sample: SampleRecord) -> tuple[str, str, str]:
    code = _clip(sample.solution, _MAX_CODE)
    if not code.endswith("\n"):
        code += "\n"
    detail = _clip(sample.detail.strip() or sample.status, _MAX_DETAIL)
    return code, _stage(sample), detail


def _request(task: Task, text: str, sample: SampleConfig, escalation: EscalationConfig,
             round_index: int, request_prefix: str, prefill: bool, *, skip: int = 0,
             completions: int | None = None, temperature: float | None = None) -> GenerationRequest:
    """Samples of a round drawn as one request (``completions``: the rest of the round
    after ``skip``): the strong model reads the prompt (task and failures, about 400
    tokens) once, not once per sample (llama.cpp copies the processed prompt to each
    completion's slot)."""
    first = round_index * escalation.samples + skip
    return GenerationRequest(
        request_id=f"{request_prefix}{first}",
        completions=escalation.samples - skip if completions is None else completions,
        temperature=escalation.temperature if temperature is None else temperature,
        top_p=sample.top_p, max_tokens=escalation.max_tokens,
        seed=(task_seed(sample.seed, task.task_id + "|strong") + 1000 * round_index + skip) % (2**31 - 1),
        messages=(ChatMessage("user", text),), task_id=task.task_id,
        first_index=first,
        # Only the first python block is verified: what the model says after it is
        # paid for and thrown away, on the tier whose tokens cost most.
        stop_at_code_end=sample.stop_at_code_end, entry_point=task.entry_point,
        stop=(*PREFILL_STOPS, CODE_END) if prefill and sample.stop_at_code_end else (),
        # The strong model writes only the body too, where its backend can prefill.
        prefill=ANSWER_PREFILL.format(prompt=task.prompt) if prefill else "",
    )


def draft_text(task: Task, failures: Sequence[SampleRecord]) -> str:
    text = CHAT_INSTRUCTION.format(prompt=task.prompt)
    if failures:
        parts = []
        for number, failure in enumerate(failures, start=1):
            code, stage, detail = _describe(failure)
            parts.append(FAILURE.format(number=number, code=code, stage=stage, detail=detail))
        text += DRAFT_FAILURES.format(failures="".join(parts))
    return text


def repair_text(task: Task, draft: SampleRecord) -> str:
    code, stage, detail = _describe(draft)
    return REPAIR_INSTRUCTION.format(prompt=task.prompt, code=code, stage=stage, detail=detail)


def reader_request(task: Task, sample: SampleConfig, escalation: EscalationConfig, request_id: str,
                   prefill: bool = False) -> GenerationRequest:
    """The strong model's greedy answer to the bare task, as a second reader of a task
    without tests (``sampler.core.second_reader``): round 0's first request, alone."""
    return _request(task, draft_text(task, []), sample, escalation, 0, request_id, prefill,
                    completions=1, temperature=0.0)


def careful_reader_request(task: Task, sample: SampleConfig, escalation: EscalationConfig,
                           request_id: str, prefill: bool = False) -> GenerationRequest:
    """The strong model's greedy answer once it has listed the requirements and edge cases
    the task states (``sampler.core.second_reader``): strong sample ``CAREFUL_READER_INDEX``.
    The answer starts with the list, outside any code block: no code stops apply."""
    request = _request(task, CAREFUL_READER_INSTRUCTION.format(prompt=task.prompt), sample, escalation, 0,
                       request_id, False, skip=CAREFUL_READER_INDEX, completions=1, temperature=0.0)
    return dataclasses.replace(request, prefill=CAREFUL_READER_PREFILL) if prefill else request


def round_requests(task: Task, round_index: int, samples: Sequence[SampleRecord],
                   sample: SampleConfig, escalation: EscalationConfig,
                   request_id: str, prefill: bool = False) -> list[GenerationRequest]:
    """Round 0 drafts from the cheap failures; later rounds repair the best failing
    strong draft so far (a fresh draft if every strong sample errored).

    With ``escalation.greedy_first``, round 0's first sample is the strong model's own
    best guess instead: the task alone, decoded greedily, its own request. On the full
    HumanEval run the 1.5B's greedy answer to the bare task solved more of the tasks
    the 0.5B had failed than two samples at temperature shown the 0.5B's failures
    (docs/ENGINES.md); the failures steer it toward the cheap tier's mistakes. The next
    ``escalation.plain_samples`` are the bare task again at temperature (the same prompt:
    the server finds it cached), then ``escalation.more_plain_samples`` more of it, and
    the rest of the round sees the failures. The loop
    sends these requests one after another, each only if those before it failed."""
    strong = [s for s in samples if s.tier == STRONG]
    if round_index == 0 or not informative_failures(strong, 1):
        failures = informative_failures([s for s in samples if s.tier == CHEAP],
                                        escalation.failures_shown)
        text = draft_text(task, failures)
    else:
        text = repair_text(task, informative_failures(strong, 1)[0])
    if round_index == 0 and escalation.greedy_first:
        bare = draft_text(task, [])
        requests = [_request(task, bare, sample, escalation, 0, request_id, prefill,
                             completions=1, temperature=0.0)]
        skip = 1
        for plain in (escalation.plain_after_greedy, escalation.more_plain_after_greedy):
            if plain:
                requests.append(_request(task, bare, sample, escalation, 0, request_id, prefill, skip=skip,
                                         completions=plain))
            skip += plain
        if skip < escalation.samples:
            requests.append(_request(task, text, sample, escalation, 0, request_id, prefill, skip=skip))
        return requests
    return [_request(task, text, sample, escalation, round_index, request_id, prefill)]


def spare_request(task: Task, first_index: int, count: int, sample: SampleConfig,
                  escalation: EscalationConfig, request_id: str, prefill: bool = False) -> GenerationRequest:
    """``count`` more samples of the bare task at temperature, from strong index
    ``first_index`` on: the strong tier's spare time before a time limit
    (``sampler.core.spare_time``). The bare task, not the failures: on the full HumanEval
    runs a plain sample solved tasks the 1.5B had failed where drafts shown the cheap
    failures, and a repair of its own draft, mostly did not (docs/ENGINES.md); and its
    prompt is the one the server still holds for the task."""
    return _request(task, draft_text(task, []), sample, escalation, 0, request_id, prefill,
                    skip=first_index, completions=count)


def reader_samples_request(task: Task, sample: SampleConfig, escalation: EscalationConfig,
                           request_id: str, prefill: bool = False) -> GenerationRequest:
    """``escalation.reader_samples`` samples of the bare task at temperature, from strong
    index ``READER_SAMPLES_INDEX`` on, for a task whose greedy reader disagreed with its
    cheap pick (``sampler.core.second_reader.vetoed_guess``): the greedy answer's prompt,
    which the server still holds."""
    return spare_request(task, READER_SAMPLES_INDEX, escalation.reader_samples, sample, escalation,
                         request_id, prefill)


def not_verified(requests: Sequence[GenerationRequest], verified: set[str],
                 request_id: str) -> list[GenerationRequest]:
    """A round cut short, asked again: each request cut to its runs of strong indices
    without a verified sample (``verified``: candidate ids), each run its own request
    (``request_id`` + its first index) with its own seed; nothing verified is drawn twice."""
    out = []
    for request in requests:
        missing = [i for i in range(request.first_index, request.first_index + request.completions)
                   if candidate_id(i, STRONG) not in verified]
        for _, run in itertools.groupby(enumerate(missing), key=lambda pair: pair[1] - pair[0]):
            indices = [i for _, i in run]
            out.append(dataclasses.replace(
                request, first_index=indices[0], completions=len(indices), request_id=f"{request_id}{indices[0]}",
                seed=(request.seed + indices[0] - request.first_index) % (2**31 - 1)))
    return out
