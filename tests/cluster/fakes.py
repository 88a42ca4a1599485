"""Test doubles that run inside Ray actors (importable there: Ray puts the driver's
working directory, the repository root, on the workers' path)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from sampler.backends.base import GenerationRequest
from tasks.types import Task
from verifiers.types import Candidate, Status, Verdict


class SlowMarkerVerifier:
    """Passes a candidate whose source has ``# correct``; takes ``delay`` seconds per candidate."""

    name = "slow-marker"

    def __init__(self, delay: float = 0.1) -> None:
        self.delay = delay

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        out = []
        for cand in candidates:
            time.sleep(self.delay)
            status = Status.PASSED if "# correct" in cand.source else Status.FAILED
            out.append(Verdict(cand.task_id, cand.candidate_id, self.name, status, seconds=self.delay))
        return out


def request(i: int, task: str = "T/0", n: int = 1) -> GenerationRequest:
    return GenerationRequest(request_id=f"{task}|cheap|{i}", completions=n, temperature=0.7, top_p=0.95,
                             max_tokens=64, seed=i, prompt="p", task_id=task, first_index=i)


def candidates(count: int, task_id: str = "T/0") -> list[Candidate]:
    return [Candidate(task_id, f"s{i}", f"def f(x):\n    return x  # {'correct' if i % 3 == 0 else 'wrong'}\n")
            for i in range(count)]
