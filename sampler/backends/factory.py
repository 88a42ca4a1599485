"""Building a backend from a model name."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from sampler.backends.base import Backend
from sampler.backends.replay import ReplayBackend
from sampler.config import EngineConfig
from sampler.models import chunked_model, packaged_gguf_file, resolve_model
from tasks.paths import cache_root
from tasks.errors import InputError

REPLAY_PREFIX = "replay:"
OPENAI_PREFIX = "openai:"
_OPENAI_FORM = "openai:MODEL@http(s)://HOST[:PORT]/v1"


def parse_openai_spec(model: str) -> tuple[str, str]:
    """``openai:MODEL@BASE_URL`` -> (MODEL, BASE_URL); InputError names what is wrong."""
    rest = model[len(OPENAI_PREFIX):]
    name, at, url = rest.partition("@")
    if not at or not name.strip():
        raise InputError(f"model {model!r}: expected {_OPENAI_FORM}")
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises ValueError here
    except ValueError:
        raise InputError(f"model {model!r}: bad URL {url!r}, expected {_OPENAI_FORM}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"model {model!r}: bad URL {url!r}, expected {_OPENAI_FORM}")
    return name.strip(), url


def make_backend(model: str, engine: EngineConfig = EngineConfig(),
                 log_dir: Path | None = None) -> Backend:
    """``replay:FILE.jsonl`` (scripted completions, offline), ``openai:MODEL@URL`` (an
    OpenAI-compatible server), a packaged name, a path or a hub id.

    The engine starts here. The packaged Qwen GGUF models run on llama.cpp's server
    (faster than vLLM's CPU build here, measured); everything else on vLLM, which is
    imported only when a real model is asked for. ``log_dir``: where an engine
    process we start writes its log (default: the model cache's ``logs/``).
    """
    if model.startswith(REPLAY_PREFIX):
        path = Path(model[len(REPLAY_PREFIX):])
        return ReplayBackend.from_jsonl(path, model=model)
    if model.startswith(OPENAI_PREFIX):
        from sampler.backends.openai_compat import OpenAICompatBackend

        name, url = parse_openai_spec(model)
        return OpenAICompatBackend(url, name)
    if chunked_model(model) is not None:
        from sampler.backends.llamacpp import LlamaCppBackend, LlamaCppConfig

        logs = log_dir or cache_root() / "logs"
        return LlamaCppBackend(model, packaged_gguf_file(model), LlamaCppConfig(),
                               logs / f"llama-server-{model}.log")
    resolved = resolve_model(model)
    from sampler.backends.vllm import VllmBackend

    return VllmBackend(resolved.name, resolved.path, engine)


def prefills_answers(model: str) -> bool:
    """Whether the backend ``make_backend(model)`` builds continues a prefilled answer
    (llama.cpp's server, for the packaged GGUF models)."""
    return chunked_model(model) is not None


def check_model_name(model: str) -> None:
    """Fail fast on a bad name, before anything slow starts."""
    if model.startswith(REPLAY_PREFIX):
        path = Path(model[len(REPLAY_PREFIX):])
        if not path.is_file():
            from tasks.errors import InputError

            raise InputError(f"replay script {path}: no such file")
        return
    if model.startswith(OPENAI_PREFIX):
        parse_openai_spec(model)  # the server is not contacted here
        return
    from sampler.models import PACKAGED_MODELS, check_packaged

    if model in PACKAGED_MODELS:
        check_packaged(model)
        return
    resolve_model(model)
