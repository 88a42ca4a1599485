"""bestofn: verifier-driven best-of-N sampling. The public import surface.

    import bestofn

    report = bestofn.solve(suite="humaneval", limit=5, out="runs/demo")
    print(report.summary.solved, [r.task_id for r in report.results if r.solved])

Everything here is re-exported from the four layers (``tasks`` -> ``verifiers`` ->
``sampler`` -> ``cluster``), which stay importable as they are; this package adds
no behaviour and imports nothing heavy (no vLLM, no Ray) until a call needs it.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from sampler.config import (
    BudgetConfig,
    BudgetPolicy,
    EngineConfig,
    EscalationConfig,
    PromptStyle,
    SampleConfig,
    SolveConfig,
    TierPrice,
)
from sampler.core.api import SolveReport, solve
from sampler.core.verify_run import verify
from sampler.experiments.generate import generate
from sampler.experiments.scale import scale
from sampler.storage.records import SampleRecord, TaskResult
from sampler.terminal.report import write_report as report
from tasks.errors import BestofnError, ConfigError, InfrastructureError, InputError
from tasks.registry import load_suite
from tasks.schema import load_tasks
from tasks.types import Task
from verifiers.types import Candidate, Status, Verdict, Verifier

try:
    __version__ = version("bestofn")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "report",
    "BestofnError",
    "BudgetConfig",
    "BudgetPolicy",
    "Candidate",
    "ConfigError",
    "EngineConfig",
    "EscalationConfig",
    "InfrastructureError",
    "InputError",
    "PromptStyle",
    "SampleConfig",
    "SampleRecord",
    "SolveConfig",
    "SolveReport",
    "Status",
    "Task",
    "TaskResult",
    "TierPrice",
    "Verdict",
    "Verifier",
    "__version__",
    "generate",
    "load_suite",
    "load_tasks",
    "scale",
    "solve",
    "verify",
]
