"""The OpenAI-compatible HTTP backend against a fake streaming server on loopback.

The fake speaks the OpenAI streaming protocol (server-sent events over chunked
HTTP/1.1, a final usage chunk, ``[DONE]``). What it does for a request is read
from words in the prompt: ``tokens=N`` (default 4), ``delay=S`` (seconds before
each token), ``fail=STATUS`` (an HTTP error with an OpenAI error body; with
``failfirst=K`` only the first K times that prompt is sent, with ``retryafter=S``
a Retry-After header),
``midstream`` (an error event after two tokens), ``truncate`` (hangs up before
finishing). Each word it streams counts as two tokens in its usage chunk, so the
tests can tell usage counts from chunk counts.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sampler.backends.answer import FINISH_CODE_END, FINISH_UNPARSABLE
from sampler.backends.base import ChatMessage, GenerationRequest, StreamingBackend
from sampler.backends.factory import check_model_name, make_backend, parse_openai_spec
from sampler.backends.openai_compat import OpenAICompatBackend
from sampler.backends.openai_wire import split_tokens
from tasks.errors import BackendError, InputError


CODE_ANSWER = ["Here:\n", "```python\n", "def f():\n", "    return 1\n", "```", "\n"]
BROKEN_ANSWER = ["Here:\n", "```python\n", "def f():\n", "    return 1\n", "else:\n"]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    sent: int = 0
    """Words streamed so far."""
    disconnected: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)


class FakeOpenAI:
    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.usage = True
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with fake.lock:
                    fake.seen.append(seen)
                try:
                    fake.respond(self, seen)
                except (BrokenPipeError, ConnectionResetError):
                    seen.disconnected.set()
                finally:
                    seen.finished.set()
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def respond(self, handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        body = seen.body
        chat = seen.path.endswith("/chat/completions")
        prompt = body["messages"][-1]["content"] if chat else body["prompt"]
        words = dict(w.split("=", 1) for w in prompt.split() if "=" in w)
        flags = set(prompt.split())
        with self.lock:
            attempt = sum(s.body == seen.body for s in self.seen)
        if "fail" in words and attempt <= int(words.get("failfirst", 10**9)):
            status = int(words["fail"])
            text = ("request (2197 tokens) exceeds the available context size (2048 tokens)"
                    if "toolong" in flags else f"model overloaded\nretry later ({status})")
            error = json.dumps({"error": {"message": text,
                                          "type": "server_error", "code": status}}).encode()
            handler.send_response(status)
            if "retryafter" in words:
                handler.send_header("Retry-After", words["retryafter"])
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(error)))
            handler.end_headers()
            handler.wfile.write(error)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()

        def send(obj: Any) -> None:
            data = b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode()) + b"\n\n"
            handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            handler.wfile.flush()

        n, seed, max_tokens = body["n"], body["seed"], body["max_tokens"]
        wanted = int(words.get("tokens", 4))
        count = min(wanted, max_tokens)
        delay = float(words.get("delay", 0))
        if chat:
            for c in range(n):
                send({"choices": [{"index": c, "delta": {"role": "assistant", "content": ""},
                                   "finish_reason": None}]})
        for i in range(count):
            if "midstream" in flags and i == 2:
                send({"error": {"message": "engine died", "type": "InternalServerError", "code": 500}})
                break
            if "truncate" in flags and i == 2:
                handler.wfile.write(b"0\r\n\r\n")
                handler.wfile.flush()
                return
            time.sleep(delay)
            for c in range(n):  # round robin over choices, as vLLM interleaves them
                word = f"s{seed}c{c}t{i} "
                if "fenced" in flags:  # a fenced answer, then an endless explanation
                    word = CODE_ANSWER[i] if i < len(CODE_ANSWER) else "because "
                if "broken" in flags:  # code that cannot parse, then more of it, endlessly
                    word = BROKEN_ANSWER[i] if i < len(BROKEN_ANSWER) else "    x = 1\n"
                piece: dict[str, Any] = {"delta": {"content": word}} if chat else {"text": word}
                send({"choices": [{"index": c, **piece, "finish_reason": None}]})
            seen.sent += 1
        else:
            reason = "length" if wanted > max_tokens else "stop"
            for c in range(n):
                end: dict[str, Any] = {"delta": {}} if chat else {"text": ""}
                send({"choices": [{"index": c, **end, "finish_reason": reason}]})
        if self.usage and body.get("stream_options", {}).get("include_usage"):
            prompt_tokens = len(prompt.split())
            send({"choices": [], "usage": {"prompt_tokens": prompt_tokens,
                                           "completion_tokens": 2 * count * n,
                                           "total_tokens": prompt_tokens + 2 * count * n}})
        send(b"[DONE]")
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Seen]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.seen) >= count:
                    return list(self.seen)
            time.sleep(0.01)
        raise AssertionError(f"the fake server saw {len(self.seen)} requests, wanted {count}")


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


@pytest.fixture
def backend(fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAICompatBackend]:
    monkeypatch.delenv("BESTOFN_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    b = OpenAICompatBackend(fake.base_url, "tiny", timeout=10, retries=0)
    yield b
    b.close()


def chat(request_id: str, text: str, **kw: Any) -> GenerationRequest:
    options: dict[str, Any] = dict(completions=1, temperature=0.7, top_p=0.95, max_tokens=64, seed=0)
    options.update(kw)
    return GenerationRequest(request_id, messages=(ChatMessage("system", "be brief"),
                                                   ChatMessage("user", text)), **options)


def plain(request_id: str, text: str, **kw: Any) -> GenerationRequest:
    options: dict[str, Any] = dict(completions=1, temperature=0.7, top_p=0.95, max_tokens=64, seed=0)
    options.update(kw)
    return GenerationRequest(request_id, prompt=text, **options)


def test_chat_route_payload_and_result(fake: FakeOpenAI, backend: OpenAICompatBackend) -> None:
    [gen] = backend.generate([chat("a", "write code", completions=2, seed=7, stop=("\n\n", "```"),
                                   temperature=0.3, top_p=0.9, max_tokens=50)])
    [seen] = fake.seen
    assert seen.path == "/v1/chat/completions"
    assert seen.body == {
        "model": "tiny", "n": 2, "temperature": 0.3, "top_p": 0.9, "max_tokens": 50, "seed": 7,
        "stop": ["\n\n", "```"], "stream": True, "stream_options": {"include_usage": True},
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "write code"}],
    }
    assert "authorization" not in seen.headers
    assert gen.request_id == "a"
    assert [c.text for c in gen.completions] == [
        "s7c0t0 s7c0t1 s7c0t2 s7c0t3 ", "s7c1t0 s7c1t1 s7c1t2 s7c1t3 "]
    # Usage (two tokens a word here) wins over the count of streamed chunks.
    assert [c.tokens for c in gen.completions] == [8, 8]
    assert [c.finish_reason for c in gen.completions] == ["stop", "stop"]
    assert gen.prompt_tokens == 2


def test_completion_route_and_length_finish(fake: FakeOpenAI, backend: OpenAICompatBackend) -> None:
    [gen] = backend.generate([plain("p", "def f(): tokens=9", max_tokens=3, seed=1)])
    [seen] = fake.seen
    assert seen.path == "/v1/completions"
    assert seen.body["prompt"] == "def f(): tokens=9"
    assert "messages" not in seen.body and "stop" not in seen.body
    assert (seen.body["n"], seen.body["seed"], seen.body["max_tokens"]) == (1, 1, 3)
    [completion] = gen.completions
    assert completion.text == "s1c0t0 s1c0t1 s1c0t2 "
    assert (completion.tokens, completion.finish_reason) == (6, "length")
    assert gen.prompt_tokens == 3


def test_without_usage_each_chunk_counts_as_a_token(fake: FakeOpenAI, backend: OpenAICompatBackend) -> None:
    fake.usage = False
    [gen] = backend.generate([chat("a", "tokens=5", completions=3)])
    assert [c.tokens for c in gen.completions] == [5, 5, 5]
    assert gen.prompt_tokens == 0


def test_split_tokens_sums_to_the_total() -> None:
    assert split_tokens(10, [1, 1]) == [5, 5]
    assert split_tokens(7, [3, 1]) == [5, 2]
    assert split_tokens(5, [0, 0, 0]) == [2, 2, 1]
    assert sum(split_tokens(101, [7, 3, 9, 1])) == 101


def test_generate_returns_request_order(fake: FakeOpenAI, backend: OpenAICompatBackend) -> None:
    requests = [chat("slow", "tokens=3 delay=0.15", seed=1), chat("fast", "tokens=1", seed=2),
                plain("mid", "tokens=2 delay=0.05", seed=3)]
    gens = backend.generate(requests)
    assert [g.request_id for g in gens] == ["slow", "fast", "mid"]
    assert [g.completions[0].text for g in gens] == [
        "s1c0t0 s1c0t1 s1c0t2 ", "s2c0t0 ", "s3c0t0 s3c0t1 "]
    assert backend.in_flight() == 0


def test_poll_returns_each_finished_request_once(fake: FakeOpenAI, backend: OpenAICompatBackend) -> None:
    assert isinstance(backend, StreamingBackend)
    start = time.monotonic()
    assert backend.poll(5.0) == []  # nothing in flight: at once
    assert time.monotonic() - start < 1.0
    backend.submit([chat("a", "tokens=2"), chat("b", "tokens=2 delay=0.3")])
    assert backend.in_flight() == 2
    first = backend.poll(5.0)
    assert [g.request_id for g in first] == ["a"]
    assert backend.in_flight() == 1
    rest: list[str] = []
    deadline = time.monotonic() + 10
    while backend.in_flight() and time.monotonic() < deadline:
        rest += [g.request_id for g in backend.poll(1.0)]
    assert rest == ["b"]
    assert backend.poll(0.1) == []


def test_abort_closes_the_connection_and_the_request_never_returns(
        fake: FakeOpenAI, backend: OpenAICompatBackend) -> None:
    backend.submit([chat("long", "tokens=2000 delay=0.01"), chat("short", "tokens=3 delay=0.2")])
    seen = {s.body["messages"][-1]["content"]: s for s in fake.wait_for(2)}
    long = seen["tokens=2000 delay=0.01"]
    deadline = time.monotonic() + 5
    while long.sent < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert long.sent >= 10
    aborted = backend.abort(["long", "unknown"])
    assert aborted.requests == 1
    assert 10 <= aborted.tokens <= long.sent + 1  # chunks read so far: no usage yet
    assert backend.in_flight() == 1
    # The server sees its client go away and stops generating.
    assert long.disconnected.wait(5), "the fake server never saw the client disconnect"
    assert long.sent < 1000
    ids: list[str] = []
    deadline = time.monotonic() + 10
    while backend.in_flight() and time.monotonic() < deadline:
        ids += [g.request_id for g in backend.poll(0.5)]
    assert ids == ["short"]
    assert backend.poll(0.3) == []
    assert backend.abort(["long", "short"]).requests == 0  # gone, finished: ignored


def test_abort_drops_a_finished_request_not_yet_polled(fake: FakeOpenAI,
                                                        backend: OpenAICompatBackend) -> None:
    backend.submit([chat("done", "tokens=3"), chat("bad", "fail=500"), chat("kept", "tokens=1")])
    deadline = time.monotonic() + 5
    while len(fake.seen) < 3 or not all(s.finished.is_set() for s in fake.seen):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)  # the client has read the three responses
    aborted = backend.abort(["done", "bad"])
    assert (aborted.requests, aborted.tokens) == (2, 6)  # usage: two tokens a word
    assert [g.request_id for g in backend.poll(1.0)] == ["kept"]  # no error either
    assert backend.in_flight() == 0


def test_abort_of_a_queued_request_never_sends_it(fake: FakeOpenAI) -> None:
    backend = OpenAICompatBackend(fake.base_url, "tiny", max_concurrency=1, api_key="")
    try:
        backend.submit([chat("first", "tokens=3 delay=0.2"), chat("second", "tokens=1")])
        fake.wait_for(1)
        assert backend.abort(["second"]).requests == 1
        [gen] = backend.poll(5.0)
        assert gen.request_id == "first"
        time.sleep(0.2)
        assert len(fake.seen) == 1
        assert backend.in_flight() == 0
    finally:
        backend.close()


def test_close_hangs_up_in_flight_requests(fake: FakeOpenAI) -> None:
    backend = OpenAICompatBackend(fake.base_url, "tiny", api_key="")
    backend.submit([plain("x", "tokens=2000 delay=0.01")])
    [seen] = fake.wait_for(1)
    backend.close()
    assert seen.disconnected.wait(5)
    with pytest.raises(BackendError, match="closed"):
        backend.submit([plain("y", "tokens=1")])


def test_http_error_is_raised_from_poll_and_generate(fake: FakeOpenAI, backend: OpenAICompatBackend) -> None:
    backend.submit([chat("bad", "fail=503"), chat("good", "tokens=1 delay=0.3")])
    with pytest.raises(BackendError) as info:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            backend.poll(1.0)
    message = str(info.value)
    assert "\n" not in message
    assert f"POST {fake.base_url}/chat/completions" in message
    assert "HTTP 503" in message and "model overloaded retry later (503)" in message
    assert [g.request_id for g in backend.poll(5.0)] == ["good"]
    with pytest.raises(BackendError, match="HTTP 400.*model overloaded"):
        backend.generate([plain("p", "fail=400")])
    assert backend.in_flight() == 0


def test_a_prompt_too_long_for_the_context_fails_its_samples_not_the_run(
        fake: FakeOpenAI, backend: OpenAICompatBackend) -> None:
    [refused, good] = backend.generate([chat("long", "fail=400 toolong", completions=2), chat("ok", "tokens=2")])
    assert [c.finish_reason for c in refused.completions] == ["prompt_too_long"] * 2
    assert [c.text for c in refused.completions] == ["", ""] and refused.completions[0].tokens == 0
    assert good.completions[0].text and good.completions[0].finish_reason == "stop"


def test_error_event_in_the_stream_is_raised(fake: FakeOpenAI, backend: OpenAICompatBackend) -> None:
    with pytest.raises(BackendError, match="error in stream: engine died"):
        backend.generate([chat("a", "tokens=5 midstream")])


def test_a_stream_cut_short_is_an_error(fake: FakeOpenAI, backend: OpenAICompatBackend) -> None:
    with pytest.raises(BackendError, match="ended before the completion finished"):
        backend.generate([plain("a", "tokens=5 truncate")])


def test_connection_refused_is_a_backend_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = OpenAICompatBackend(f"http://127.0.0.1:{port}/v1", "tiny", api_key="", retries=1,
                                  backoff=0.05)
    try:
        with pytest.raises(BackendError) as info:
            backend.generate([chat("a", "hi")])
        assert f"POST http://127.0.0.1:{port}/v1/chat/completions: cannot connect" in str(info.value)
        assert "(2 attempts)" in str(info.value)
    finally:
        backend.close()


def test_a_silent_server_times_out(fake: FakeOpenAI) -> None:
    backend = OpenAICompatBackend(fake.base_url, "tiny", api_key="", timeout=0.3)
    try:
        with pytest.raises(BackendError, match="no data from the server for 0.3 s"):
            backend.generate([chat("a", "tokens=2 delay=2")])
    finally:
        backend.close()


@pytest.mark.parametrize("env, expected", [
    ({"BESTOFN_API_KEY": "k-bestofn", "OPENAI_API_KEY": "k-openai"}, "Bearer k-bestofn"),
    ({"OPENAI_API_KEY": "k-openai"}, "Bearer k-openai"),
    ({}, None),
])
def test_api_key_from_the_environment(fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch,
                                      env: dict[str, str], expected: str | None) -> None:
    monkeypatch.delenv("BESTOFN_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    backend = OpenAICompatBackend(fake.base_url, "tiny")
    try:
        backend.generate([chat("a", "tokens=1")])
    finally:
        backend.close()
    [seen] = fake.seen
    assert seen.headers.get("authorization") == expected


def test_duplicate_request_ids_are_refused(fake: FakeOpenAI, backend: OpenAICompatBackend) -> None:
    backend.submit([chat("a", "tokens=1 delay=0.3")])
    with pytest.raises(BackendError, match="already in flight"):
        backend.submit([chat("a", "tokens=1")])


def test_factory_builds_the_backend_from_a_spec(fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BESTOFN_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    spec = f"openai:smollm2-135m@{fake.base_url}"
    check_model_name(spec)
    assert parse_openai_spec(spec) == ("smollm2-135m", fake.base_url)
    assert parse_openai_spec("openai:org/Model-7B@https://api.example.com/v1/") == (
        "org/Model-7B", "https://api.example.com/v1/")
    backend = make_backend(spec)
    try:
        assert isinstance(backend, OpenAICompatBackend)
        assert backend.model == "smollm2-135m"
        assert backend.generate([chat("a", "tokens=1")])[0].completions[0].text == "s0c0t0 "
        assert fake.seen[0].body["model"] == "smollm2-135m"
    finally:
        backend.close()


@pytest.mark.parametrize("spec", [
    "openai:",
    "openai:smollm2-135m",
    "openai:@http://127.0.0.1:8000/v1",
    "openai:m@127.0.0.1:8000/v1",
    "openai:m@ftp://127.0.0.1/v1",
    "openai:m@http://127.0.0.1:port/v1",
    "openai:m@http:///v1",
])
def test_malformed_specs_are_input_errors(spec: str) -> None:
    with pytest.raises(InputError) as info:
        check_model_name(spec)
    message = str(info.value)
    assert "\n" not in message and repr(spec) in message and "openai:MODEL@" in message
    with pytest.raises(InputError):
        make_backend(spec)


def test_a_sample_stops_when_its_python_block_closes(fake: FakeOpenAI, backend: OpenAICompatBackend) -> None:
    [generation] = backend.generate([chat("c", "fenced tokens=5000 delay=0.002", stop_at_code_end=True)])
    [completion] = generation.completions
    assert completion.text == "".join(CODE_ANSWER[:5])
    assert completion.finish_reason == FINISH_CODE_END
    [seen] = fake.wait_for(1)
    assert seen.disconnected.wait(5), "the fake server never saw the client hang up"
    assert seen.sent < 1000
    # Without the flag the same answer runs to its end.
    [whole] = backend.generate([chat("d", "fenced tokens=12", stop_at_code_end=False)])
    assert whole.completions[0].text.startswith("".join(CODE_ANSWER)) and whole.completions[0].finish_reason == "stop"


def test_a_sample_stops_when_its_code_can_no_longer_parse(fake: FakeOpenAI,
                                                         backend: OpenAICompatBackend) -> None:
    [generation] = backend.generate([chat("c", "broken tokens=5000 delay=0.002", stop_at_code_end=True,
                                          entry_point="f")])
    [completion] = generation.completions
    assert completion.text == "".join(BROKEN_ANSWER)
    assert completion.finish_reason == FINISH_UNPARSABLE
    [seen] = fake.wait_for(1)
    assert seen.disconnected.wait(5), "the fake server never saw the client hang up"
    assert seen.sent < 1000
    # Without the entry point the program's shape is unknown: it runs on.
    [whole] = backend.generate([chat("d", "broken tokens=12", stop_at_code_end=True)])
    assert whole.completions[0].finish_reason == "stop" and len(whole.completions[0].text) > len(completion.text)


def test_shorten_hangs_up_a_running_request_and_sends_a_queued_one_shorter(fake: FakeOpenAI) -> None:
    backend = OpenAICompatBackend(fake.base_url, "tiny", max_concurrency=1, api_key="")
    try:
        backend.submit([chat("long", "tokens=2000 delay=0.01", max_tokens=2000),
                        chat("queued", "tokens=50", max_tokens=2000)])
        [long] = fake.wait_for(1)
        deadline = time.monotonic() + 5
        while long.sent < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        backend.shorten(["long", "queued", "unknown"], 20)
        got = {}
        deadline = time.monotonic() + 10
        while backend.in_flight() and time.monotonic() < deadline:
            got.update({g.request_id: g for g in backend.poll(0.5)})
        [first] = got["long"].completions
        assert first.finish_reason == "length" and 20 <= len(first.text.split()) <= 22
        assert long.disconnected.wait(5) and long.sent < 1000
        queued = fake.seen[1]
        assert queued.body["max_tokens"] == 20
        assert got["queued"].completions[0].finish_reason == "length"
    finally:
        backend.close()


def test_refused_requests_are_retried_after_backoff_or_retry_after(fake: FakeOpenAI) -> None:
    backend = OpenAICompatBackend(fake.base_url, "tiny", retries=3, backoff=0.2, api_key="")
    try:
        start = time.monotonic()
        [gen] = backend.generate([chat("busy", "fail=429 failfirst=2 tokens=3")])
        waited = time.monotonic() - start
        assert len(gen.completions[0].text.split()) == 3
        assert 0.2 + 0.4 <= waited < 3.0  # backoff 0.2 s, then 0.4 s
        assert len(fake.seen) == 3  # refused twice, then served
        start = time.monotonic()
        [gen] = backend.generate([chat("told", "fail=503 failfirst=1 retryafter=1 tokens=1")])
        assert 1.0 <= time.monotonic() - start < 3.0  # the server's Retry-After, not 0.2 s
        with pytest.raises(BackendError, match=r"HTTP 503 .*\(4 attempts\)"):
            backend.generate([chat("down", "fail=503")])
        with pytest.raises(BackendError, match=r"HTTP 400 .*model overloaded"):  # not retried
            backend.generate([chat("bad", "fail=400")])
        sent = [s.body["messages"][-1]["content"] for s in fake.seen]
        assert sent.count("fail=503") == 4 and sent.count("fail=400") == 1
    finally:
        backend.close()


def test_abort_during_a_retry_wait_ends_the_request(fake: FakeOpenAI) -> None:
    backend = OpenAICompatBackend(fake.base_url, "tiny", retries=5, backoff=5.0, api_key="")
    try:
        backend.submit([chat("slow", "fail=503")])
        fake.wait_for(1)
        time.sleep(0.2)  # refused; now waiting 5 s to retry
        assert backend.abort(["slow"]).requests == 1
        start = time.monotonic()
        backend.close()
        assert time.monotonic() - start < 2.0 and len(fake.seen) == 1
    finally:
        backend.close()


def test_a_prefill_is_only_sent_where_the_server_continues_it(fake: FakeOpenAI) -> None:
    """A generic server may start a new answer after an assistant message, so a prefill
    is dropped unless the backend is told the server continues it."""
    request = dataclasses.replace(chat("p", "write code"), prefill="```python\ndef f():\n")
    plain = OpenAICompatBackend(fake.base_url, "tiny")
    try:
        [gen] = plain.generate([request])
    finally:
        plain.close()
    assert fake.seen[-1].body["messages"][-1]["role"] != "assistant"
    assert not gen.completions[0].text.startswith("```python")
    continuing = OpenAICompatBackend(fake.base_url, "tiny", supports_prefill=True)
    try:
        [gen] = continuing.generate([dataclasses.replace(request, request_id="q")])
    finally:
        continuing.close()
    assert fake.seen[-1].body["messages"][-1] == {"role": "assistant", "content": "```python\ndef f():\n"}
    assert gen.completions[0].text.startswith("```python\ndef f():\n")


def test_a_registered_prefix_builds_its_backend_and_checks_its_names() -> None:
    """Backends for prefixed model names come from a registry: a new scheme is one call."""
    from sampler.backends import factory
    from sampler.backends.replay import ReplayBackend
    from tasks.errors import ConfigError, InputError

    def build(model: str, engine: object, log_dir: object) -> ReplayBackend:
        return ReplayBackend({}, model=model)

    def check(model: str) -> None:
        if model == "echo:":
            raise InputError("echo: needs a name")

    saved = dict(factory._SCHEMES)
    try:
        factory.register_backend(factory.BackendScheme("echo:", build, check))
        backend = factory.make_backend("echo:hello")
        assert isinstance(backend, ReplayBackend) and backend.model == "echo:hello"
        factory.check_model_name("echo:hello")
        with pytest.raises(InputError):
            factory.check_model_name("echo:")
        with pytest.raises(ConfigError):
            factory.register_backend(factory.BackendScheme("echo:", build, check))
        with pytest.raises(InputError):
            factory.check_model_name("replay:/nonexistent/script.jsonl")  # the built-in schemes still apply
    finally:
        factory._SCHEMES.clear()
        factory._SCHEMES.update(saved)
