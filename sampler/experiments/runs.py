"""What the experiments share: one ``sampler.core.api.solve`` per model, each into its
own run directory (named by ``model_slug``), N samples per task, every sample verified,
no early stop, every sample drawn alike; the usual ``samples.jsonl`` and
``results.jsonl``, resumable. ``scale`` and ``generate`` derive their outputs from
those files.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sampler.backends.base import Backend
from sampler.backends.factory import check_model_name
from sampler.config import EngineConfig, SampleConfig
from sampler.core.api import solve
from sampler.models import DEFAULT_MODEL
from sampler.terminal.progress import Progress
from sampler.terminal.tally import Live
from tasks.errors import InfrastructureError, InputError
from tasks.types import Task
from verifiers.types import Verifier

ModelSpec = str | Backend
"""A model name (as for ``solve``) or a ready backend (its ``model`` names it)."""
LiveFactory = Callable[[str], Live]


def model_slug(model: str) -> str:
    """A directory name for a model: unsafe characters become ``-``; long names are
    shortened with a checksum so distinct names stay distinct."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-.") or "model"
    if len(slug) > 60:
        slug = f"{slug[:40].rstrip('-.')}-{zlib.crc32(model.encode('utf-8', 'surrogatepass')):08x}"
    return slug


def model_name(spec: ModelSpec) -> str:
    return spec if isinstance(spec, str) else spec.model


def model_slugs(models: Sequence[ModelSpec]) -> list[str]:
    if not models:
        raise InputError("give at least one --model")
    names = [model_name(m) for m in models]
    if len(set(names)) != len(names):
        raise InputError(f"a model is given twice: {', '.join(names)}")
    slugs = [model_slug(n) for n in names]
    if len(set(slugs)) != len(slugs):
        raise InputError(f"models {', '.join(names)} map to the same directory name")
    for spec in models:
        if isinstance(spec, str):
            check_model_name(spec)  # fail fast, before any engine starts
    return slugs


def require_module(module: str) -> None:
    """Fail before any sampling when an output library (the ``data`` extra) is missing."""
    if importlib.util.find_spec(module) is None:
        raise InfrastructureError(f"{module} is not installed: pip install -e '.[data]'")


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


def drawn_alike(sample: SampleConfig) -> SampleConfig:
    """Scaling curves and datasets need every sample drawn at the stated temperature
    (pass@k estimates assume it; a dataset row records it): no greedy first sample."""
    return dataclasses.replace(sample, greedy_first=False)


def solve_one(task_list: list[Task], spec: ModelSpec, run_dir: Path, sample: SampleConfig,
              batch_tasks: int | None, engine: EngineConfig | None, verifier: Verifier,
              progress: Progress) -> RunStats:
    report = solve(task_list, out=run_dir, model=spec if isinstance(spec, str) else DEFAULT_MODEL,
                   backend=None if isinstance(spec, str) else spec, sample=sample,
                   batch_tasks=batch_tasks, engine=engine, verifier=verifier, progress=progress,
                   stop_on_first_pass=False)
    return RunStats(model_name(spec), run_dir, report.summary.tasks, report.summary.solved,
                    report.summary.samples, sum(r.passed_samples for r in report.results),
                    report.summary.tokens_generated, report.outcome.incomplete)
