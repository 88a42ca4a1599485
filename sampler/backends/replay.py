"""A scripted backend: replays fixed completions, so the whole loop runs offline.

Sample ``i`` of a request gets the ``i``-th scripted text for its ``request_id``
(cycling when the script is shorter than ``n``). Optional latency model: sleep as
if generating at ``tokens_per_second``, for scheduling and scaling tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from sampler.backends.base import Completion, Generation, GenerationRequest
from tasks.errors import ConfigError, TaskFormatError
from tasks.jsonl import read_jsonl_objects, require_str


def count_tokens(text: str) -> int:
    """A stand-in tokenizer: about four characters a token, at least one."""
    return max(1, len(text) // 4)


class ReplayBackend:
    def __init__(
        self,
        script: Mapping[str, Sequence[str]],
        *,
        model: str = "replay",
        default: str = "",
        tokens_per_second: float | None = None,
    ) -> None:
        if tokens_per_second is not None and tokens_per_second <= 0:
            raise ConfigError(f"tokens_per_second must be > 0, got {tokens_per_second}")
        self.model = model
        self._script = {key: list(texts) for key, texts in script.items()}
        self._default = default
        self._tokens_per_second = tokens_per_second
        self._lock = threading.Lock()
        self.requests_seen: list[GenerationRequest] = []
        """Every request received, in order: tests read what reached the model."""

    @classmethod
    def from_jsonl(cls, path: Path, *, model: str = "replay") -> ReplayBackend:
        """Lines of ``{"task_id": ..., "completion": ...}``, in sample order per task."""
        script: dict[str, list[str]] = {}
        for number, obj in read_jsonl_objects(path):
            where = f"{path}:{number}"
            task_id = require_str(obj, "task_id", where)
            text = require_str(obj, "completion", where)
            assert task_id is not None and text is not None
            script.setdefault(task_id, []).append(text)
        if not script:
            raise TaskFormatError(f"{path}: no completions")
        return cls(script, model=model)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        with self._lock:
            self.requests_seen.extend(requests)
        out: list[Generation] = []
        total_tokens = 0
        for request in requests:
            texts = self._script.get(request.request_id) or [self._default]
            completions = tuple(
                Completion(text=texts[i % len(texts)], tokens=count_tokens(texts[i % len(texts)]))
                for i in range(request.n)
            )
            total_tokens += sum(c.tokens for c in completions)
            prompt_text = request.prompt or "".join(m.content for m in request.messages or ())
            out.append(Generation(request.request_id, completions, count_tokens(prompt_text)))
        if self._tokens_per_second is not None:
            time.sleep(total_tokens / self._tokens_per_second)
        return out

    def close(self) -> None:
        pass
