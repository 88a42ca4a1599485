"""Backends: requests in, completions out.

Two shapes. ``Backend.generate`` is a batch call: every request's ``n`` completions
come back together. ``StreamingBackend`` is what the best-of-N loop drives:
requests are submitted, finished ones are polled as they complete, and requests
no longer wanted (their task already has a verified pass) are aborted inside the
engine, and requests may be shortened while in flight (``shorten``: the loop's
learned length cap, sampler.policy.length_cap, tightens as verified passes come in).
``streaming()`` adapts a batch-only backend to the streaming shape.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class ChatMessage:
    role: str
    content: str


@dataclass(frozen=True)
class GenerationRequest:
    """One prompt, sampled ``completions`` times. Exactly one of ``prompt`` and
    ``messages`` is set."""

    request_id: str
    completions: int
    """Completions drawn from this one prompt (the server reads it once). Not
    ``SampleConfig.n``, the samples per task, which may span many requests."""
    temperature: float
    top_p: float
    max_tokens: int
    seed: int
    prompt: str | None = None
    messages: tuple[ChatMessage, ...] | None = None
    stop: tuple[str, ...] = ()
    task_id: str = ""
    """The task this request samples for (the replay backend's script key);
    empty means ``request_id``."""
    first_index: int = 0
    """Index, within its task and tier, of this request's first sample."""
    stop_at_code_end: bool = False
    """Stop each sample once its first python block has closed (``sampler.backends.answer``):
    what is verified is fixed by then. Streaming backends stop generating there;
    others trim the text."""
    entry_point: str = ""
    """The task's entry point, with ``stop_at_code_end``: a streaming backend also stops
    a sample whose code defines it and can no longer parse (``answer.settled``)."""
    prefill: str = ""
    """Chat requests: the start of the assistant's answer, which the model continues
    (only sent to backends whose ``supports_prefill`` is true). Each completion's text
    begins with it, so answers read the same with or without it."""

    @property
    def key(self) -> str:
        return self.task_id or self.request_id

    def __post_init__(self) -> None:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("a GenerationRequest needs exactly one of prompt and messages")


@dataclass(frozen=True)
class Completion:
    text: str
    tokens: int
    """Generated tokens."""
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Generation:
    """The completions for one request, plus the prompt's token count."""

    request_id: str
    completions: tuple[Completion, ...]
    prompt_tokens: int = 0


@dataclass(frozen=True)
class Aborted:
    """What an abort cost: tokens the engine had already generated for those requests."""

    requests: int
    tokens: int


class Backend(Protocol):
    model: str
    """The model name recorded in results."""

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """One Generation per request, in order, each with ``request.completions`` completions."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class StreamingBackend(Protocol):
    model: str

    def submit(self, requests: Sequence[GenerationRequest]) -> None:
        """Queue requests; ids must be unique among those not yet polled or aborted."""
        ...

    def poll(self, timeout: float) -> list[Generation]:
        """Requests finished since the last poll, each once. Waits up to ``timeout``
        seconds for at least one while requests are in flight; returns at once if none are."""
        ...

    def abort(self, request_ids: Sequence[str]) -> Aborted:
        """Stop these requests in the engine; they never come back from ``poll``.
        Requests finished but not yet polled are dropped (their tokens count); unknown
        or already polled ids are ignored."""
        ...

    def shorten(self, request_ids: Sequence[str], max_tokens: int) -> None:
        """Lower these requests' ``max_tokens``: each finishes (reason ``length``) once it
        has generated that many tokens per sample, or at its next step if it already has
        (a few tokens over at most). Unknown, finished or polled ids are ignored."""
        ...

    def in_flight(self) -> int:
        """Submitted requests neither polled nor aborted."""
        ...

    def close(self) -> None: ...


def limit_reached(limit: int | None, counts: Sequence[int],
                  reasons: Sequence[str | None]) -> list[str] | None:
    """A streaming request's finish reasons once every sample has finished or generated
    ``limit`` tokens (a limit lowered by ``shorten``): those still going finish as
    ``length``. None before then, or without such a limit."""
    if limit is None or not all(reason or count >= limit for reason, count in zip(reasons, counts)):
        return None
    return [reason or "length" for reason in reasons]


class BatchStreaming:
    """The streaming shape over a batch-only backend: ``poll`` generates everything
    queued in one ``generate`` call. Aborts reach only requests not yet sent."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.model = backend.model
        self._queued: dict[str, GenerationRequest] = {}

    def submit(self, requests: Sequence[GenerationRequest]) -> None:
        for request in requests:
            self._queued[request.request_id] = request

    def poll(self, timeout: float) -> list[Generation]:
        if not self._queued:
            return []
        batch = list(self._queued.values())
        self._queued.clear()
        return self.backend.generate(batch)

    def abort(self, request_ids: Sequence[str]) -> Aborted:
        dropped = sum(self._queued.pop(r, None) is not None for r in request_ids)
        return Aborted(dropped, 0)

    def shorten(self, request_ids: Sequence[str], max_tokens: int) -> None:
        for request_id in request_ids:
            request = self._queued.get(request_id)
            if request is not None and request.max_tokens > max_tokens:
                self._queued[request_id] = dataclasses.replace(request, max_tokens=max_tokens)

    def in_flight(self) -> int:
        return len(self._queued)

    def close(self) -> None:
        self.backend.close()


def streaming(backend: Backend | StreamingBackend) -> StreamingBackend:
    """The backend itself when it streams, else a ``BatchStreaming`` over it."""
    if isinstance(backend, StreamingBackend):
        return backend
    return BatchStreaming(backend)


class StartsOnFirstUse:
    """A streaming backend built only when the first request arrives: a strong tier
    whose engine would hold memory and start-up time for a run where every task is
    solved by the cheap tier never starts."""

    def __init__(self, model: str, build: Callable[[], Backend | StreamingBackend]) -> None:
        self.model = model
        self._build = build
        self._backend: StreamingBackend | None = None

    @property
    def started(self) -> bool:
        return self._backend is not None

    def _ready(self) -> StreamingBackend:
        if self._backend is None:
            self._backend = streaming(self._build())
        return self._backend

    def submit(self, requests: Sequence[GenerationRequest]) -> None:
        if requests:
            self._ready().submit(requests)

    def poll(self, timeout: float) -> list[Generation]:
        return self._backend.poll(timeout) if self._backend is not None else []

    def abort(self, request_ids: Sequence[str]) -> Aborted:
        return self._backend.abort(request_ids) if self._backend is not None else Aborted(0, 0)

    def shorten(self, request_ids: Sequence[str], max_tokens: int) -> None:
        if self._backend is not None:
            self._backend.shorten(request_ids, max_tokens)

    def in_flight(self) -> int:
        return self._backend.in_flight() if self._backend is not None else 0

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()


@runtime_checkable
class Pausable(Protocol):
    """An engine that can be held still (its requests wait, its cores are free)."""

    def pause(self) -> None: ...

    def resume(self) -> None: ...


class HoldsOtherWhileBusy:
    """A streaming backend that pauses ``other`` while it has requests in flight.

    Two CPU engines on the same few cores (the cheap and the strong llama.cpp
    servers) slow each other far more than sharing explains: their compute threads
    wait on each other's descheduled threads at every step. Measured here with both
    tiers busy on 2 cores: the cheap server's 16 requests fell to 0.12 tokens/s
    each, the strong server's prompt processing to 4.7 tokens/s. So while the
    strong tier works, the cheap engine is paused, and it resumes when the strong
    tier has nothing left in flight.
    """

    def __init__(self, backend: StreamingBackend, other: Pausable) -> None:
        self.backend = backend
        self.model = backend.model
        self._other = other
        self._held = False

    def _update(self) -> None:
        busy = self.backend.in_flight() > 0
        if busy and not self._held:
            self._other.pause()
            self._held = True
        elif not busy and self._held:
            self._other.resume()
            self._held = False

    def submit(self, requests: Sequence[GenerationRequest]) -> None:
        self.backend.submit(requests)
        self._update()

    def poll(self, timeout: float) -> list[Generation]:
        try:
            return self.backend.poll(timeout)
        finally:
            self._update()

    def abort(self, request_ids: Sequence[str]) -> Aborted:
        try:
            return self.backend.abort(request_ids)
        finally:
            self._update()

    def shorten(self, request_ids: Sequence[str], max_tokens: int) -> None:
        self.backend.shorten(request_ids, max_tokens)

    def in_flight(self) -> int:
        return self.backend.in_flight()

    def close(self) -> None:
        try:
            self.backend.close()
        finally:
            if self._held:
                self._other.resume()
                self._held = False
