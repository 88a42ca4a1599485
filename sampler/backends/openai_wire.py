"""The wire side of the OpenAI-compatible backend (``openai_compat``): one request's
streamed state, server-sent events, error bodies and what is safe to retry.

Stdlib only; no threads or sockets of its own (the backend runs the connections).
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterable, Sequence

from sampler.backends.base import Completion, Generation, GenerationRequest
from tasks.errors import BackendError

ERROR_BODY_LIMIT = 64 * 1024
_REASON_LIMIT = 300


def one_line(text: str, limit: int = _REASON_LIMIT) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def error_message(body: bytes) -> str:
    """The server's own words from an error body: OpenAI's ``{"error": {"message"}}``,
    FastAPI's ``{"detail"}``, a bare ``{"message"}``, or the raw text."""
    text = body.decode("utf-8", "replace")
    try:
        obj = json.loads(text)
    except ValueError:
        return one_line(text) or "(empty body)"
    if isinstance(obj, dict):
        error = obj.get("error", obj)
        if isinstance(error, dict):
            for key in ("message", "detail"):
                if error.get(key):
                    return one_line(str(error[key]))
        elif isinstance(error, str) and error:
            return one_line(error)
    return one_line(text)


def split_tokens(total: int, weights: Sequence[int]) -> list[int]:
    """Share ``total`` tokens among choices in proportion to ``weights`` (largest
    remainder), so the parts sum to ``total``. Usage gives one total for all ``n``
    choices; the streamed chunks per choice say how it divides."""
    if not weights:
        return []
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: -((total * weights[i]) % whole))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
MAX_WAIT = 60.0


FINISH_PROMPT_TOO_LONG = "prompt_too_long"
"""The finish reason of a request the server refused because its prompt does not fit
its context: the request's samples come back empty and fail their checks, and the run
goes on (one long prompt once ended a whole run as an infrastructure error)."""

CONTEXT_REFUSAL = re.compile(r"context (size|length|window)|maximum context|too long", re.IGNORECASE)


class PromptTooLong(BackendError):
    """HTTP 400 whose message says the prompt exceeds the model's context."""


class Refused(BackendError):
    """Nothing was generated: sending the request again is safe."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is ignored)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class Call:
    """One request's state, written by its worker thread under the backend's lock."""

    def __init__(self, request: GenerationRequest) -> None:
        self.request = request
        n = request.completions
        # An answer the server continues starts with what was prefilled: the text
        # reads as a whole answer (the chunk counts leave it out).
        self.texts: list[list[str]] = [[request.prefill] if request.prefill else [] for _ in range(n)]
        self.echo = [request.prefill] * n
        """What of the prefill the server may still stream back before its continuation
        (llama.cpp's server repeats it); dropped as it arrives."""
        self.chunks = [0] * n
        """Streamed chunks carrying text, per choice: a token count when usage is missing."""
        self.finish_reasons: list[str | None] = [None] * n
        self.completion_tokens: int | None = None
        self.prompt_tokens = 0
        self.sock: socket.socket | None = None
        self.aborted = False
        self.limit: int | None = None
        """Tokens per choice, when lowered after submission (``shorten``)."""

    @property
    def request_id(self) -> str:
        return self.request.request_id

    def drop_echo(self, index: int, text: str) -> str:
        """``text`` less any repeat of the prefill still expected at this point."""
        echo = self.echo[index]
        common = 0
        while common < min(len(echo), len(text)) and echo[common] == text[common]:
            common += 1
        if common == len(echo) or common == len(text):
            self.echo[index] = echo[common:]
            return text[common:]
        self.echo[index] = ""  # the stream is not a repeat: keep it whole
        return text

    def tokens(self) -> int:
        if self.completion_tokens is not None:
            return self.completion_tokens
        return sum(self.chunks)

    def generation(self) -> Generation:
        # Without a usage chunk (some servers ignore stream_options) each streamed
        # text chunk counts as one token: vLLM streams a token per chunk, but never
        # the end-of-sequence token (which usage counts) nor a token that ends inside
        # a character, so this undercounts slightly.
        if self.completion_tokens is None:
            counts = list(self.chunks)
        else:
            counts = split_tokens(self.completion_tokens, self.chunks)
        completions = tuple(
            Completion(text="".join(parts), tokens=count, finish_reason=reason or "stop")
            for parts, count, reason in zip(self.texts, counts, self.finish_reasons)
        )
        return Generation(self.request_id, completions, self.prompt_tokens)


def sse_events(lines: Iterable[bytes]) -> Iterable[list[str]]:
    """The ``data`` lines of each server-sent event; comments and other fields are skipped."""
    data: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if data:
                yield data
                data = []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield data
