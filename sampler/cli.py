"""``bestofn``: the command line, a thin layer over ``sampler.core.api``.

Exit codes: 0 done (whatever the verdicts), 1 infrastructure failure or tasks left
unfinished, 2 bad input (with a one-line reason on stderr).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
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
    SOLVE_SAMPLES,
    SampleConfig,
    TierPrice,
)
from sampler.models import DEFAULT_MODEL, PACKAGED_MODELS, QWEN_STRONG
from sampler.terminal.progress import NullProgress, Progress, RichProgress
from tasks.errors import BestofnError, InputError
from verifiers.types import Verifier

if TYPE_CHECKING:
    from sampler.experiments.runs import LiveFactory


def _env(name: str, default: str) -> str:
    return os.environ.get(f"BESTOFN_{name}", default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(f"BESTOFN_{name}")
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise InputError(f"BESTOFN_{name}={raw!r} is not an integer") from None


def _parser() -> argparse.ArgumentParser:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(
        prog="bestofn", formatter_class=fmt,
        description="Verifier-driven best-of-N sampling: many cheap samples, external checks, "
                    "a verified solution out.")
    sub = parser.add_subparsers(dest="command", required=True)

    solve = sub.add_parser("solve", formatter_class=fmt,
                           help="sample N candidates per task, verify them, keep a passing one")
    _task_and_sampling_args(solve, SOLVE_SAMPLES)
    solve.add_argument("--model", default=_env("MODEL", DEFAULT_MODEL),
                       help=f"a packaged model ({', '.join(PACKAGED_MODELS)}), a local model dir, "
                            "a hub id, openai:MODEL@URL, or replay:FILE.jsonl [env BESTOFN_MODEL]")
    solve.add_argument("--out", type=Path, required=True,
                       help="run directory (results.jsonl, samples.jsonl); reruns resume")
    solve.add_argument("--quiet", action="store_true", help="no progress bar")
    _tier_args(solve)
    _cluster_args(solve)

    verify = sub.add_parser("verify", formatter_class=fmt,
                            help="verify candidates against their tasks' tests in the sandbox")
    verify.add_argument("tasks", type=Path, help="task JSONL (HumanEval schema)")
    verify.add_argument("candidates", type=Path,
                        help="JSONL: task_id, candidate_id, and solution or completion")
    verify.add_argument("--out", type=Path, required=True,
                        help="verdict JSONL, appended; candidates already in it are skipped")
    verify.add_argument("--quiet", action="store_true", help="no progress bar")
    _verifiers_arg(verify)

    scale = sub.add_parser("scale", formatter_class=fmt,
                           help="scaling experiment: pass@k and coverage vs samples and tokens, "
                                "power-law fit, figure")
    _experiment_args(scale, "DIR/<model>/ per model (run files, passk.csv, fit.json) and "
                            "DIR/scaling.png with every model run in DIR; reruns resume")

    generate = sub.add_parser("generate", formatter_class=fmt,
                              help="offline dataset: every distinct verified solution per task")
    _experiment_args(generate, "DIR/dataset.jsonl (appended), DIR/dataset.parquet, "
                               "DIR/run/<model>/ run files; reruns resume")
    generate.add_argument("--max-per-task", type=int,
                          help="at most M distinct solutions per task (default: all)")
    report = sub.add_parser("report", formatter_class=fmt,
                            help="one self-contained HTML file to look at a run (solve, scale or "
                                 "generate directory)")
    report.add_argument("dir", type=Path, help="the run's --out directory")
    report.add_argument("--out", type=Path, help="the HTML file (default DIR/report.html)")
    prior = sub.add_parser("prior", formatter_class=fmt,
                           help="train the adaptive budget's prior on earlier runs of one model "
                                "(for solve --prior-from)")
    prior.add_argument("runs", nargs="+", type=Path,
                       help="run directories (samples.jsonl) of one model")
    prior.add_argument("--tasks", type=Path, help="task JSONL the runs sampled; or use --suite")
    prior.add_argument("--suite", help="built-in task suite the runs sampled: humaneval")
    prior.add_argument("--out", type=Path, required=True, help="the prior, as JSON")
    return parser


def _task_and_sampling_args(parser: argparse.ArgumentParser, samples: int = SampleConfig.n) -> None:
    """Task selection and sampling options, the same for solve, scale and generate."""
    parser.add_argument("tasks", nargs="?", type=Path,
                        help="task JSONL (HumanEval schema); or use --suite")
    parser.add_argument("--suite", help="built-in task suite: humaneval")
    parser.add_argument("--skip", type=int, default=0,
                        help="leave out the first K tasks (before --limit: a held-out slice)")
    parser.add_argument("--limit", type=int, help="only the first K tasks")
    parser.add_argument("-n", "--samples", dest="n", type=int, default=_env_int("N", samples),
                        help="samples per task [env BESTOFN_N]")
    parser.add_argument("--seed", type=int, default=_env_int("SEED", 0),
                        help="base seed [env BESTOFN_SEED]")
    parser.add_argument("--temperature", type=float, default=0.7, help="sampling temperature")
    parser.add_argument("--top-p", type=float, default=0.95, help="nucleus sampling mass")
    parser.add_argument("--greedy-first", action=argparse.BooleanOptionalAction, default=True,
                        help="solve: draw each task's first sample greedily (temperature 0), the "
                             "rest at --temperature (scale and generate draw every sample alike)")
    parser.add_argument("--max-tokens", type=int, default=512, help="generated tokens per sample")
    parser.add_argument("--prompt-style", choices=[s.value for s in PromptStyle],
                        default=PromptStyle.CHAT.value,
                        help="chat: chat template + fenced code; completion: continue the prompt")
    parser.add_argument("--stop-at-code-end", action=argparse.BooleanOptionalAction, default=True,
                        help="chat: end a sample when its first ```python block closes (only that "
                             "block is verified, so the program is the same, in fewer tokens) or "
                             "when its code can no longer parse (a syntax error whatever follows)")
    parser.add_argument("--batch-tasks", type=int,
                        help="tasks sent to the engine together (default: 16 on llama.cpp, its "
                             "slots; else 8)")
    _verifiers_arg(parser)


def _tier_args(parser: argparse.ArgumentParser) -> None:
    """Stop on first pass, the budget policy, escalation and prices (solve only)."""
    parser.add_argument("--stop-on-first-pass", action=argparse.BooleanOptionalAction, default=True,
                        help="stop a task at its first verified pass and abort its requests "
                             "still in the engine")
    parser.add_argument("--agreement", action=argparse.BooleanOptionalAction, default=True,
                        help="tasks that came without tests draw on past their first pass and are "
                             "picked by agreement between candidates (docs/SOLVING.md)")
    parser.add_argument("--written-tests", action=argparse.BooleanOptionalAction, default=True,
                        help="solve: before sampling, the cheap model writes tests for each task without "
                             "tests; agreement scores groups by the tests they pass (docs/SOLVING.md)")
    parser.add_argument("--budget", choices=[p.value for p in BudgetPolicy],
                        default=_env("BUDGET", BudgetPolicy.FIXED.value),
                        help="fixed: up to -n cheap samples per task; adaptive: more waves only "
                             "while the expected cost per solve is below --solve-value "
                             "[env BESTOFN_BUDGET]")
    parser.add_argument("--wave", type=int,
                        help="cheap samples per task per wave (default: 1 on llama.cpp, which "
                             "shares no prompt between parallel samples; else 2)")
    parser.add_argument("--solve-value", type=float,
                        help="what one solved task is worth, in the price currency (adaptive "
                             "budget; default: the cost of 100 cheap samples)")
    parser.add_argument("--prior-by-prompt-length", action=argparse.BooleanOptionalAction,
                        default=True,
                        help="adaptive budget: let a task's prior pass rate depend on its prompt's "
                             "length, as this run's verdicts show it does (--no-...: one prior "
                             "for every task)")
    parser.add_argument("--prior-from", type=Path,
                        help="adaptive budget: start from a prior trained on earlier runs of this "
                             "model (`bestofn prior`); with a strong tier, tasks it deems hopeless "
                             "for the cheap model go straight to the strong one")
    parser.add_argument("--length-cap-miss", type=float, default=0.01,
                        help="adaptive budget: cap cheap samples' length where a model of this "
                             "run's verified passes expects to cut this fraction of passes; "
                             "0: no cap (default 0.01)")
    parser.add_argument("--strong", default=os.environ.get("BESTOFN_STRONG"),
                        help="escalate tasks no cheap sample solved to: a packaged model, a model "
                             "dir or hub id (a second engine), openai:MODEL@URL, 'same' (this "
                             "engine with repair prompts and a larger budget) or 'none'. Default: "
                             f"{QWEN_STRONG} when the cheap tier is the default {DEFAULT_MODEL}, "
                             "else none [env BESTOFN_STRONG]")
    parser.add_argument("--strong-samples", type=int, default=EscalationConfig.samples,
                        help="strong samples per round (one request: the prompt is read once)")
    parser.add_argument("--strong-rounds", type=int, default=1,
                        help="strong rounds: a draft, then review-and-repair rounds")
    parser.add_argument("--strong-greedy-first", action=argparse.BooleanOptionalAction, default=True,
                        help="the first strong sample is the strong model's greedy answer to the task "
                             "alone (default: on)")
    parser.add_argument("--second-reader", action=argparse.BooleanOptionalAction, default=True,
                        help="a task without tests is called solved only if the strong tier's greedy "
                             "answer agrees with the cheap pick on every input (docs/SOLVING.md)")
    parser.add_argument("--careful-reader", action=argparse.BooleanOptionalAction, default=True,
                        help="with --second-reader: the strong tier's answer must agree too when it is "
                             "first asked to list the edge cases the task states (docs/SOLVING.md)")
    parser.add_argument("--reader-tests", action=argparse.BooleanOptionalAction, default=True,
                        help="with --second-reader: the greedy reader's answer must agree with the pick "
                             "on the calls of tests the strong tier writes too (docs/SOLVING.md)")
    parser.add_argument("--strong-plain-samples", type=int, default=EscalationConfig.plain_samples,
                        help="with --strong-greedy-first: of the first round's other samples, how many "
                             "see the task alone (at temperature); the rest see the cheap failures")
    parser.add_argument("--strong-more-plain-samples", type=int, default=EscalationConfig.more_plain_samples,
                        help="with --strong-greedy-first: how many more samples of the task alone, in one "
                             "more request, once the plain ones failed too")
    parser.add_argument("--strong-max-tokens", type=int, default=1024,
                        help="generated tokens per strong sample")
    parser.add_argument("--price-cheap", default=_env("PRICE_CHEAP", "0.02,0.05"),
                        help="cheap tier price per million tokens, IN,OUT [env BESTOFN_PRICE_CHEAP]")
    parser.add_argument("--price-strong", default=os.environ.get("BESTOFN_PRICE_STRONG"),
                        help="strong tier price per million tokens, IN,OUT (default 1.25,10; "
                             "with --strong same, the cheap price) [env BESTOFN_PRICE_STRONG]")


def _cluster_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cluster", default=os.environ.get("BESTOFN_CLUSTER"),
                        help="run on Ray: 'local' (embedded ray.init(); the default when "
                             "--engines > 1), 'auto' (the cluster this machine belongs to) or "
                             "a Ray address [env BESTOFN_CLUSTER]")
    parser.add_argument("--engines", type=int, default=_env_int("ENGINES", 1),
                        help="engines (Ray actors when > 1) [env BESTOFN_ENGINES]")
    parser.add_argument("--verifier-workers", type=int,
                        help="Ray verifier workers (default: embedded, one worker with all "
                             "CPUs; on a cluster, the CPUs left beside the engines / 4)")


def _verifiers_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verifiers", default=_env("VERIFIERS", "all"),
                        help="comma-separated checks, run cheap first on the survivors of the one "
                             "before: syntax, tests, mypy, properties; 'all' = every check that "
                             "applies to the task [env BESTOFN_VERIFIERS]")


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


def _experiment_args(parser: argparse.ArgumentParser, out_help: str) -> None:
    """The options ``scale`` and ``generate`` share with ``solve``; --model may repeat."""
    _task_and_sampling_args(parser)
    parser.add_argument("--model", action="append", dest="models",
                        help="as for solve; give it several times for several models "
                             f"(default {DEFAULT_MODEL}) [env BESTOFN_MODEL]")
    parser.add_argument("--out", type=Path, required=True, help=out_help)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


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
                            more_plain_samples=args.strong_more_plain_samples, second_reader=args.second_reader,
                            careful_reader=args.careful_reader, reader_tests=args.reader_tests)


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
                          wave=args.wave or scheduling_defaults(prefills_answers(args.model))[0],
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
                       written_tests=args.written_tests)
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
        from sampler.core.api import verify

        verdicts = verify(args.tasks, args.candidates, out=args.out, verifiers=stages,
                          progress=_progress(args.quiet, "verifying"))
    finally:
        close_launched()  # servers no pool took over: a bad input, or Ctrl-C before the pool
    passed = sum(v.passed for v in verdicts)
    print(f"verified {len(verdicts)} candidate(s): {passed} passed; verdicts in {args.out}",
          file=sys.stderr)
    return 0


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
    return _sample_config(args), list(args.models or [_env("MODEL", DEFAULT_MODEL)])


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
        args = _parser().parse_args(argv)
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
    except KeyboardInterrupt as exc:
        print("bestofn: interrupted; results so far are on disk, rerun to resume", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130


def exit_fast(code: int) -> NoReturn:
    """Leave without the interpreter's teardown. Every result is on disk (fsynced) and
    every engine and sandbox closed by now; freeing a large heap object by object
    (mypy's syntax trees) kept a finished or interrupted run alive for a minute."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_fast(main())
