"""A scripted backend: replays fixed completions, so the whole loop runs offline.

Sample ``i`` of a request gets the ``first_index + i``-th scripted text for its
task (``request.key``), cycling when the script is shorter, cut at the request's
``max_tokens`` (``count_tokens``: four characters a token). Optional latency model,
for scheduling and scaling tests: ``slots`` sequences decode at once, each at
``tokens_per_second``; a request holds one slot for ``tokens / tokens_per_second``
seconds, and the rest wait their turn, as in an engine with a full batch.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sampler.backends.answer import settled_streamed
from sampler.backends.base import Aborted, Completion, Generation, GenerationRequest
from tasks.errors import ConfigError, TaskFormatError
from tasks.jsonl import read_jsonl_objects, require_str


def count_tokens(text: str) -> int:
    """A stand-in tokenizer: about four characters a token, at least one."""
    return max(1, len(text) // 4)


def read_replay_script(path: Path) -> dict[str, list[str]]:
    """Lines of ``{"task_id": ..., "completion": ...}``, in sample order per task."""
    script: dict[str, list[str]] = {}
    for number, obj in read_jsonl_objects(path):
        where = f"{path}:{number}"
        task_id = require_str(obj, "task_id", where)
        text = require_str(obj, "completion", where)
        assert task_id is not None and text is not None
        script.setdefault(task_id, []).append(text)
    if not script:
        raise TaskFormatError(f"{path}: no completions")
    return script


@dataclass
class _Running:
    generation: Generation
    tokens: int
    start: float
    end: float


@functools.lru_cache(maxsize=4096)
def _settled(text: str, entry_point: str) -> tuple[str, str] | None:
    # Scripts repeat one answer across samples and runs; each settling parses up to
    # ~10 prefixes, which on long answers delayed a whole batch's submission.
    return settled_streamed(text, entry_point)


def _completion(text: str, request: GenerationRequest) -> Completion:
    """The scripted answer, as an engine would give it: cut where its verified program
    is settled when asked (``answer.settled``: the tokens after are never generated),
    or at ``max_tokens``."""
    cut = _settled(text, request.entry_point) if request.stop_at_code_end else None
    if cut is not None and len(cut[0]) < len(text):
        text, reason = cut
    else:
        reason = "stop"
    return _cut(Completion(text=text, tokens=count_tokens(text), finish_reason=reason), request.max_tokens)


def _cut(completion: Completion, max_tokens: int) -> Completion:
    if completion.tokens <= max_tokens:
        return completion
    return Completion(text=completion.text[:4 * max_tokens], tokens=max_tokens, finish_reason="length")


def _shortened(generation: Generation, max_tokens: int) -> Generation:
    return dataclasses.replace(generation, completions=tuple(
        _cut(c, max_tokens) for c in generation.completions))


class ReplayBackend:
    def __init__(
        self,
        script: Mapping[str, Sequence[str]],
        *,
        model: str = "replay",
        default: str = "",
        tokens_per_second: float | None = None,
        slots: int = 64,
        supports_prefill: bool = False,
    ) -> None:
        if tokens_per_second is not None and tokens_per_second <= 0:
            raise ConfigError(f"tokens_per_second must be > 0, got {tokens_per_second}")
        if slots < 1:
            raise ConfigError(f"slots must be >= 1, got {slots}")
        self.model = model
        self.supports_prefill = supports_prefill
        """Stands in for an engine that prefills answers (llama.cpp), so a replayed run
        gets the same prompts and scheduling as the one recorded; the scripted texts
        are whole answers either way."""
        self._script = {key: list(texts) for key, texts in script.items()}
        self._default = default
        self._tokens_per_second = tokens_per_second
        self._slots = slots
        self._lock = threading.Lock()
        self.requests_seen: list[GenerationRequest] = []
        """Every request received, in order: tests read what reached the model."""
        self.aborted: list[str] = []
        """Request ids aborted while waiting, running, or finished but not yet polled."""
        self._waiting: deque[Generation] = deque()
        self._running: dict[str, _Running] = {}
        self._done: list[Generation] = []

    @classmethod
    def from_jsonl(cls, path: Path, *, model: str = "replay") -> ReplayBackend:
        return cls(read_replay_script(path), model=model)

    def _generation(self, request: GenerationRequest) -> Generation:
        texts = self._script.get(request.key) or [self._default]
        picked = [texts[(request.first_index + i) % len(texts)] for i in range(request.completions)]
        completions = tuple(_completion(t, request) for t in picked)
        prompt_text = request.prompt or "".join(m.content for m in request.messages or ())
        return Generation(request.request_id, completions, count_tokens(prompt_text))

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        with self._lock:
            self.requests_seen.extend(requests)
        out = [self._generation(r) for r in requests]
        if self._tokens_per_second is not None:
            total_tokens = sum(c.tokens for g in out for c in g.completions)
            time.sleep(total_tokens / self._tokens_per_second)
        return out

    # The streaming shape: a simulated engine run against the wall clock.

    def submit(self, requests: Sequence[GenerationRequest]) -> None:
        with self._lock:
            self.requests_seen.extend(requests)
            self._waiting.extend(self._generation(r) for r in requests)
            self._advance(time.monotonic())

    def _duration(self, tokens: int) -> float:
        return 0.0 if self._tokens_per_second is None else tokens / self._tokens_per_second

    def _advance(self, now: float) -> None:
        """Finish what ended by ``now``; a freed slot takes the next waiting request
        from the moment it freed, so simulated time never depends on poll timing."""
        while True:
            free_at = [now] * (self._slots - len(self._running))
            ended = sorted((r for r in self._running.values() if r.end <= now), key=lambda r: r.end)
            for run in ended:
                del self._running[run.generation.request_id]
                self._done.append(run.generation)
                free_at.append(run.end)
            free_at.sort()
            started = False
            for start in free_at:
                if not self._waiting:
                    break
                generation = self._waiting.popleft()
                tokens = sum(c.tokens for c in generation.completions)
                self._running[generation.request_id] = _Running(
                    generation, tokens, start, start + self._duration(tokens))
                started = True
            if not started and not ended:
                return

    def poll(self, timeout: float) -> list[Generation]:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                now = time.monotonic()
                self._advance(now)
                if self._done or not self._running:
                    done, self._done = self._done, []
                    return done
                next_end = min(r.end for r in self._running.values())
            if now >= deadline:
                return []
            time.sleep(max(0.0, min(next_end, deadline) - now))

    def abort(self, request_ids: Sequence[str]) -> Aborted:
        wanted = set(request_ids)
        with self._lock:
            now = time.monotonic()
            self._advance(now)
            count = tokens = 0
            for generation in [g for g in self._waiting if g.request_id in wanted]:
                self._waiting.remove(generation)
                self.aborted.append(generation.request_id)
                count += 1
            for request_id in [r for r in self._running if r in wanted]:
                run = self._running.pop(request_id)
                self.aborted.append(request_id)
                count += 1
                fraction = 1.0 if run.end <= run.start else (now - run.start) / (run.end - run.start)
                tokens += int(run.tokens * min(1.0, max(0.0, fraction)))
            late = [g for g in self._done if g.request_id in wanted]
            self._done = [g for g in self._done if g.request_id not in wanted]
            self.aborted.extend(g.request_id for g in late)
            count += len(late)
            tokens += sum(c.tokens for g in late for c in g.completions)
            self._advance(now)
            return Aborted(count, tokens)

    def shorten(self, request_ids: Sequence[str], max_tokens: int) -> None:
        """Cut waiting and running requests; a running one ends at ``max_tokens`` worth of
        its slot time, or now if it is past that."""
        wanted = set(request_ids)
        with self._lock:
            now = time.monotonic()
            self._advance(now)
            self._waiting = deque(_shortened(g, max_tokens) if g.request_id in wanted else g
                                  for g in self._waiting)
            for request_id in [r for r in self._running if r in wanted]:
                run = self._running[request_id]
                generation = _shortened(run.generation, max_tokens)
                tokens = sum(c.tokens for c in generation.completions)
                if tokens < run.tokens:
                    # Tokens generated by now stay generated.
                    done_by_now = run.tokens if run.end <= run.start else int(
                        run.tokens * min(1.0, (now - run.start) / (run.end - run.start)))
                    if done_by_now > tokens:
                        generation = _shortened(run.generation, done_by_now)
                        tokens = done_by_now
                    self._running[request_id] = _Running(
                        generation, tokens, run.start, run.start + self._duration(tokens))
            self._advance(now)

    def in_flight(self) -> int:
        with self._lock:
            return len(self._waiting) + len(self._running) + len(self._done)

    def close(self) -> None:
        pass
