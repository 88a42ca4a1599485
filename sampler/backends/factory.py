"""Building a backend from a model name."""

from __future__ import annotations

from pathlib import Path

from sampler.backends.base import Backend
from sampler.backends.replay import ReplayBackend
from sampler.config import EngineConfig
from sampler.models import resolve_model

REPLAY_PREFIX = "replay:"


def make_backend(model: str, engine: EngineConfig = EngineConfig()) -> Backend:
    """``replay:FILE.jsonl`` (scripted completions, offline), ``smollm2-135m``, a path or a hub id.

    The engine starts here; vLLM is imported only when a real model is asked for.
    """
    if model.startswith(REPLAY_PREFIX):
        path = Path(model[len(REPLAY_PREFIX):])
        return ReplayBackend.from_jsonl(path, model=model)
    resolved = resolve_model(model)
    from sampler.backends.vllm import VllmBackend

    return VllmBackend(resolved.name, resolved.path, engine)


def check_model_name(model: str) -> None:
    """Fail fast on a bad name, before anything slow starts."""
    if model.startswith(REPLAY_PREFIX):
        path = Path(model[len(REPLAY_PREFIX):])
        if not path.is_file():
            from tasks.errors import InputError

            raise InputError(f"replay script {path}: no such file")
        return
    from sampler.models import PACKAGED_MODEL, packaged_gguf

    if model == PACKAGED_MODEL:
        packaged_gguf()
        return
    resolve_model(model)
