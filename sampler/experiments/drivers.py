"""Experiments over the best-of-N loop: scaling curves (``scale``) and verified
datasets (``generate``). Both run ``sampler.core.api.solve`` once per model (N samples
per task, every sample verified, no early stop; the usual ``samples.jsonl`` and
``results.jsonl``, resumable) and derive their outputs from those files.

``scale`` layout: ``DIR/<model-slug>/`` per model (run files, ``passk.csv``,
``fit.json``) and ``DIR/scaling.png`` with every model run found in ``DIR``, so a
later run of another model into the same ``DIR`` joins the figure (the raw
material for equal-cost comparisons between tiers).

``generate`` layout: ``DIR/run/<model-slug>/`` per model, ``DIR/dataset.jsonl``
(appended as tasks finish) and ``DIR/dataset.parquet`` (rebuilt at the end).
"""

from __future__ import annotations

import dataclasses

import importlib.util
import json
import os
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sampler.core.api import close_if_closable, default_verifier, solve
from sampler.backends.base import Backend
from sampler.backends.factory import check_model_name
from sampler.config import EngineConfig, SampleConfig
from sampler.experiments.dataset import (DATASET_JSONL, DATASET_PARQUET, DatasetWriter, Provenance,
                             RunFollower, bestofn_version, verifier_version, write_parquet)
from sampler.models import DEFAULT_MODEL
from sampler.experiments.plot import Curve, plot_scaling
from sampler.experiments.powerlaw import EXTRAPOLATE_AT, PowerLawFit, fit_power_law
from sampler.terminal.progress import Progress
from sampler.experiments.scaling import PassKRow, passk_table, table_to_csv, task_counts
from sampler.storage.store import MANIFEST, SAMPLES, load_samples
from sampler.terminal.tally import CountingVerifier, Live, NullLive
from tasks.errors import ConfigError, InfrastructureError, InputError
from tasks.registry import select_tasks
from tasks.types import Task
from verifiers.types import Verifier

PASSK_CSV = "passk.csv"
FIT_JSON = "fit.json"
FIGURE = "scaling.png"

ModelSpec = str | Backend
"""A model name (as for ``solve``) or a ready backend (its ``model`` names it)."""
LiveFactory = Callable[[str], Live]


def model_slug(model: str) -> str:
    """A directory name for a model: unsafe characters become ``-``; long names are
    shortened with a checksum so distinct names stay distinct."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-.") or "model"
    if len(slug) > 60:
        slug = f"{slug[:40].rstrip('-.')}-{zlib.crc32(model.encode('utf-8')):08x}"
    return slug


def _name(spec: ModelSpec) -> str:
    return spec if isinstance(spec, str) else spec.model


def _slugs(models: Sequence[ModelSpec]) -> list[str]:
    if not models:
        raise InputError("give at least one --model")
    names = [_name(m) for m in models]
    if len(set(names)) != len(names):
        raise InputError(f"a model is given twice: {', '.join(names)}")
    slugs = [model_slug(n) for n in names]
    if len(set(slugs)) != len(slugs):
        raise InputError(f"models {', '.join(names)} map to the same directory name")
    for spec in models:
        if isinstance(spec, str):
            check_model_name(spec)  # fail fast, before any engine starts
    return slugs


def _require(module: str) -> None:
    """Fail before any sampling when an output library (the ``data`` extra) is missing."""
    if importlib.util.find_spec(module) is None:
        raise InfrastructureError(f"{module} is not installed: pip install -e '.[data]'")


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@dataclass(frozen=True)
class RunStats:
    """What one model's run did (totals over the run directory, resumed runs included)."""

    model: str
    out_dir: Path
    tasks: int
    solved: int
    samples: int
    passes: int
    tokens: int
    incomplete: tuple[str, ...]


def _drawn_alike(sample: SampleConfig) -> SampleConfig:
    """Scaling curves and datasets need every sample drawn at the stated temperature
    (pass@k estimates assume it; a dataset row records it): no greedy first sample."""
    return dataclasses.replace(sample, greedy_first=False)


def _solve_one(task_list: list[Task], spec: ModelSpec, run_dir: Path, sample: SampleConfig,
               batch_tasks: int | None, engine: EngineConfig | None, verifier: Verifier,
               progress: Progress) -> RunStats:
    report = solve(task_list, out=run_dir, model=spec if isinstance(spec, str) else DEFAULT_MODEL,
                   backend=None if isinstance(spec, str) else spec, sample=sample,
                   batch_tasks=batch_tasks, engine=engine, verifier=verifier, progress=progress,
                   stop_on_first_pass=False)
    return RunStats(_name(spec), run_dir, report.summary.tasks, report.summary.solved,
                    report.summary.samples, sum(r.passed_samples for r in report.results),
                    report.summary.tokens_generated, report.outcome.incomplete)


# --- scale --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelScaling:
    """The scaling analysis of one run directory."""

    model: str
    run_dir: Path
    tasks: int
    samples: int
    passes: int
    mean_tokens_per_sample: float
    rows: tuple[PassKRow, ...]
    fit: PowerLawFit


@dataclass(frozen=True)
class ScaleReport:
    runs: tuple[RunStats, ...]
    """The runs of this call."""
    analyses: tuple[ModelScaling, ...]
    """Every run directory in ``out``, this call's and earlier ones."""
    figure: Path

    @property
    def incomplete(self) -> bool:
        return any(r.incomplete for r in self.runs)


def analyse_run(run_dir: Path, n: int | None = None) -> ModelScaling:
    """Write ``passk.csv`` and ``fit.json`` for one run directory, from its samples.jsonl
    (``n``: from each task's first n samples only, when more were drawn)."""
    counts = task_counts(load_samples(run_dir / SAMPLES), below=n)
    rows = tuple(passk_table(counts))
    fit = fit_power_law([r.k for r in rows], [r.pass_at_k for r in rows])
    model = run_dir.name
    manifest = run_dir / MANIFEST
    if manifest.is_file():
        model = str(json.loads(manifest.read_text(encoding="utf-8")).get("model", model))
    samples = sum(c.n for c in counts)
    per_sample = sum(c.tokens for c in counts) / samples
    analysis = ModelScaling(model, run_dir, len(counts), samples, sum(c.passed for c in counts),
                            per_sample, rows, fit)
    _write_atomic(run_dir / PASSK_CSV, table_to_csv(rows))
    fit_doc = {
        "model": model, "tasks": len(counts), "max_k": rows[-1].k, "samples": samples,
        "passes": analysis.passes, "mean_tokens_per_sample": per_sample,
        "coverage_at_max_k": rows[-1].pass_at_k,
        **fit.to_json(),
        "tokens_per_task_at": {str(k): per_sample * k for k in EXTRAPOLATE_AT},
    }
    _write_atomic(run_dir / FIT_JSON, json.dumps(fit_doc, indent=2) + "\n")
    return analysis


def run_dirs(out: Path) -> list[Path]:
    """Run directories directly under ``out`` (a manifest and samples), by name."""
    if not out.is_dir():
        return []
    return sorted(d for d in out.iterdir()
                  if d.is_dir() and (d / MANIFEST).is_file() and (d / SAMPLES).is_file()
                  and (d / SAMPLES).stat().st_size > 0)


def scale(
    tasks: Sequence[Task] | str | Path | None = None,
    *,
    out: str | Path,
    models: Sequence[ModelSpec] = (DEFAULT_MODEL,),
    suite: str | None = None,
    limit: int | None = None,
    skip: int = 0,
    sample: SampleConfig | None = None,
    batch_tasks: int | None = None,
    engine: EngineConfig | None = None,
    verifier: Verifier | None = None,
    verifiers: Sequence[str] | None = None,
    live: LiveFactory | None = None,
) -> ScaleReport:
    """N samples per task per model; pass@k tables, power-law fits and the figure."""
    _require("matplotlib")
    out_dir = Path(out)
    slugs = _slugs(models)
    task_list = select_tasks(tasks, suite=suite, limit=limit, skip=skip)
    sample = _drawn_alike(sample or SampleConfig())
    inner = verifier if verifier is not None else default_verifier(verifiers)
    runs: list[RunStats] = []
    try:
        for spec, slug in zip(models, slugs):
            bar = (live or (lambda _: NullLive()))(f"scale {_name(spec)}")
            counting = CountingVerifier(inner, bar.verified)
            runs.append(_solve_one(task_list, spec, out_dir / slug, sample, batch_tasks, engine,
                                   counting, bar))
    finally:
        if verifier is None:
            close_if_closable(inner)
    analyses = tuple(analyse_run(d, sample.n) for d in run_dirs(out_dir))
    figure = out_dir / FIGURE
    plot_scaling([Curve(a.model, a.rows, a.fit) for a in analyses], figure,
                 title=f"coverage vs samples and tokens ({analyses[0].tasks} tasks)" if analyses else "")
    return ScaleReport(tuple(runs), analyses, figure)


def scale_table(report: ScaleReport) -> tuple[list[str], list[list[str]]]:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    header = ["model", "tasks", "samples", "passes", "pass@1", "coverage@N", "tokens/sample",
              "fit a", "fit b", "pred@100", "pred@1000"]
    rows = []
    for a in report.analyses:
        rows.append([a.model, str(a.tasks), str(a.samples), str(a.passes),
                     pct(a.rows[0].pass_at_k), f"{pct(a.rows[-1].pass_at_k)} (N={a.rows[-1].k})",
                     f"{a.mean_tokens_per_sample:.1f}",
                     "-" if a.fit.a is None else f"{a.fit.a:.3g}",
                     "-" if a.fit.b is None else f"{a.fit.b:.3g}",
                     pct(a.fit.predict(100)), pct(a.fit.predict(1000))])
    return header, rows


# --- generate -----------------------------------------------------------------------------


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
    _require("pyarrow")
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} exists and is not a directory")
    slugs = _slugs(models)
    task_list = select_tasks(tasks, suite=suite, limit=limit, skip=skip)
    sample = _drawn_alike(sample or SampleConfig())
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
            bar = (live or (lambda _: NullLive()))(f"generate {_name(spec)}")
            added = 0

            def sync(follower: RunFollower = follower, bar: Live = bar) -> None:
                nonlocal added
                for task_id, samples in follower.poll():
                    added += writer.add(task_id, samples)
                bar.rows(writer.rows)

            counting = CountingVerifier(inner, bar.verified)
            runs.append(_solve_one(task_list, spec, run_dir, sample, batch_tasks, engine, counting,
                                   _Syncing(bar, sync)))
            sync()  # a fully resumed run never starts the loop
            new_rows[_name(spec)] = added
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
