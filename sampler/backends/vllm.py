"""The vLLM backend: an in-process ``vllm.LLM`` engine (CPU build or GPU build).

vLLM is imported here and nowhere else, lazily, so the core runs without it.
vLLM spawns its engine core in a child process: scripts that build this backend
need the ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

from sampler.backends.answer import FINISH_CODE_END, code_end, settled
from sampler.backends.base import Aborted, Completion, Generation, GenerationRequest, limit_reached
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
        self._streams: dict[str, _Stream] = {}
        self._finished: list[Generation] = []

    def _prompt_text(self, request: GenerationRequest) -> str:
        if request.prompt is not None:
            return request.prompt
        messages = [{"role": m.role, "content": m.content} for m in request.messages or ()]
        text = self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return str(text)

    def _params(self, request: GenerationRequest, output_kind: Any = None) -> Any:
        extra = {} if output_kind is None else {"output_kind": output_kind}
        return self._vllm.SamplingParams(
            n=request.completions,
            temperature=request.temperature,
            top_p=request.top_p,
            max_tokens=request.max_tokens,
            seed=request.seed,
            stop=list(request.stop) or None,
            **extra,
        )

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        if not requests:
            return []
        prompts = [self._prompt_text(r) for r in requests]
        params = [self._params(r) for r in requests]
        try:
            outputs = self._llm.generate(prompts, params, use_tqdm=False)
        except Exception as exc:
            raise BackendError(f"vLLM generation failed: {exc}") from exc
        generations: list[Generation] = []
        for request, output in zip(requests, outputs):
            completions = tuple(
                _trimmed(Completion(text=o.text, tokens=len(o.token_ids), finish_reason=str(o.finish_reason)),
                         request.stop_at_code_end)
                for o in output.outputs
            )
            prompt_tokens = len(output.prompt_token_ids or ())
            generations.append(Generation(request.request_id, completions, prompt_tokens))
        return generations

    # The streaming shape: requests go straight into the engine; each step's new
    # tokens come back as deltas, so an abort knows what the request had cost.

    def submit(self, requests: Sequence[GenerationRequest]) -> None:
        from vllm.sampling_params import RequestOutputKind

        engine = self._llm.llm_engine
        for request in requests:
            if request.request_id in self._streams:
                raise BackendError(f"request id {request.request_id!r} is already in flight")
            try:
                engine.add_request(request.request_id, self._prompt_text(request),
                                   self._params(request, RequestOutputKind.DELTA))
            except Exception as exc:
                raise BackendError(f"vLLM refused request {request.request_id!r}: {exc}") from exc
            settle = request.stop_at_code_end and request.completions == 1
            self._streams[request.request_id] = _Stream(request.completions, settle, request.entry_point)

    def poll(self, timeout: float) -> list[Generation]:
        engine = self._llm.llm_engine
        deadline = time.monotonic() + timeout
        while not self._finished and self._streams:
            try:
                outputs = engine.step()  # blocks for one engine step
            except Exception as exc:
                raise BackendError(f"vLLM generation failed: {exc}") from exc
            for output in outputs:
                stream = self._streams.get(output.request_id)
                if stream is None:  # aborted meanwhile
                    continue
                stream.add(output)
                if output.finished:
                    del self._streams[output.request_id]
                    self._finished.append(stream.generation(output.request_id))
                elif stream.settled() or stream.past_limit():
                    # Nothing more can change what is verified (its first python block
                    # closed, or its code can no longer parse), or it ran into a limit
                    # lowered after it was submitted.
                    self._retire(output.request_id)
            if time.monotonic() >= deadline:
                break
        done, self._finished = self._finished, []
        return done

    def _retire(self, request_id: str) -> None:
        """Stop an unfinished request in the engine and hand back what it has so far."""
        self._llm.llm_engine.abort_request([request_id])
        self._finished.append(self._streams.pop(request_id).generation(request_id))

    def shorten(self, request_ids: Sequence[str], max_tokens: int) -> None:
        for request_id in request_ids:
            stream = self._streams.get(request_id)
            if stream is None:
                continue
            stream.limit = min(stream.limit or max_tokens, max_tokens)
            if stream.past_limit():
                self._retire(request_id)

    def abort(self, request_ids: Sequence[str]) -> Aborted:
        wanted = set(request_ids)
        gone = [r for r in request_ids if r in self._streams]
        if gone:
            self._llm.llm_engine.abort_request(gone)
        tokens = sum(self._streams.pop(r).tokens() for r in gone)
        # Finished in the engine but not yet polled: dropped too, their tokens were spent.
        late = [g for g in self._finished if g.request_id in wanted]
        self._finished = [g for g in self._finished if g.request_id not in wanted]
        tokens += sum(c.tokens for g in late for c in g.completions)
        return Aborted(len(gone) + len(late), tokens)

    def in_flight(self) -> int:
        return len(self._streams) + len(self._finished)

    def close(self) -> None:
        llm = getattr(self, "_llm", None)
        if llm is None:
            return
        self._llm = None
        shutdown = getattr(getattr(llm, "llm_engine", None), "shutdown", None)
        if callable(shutdown):
            shutdown()


def _trimmed(completion: Completion, stop_at_code_end: bool) -> Completion:
    """A whole answer cut after its first python block (the batch path cannot stop early)."""
    end = code_end(completion.text) if stop_at_code_end else None
    if end is None or end == len(completion.text):
        return completion
    return Completion(completion.text[:end], completion.tokens, FINISH_CODE_END)


class _Stream:
    """One in-flight request's output so far, accumulated from delta outputs."""

    def __init__(self, n: int, settle: bool = False, entry_point: str = "") -> None:
        self.texts: list[list[str]] = [[] for _ in range(n)]
        self.token_counts = [0] * n
        self.finish_reasons = [""] * n
        self.prompt_tokens = 0
        self._settle = settle
        self._entry_point = entry_point
        self.limit: int | None = None
        """Tokens per sample, when lowered after submission (``shorten``)."""

    def past_limit(self) -> bool:
        """True once every sample has finished or reached a lowered limit; those that
        reached it finish as ``length``."""
        reasons = limit_reached(self.limit, self.token_counts, self.finish_reasons)
        if reasons is None:
            return False
        self.finish_reasons = reasons
        return True

    def settled(self) -> bool:
        """True once the (single) sample's verified program is settled (``answer.settled``);
        its text is then cut there. The caller retires the stream at once, so this is never
        asked again after a True."""
        if not self._settle:
            return False
        cut = settled(self.texts[0], self._entry_point)
        if cut is None:
            return False
        text, self.finish_reasons[0] = cut
        self.texts[0] = [text]
        return True

    def add(self, output: Any) -> None:
        if output.prompt_token_ids:
            self.prompt_tokens = len(output.prompt_token_ids)
        for piece in output.outputs:
            self.texts[piece.index].append(piece.text)
            self.token_counts[piece.index] += len(piece.token_ids)
            if piece.finish_reason is not None:
                self.finish_reasons[piece.index] = str(piece.finish_reason)

    def tokens(self) -> int:
        return sum(self.token_counts)

    def generation(self, request_id: str) -> Generation:
        completions = tuple(
            Completion(text="".join(parts), tokens=count, finish_reason=reason or "stop")
            for parts, count, reason in zip(self.texts, self.token_counts, self.finish_reasons)
        )
        return Generation(request_id, completions, self.prompt_tokens)
