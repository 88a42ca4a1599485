"""A verdict cache: a duplicate sample is verified once.

Keyed by (task id, task digest, code hash, verifier name, verifier version). The
code hash is of the exact source text. A normalised key (the AST without
comments and positions) found more duplicates, but a candidate can observe what
it drops: its own line numbers through its frames, and mypy reads ``# type:``
comments. A wrong twin that differs from a correct one only there got the
correct one's cached pass. The task digest guards against a task id reused with
other text.

ERROR verdicts are never stored (an infrastructure fault must be retried).
Cached verdicts are re-issued with the new candidate's id and ``seconds=0``.
In memory, thread-safe.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from dataclasses import dataclass

from tasks.types import Task
from verifiers.types import Candidate, Status, Verdict


def code_key(source: str) -> str:
    """The source's hash: same text, same key; any other byte, another key."""
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class CacheKey:
    task_id: str
    task_digest: str
    code_hash: str
    verifier: str
    version: str


@dataclass(frozen=True)
class CacheStats:
    entries: int
    hits: int
    misses: int


class VerdictCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[CacheKey, Verdict] = {}
        self._hits = 0
        self._misses = 0

    @staticmethod
    def key(task: Task, candidate: Candidate, verifier: str, version: str) -> CacheKey:
        return CacheKey(task.task_id, task.digest()[:16], code_key(candidate.source), verifier, version)

    def get(self, key: CacheKey, candidate: Candidate) -> Verdict | None:
        """The stored verdict re-issued for ``candidate``, or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self._misses += 1
                return None
            self._hits += 1
        return dataclasses.replace(found, candidate_id=candidate.candidate_id, task_id=candidate.task_id, seconds=0.0)

    def put(self, key: CacheKey, verdict: Verdict) -> None:
        if verdict.status is Status.ERROR:
            return
        with self._lock:
            self._entries[key] = verdict

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(len(self._entries), self._hits, self._misses)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
