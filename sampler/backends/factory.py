"""Building a backend from a model name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sampler.backends.base import Backend
from sampler.backends.replay import ReplayBackend
from sampler.config import EngineConfig
from sampler.models import chunked_model, packaged_gguf_file, resolve_model
from tasks.errors import ConfigError, InputError
from tasks.paths import cache_root

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


@dataclass(frozen=True)
class BackendScheme:
    """Model names that start with ``prefix`` (``replay:``, ``openai:``...) and how to
    serve them: ``build(name, engine, log_dir)`` starts the backend, ``check(name)``
    refuses a bad name before anything slow starts."""

    prefix: str
    build: Callable[[str, EngineConfig, Path | None], Backend]
    check: Callable[[str], None]


_SCHEMES: dict[str, BackendScheme] = {}
"""Backends for prefixed model names, by prefix. Names without a registered prefix are
local models: the packaged GGUF ones on llama.cpp, everything else on vLLM."""


def register_backend(scheme: BackendScheme) -> None:
    """Serve model names that start with ``scheme.prefix`` (``--model``, ``--strong``,
    the Python API) with ``scheme``."""
    if not scheme.prefix.endswith(":") or scheme.prefix in _SCHEMES:
        raise ConfigError(f"backend prefix {scheme.prefix!r}: must end in ':' and be new")
    _SCHEMES[scheme.prefix] = scheme


def _scheme(model: str) -> BackendScheme | None:
    return next((s for prefix, s in _SCHEMES.items() if model.startswith(prefix)), None)


def make_backend(model: str, engine: EngineConfig = EngineConfig(),
                 log_dir: Path | None = None) -> Backend:
    """``replay:FILE.jsonl`` (scripted completions, offline), ``openai:MODEL@URL`` (an
    OpenAI-compatible server), any other registered prefix, a packaged name, a path
    or a hub id.

    The engine starts here. The packaged Qwen GGUF models run on llama.cpp's server
    (faster than vLLM's CPU build here, measured); everything else on vLLM, which is
    imported only when a real model is asked for. ``log_dir``: where an engine
    process we start writes its log (default: the model cache's ``logs/``).
    """
    scheme = _scheme(model)
    if scheme is not None:
        return scheme.build(model, engine, log_dir)
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
    scheme = _scheme(model)
    if scheme is not None:
        scheme.check(model)
        return
    from sampler.models import PACKAGED_MODELS, check_packaged

    if model in PACKAGED_MODELS:
        check_packaged(model)
        return
    resolve_model(model)


# --------------------------------------------------------------------------- the built-in schemes


def _replay_path(model: str) -> Path:
    return Path(model[len(REPLAY_PREFIX):])


def _build_replay(model: str, engine: EngineConfig, log_dir: Path | None) -> Backend:
    return ReplayBackend.from_jsonl(_replay_path(model), model=model)


def _check_replay(model: str) -> None:
    if not _replay_path(model).is_file():
        raise InputError(f"replay script {_replay_path(model)}: no such file")


def _build_openai(model: str, engine: EngineConfig, log_dir: Path | None) -> Backend:
    from sampler.backends.openai_compat import OpenAICompatBackend

    name, url = parse_openai_spec(model)
    return OpenAICompatBackend(url, name)


def _check_openai(model: str) -> None:
    parse_openai_spec(model)  # the server is not contacted here


register_backend(BackendScheme(REPLAY_PREFIX, _build_replay, _check_replay))
register_backend(BackendScheme(OPENAI_PREFIX, _build_openai, _check_openai))
