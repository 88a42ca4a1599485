"""A GGUF model served natively: llama.cpp's ``llama-server`` on loopback, driven
through the OpenAI-compatible backend.

Measured on this project's 2-core AVX2 machines, the packaged Qwen2.5-Coder
models decode several times faster from their Q4_K_M GGUF in llama.cpp than
dequantised to float32 in vLLM's CPU build (``benchmarks/engine_speed.py``; the
figures are in docs/ENGINES.md), so the packaged GGUF models run here by default.

The server is ours: started in its own session, bound to 127.0.0.1 on a free port,
told to die with this process (PR_SET_PDEATHSIG), and stopped with its whole
process group on ``close``. Its log goes to a file, never the terminal.
"""

from __future__ import annotations

import ctypes
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sampler.backends.base import GenerationRequest
from sampler.backends.openai_compat import OpenAICompatBackend
from tasks.errors import BackendError, ConfigError

SERVER_ENV = "BESTOFN_LLAMA_SERVER"
"""Path of the ``llama-server`` binary, when it is not beside this Python or on PATH."""


@dataclass(frozen=True)
class LlamaCppConfig:
    """How ``llama-server`` runs a model. Defaults are this project's measured best on
    2 AVX2 cores (``benchmarks/engine_speed.py``)."""

    slots: int = 16
    """Sequences decoded together (continuous batching over ``--parallel`` slots)."""
    context_per_slot: int = 4096
    """Tokens of context each slot holds: prompt plus completion. 4096: an escalation
    prompt (a long task, twice, and two failing drafts with their messages) reached
    2,197 tokens on HumanEval, which a 2048-token slot refused (HTTP 400), ending the
    run; 16 slots of 4096 hold 0.8 GB of KV cache for the 0.5B and 1.9 GB for the 1.5B."""
    threads: int | None = None
    """CPU threads; ``None``: every core this process may use."""
    poll: int = 0
    """How hard idle compute threads spin (``--poll``, 0-100). 0: they sleep. Measured
    here: 30.4 tokens/s against 28.3 at llama.cpp's default of 50, and spinning
    threads starve whatever shares the cores (a second engine, the sandbox)."""
    start_timeout: float = 180.0
    extra_args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.slots < 1:
            raise ConfigError(f"llama.cpp slots must be >= 1, got {self.slots}")
        if self.context_per_slot < 256:
            raise ConfigError(f"llama.cpp context_per_slot must be >= 256, got {self.context_per_slot}")
        if not 0 <= self.poll <= 100:
            raise ConfigError(f"llama.cpp poll must be in [0, 100], got {self.poll}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"llama.cpp threads must be >= 1, got {self.threads}")


def find_server() -> Path:
    """``$BESTOFN_LLAMA_SERVER``, else ``llama-server`` beside this Python (where
    ``scripts/install.sh`` builds it), else on PATH."""
    configured = os.environ.get(SERVER_ENV)
    candidates = [Path(configured)] if configured else []
    candidates.append(Path(sys.executable).parent / "llama-server")
    found = shutil.which("llama-server")
    if found:
        candidates.append(Path(found))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    raise BackendError("the packaged GGUF models run on llama.cpp's llama-server, which is not "
                       f"installed: run scripts/install.sh (it builds it) or set {SERVER_ENV}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """Runs in the child before exec: the server is killed when we die, even by SIGKILL
    (SIGKILL: on SIGTERM llama-server first finishes what it is generating).
    (Strictly, when the thread that started it exits: start servers from a thread that
    lives as long as the run, as the CLI and the API do.)"""
    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _cpu_flags(cpuinfo: str) -> set[str]:
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def repack_args(cpuinfo: str | None = None) -> tuple[str, ...]:
    """``--no-repack`` on CPUs with AMX, else nothing. Built with GGML_NATIVE on an
    AMX machine (a Xeon Sapphire Rapids VM here, with the kernel granting AMX), this
    llama.cpp repacks the weights for its AMX kernels, and the server segfaults in
    ``ggml_backend_amx_mul_mat`` on its first batch (the Q8_0 0.5B, exit -11, every
    start): no model could run. Without repacking it serves normally."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            return ()
    return ("--no-repack",) if "amx_int8" in _cpu_flags(cpuinfo) else ()


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class LlamaServer:
    """One ``llama-server`` process serving ``gguf`` as ``name`` on a loopback port."""

    def __init__(self, gguf: Path, name: str, config: LlamaCppConfig, log_path: Path) -> None:
        self.name = name
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = log_path
        threads = config.threads or _cores()
        command = [
            str(find_server()), "--model", str(gguf), "--alias", name,
            "--host", "127.0.0.1", "--port", str(self.port),
            "--parallel", str(config.slots), "--ctx-size", str(config.slots * config.context_per_slot),
            "--threads", str(threads), "--threads-batch", str(threads), "--poll", str(config.poll),
            "--jinja", "--no-webui", *repack_args(), *config.extra_args,
        ]
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")
        self._log.write(("$ " + " ".join(command) + "\n").encode())
        self._log.flush()
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=_die_with_parent)
        try:
            self._wait_ready(config.start_timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise BackendError(f"llama-server for {self.name} exited with {self._process.returncode} "
                                   f"while starting: {self._log_tail()} (log: {self.log_path})")
            if self._healthy():
                return
            time.sleep(0.2)
        raise BackendError(f"llama-server for {self.name} was not ready within {timeout:g} s "
                           f"(log: {self.log_path})")

    def _healthy(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2.0)
        try:
            conn.request("GET", "/health")
            return conn.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(lines[-3:])

    def alive(self) -> bool:
        return self._process.poll() is None

    def pause(self) -> None:
        """Stop the server's processes (SIGSTOP): it holds its requests and uses no CPU."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def _signal(self, sig: signal.Signals) -> None:
        if self._process.poll() is None:
            try:
                os.killpg(self._process.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        """SIGTERM to the server's process group, SIGKILL after 2 s (nothing in it is worth waiting for)."""
        self.resume()  # a paused server would not act on SIGTERM
        if self._process.poll() is None:
            for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self._process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self._process.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self._log.close()


class LlamaCppBackend(OpenAICompatBackend):
    """The OpenAI-compatible backend over a ``llama-server`` this backend owns."""

    def __init__(self, name: str, gguf: Path, config: LlamaCppConfig, log_path: Path) -> None:
        self.server = LlamaServer(gguf, name, config, log_path)
        # Requests beyond the slots would only queue inside the server; keeping them
        # here lets an abort drop them without a connection.
        # A long read timeout: this server may be paused while the strong tier works.
        super().__init__(self.server.base_url, name, max_concurrency=config.slots, api_key="",
                         timeout=3600.0, retries=0, supports_prefill=True)
        self._count_lock = threading.Lock()
        self._prompt_counts: dict[str, int] = {}

    def count_prompt_tokens(self, request: GenerationRequest) -> int:
        """A stream we hang up at the code's end carries no usage report: the server's
        own chat template and tokenizer count the prompt (prefill included), once per
        distinct prompt. 0 when the server cannot say (the count is for costs only)."""
        key = hashlib.sha256(repr((request.messages, request.prompt, request.prefill)).encode(
            "utf-8", "surrogatepass")).hexdigest()
        with self._count_lock:
            known = self._prompt_counts.get(key)
        if known is not None:
            return known
        try:
            if request.messages is not None:
                messages = [{"role": m.role, "content": m.content} for m in request.messages]
                text = str(self._post_json("/apply-template", {"messages": messages})["prompt"])
            else:
                text = request.prompt or ""
            tokens = self._post_json("/tokenize", {"content": text + request.prefill, "add_special": True})["tokens"]
            count = len(tokens) if isinstance(tokens, list) else 0
        except (OSError, ValueError, KeyError, TypeError, http.client.HTTPException):
            return 0
        with self._count_lock:
            self._prompt_counts[key] = count
        return count

    def _post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
        try:
            conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
            if response.status != 200:
                raise ValueError(f"{path}: HTTP {response.status}")
            parsed = json.loads(data)
            if not isinstance(parsed, dict):
                raise ValueError(f"{path}: not an object")
            return parsed
        finally:
            conn.close()

    def pause(self) -> None:
        self.server.pause()

    def resume(self) -> None:
        self.server.resume()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.server.stop()
