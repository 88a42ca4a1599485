"""The llama.cpp backend's server lifecycle, against a stand-in ``llama-server``."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sampler.backends.base import ChatMessage, GenerationRequest
from sampler.backends.llamacpp import SERVER_ENV, LlamaCppBackend, LlamaCppConfig, find_server, repack_args
from tasks.errors import BackendError

FAKE = Path(__file__).with_name("fake_llama_server.py")


@pytest.fixture()
def fake_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "llama-server"
    script.write_text(f"#!/bin/sh\nexec {sys.executable} {FAKE} \"$@\"\n")
    script.chmod(0o755)
    monkeypatch.setenv(SERVER_ENV, str(script))
    pidfile = tmp_path / "pid"
    monkeypatch.setenv("FAKE_LLAMA_PIDFILE", str(pidfile))
    return pidfile


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it has exited all the same.
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def _request(rid: str) -> GenerationRequest:
    return GenerationRequest(rid, 1, 0.7, 0.95, 64, 1, messages=(ChatMessage("user", "add"),),
                             stop_at_code_end=True, entry_point="add")


def test_serves_and_stops_with_close(fake_server: Path, tmp_path: Path) -> None:
    log = tmp_path / "logs" / "server.log"
    backend = LlamaCppBackend("tiny", tmp_path / "model.gguf", LlamaCppConfig(slots=2), log)
    pid = int(fake_server.read_text())
    try:
        [gen] = backend.generate([_request("r0")])
        assert gen.completions[0].text.startswith("```python\ndef add(a, b):")
        assert "Done." not in gen.completions[0].text  # stopped at the code's end
    finally:
        backend.close()
    assert not _alive(pid)
    text = log.read_text()
    assert "--parallel 2" in text and "--host 127.0.0.1" in text and "fake llama-server" in text


def test_prefilled_answer_reads_as_a_whole_answer(fake_server: Path, tmp_path: Path) -> None:
    """The server continues the prefilled start; the completion text begins with it, so
    the code-end cut and the program extraction see one whole answer."""
    backend = LlamaCppBackend("tiny", tmp_path / "model.gguf", LlamaCppConfig(slots=1), tmp_path / "l.log")
    try:
        assert backend.supports_prefill
        prefill = "```python\ndef add(a, b):\n"
        request = GenerationRequest("r0", 1, 0.7, 0.95, 64, 1, messages=(ChatMessage("user", "add"),),
                                    stop_at_code_end=True, entry_point="add", prefill=prefill)
        assert backend.payload(request)["messages"][-1] == {"role": "assistant", "content": prefill}
        [gen] = backend.generate([request])
    finally:
        backend.close()
    completion = gen.completions[0]
    assert completion.text == prefill + "    return a + b\n```"
    assert completion.finish_reason == "code_end"
    assert completion.tokens == 2  # the prefill is not generated


def test_prompt_tokens_are_counted_by_the_server_when_the_stream_has_no_usage(fake_server: Path,
                                                                               tmp_path: Path) -> None:
    """A stream cut at the code's end reports no usage: the server's template and
    tokenizer count the prompt (the fake: one token per word), once per prompt."""
    backend = LlamaCppBackend("nousage", tmp_path / "model.gguf", LlamaCppConfig(slots=1), tmp_path / "l.log")
    try:
        request = GenerationRequest("r0", 1, 0.7, 0.95, 64, 1, messages=(ChatMessage("user", "add two numbers"),),
                                    stop_at_code_end=True, entry_point="add", prefill="```python\ndef add(a, b):\n")
        [gen] = backend.generate([request])
        assert gen.prompt_tokens == len(("add two numbers" + request.prefill).split())
        [again] = backend.generate([dataclasses.replace(request, request_id="r1")])
        assert again.prompt_tokens == gen.prompt_tokens
    finally:
        backend.close()


def test_server_that_dies_at_start_is_an_infrastructure_error(fake_server: Path, tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="exited with 3 while starting.*failed to load model"):
        LlamaCppBackend("crash", tmp_path / "m.gguf", LlamaCppConfig(), tmp_path / "server.log")


def test_server_never_ready_is_stopped(fake_server: Path, tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="not ready within 1 s"):
        LlamaCppBackend("slow", tmp_path / "m.gguf", LlamaCppConfig(start_timeout=1.0),
                        tmp_path / "server.log")
    assert not _alive(int(fake_server.read_text()))


def test_server_dies_with_a_killed_parent(fake_server: Path, tmp_path: Path) -> None:
    """SIGKILL to the process that owns the server leaves no server behind."""
    driver = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from sampler.backends.llamacpp import LlamaCppBackend, LlamaCppConfig\n"
        f"LlamaCppBackend('tiny', Path('m.gguf'), LlamaCppConfig(), Path({str(tmp_path / 'l.log')!r}))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", driver], stdout=subprocess.PIPE, text=True, cwd=root)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    pid = int(fake_server.read_text())
    assert _alive(pid)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_weights_are_not_repacked_for_amx_whose_kernels_crash_this_build() -> None:
    sapphire = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni amx_bf16 amx_tile amx_int8\n"
    epyc = "processor\t: 0\nflags\t\t: fpu avx2 fma f16c\n"
    assert repack_args(sapphire) == ("--no-repack",)
    assert repack_args(epyc) == ()
    assert repack_args("") == ()


def test_missing_binary_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(SERVER_ENV, str(tmp_path / "nope"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(BackendError, match="scripts/install.sh"):
        find_server()


def test_pause_and_resume_stop_and_continue_the_server(fake_server: Path, tmp_path: Path) -> None:
    backend = LlamaCppBackend("tiny", tmp_path / "model.gguf", LlamaCppConfig(slots=1), tmp_path / "l.log")
    pid = int(fake_server.read_text())
    try:
        backend.pause()
        assert _state(pid) == "T"
        backend.resume()
        assert _state(pid) != "T"
        backend.pause()
    finally:
        backend.close()  # a paused server is still stopped for good
    assert not _alive(pid)


def _state(pid: int) -> str:
    """The process's state letter (T: stopped), once the signal has had time to land."""
    time.sleep(0.2)
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0]


def test_strong_tier_holds_the_cheap_engine_while_busy() -> None:
    """While strong requests are in flight the cheap engine is paused; it resumes when
    they are done, aborted, or the strong tier closes."""
    from sampler.backends.base import HoldsOtherWhileBusy
    from sampler.backends.replay import ReplayBackend

    class Engine:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def pause(self) -> None:
            self.calls.append("pause")

        def resume(self) -> None:
            self.calls.append("resume")

    cheap = Engine()
    strong = HoldsOtherWhileBusy(ReplayBackend({"t": ["x"]}, model="s"), cheap)
    request = GenerationRequest("a", 1, 0.7, 0.95, 16, 1, messages=(ChatMessage("user", "q"),), task_id="t")
    strong.submit([request])
    assert cheap.calls == ["pause"]
    while strong.in_flight():
        strong.poll(1.0)
    assert cheap.calls == ["pause", "resume"]
    strong.submit([dataclasses.replace(request, request_id="b")])
    strong.abort(["b"])
    assert cheap.calls == ["pause", "resume", "pause", "resume"]
    strong.submit([dataclasses.replace(request, request_id="c")])
    strong.close()
    assert cheap.calls[-1] == "resume"
