"""``bestofn``: the command line, a thin layer over ``sampler.core.api``.

Exit codes: 0 done (whatever the verdicts), 1 infrastructure failure or tasks left
unfinished, 2 bad input (with a one-line reason on stderr).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

# First, so the look at which cores are idle (for pinning the sandbox) starts at once
# and is over by the time a pool is made, instead of being slept through then.
import verifiers.pinning  # noqa: F401,I001
from sampler.backends.base import StreamingBackend
from sampler.config import (
    BudgetConfig,
    BudgetPolicy,
    EngineConfig,
    EscalationConfig,
    PromptStyle,
    SampleConfig,
    TierPrice,
)
from sampler.cli_parser import build_parser, env, resolve_env_defaults
from sampler.models import DEFAULT_MODEL, QWEN_STRONG
from sampler.terminal.progress import NullProgress, Progress, RichProgress
from tasks.errors import BestofnError, InputError
from tasks.paths import cache_root
from verifiers.types import Status, Verifier

if TYPE_CHECKING:
    from sampler.experiments.runs import LiveFactory


def _stages(args: argparse.Namespace) -> list[str] | None:
    names = [n.strip() for n in str(args.verifiers).split(",") if n.strip()]
    if not names:
        raise InputError("--verifiers needs at least one name")
    return None if names == ["all"] else names


def _print_stages(stages: dict[str, dict[str, Any]]) -> None:
    for name, st in stages.items():
        print(f"  {name:<10} reached {st.get('reached', 0):>5}  ran {st.get('ran', 0):>5}  "
              f"cached {st.get('cached', 0):>5}  passed {st.get('passed', 0):>5}  "
              f"{float(st.get('seconds', 0.0)):7.1f} s", file=sys.stderr)


def _progress(quiet: bool, label: str) -> Progress:

    return NullProgress() if quiet else RichProgress(label)


@dataclass(frozen=True)
class ClusterOptions:
    """Where ``--cluster`` / ``--engines`` asked the run to go."""

    mode: str
    """``local``, ``auto`` or a Ray address."""
    engines: int
    verifier_workers: int | None


ClusterFactory = Callable[[ClusterOptions, str, EngineConfig, "list[str] | None"],
                          tuple[StreamingBackend, Verifier, Callable[[], None]]]
"""Builds the Ray engines and verifier pool; supplied by ``cluster.cli`` (the
``bestofn`` entry point), since sampler never imports cluster."""


def _cluster_options(args: argparse.Namespace) -> ClusterOptions | None:
    if args.engines < 1:
        raise InputError(f"--engines must be >= 1, got {args.engines}")
    if args.verifier_workers is not None and args.verifier_workers < 1:
        raise InputError(f"--verifier-workers must be >= 1, got {args.verifier_workers}")
    mode = args.cluster or ("local" if args.engines > 1 else None)
    if mode in (None, "none"):
        if args.engines > 1:
            raise InputError("--engines > 1 needs Ray: drop --cluster none")
        return None
    return ClusterOptions(str(mode), args.engines, args.verifier_workers)


def _escalation(args: argparse.Namespace) -> EscalationConfig:
    return EscalationConfig(samples=args.strong_samples, rounds=args.strong_rounds,
                            max_tokens=args.strong_max_tokens, greedy_first=args.strong_greedy_first,
                            plain_samples=args.strong_plain_samples,
                            more_plain_samples=args.strong_more_plain_samples,
                            spare_samples=args.strong_spare_samples, second_reader=args.second_reader,
                            careful_reader=args.careful_reader, reader_tests=args.reader_tests,
                            reader_samples=args.reader_samples)


def default_strong(model: str, strong: str | None) -> str | None:
    """The strong tier a solve gets: the packaged 1.5B for the packaged 0.5B (measured:
    README, "Escalation"), none for other cheap models unless asked; ``none`` turns it off."""
    if strong is None:
        return QWEN_STRONG if model == DEFAULT_MODEL else None
    return None if strong.strip().lower() == "none" else strong


def _solve(args: argparse.Namespace, cluster_factory: ClusterFactory | None) -> int:
    from sampler.backends.factory import prefills_answers
    from sampler.core.api import SAME_ENGINE, scheduling_defaults, solve

    args.strong = default_strong(args.model, args.strong)
    sample = _sample_config(args)
    trained = None
    if args.prior_from is not None:
        if args.budget != BudgetPolicy.ADAPTIVE.value:
            raise InputError("--prior-from needs --budget adaptive")
        from sampler.policy.prior import load_prior  # numpy: loaded only for a run that uses a prior

        trained = load_prior(args.prior_from, model=args.model)
    budget = BudgetConfig(policy=BudgetPolicy(args.budget),
                          wave=scheduling_defaults(prefills_answers(args.model))[0] if args.wave is None
                          else args.wave,
                          solve_value=args.solve_value,
                          length_cap_miss=args.length_cap_miss or None,
                          by_prompt_length=args.prior_by_prompt_length, trained_prior=trained)
    escalation = _escalation(args) if args.strong else None
    cheap_price = TierPrice.parse(args.price_cheap)
    strong_price = TierPrice.parse(args.price_strong) if args.price_strong else None
    cluster = _cluster_options(args)
    backend: StreamingBackend | None = None
    verifier: Verifier | None = None
    close: Callable[[], None] = lambda: None  # noqa: E731
    if cluster is not None:
        if cluster_factory is None:
            raise InputError("--cluster needs the Ray layer: install bestofn[cluster] and run "
                             "the `bestofn` entry point (cluster.cli)")
        backend, verifier, close = cluster_factory(cluster, args.model, EngineConfig(),
                                                   _stages(args))
    if args.strong == SAME_ENGINE:
        print(f"strong tier: the cheap engine itself ({args.model}) with repair prompts and a "
              f"{args.strong_max_tokens}-token budget; no stronger model is packaged",
              file=sys.stderr)
    try:
        report = solve(args.tasks, out=args.out, suite=args.suite, limit=args.limit,
                       skip=args.skip, model=args.model, sample=sample, batch_tasks=args.batch_tasks,
                       verifiers=_stages(args), progress=_progress(args.quiet, "solving"),
                       backend=backend, verifier=verifier,
                       stop_on_first_pass=args.stop_on_first_pass, budget=budget,
                       strong=args.strong, escalation=escalation, cheap_price=cheap_price,
                       strong_price=strong_price, agreement=args.agreement,
                       written_tests=args.written_tests, time_limit_s=args.time_limit)
    finally:
        close()
    for line in report.summary.lines():
        print(line, file=sys.stderr)
    if report.stages:
        print("verification stages (this call):", file=sys.stderr)
        _print_stages(report.stages)
    print(f"results: {args.out / 'results.jsonl'}", file=sys.stderr)
    return 1 if report.outcome.incomplete else 0


def _verify(args: argparse.Namespace) -> int:
    from verifiers.sandbox import close_launched, launch_ahead

    stages = _stages(args)
    try:
        if stages is None or {"tests", "properties"} & set(stages):
            launch_ahead(pin=True)  # the sandbox starts while the imports and inputs below are read
        from sampler.core.verify_run import verify

        verdicts = verify(args.tasks, args.candidates, out=args.out, verifiers=stages,
                          progress=_progress(args.quiet, "verifying"))
    finally:
        close_launched()  # servers no pool took over: a bad input, or Ctrl-C before the pool
    passed = sum(v.passed for v in verdicts)
    errors = sum(v.status is Status.ERROR for v in verdicts)
    retry = f"; {errors} hit an infrastructure error (rerun to retry them)" if errors else ""
    print(f"verified {len(verdicts)} candidate(s): {passed} passed{retry}; verdicts in {args.out}",
          file=sys.stderr)
    return 1 if errors else 0  # the README's exit 1: left unfinished by infrastructure errors


def _prior(args: argparse.Namespace) -> int:
    from sampler.policy.prior import prompt_length_covariate, save_prior, train_prior
    from tasks.registry import select_tasks

    if (args.tasks is None) == (args.suite is None):
        raise InputError("give the runs' tasks: --tasks FILE or --suite humaneval")
    tasks = {t.task_id: t for t in select_tasks(args.tasks, suite=args.suite)}
    trained, count, model = train_prior(args.runs, tasks, default=BudgetConfig().prior)
    save_prior(args.out, trained, model=model, runs=[str(r) for r in args.runs], tasks=count)
    lengths = sorted(prompt_length_covariate(t.prompt) for t in tasks.values())
    means = []
    for q in (0.1, 0.5, 0.9):
        a, b = trained.at(lengths[int(q * (len(lengths) - 1))])
        means.append(f"{a / (a + b):.1%}")
    print(f"prior trained on {count} task(s) of {model}: mean cheap pass rate {' / '.join(means)} for the "
          f"10th / 50th / 90th percentile prompt length (slope {trained.slope:+.2f} per standard "
          f"deviation); written to {args.out}", file=sys.stderr)
    return 0


def _check_environment(args: argparse.Namespace) -> None:
    """What argparse does not check: defaults read from the environment, and the cache
    directory every command writes to (red team: tracebacks, exit 1)."""
    budget = getattr(args, "budget", None)
    if budget is not None and budget not in {p.value for p in BudgetPolicy}:
        raise InputError(f"--budget (or BESTOFN_BUDGET) must be one of "
                         f"{', '.join(p.value for p in BudgetPolicy)}, got {budget!r}")
    cluster = getattr(args, "cluster", None)
    if cluster is not None and not _CLUSTER_ADDRESS.fullmatch(cluster):
        raise InputError(f"--cluster (or BESTOFN_CLUSTER) must be local, auto or a Ray address "
                         f"(host:port, ray://host:port), got {cluster!r}")
    if args.command not in ("solve", "scale", "generate", "verify"):
        return
    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
        # Written to, not only made: the checks' workers run in a directory under scratch
        # (a read-only scratch gave a traceback mid-run: red team).
        scratch = root / "scratch"
        scratch.mkdir(exist_ok=True)
        os.rmdir(tempfile.mkdtemp(prefix="probe-", dir=scratch))
    except OSError as exc:
        raise InputError(f"cache directory {root} (BESTOFN_CACHE, XDG_CACHE_HOME) cannot be used: "
                         f"{exc.strerror or exc}") from None
    if not root.is_dir():
        raise InputError(f"cache directory {root} (BESTOFN_CACHE, XDG_CACHE_HOME) is not a directory")


_CLUSTER_ADDRESS = re.compile(r"local|auto|(ray://)?[A-Za-z0-9.\-]+:[0-9]{1,5}")


def _sample_config(args: argparse.Namespace) -> SampleConfig:
    """Checks the task source and builds the sampling config shared by solve/scale/generate."""
    if args.tasks is None and args.suite is None:
        raise InputError("give a tasks file or --suite humaneval")
    if args.tasks is not None and args.suite is not None:
        raise InputError("give a tasks file or --suite, not both")
    return SampleConfig(n=args.n, temperature=args.temperature, top_p=args.top_p,
                        max_tokens=args.max_tokens, seed=args.seed, greedy_first=args.greedy_first,
                        prompt_style=PromptStyle(args.prompt_style),
                        stop_at_code_end=args.stop_at_code_end)


def _experiment_inputs(args: argparse.Namespace) -> tuple[SampleConfig, list[str]]:
    return _sample_config(args), list(args.models or [env("MODEL", DEFAULT_MODEL)])


def _live(quiet: bool, rows: bool) -> LiveFactory | None:
    from sampler.terminal.tally import RichLive

    return None if quiet else (lambda label: RichLive(label, show_rows=rows))


def _scale(args: argparse.Namespace) -> int:
    from sampler.experiments.scale import scale, scale_table
    from sampler.terminal.tally import print_table

    sample, models = _experiment_inputs(args)
    report = scale(args.tasks, out=args.out, models=models, suite=args.suite, limit=args.limit,
                   skip=args.skip, sample=sample, batch_tasks=args.batch_tasks, verifiers=_stages(args),
                   live=_live(args.quiet, False))
    header, rows = scale_table(report)
    print_table(f"scaling: {args.out}", header, rows)
    for analysis in report.analyses:
        print(f"{analysis.model}: {analysis.run_dir / 'passk.csv'}, {analysis.run_dir / 'fit.json'}",
              file=sys.stderr)
    print(f"figure: {report.figure}", file=sys.stderr)
    return 1 if report.incomplete else 0


def _generate(args: argparse.Namespace) -> int:
    from sampler.experiments.generate import generate, generate_table
    from sampler.terminal.tally import print_table

    sample, models = _experiment_inputs(args)
    report = generate(args.tasks, out=args.out, models=models, suite=args.suite, limit=args.limit,
                      skip=args.skip, sample=sample, max_per_task=args.max_per_task,
                      batch_tasks=args.batch_tasks, verifiers=_stages(args),
                      live=_live(args.quiet, True))
    header, rows = generate_table(report)
    print_table(f"dataset: {report.rows} rows", header, rows)
    print(f"dataset: {report.jsonl}, {report.parquet}", file=sys.stderr)
    return 1 if report.incomplete else 0


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler, ``kill``): unwinds like Ctrl-C, so every engine, sandbox and
    worker the run started is closed by the code that started it, and results stay on disk."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None, cluster_factory: ClusterFactory | None = None) -> int:
    if threading.current_thread() is not threading.main_thread():
        return _main(argv, cluster_factory)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _main(argv, cluster_factory)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _main(argv: Sequence[str] | None, cluster_factory: ClusterFactory | None) -> int:
    try:
        args = build_parser().parse_args(argv)
        resolve_env_defaults(args)
        _check_environment(args)
        if args.command == "solve":
            return _solve(args, cluster_factory)
        if args.command == "scale":
            return _scale(args)
        if args.command == "generate":
            return _generate(args)
        if args.command == "prior":
            return _prior(args)
        if args.command == "report":
            from sampler.terminal.report import write_report

            print(f"report: {write_report(args.dir, args.out)}", file=sys.stderr)
            return 0
        return _verify(args)
    except InputError as exc:
        print(f"bestofn: error: {exc}", file=sys.stderr)
        return 2
    except BestofnError as exc:
        print(f"bestofn: infrastructure error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the machine's, not the input's: a full disk mid-run (red team: a traceback)
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"bestofn: infrastructure error: {exc.strerror or exc}{where}; results so far are on disk, "
              "rerun to resume", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        print("bestofn: interrupted; results so far are on disk, rerun to resume", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130


def exit_fast(code: int) -> NoReturn:
    """Leave without the interpreter's teardown. Every result is on disk (fsynced) and
    every engine and sandbox closed by now; freeing a large heap object by object
    (mypy's syntax trees) kept a finished or interrupted run alive for a minute."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # `bestofn ... 2>&1 | head -1`: the reader is gone, and the run's code stands
            pass
    os._exit(code)


if __name__ == "__main__":
    exit_fast(main())
