"""Verified-solution datasets: one row per distinct passing solution of a task.

Distinctness rule: two solutions are the same when their normalised code is the
same: the AST (``ast.dump``, no line/column attributes) after removing docstrings
of the module, classes and functions. Comments, blank lines, formatting and
docstrings therefore do not count; any other change (a renamed variable, a
reordered statement) does. Behavioural dedup (same outputs) is not done.

Durability: rows are appended to ``dataset.jsonl`` and fsynced as each task
finishes; a rerun first catches up from the run directory, and a row whose
``(task_id, solution_hash)`` is already in the file is never written again.
``dataset.parquet`` is rebuilt from the JSONL (plain column types only).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import os
import platform
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sampler.config import SampleConfig
from sampler.core.prompting import sample_seed
from sampler.storage.records import SampleRecord, check_field_types, sample_from_dict
from sampler.storage.store import RESULTS, SAMPLES, JsonlAppender, read_records
from tasks.pyast import parse_module

DATASET_JSONL = "dataset.jsonl"
DATASET_PARQUET = "dataset.parquet"


def bestofn_version() -> str:
    try:
        return importlib.metadata.version("bestofn")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def verifier_version(verifier: object) -> str:
    """The verifier's own ``version`` if it has one; else the bestofn release it ships
    in plus the Python that ran the checks (the sandbox runs this interpreter)."""
    own = getattr(verifier, "version", None)
    if isinstance(own, str) and own:
        return own
    return f"bestofn-{bestofn_version()}+python-{platform.python_version()}"


def _strip_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]


def normalised_code(source: str) -> str:
    """The form two solutions are compared in (see the module docstring). Source that
    does not parse falls back to its text with trailing spaces and blank ends removed."""
    try:
        tree = parse_module(source)
        _strip_docstrings(tree)
        return ast.dump(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # ast.dump recurses: a passing answer of 1,000 chained "+ 0" crashed every
        # rerun of generate (red team); its text is its form.
        return "text:" + "\n".join(line.rstrip() for line in source.strip().splitlines())


def solution_hash(source: str) -> str:
    return hashlib.sha256(normalised_code(source).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DatasetRow:
    task_id: str
    solution: str
    """Self-contained program (the task's imports and helpers plus the model's code)."""
    solution_hash: str
    model: str
    sample_index: int
    candidate_id: str
    tokens: int
    temperature: float
    top_p: float
    max_tokens: int
    n: int
    base_seed: int
    seed: int
    """This sample's own sampling seed (``sampler.core.prompting.sample_seed``): the request
    with it, the prompt and these settings draws this sample again."""
    prompt_style: str
    verifier: str
    verifier_version: str
    bestofn_version: str
    created_at: str
    """UTC, ISO 8601, when the row was written."""


COLUMNS = tuple(f.name for f in fields(DatasetRow))


@dataclass(frozen=True)
class Provenance:
    sample: SampleConfig
    verifier: str
    verifier_version: str
    bestofn_version: str

    def row(self, record: SampleRecord, digest: str) -> DatasetRow:
        return DatasetRow(
            task_id=record.task_id, solution=record.solution, solution_hash=digest,
            model=record.model, sample_index=record.sample_index,
            candidate_id=record.candidate_id, tokens=record.tokens,
            temperature=self.sample.temperature, top_p=self.sample.top_p,
            max_tokens=self.sample.max_tokens, n=self.sample.n, base_seed=self.sample.seed,
            seed=sample_seed(self.sample.seed, record.task_id, record.sample_index),
            prompt_style=str(self.sample.prompt_style.value), verifier=self.verifier,
            verifier_version=self.verifier_version, bestofn_version=self.bestofn_version,
            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )


class DatasetWriter:
    """Appends the distinct passing solutions of finished tasks to ``dataset.jsonl``."""

    def __init__(self, path: Path, provenance: Provenance, max_per_task: int | None = None) -> None:
        self.path = path
        self.provenance = provenance
        self.max_per_task = max_per_task
        self.keys: set[tuple[str, str]] = set()
        self.per_task: Counter[str] = Counter()
        for _, obj in read_records(path):
            task_id, digest = obj.get("task_id"), obj.get("solution_hash")
            if isinstance(task_id, str) and isinstance(digest, str) and (task_id, digest) not in self.keys:
                self.keys.add((task_id, digest))
                self.per_task[task_id] += 1
        self._appender = JsonlAppender(path)

    @property
    def rows(self) -> int:
        return len(self.keys)

    def add(self, task_id: str, samples: Iterable[SampleRecord]) -> int:
        """Rows for one finished task's samples; returns how many were new."""
        new: list[DatasetRow] = []
        for record in sorted(samples, key=lambda s: s.sample_index):
            if self.max_per_task is not None and self.per_task[task_id] >= self.max_per_task:
                break
            if not record.passed:
                continue
            digest = solution_hash(record.solution)
            if (task_id, digest) in self.keys:
                continue
            self.keys.add((task_id, digest))
            self.per_task[task_id] += 1
            new.append(self.provenance.row(record, digest))
        self._appender.append(asdict(row) for row in new)
        return len(new)

    def close(self) -> None:
        self._appender.close()


class JsonlTail:
    """Reads the complete lines appended to a JSONL file since the last call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def read_new(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            data = handle.read()
        end = data.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        out = []
        # Lines end at b"\n" only, as the store writes them: str.splitlines() also breaks
        # at U+2028, U+2029 and U+0085, which a solution's text holds raw (ensure_ascii
        # is off), and the pieces were skipped, losing the task's rows (red team).
        for raw in data[:end + 1].split(b"\n"):
            try:
                obj = json.loads(raw.decode("utf-8", errors="replace"))
            except (ValueError, RecursionError):
                continue  # a line torn by a crash (or empty); the store skips it too
            if isinstance(obj, dict):
                out.append(obj)
        return out


class RunFollower:
    """Follows a run directory: yields a task with its samples whenever a result line
    for it appears (again when a larger n reopens it; the writer keeps rows distinct)."""

    def __init__(self, run_dir: Path) -> None:
        self._results = JsonlTail(run_dir / RESULTS)
        self._samples = JsonlTail(run_dir / SAMPLES)
        self._known: dict[str, dict[str, SampleRecord]] = {}

    def poll(self) -> list[tuple[str, list[SampleRecord]]]:
        # Results before samples: a task's samples are written before its result, so
        # a result read here has all its samples on disk by the time they are read.
        results = self._results.read_new()
        for obj in self._samples.read_new():
            try:
                sample = sample_from_dict(obj, str(self._samples.path))
            except ValueError:
                continue
            self._known.setdefault(sample.task_id, {})[sample.candidate_id] = sample
        finished = []
        for obj in results:
            task_id = obj.get("task_id")
            if isinstance(task_id, str):
                finished.append((task_id, list(self._known.get(task_id, {}).values())))
        return finished


def parquet_schema() -> Any:
    import pyarrow as pa

    kinds = {int: pa.int64(), float: pa.float64(), str: pa.string()}
    hints = {"int": int, "float": float, "str": str}
    return pa.schema([(f.name, kinds[hints[str(f.type)]]) for f in fields(DatasetRow)])


def read_dataset(path: Path) -> list[dict[str, Any]]:
    """The rows of ``dataset.jsonl``, first occurrence of each (task_id, solution_hash)."""
    rows, seen = [], set()
    for where, obj in read_records(path):
        check_field_types(DatasetRow, obj, where)  # a hand-edited row stopped the Parquet write
        key = (obj.get("task_id"), obj.get("solution_hash"))
        if key not in seen:
            seen.add(key)
            rows.append(obj)
    return rows


def write_parquet(jsonl_path: Path, parquet_path: Path) -> int:
    """Rebuild the Parquet file from the JSONL; returns the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = read_dataset(jsonl_path)
    table = pa.Table.from_pylist([{c: row.get(c) for c in COLUMNS} for row in rows],
                                 schema=parquet_schema())
    tmp = parquet_path.with_name(parquet_path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, parquet_path)
    return len(rows)
