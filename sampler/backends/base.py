"""The Backend protocol: requests in, n completions per request out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ChatMessage:
    role: str
    content: str


@dataclass(frozen=True)
class GenerationRequest:
    """One prompt, sampled ``n`` times. Exactly one of ``prompt`` and ``messages`` is set."""

    request_id: str
    n: int
    temperature: float
    top_p: float
    max_tokens: int
    seed: int
    prompt: str | None = None
    messages: tuple[ChatMessage, ...] | None = None
    stop: tuple[str, ...] = ()

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


class Backend(Protocol):
    model: str
    """The model name recorded in results."""

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """One Generation per request, in order, each with ``request.n`` completions."""
        ...

    def close(self) -> None: ...
