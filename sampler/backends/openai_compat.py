"""An OpenAI-compatible HTTP backend: ``vllm serve``, SGLang, llama.cpp's server, hosted APIs.

Stdlib only; the wire details (streamed state, SSE, error bodies, retries) are in
``openai_wire``. Each request is one streamed POST (``/chat/completions`` for chat
requests, ``/completions`` for raw prompts) on its own connection, run by a pool
of at most ``max_concurrency`` worker threads. Both backend shapes are served:
``generate`` (batch) and ``submit``/``poll``/``abort`` (streaming). An abort closes
the request's connection; vLLM's server aborts a streamed request when its client
goes away, so the tokens stop being generated, not just read.

Token counts come from the stream's final usage chunk (``stream_options.include_usage``):
one total for all ``n`` choices, shared among them by their streamed chunk counts.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from sampler.backends.answer import settled
from sampler.backends.base import Aborted, Generation, GenerationRequest, limit_reached
from sampler.backends.openai_wire import (
    CONTEXT_REFUSAL,
    ERROR_BODY_LIMIT,
    FINISH_PROMPT_TOO_LONG,
    MAX_WAIT,
    RETRYABLE,
    Call,
    PromptTooLong,
    Refused,
    error_message,
    one_line,
    retry_after_seconds,
    sse_events,
)
from tasks.errors import BackendError, ConfigError

API_KEY_ENV = ("BESTOFN_API_KEY", "OPENAI_API_KEY")
"""Environment variables read for the bearer token, first one set wins."""

def api_key_from_env() -> str | None:
    for name in API_KEY_ENV:
        value = os.environ.get(name)
        if value:
            return value
    return None


class OpenAICompatBackend:
    """Requests to an OpenAI-compatible server at ``base_url`` (``http://HOST:PORT/v1``).

    ``model`` is the name the server serves (``--served-model-name``) and the name
    results record. ``api_key``: sent as a bearer token; ``None`` reads
    ``BESTOFN_API_KEY``, then ``OPENAI_API_KEY``; no key, no header. ``timeout``:
    seconds any one connect or read may block (a server that stops streaming
    for that long fails the request). ``retries``: a request that could not
    connect, or was refused with 408/429/5xx before anything streamed, is sent
    again up to this many times, after the server's ``Retry-After`` or
    ``backoff`` seconds doubling each time (at most 60 s a wait); a hosted API
    that rate-limits a burst of waves is then slowed down, not failed.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 300.0,
        max_concurrency: int = 16,
        retries: int = 4,
        backoff: float = 1.0,
        supports_prefill: bool = False,
    ) -> None:
        if retries < 0 or backoff < 0:
            raise ConfigError(f"retries and backoff must be >= 0, got {retries}, {backoff}")
        if max_concurrency < 1:
            raise ConfigError(f"max_concurrency must be >= 1, got {max_concurrency}")
        if timeout <= 0:
            raise ConfigError(f"timeout must be > 0, got {timeout}")
        if not model:
            raise ConfigError("the OpenAI-compatible backend needs a model name")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"base URL must be http(s)://HOST[:PORT][/PATH], got {base_url!r}")
        try:
            self._port = parts.port
        except ValueError:
            raise ConfigError(f"base URL {base_url!r} has a bad port") from None
        self.model = model
        self.supports_prefill = supports_prefill
        """Whether the server continues a final assistant message (llama.cpp's does; a
        hosted API may start a new answer instead, so it is off unless known)."""
        self.base_url = base_url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._path = parts.path.rstrip("/")
        self._api_key = api_key if api_key is not None else api_key_from_env()
        self._timeout = timeout
        self._max_concurrency = max_concurrency
        self._retries = retries
        self._backoff = backoff
        self._lock = threading.Lock()
        self._work_ready = threading.Condition(self._lock)
        self._finished = threading.Condition(self._lock)
        self._queue: deque[Call] = deque()
        self._running: dict[str, Call] = {}
        self._done: list[Generation] = []
        self._errors: list[tuple[str, BackendError]] = []
        self._workers: list[threading.Thread] = []
        self._closed = False

    # Requests on the wire.

    def _url(self, request: GenerationRequest) -> str:
        return self.base_url + self._route(request)

    @staticmethod
    def _route(request: GenerationRequest) -> str:
        return "/chat/completions" if request.messages is not None else "/completions"

    def count_prompt_tokens(self, request: GenerationRequest) -> int:
        """The request's prompt tokens when the stream ended without a usage report (we
        hung up at the code's end, or the server sends none): 0 here, as unknown; a
        server that can count them says how (``LlamaCppBackend``)."""
        return 0

    def payload(self, request: GenerationRequest) -> dict[str, Any]:
        """The JSON body sent for ``request``."""
        body: dict[str, Any] = {
            "model": self.model,
            "n": request.completions,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "max_tokens": request.max_tokens,
            "seed": request.seed,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.stop:
            body["stop"] = list(request.stop)
        if request.messages is not None:
            body["messages"] = [{"role": m.role, "content": m.content} for m in request.messages]
            if request.prefill and self.supports_prefill:
                body["messages"].append({"role": "assistant", "content": request.prefill})
        else:
            body["prompt"] = request.prompt
        return body

    def _headers(self) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream",
            "User-Agent": "bestofn",
        }
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _connection(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout)
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def _run(self, call: Call) -> None:
        """Send one request and read its stream to the end, retrying what the server
        refused before streaming anything; raises BackendError."""
        for attempt in range(self._retries + 1):
            try:
                self._attempt(call)
                return
            except Refused as exc:
                if attempt == self._retries:
                    raise BackendError(f"{exc} ({attempt + 1} attempts)") from None
                wait = exc.retry_after if exc.retry_after is not None else self._backoff * 2**attempt
                if not self._pause(call, min(wait, MAX_WAIT)):
                    return

    def _pause(self, call: Call, seconds: float) -> bool:
        """Wait before a retry; False when the request was aborted or the backend closed."""
        deadline = time.monotonic() + seconds
        while True:
            with self._lock:
                if call.aborted or self._closed:
                    return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            time.sleep(min(remaining, 0.05))

    def _attempt(self, call: Call) -> None:
        url = self._url(call.request)
        where = f"POST {url}"
        body = json.dumps(self.payload(call.request)).encode()
        conn = self._connection()
        try:
            try:
                conn.connect()
            except TimeoutError:
                raise BackendError(f"{where}: no connection within {self._timeout:g} s") from None
            except OSError as exc:
                raise Refused(f"{where}: cannot connect: {one_line(str(exc))}") from None
            with self._lock:
                if call.aborted:
                    return
                call.sock = conn.sock
            try:
                conn.request("POST", self._path + self._route(call.request), body, self._headers())
                response = conn.getresponse()
                if response.status >= 400:
                    message = error_message(response.read(ERROR_BODY_LIMIT))
                    error = f"{where}: HTTP {response.status} {response.reason}: {message}"
                    if response.status in RETRYABLE:
                        raise Refused(error, retry_after_seconds(response.getheader("Retry-After")))
                    if response.status == 400 and CONTEXT_REFUSAL.search(message):
                        raise PromptTooLong(error)
                    raise BackendError(error)
                self._read_stream(call, response, where)
            except TimeoutError:
                raise BackendError(f"{where}: no data from the server for {self._timeout:g} s") from None
            except (OSError, http.client.HTTPException) as exc:
                raise BackendError(f"{where}: connection broke: {one_line(repr(exc))}") from None
        finally:
            conn.close()

    def _read_stream(self, call: Call, response: http.client.HTTPResponse, where: str) -> None:
        """Server-sent events: ``data:`` lines, a blank line ends an event, ``[DONE]`` the stream."""
        chat = call.request.messages is not None
        for data in sse_events(response):
            if data == ["[DONE]"]:
                return
            try:
                chunk = json.loads("\n".join(data))
            except ValueError:
                raise BackendError(f"{where}: bad stream data: {one_line(' '.join(data))}") from None
            if not isinstance(chunk, dict):
                raise BackendError(f"{where}: bad stream data: {one_line(' '.join(data))}")
            self._add_chunk(call, chunk, chat, where)
            if self._settled(call) or self._past_limit(call):
                return  # closing the connection stops the server's generation
        with self._lock:
            unfinished = any(reason is None for reason in call.finish_reasons)
        if unfinished and not call.aborted:
            raise BackendError(f"{where}: the stream ended before the completion finished")

    def _settled(self, call: Call) -> bool:
        """A single-sample request asked to stop once its verified program is settled, which
        it is: its text is cut there (see ``sampler.backends.answer.settled``)."""
        if not call.request.stop_at_code_end or call.request.completions != 1:
            return False
        with self._lock:
            if call.finish_reasons[0] is not None:
                return False
            cut = settled(call.texts[0], call.request.entry_point)
            if cut is None:
                return False
            text, call.finish_reasons[0] = cut
            call.texts[0] = [text]
            return True

    def _past_limit(self, call: Call) -> bool:
        """Every choice has finished or streamed as many chunks (tokens) as a limit lowered
        after submission; those that had not finished finish as ``length``."""
        with self._lock:
            reasons = limit_reached(call.limit, call.chunks, call.finish_reasons)
            if reasons is None:
                return False
            call.finish_reasons = list(reasons)
            return True

    def _add_chunk(self, call: Call, chunk: dict[str, Any], chat: bool, where: str) -> None:
        if "error" in chunk:
            raise BackendError(f"{where}: error in stream: {error_message(json.dumps(chunk).encode())}")
        choices = chunk.get("choices") or []
        usage = chunk.get("usage")
        with self._lock:
            for choice in choices:
                index = choice.get("index", 0)
                if not isinstance(index, int) or not 0 <= index < call.request.completions:
                    raise BackendError(f"{where}: choice index {index!r} outside 0..{call.request.completions - 1}")
                text = (choice.get("delta") or {}).get("content") if chat else choice.get("text")
                if text and call.echo[index]:
                    text = call.drop_echo(index, str(text))
                if text:
                    call.texts[index].append(str(text))
                    call.chunks[index] += 1
                if choice.get("finish_reason"):
                    call.finish_reasons[index] = str(choice["finish_reason"])
            if isinstance(usage, dict):
                if isinstance(usage.get("completion_tokens"), int):
                    call.completion_tokens = usage["completion_tokens"]
                if isinstance(usage.get("prompt_tokens"), int):
                    call.prompt_tokens = usage["prompt_tokens"]

    # Worker threads: each takes queued calls one at a time.

    def _start_workers(self) -> None:
        """Called with the lock held, on the first submit."""
        while len(self._workers) < self._max_concurrency:
            thread = threading.Thread(target=self._work, name=f"openai-backend-{len(self._workers)}",
                                      daemon=True)
            self._workers.append(thread)
            thread.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._work_ready.wait()
                if self._closed:
                    return
                call = self._queue.popleft()
                self._running[call.request_id] = call
            error: BackendError | None = None
            try:
                self._run(call)
                if not call.prompt_tokens and not call.aborted:
                    call.prompt_tokens = self.count_prompt_tokens(call.request)
            except PromptTooLong:
                call.texts = [[] for _ in call.texts]
                call.chunks = [0] * len(call.chunks)
                call.finish_reasons = [FINISH_PROMPT_TOO_LONG] * len(call.finish_reasons)
            except BackendError as exc:
                error = exc
            except Exception as exc:  # a server speaking something else: still infrastructure
                error = BackendError(f"POST {self._url(call.request)}: {one_line(repr(exc))}")
            with self._lock:
                if call.aborted or self._running.pop(call.request_id, None) is None:
                    continue
                if error is not None:
                    self._errors.append((call.request_id, error))
                else:
                    self._done.append(call.generation())
                self._finished.notify_all()

    # The streaming shape.

    def submit(self, requests: Sequence[GenerationRequest]) -> None:
        with self._lock:
            if self._closed:
                raise BackendError("the OpenAI-compatible backend is closed")
            known = self._known_ids()
            for request in requests:
                if request.request_id in known:
                    raise BackendError(f"request id {request.request_id!r} is already in flight")
                known.add(request.request_id)
            # A server not known to continue an answer gets none to continue.
            self._queue.extend(Call(r if self.supports_prefill or not r.prefill
                                     else dataclasses.replace(r, prefill="")) for r in requests)
            self._start_workers()
            self._work_ready.notify(len(requests))

    def _known_ids(self) -> set[str]:
        ids = {c.request_id for c in self._queue} | set(self._running)
        ids.update(g.request_id for g in self._done)
        ids.update(request_id for request_id, _ in self._errors)
        return ids

    def poll(self, timeout: float) -> list[Generation]:
        """Finished requests; raises the BackendError of a failed one (each once)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                if self._errors:
                    raise self._errors.pop(0)[1]
                if self._done or not (self._queue or self._running):
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._finished.wait(remaining)
            done, self._done = self._done, []
        return done

    def abort(self, request_ids: Sequence[str]) -> Aborted:
        wanted = set(request_ids)
        sockets: list[socket.socket] = []
        count = tokens = 0
        with self._lock:
            for call in [c for c in self._queue if c.request_id in wanted]:
                self._queue.remove(call)
                count += 1
            for request_id in [r for r in self._running if r in wanted]:
                call = self._running.pop(request_id)
                call.aborted = True
                count += 1
                tokens += call.tokens()
                if call.sock is not None:
                    sockets.append(call.sock)
            # Finished but not yet polled: dropped too; their tokens were spent. A
            # failure of a request no longer wanted goes with it.
            late = [g for g in self._done if g.request_id in wanted]
            self._done = [g for g in self._done if g.request_id not in wanted]
            failed = [e for e in self._errors if e[0] in wanted]
            self._errors = [e for e in self._errors if e[0] not in wanted]
            count += len(late) + len(failed)
            tokens += sum(c.tokens for g in late for c in g.completions)
        for sock in sockets:
            _hang_up(sock)
        return Aborted(count, tokens)

    def shorten(self, request_ids: Sequence[str], max_tokens: int) -> None:
        """Queued requests are sent with the lower ``max_tokens``; running ones hang up at
        their next chunk past it."""
        wanted = set(request_ids)
        with self._lock:
            for call in self._queue:
                if call.request_id in wanted and call.request.max_tokens > max_tokens:
                    call.request = dataclasses.replace(call.request, max_tokens=max_tokens)
            for request_id in [r for r in self._running if r in wanted]:
                call = self._running[request_id]
                call.limit = min(call.limit or max_tokens, max_tokens)

    def in_flight(self) -> int:
        with self._lock:
            return len(self._queue) + len(self._running) + len(self._done) + len(self._errors)

    # The batch shape.

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """Every request's completions, in request order. The first failure aborts the
        rest of the batch and is raised. Requests submitted for streaming are untouched."""
        if not requests:
            return []
        self.submit(requests)
        wanted = {r.request_id for r in requests}
        got: dict[str, Generation] = {}
        failure: BackendError | None = None
        with self._lock:
            while failure is None and len(got) < len(wanted):
                for i, (request_id, error) in enumerate(self._errors):
                    if request_id in wanted:
                        del self._errors[i]
                        failure = error
                        break
                mine = [g for g in self._done if g.request_id in wanted]
                if mine:
                    self._done = [g for g in self._done if g.request_id not in wanted]
                    got.update((g.request_id, g) for g in mine)
                if failure is None and len(got) < len(wanted):
                    if not wanted - got.keys() <= self._known_ids():
                        failure = BackendError("a request of this generate() call was aborted")
                        break
                    self._finished.wait()
        if failure is not None:
            self.abort([r for r in wanted if r not in got])
            raise failure
        return [got[r.request_id] for r in requests]

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            pending = [c.request_id for c in self._queue] + list(self._running)
        self.abort(pending)
        with self._lock:
            self._closed = True
            self._work_ready.notify_all()
            workers = list(self._workers)
        deadline = time.monotonic() + 5.0  # workers are daemons: none outlives the process
        for thread in workers:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))


def _hang_up(sock: socket.socket) -> None:
    """Close a connection another thread is reading: shutdown wakes the blocked read
    and sends the server a FIN, which is how it learns the client is gone."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by its worker
