"""Scaling tables from a run's samples: coverage (mean unbiased pass@k) against k and
against generated tokens, with a bootstrap interval over tasks.

Everything here is a pure function of ``samples.jsonl``, so ``passk.csv`` can be
recomputed exactly from it (``passk_table_from_samples``).

Counting rules: each sample counts at its latest verdict (a re-verified sample
supersedes its ``error`` line, as in the store); only ``passed`` counts as a pass,
so a sample still marked ``error`` counts as a miss (a conservative estimate).
The table covers the tasks present in the file, for k = 1 .. the smallest number
of samples any of them has, so every task contributes at every k.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sampler.passk import pass_at_k
from sampler.storage.records import SampleRecord
from sampler.storage.store import load_samples
from tasks.errors import InputError

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
CONFIDENCE = 0.95
CSV_HEADER = "k,pass_at_k,ci_low,ci_high,mean_tokens"


@dataclass(frozen=True)
class PassKRow:
    k: int
    pass_at_k: float
    """Mean over tasks of the unbiased pass@k: the expected coverage with k samples."""
    ci_low: float
    ci_high: float
    """Percentile bootstrap interval (tasks resampled with replacement, fixed seed)."""
    mean_tokens: float
    """Expected generated tokens per task for k samples: k x mean tokens per sample."""


@dataclass(frozen=True)
class TaskCounts:
    task_id: str
    n: int
    passed: int
    tokens: int


def task_counts(samples: Mapping[str, Mapping[str, SampleRecord]],
                below: int | None = None) -> list[TaskCounts]:
    """Per task (in first-seen order): samples, passes, generated tokens. ``below``:
    only samples with a lower index (a run drawn to a larger n, read at a smaller one)."""
    counts = []
    for task_id, by_id in samples.items():
        kept = [s for s in by_id.values() if below is None or s.sample_index < below]
        if kept:
            counts.append(TaskCounts(task_id, len(kept), sum(s.passed for s in kept),
                                     sum(s.tokens for s in kept)))
    return counts


def pass_matrix(counts: Sequence[TaskCounts], max_k: int) -> np.ndarray:
    """``P[t, k-1]`` = unbiased pass@k of task t, for k = 1 .. max_k."""
    return np.array([[pass_at_k(c.n, c.passed, k) for k in range(1, max_k + 1)] for c in counts],
                    dtype=np.float64).reshape(len(counts), max_k)


def bootstrap_interval(per_task: np.ndarray, *, resamples: int = BOOTSTRAP_RESAMPLES,
                       seed: int = BOOTSTRAP_SEED,
                       confidence: float = CONFIDENCE) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap of the column means of ``per_task`` (tasks x columns).

    The same resampled task sets serve every column, so an interval that grows
    with the column (k) stays monotone.
    """
    tasks, columns = per_task.shape
    if tasks == 0:
        raise ValueError("bootstrap needs at least one task")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, tasks, size=(resamples, tasks))
    low_q, high_q = 50 * (1 - confidence), 100 - 50 * (1 - confidence)
    low = np.empty(columns)
    high = np.empty(columns)
    for j in range(columns):
        means = per_task[picks, j].mean(axis=1)
        low[j], high[j] = np.percentile(means, [low_q, high_q])
    return low, high


def passk_table(counts: Sequence[TaskCounts], max_k: int | None = None) -> list[PassKRow]:
    if not counts:
        raise InputError("no samples to tabulate")
    smallest = min(c.n for c in counts)
    max_k = smallest if max_k is None else max_k
    if not 1 <= max_k <= smallest:
        raise InputError(f"k must be in 1..{smallest} (the fewest samples of any task), got {max_k}")
    matrix = pass_matrix(counts, max_k)
    point = matrix.mean(axis=0)
    low, high = bootstrap_interval(matrix)
    per_sample = sum(c.tokens for c in counts) / sum(c.n for c in counts)
    return [PassKRow(k, float(point[k - 1]), float(low[k - 1]), float(high[k - 1]),
                     per_sample * k)
            for k in range(1, max_k + 1)]


def passk_table_from_samples(path: Path) -> list[PassKRow]:
    """The table ``passk.csv`` holds, recomputed from ``samples.jsonl``."""
    return passk_table(task_counts(load_samples(path)))


def table_to_csv(rows: Sequence[PassKRow]) -> str:
    """CSV text; floats in Python's shortest round-trip form, so values read back exactly."""
    lines = [CSV_HEADER]
    lines += [f"{r.k},{r.pass_at_k!r},{r.ci_low!r},{r.ci_high!r},{r.mean_tokens!r}" for r in rows]
    return "\n".join(lines) + "\n"


def table_from_csv(text: str) -> list[PassKRow]:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != CSV_HEADER:
        raise InputError(f"not a passk.csv (header should be {CSV_HEADER!r})")
    rows = []
    for line in lines[1:]:
        k, point, low, high, tokens = line.split(",")
        rows.append(PassKRow(int(k), float(point), float(low), float(high), float(tokens)))
    return rows
