"""``bestofn generate``: verified-solution datasets. Per model, N samples per task
(``runs``); every distinct verified solution becomes a dataset row (``dataset``) as
its task finishes.

Layout: ``DIR/run/<model-slug>/`` per model, ``DIR/dataset.jsonl`` (appended as tasks
finish) and ``DIR/dataset.parquet`` (rebuilt at the end).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sampler.config import EngineConfig, SampleConfig
from sampler.core.verify_run import close_if_closable, default_verifier
from sampler.experiments.dataset import (DATASET_JSONL, DATASET_PARQUET, DatasetWriter, Provenance,
                                         RunFollower, bestofn_version, verifier_version,
                                         write_parquet)
from sampler.experiments.runs import (LiveFactory, ModelSpec, RunStats, drawn_alike, model_name,
                                      model_slugs, require_module, solve_one)
from sampler.models import DEFAULT_MODEL
from sampler.terminal.tally import CountingVerifier, Live, NullLive
from tasks.errors import ConfigError, InputError
from tasks.registry import select_tasks
from tasks.types import Task
from verifiers.types import Verifier

@dataclass(frozen=True)
class GenerateReport:
    runs: tuple[RunStats, ...]
    new_rows: dict[str, int]
    """Rows this call added, per model."""
    rows: int
    """Rows in the dataset now (all models, earlier calls included)."""
    jsonl: Path
    parquet: Path

    @property
    def incomplete(self) -> bool:
        return any(r.incomplete for r in self.runs)


class _Syncing:
    """A Progress that pulls finished tasks into the dataset whenever the loop reports."""

    def __init__(self, live: Live, sync: Callable[[], None]) -> None:
        self.live = live
        self.sync = sync

    def start(self, total: int, already_done: int) -> None:
        self.live.start(total, already_done)
        self.sync()  # the store has accepted the settings: catch up with earlier runs

    def advance(self, tasks: int, solved: int) -> None:
        self.sync()
        self.live.advance(tasks, solved)

    def close(self) -> None:
        self.live.close()


def generate(
    tasks: Sequence[Task] | str | Path | None = None,
    *,
    out: str | Path,
    models: Sequence[ModelSpec] = (DEFAULT_MODEL,),
    suite: str | None = None,
    limit: int | None = None,
    skip: int = 0,
    sample: SampleConfig | None = None,
    max_per_task: int | None = None,
    batch_tasks: int | None = None,
    engine: EngineConfig | None = None,
    verifier: Verifier | None = None,
    verifiers: Sequence[str] | None = None,
    live: LiveFactory | None = None,
) -> GenerateReport:
    """Run the loop per model and keep every distinct verified solution as a dataset row."""
    if max_per_task is not None and max_per_task < 1:
        raise ConfigError(f"--max-per-task must be >= 1, got {max_per_task}")
    require_module("pyarrow")
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} exists and is not a directory")
    slugs = model_slugs(models)
    task_list = select_tasks(tasks, suite=suite, limit=limit, skip=skip)
    sample = drawn_alike(sample or SampleConfig())
    inner = verifier if verifier is not None else default_verifier(verifiers)
    provenance = Provenance(sample, inner.name, verifier_version(inner), bestofn_version())
    out_dir.mkdir(parents=True, exist_ok=True)
    writer = DatasetWriter(out_dir / DATASET_JSONL, provenance, max_per_task)
    runs: list[RunStats] = []
    new_rows: dict[str, int] = {}
    try:
        for spec, slug in zip(models, slugs):
            run_dir = out_dir / "run" / slug
            follower = RunFollower(run_dir)
            bar = (live or (lambda _: NullLive()))(f"generate {model_name(spec)}")
            added = 0

            def sync(follower: RunFollower = follower, bar: Live = bar) -> None:
                nonlocal added
                for task_id, samples in follower.poll():
                    added += writer.add(task_id, samples)
                bar.rows(writer.rows)

            counting = CountingVerifier(inner, bar.verified)
            runs.append(solve_one(task_list, spec, run_dir, sample, batch_tasks, engine, counting,
                                  _Syncing(bar, sync)))
            sync()  # a fully resumed run never starts the loop
            new_rows[model_name(spec)] = added
    finally:
        writer.close()
        if verifier is None:
            close_if_closable(inner)
    jsonl, parquet = out_dir / DATASET_JSONL, out_dir / DATASET_PARQUET
    rows = write_parquet(jsonl, parquet)
    return GenerateReport(tuple(runs), new_rows, rows, jsonl, parquet)


def generate_table(report: GenerateReport) -> tuple[list[str], list[list[str]]]:
    header = ["model", "tasks", "solved", "samples", "passes", "new rows"]
    rows = [[r.model, str(r.tasks), str(r.solved), str(r.samples), str(r.passes),
             str(report.new_rows.get(r.model, 0))] for r in report.runs]
    return header, rows
