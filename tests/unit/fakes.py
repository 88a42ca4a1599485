"""Test doubles for the loop: a verifier that judges by a marker in the source.

It never runs the candidate (nothing in our process ever does); the sandbox has
its own tests. ``infra_errors`` makes chosen candidates come back as ``error``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tasks.types import Task
from verifiers.types import Candidate, Status, Verdict


class MarkerVerifier:
    name = "marker"

    def __init__(self, marker: str = "# correct", infra_errors: set[tuple[str, str]] | None = None,
                 fail_after: int | None = None) -> None:
        self.marker = marker
        self.infra_errors = infra_errors or set()
        self.fail_after = fail_after
        self.calls: list[tuple[str, list[str]]] = []

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise RuntimeError("simulated crash")
        self.calls.append((task.task_id, [c.candidate_id for c in candidates]))
        out = []
        for c in candidates:
            if (c.task_id, c.candidate_id) in self.infra_errors:
                status = Status.ERROR
            else:
                status = Status.PASSED if self.marker in c.source else Status.FAILED
            detail = "" if status is not Status.FAILED else f"AssertionError in check of {c.candidate_id}"
            out.append(Verdict(c.task_id, c.candidate_id, self.name, status, detail))
        return out


def make_task(i: int) -> Task:
    name = f"f{i}"
    return Task(
        task_id=f"T/{i}",
        prompt=f"from typing import List\n\n\ndef {name}(x: int) -> int:\n    \"\"\"Return x + {i}.\"\"\"\n",
        entry_point=name,
        test=f"def check(candidate):\n    assert candidate(1) == {1 + i}\n",
        canonical_solution=f"    return x + {i}\n",
    )


def fenced(body: str) -> str:
    return f"Here you go:\n```python\n{body}```\n"


ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, timeout: float, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``bestofn ARGS`` in a fresh interpreter from the repository root (``env``: added
    to this process's environment)."""
    return subprocess.run([sys.executable, "-m", "sampler.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **env} if env else None)
