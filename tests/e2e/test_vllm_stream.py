"""The vLLM backend's streaming shape on the real CPU engine: shortening a request in flight."""

import time
from collections.abc import Iterator

import pytest

from sampler.backends.base import ChatMessage, Generation, GenerationRequest, StreamingBackend
from sampler.backends.factory import make_backend
from sampler.config import EngineConfig

ESSAY = (ChatMessage("user", "Write a long essay about the history of computing."),)


def essay(request_id: str, max_tokens: int) -> GenerationRequest:
    return GenerationRequest(request_id=request_id, completions=1, temperature=0.7, top_p=0.95,
                             max_tokens=max_tokens, seed=11, messages=ESSAY)


@pytest.fixture(scope="module")
def engine() -> Iterator[StreamingBackend]:
    backend = make_backend("smollm2-135m", EngineConfig())
    assert isinstance(backend, StreamingBackend)
    yield backend
    backend.close()


def drain(backend: StreamingBackend, timeout: float = 300) -> dict[str, Generation]:
    got: dict[str, Generation] = {}
    deadline = time.monotonic() + timeout
    while backend.in_flight():
        assert time.monotonic() < deadline
        got.update({g.request_id: g for g in backend.poll(1.0)})
    return got


@pytest.mark.slow
def test_a_shortened_request_stops_at_the_new_limit_with_the_same_tokens(engine: StreamingBackend) -> None:
    engine.submit([essay("full", 160), essay("cut", 160), essay("already-past", 160)])
    got = {g.request_id: g for g in engine.poll(0.5)}  # a few engine steps: tokens exist
    engine.shorten(["cut"], 48)
    engine.shorten(["already-past"], 1)  # past it already: it comes back at once
    got.update(drain(engine))
    [full] = got["full"].completions
    [cut] = got["cut"].completions
    [past] = got["already-past"].completions
    assert full.tokens == 160 and full.finish_reason == "length"
    assert cut.finish_reason == "length" and 48 <= cut.tokens <= 50
    assert full.text.startswith(cut.text) and len(cut.text) < len(full.text)  # same seed, a prefix
    assert past.finish_reason == "length" and past.tokens < 160 and full.text.startswith(past.text)
