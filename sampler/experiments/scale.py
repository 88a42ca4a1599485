"""``bestofn scale``: scaling curves. Per model, N samples per task (``runs``); then,
from each run directory's samples, the pass@k table (``scaling``), its power-law fit
(``powerlaw``) and one figure of every run (``plot``).

Layout: ``DIR/<model-slug>/`` per model (run files, ``passk.csv``, ``fit.json``) and
``DIR/scaling.png`` with every model run found in ``DIR``, so a later run of another
model into the same ``DIR`` joins the figure (the raw material for equal-cost
comparisons between tiers).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sampler.config import EngineConfig, SampleConfig
from sampler.core.verify_run import close_if_closable, default_verifier
from sampler.experiments.plot import Curve, plot_scaling
from sampler.experiments.powerlaw import EXTRAPOLATE_AT, PowerLawFit, fit_power_law
from sampler.experiments.runs import (LiveFactory, ModelSpec, RunStats, drawn_alike, model_name,
                                      model_slugs, require_module, solve_one)
from sampler.experiments.scaling import PassKRow, passk_table, table_to_csv, task_counts
from sampler.models import DEFAULT_MODEL
from sampler.storage.store import MANIFEST, SAMPLES, load_samples, read_json_object
from sampler.terminal.tally import CountingVerifier, NullLive
from tasks.registry import select_tasks
from tasks.types import Task
from verifiers.types import Verifier

PASSK_CSV = "passk.csv"
FIT_JSON = "fit.json"
FIGURE = "scaling.png"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


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
        model = str(read_json_object(manifest).get("model", model))
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
    require_module("matplotlib")
    out_dir = Path(out)
    slugs = model_slugs(models)
    task_list = select_tasks(tasks, suite=suite, limit=limit, skip=skip)
    sample = drawn_alike(sample or SampleConfig())
    inner = verifier if verifier is not None else default_verifier(verifiers)
    runs: list[RunStats] = []
    try:
        for spec, slug in zip(models, slugs):
            bar = (live or (lambda _: NullLive()))(f"scale {model_name(spec)}")
            counting = CountingVerifier(inner, bar.verified)
            runs.append(solve_one(task_list, spec, out_dir / slug, sample, batch_tasks, engine,
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
