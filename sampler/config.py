"""Validated run configuration. Every value is checked when the config is built."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from tasks.errors import ConfigError


class PromptStyle(StrEnum):
    """How a task becomes model input, and how code comes back out.

    ``chat``: the model's chat template with an instruction; code is taken from the
    first fenced block. ``completion``: the raw prompt; the output continues it.
    Instruct models (the packaged SmolLM2) need ``chat``: completion-style prompts
    solved 0 of 40 HumanEval tasks on it.
    """

    CHAT = "chat"
    COMPLETION = "completion"


@dataclass(frozen=True)
class SampleConfig:
    n: int = 10
    """Candidates per task from the cheap model."""
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 512
    """Generated tokens per sample at most."""
    seed: int = 0
    """Base seed; each task's seed derives from it and the task id, so reruns repeat."""
    prompt_style: PromptStyle = PromptStyle.CHAT

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ConfigError(f"n must be >= 1, got {self.n}")
        if not 0.0 <= self.temperature <= 5.0:
            raise ConfigError(f"temperature must be in [0, 5], got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.seed < 0:
            raise ConfigError(f"seed must be >= 0, got {self.seed}")


@dataclass(frozen=True)
class EngineConfig:
    """Settings of an in-process vLLM engine."""

    max_model_len: int = 2048
    dtype: str = "auto"
    """``auto``: float32 on CPU, the checkpoint's dtype on GPU."""
    enforce_eager: bool | None = None
    """Skip torch.compile / CUDA graphs. ``None``: on for CPU engines (measured here:
    52 s start vs 170 s compiled, even with a warm compile cache, at the same
    decode rate), off on GPU where CUDA graphs pay off."""
    kv_cache_gib: int = 4
    """CPU KV cache (VLLM_CPU_KVCACHE_SPACE). Sized so a batch of 8 tasks x 10 samples
    never preempts: see ``max_num_batched_tokens``."""
    max_num_batched_tokens: int = 16384
    """Prefill budget per engine step. On vLLM's CPU build a seeded request whose
    prompt is prefilled in chunks, or recomputed after preemption, kills the engine
    ("CPU Generator does not use offset": the rewind after a partial prefill relies on
    CUDA generator internals). A budget far above a batch's prompt tokens avoids it."""
    max_num_seqs: int | None = None
    """Sequences decoded at once. ``None``: 64 on CPU (64 x ~900 tokens stays far inside
    the 4 GiB KV cache, so nothing is ever preempted: see ``max_num_batched_tokens``),
    vLLM's default on GPU."""
    gpu_memory_utilization: float = 0.85
    tensor_parallel_size: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    """Further keyword arguments for ``vllm.LLM``."""

    def __post_init__(self) -> None:
        if self.max_model_len < 64:
            raise ConfigError(f"max_model_len must be >= 64, got {self.max_model_len}")
        if self.max_num_seqs is not None and self.max_num_seqs < 1:
            raise ConfigError(f"max_num_seqs must be >= 1, got {self.max_num_seqs}")
        if self.kv_cache_gib < 1:
            raise ConfigError(f"kv_cache_gib must be >= 1, got {self.kv_cache_gib}")
        if not 0.0 < self.gpu_memory_utilization <= 1.0:
            raise ConfigError(
                f"gpu_memory_utilization must be in (0, 1], got {self.gpu_memory_utilization}"
            )
        if self.tensor_parallel_size < 1:
            raise ConfigError(f"tensor_parallel_size must be >= 1, got {self.tensor_parallel_size}")


@dataclass(frozen=True)
class SolveConfig:
    sample: SampleConfig = SampleConfig()
    batch_tasks: int = 8
    """Tasks whose samples go to the engine together (more keeps the engine busier)."""

    def __post_init__(self) -> None:
        if self.batch_tasks < 1:
            raise ConfigError(f"batch_tasks must be >= 1, got {self.batch_tasks}")

    def fingerprint(self) -> dict[str, Any]:
        """The settings a resumed run must share with the run it continues."""
        return {key: (str(value) if isinstance(value, StrEnum) else value)
                for key, value in asdict(self.sample).items()}
