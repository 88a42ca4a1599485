"""``bestofn``'s arguments: the parser of every subcommand, with defaults read from
``BESTOFN_*`` environment variables (``sampler.cli`` runs what they ask for)."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from sampler.config import BudgetPolicy, EscalationConfig, PromptStyle, SOLVE_SAMPLES, SampleConfig
from sampler.models import DEFAULT_MODEL, PACKAGED_MODELS, QWEN_STRONG
from tasks.errors import InputError


def env(name: str, default: str) -> str:
    return os.environ.get(f"BESTOFN_{name}", default)


@dataclass(frozen=True)
class EnvInt:
    """An int option's default, ``BESTOFN_{name}`` when set, read only once its
    subcommand runs (``resolve_env_defaults``): read while the parser was built,
    ``BESTOFN_N=abc`` had refused every subcommand, ``verify`` too. Not a str, so argparse
    leaves it as it is (it converts a text default, and a bad one gives its whole usage)."""

    name: str
    default: int

    def __str__(self) -> str:  # what --help shows
        return os.environ.get(f"BESTOFN_{self.name}", str(self.default))

    def resolve(self) -> int:
        raw = os.environ.get(f"BESTOFN_{self.name}")
        if raw is None:
            return self.default
        try:
            return int(raw)
        except ValueError:
            raise InputError(f"BESTOFN_{self.name}={raw!r} is not an integer") from None


def resolve_env_defaults(args: argparse.Namespace) -> None:
    """The parsed subcommand's ``EnvInt`` defaults read (InputError for a bad one)."""
    for key, value in vars(args).items():
        if isinstance(value, EnvInt):
            setattr(args, key, value.resolve())


_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration(text: str) -> float:
    """Seconds from ``1800``, ``90s``, ``30m`` or ``1.5h`` (``--time-limit``)."""
    body = text.strip().lower()
    unit = body[-1:] if body[-1:] in ("s", "m", "h") else ""
    try:
        seconds = float(body[:len(body) - len(unit)]) * _UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration (1800, 90s, 30m, 1.5h)") from None
    if not (seconds > 0 and seconds < float("inf")):
        raise argparse.ArgumentTypeError(f"{text!r}: a duration must be positive and finite")
    return seconds


def out_path(text: str) -> Path:
    """An ``--out`` path; an empty one is refused (it meant the working directory: red team)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path")
    return Path(text)


class OneLineErrors(argparse.ArgumentParser):
    """Bad input is one line and exit 2: argparse printed its whole usage first (30 lines
    for ``solve``, red team); ``--help`` still shows it."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    parser = OneLineErrors(
        prog="bestofn", formatter_class=fmt,
        description="Verifier-driven best-of-N sampling: many cheap samples, external checks, "
                    "a verified solution out.")
    sub = parser.add_subparsers(dest="command", required=True)

    solve = sub.add_parser("solve", formatter_class=fmt,
                           help="sample N candidates per task, verify them, keep a passing one")
    task_and_sampling_args(solve, SOLVE_SAMPLES)
    solve.add_argument("--model", default=env("MODEL", DEFAULT_MODEL),
                       help=f"a packaged model ({', '.join(PACKAGED_MODELS)}), a local model dir, "
                            "a hub id, openai:MODEL@URL, or replay:FILE.jsonl [env BESTOFN_MODEL]")
    solve.add_argument("--out", type=out_path, required=True,
                       help="run directory (results.jsonl, samples.jsonl); reruns resume")
    solve.add_argument("--quiet", action="store_true", help="no progress bar")
    tier_args(solve)
    cluster_args(solve)

    verify = sub.add_parser("verify", formatter_class=fmt,
                            help="verify candidates against their tasks' tests in the sandbox")
    verify.add_argument("tasks", type=Path, help="task JSONL (HumanEval schema)")
    verify.add_argument("candidates", type=Path,
                        help="JSONL: task_id, candidate_id, and solution or completion")
    verify.add_argument("--out", type=out_path, required=True,
                        help="verdict JSONL, appended; candidates already in it are skipped")
    verify.add_argument("--quiet", action="store_true", help="no progress bar")
    verifiers_arg(verify)

    scale = sub.add_parser("scale", formatter_class=fmt,
                           help="scaling experiment: pass@k and coverage vs samples and tokens, "
                                "power-law fit, figure")
    experiment_args(scale, "DIR/<model>/ per model (run files, passk.csv, fit.json) and "
                            "DIR/scaling.png with every model run in DIR; reruns resume")

    generate = sub.add_parser("generate", formatter_class=fmt,
                              help="offline dataset: every distinct verified solution per task")
    experiment_args(generate, "DIR/dataset.jsonl (appended), DIR/dataset.parquet, "
                               "DIR/run/<model>/ run files; reruns resume")
    generate.add_argument("--max-per-task", type=int,
                          help="at most M distinct solutions per task (default: all)")
    report = sub.add_parser("report", formatter_class=fmt,
                            help="one self-contained HTML file to look at a run (solve, scale or "
                                 "generate directory)")
    report.add_argument("dir", type=Path, help="the run's --out directory")
    report.add_argument("--out", type=out_path, help="the HTML file (default DIR/report.html)")
    prior = sub.add_parser("prior", formatter_class=fmt,
                           help="train the adaptive budget's prior on earlier runs of one model "
                                "(for solve --prior-from)")
    prior.add_argument("runs", nargs="+", type=Path,
                       help="run directories (samples.jsonl) of one model")
    prior.add_argument("--tasks", type=Path, help="task JSONL the runs sampled; or use --suite")
    prior.add_argument("--suite", help="built-in task suite the runs sampled: humaneval")
    prior.add_argument("--out", type=out_path, required=True, help="the prior, as JSON")
    return parser


def task_and_sampling_args(parser: argparse.ArgumentParser, samples: int = SampleConfig.n) -> None:
    """Task selection and sampling options, the same for solve, scale and generate."""
    parser.add_argument("tasks", nargs="?", type=Path,
                        help="task JSONL (HumanEval schema); or use --suite")
    parser.add_argument("--suite", help="built-in task suite: humaneval")
    parser.add_argument("--skip", type=int, default=0,
                        help="leave out the first K tasks (before --limit: a held-out slice)")
    parser.add_argument("--limit", type=int, help="only the first K tasks")
    parser.add_argument("-n", "--samples", dest="n", type=int, default=EnvInt("N", samples),
                        help="samples per task [env BESTOFN_N]")
    parser.add_argument("--seed", type=int, default=EnvInt("SEED", 0),
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
    verifiers_arg(parser)


def tier_args(parser: argparse.ArgumentParser) -> None:
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
                        default=env("BUDGET", BudgetPolicy.FIXED.value),
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
    parser.add_argument("--reader-samples", type=int, default=EscalationConfig.reader_samples,
                        help="with --second-reader: where the greedy reader disagrees with the cheap pick, "
                             "this many more strong samples at temperature choose the guess (0: off; "
                             "docs/SOLVING.md)")
    parser.add_argument("--reader-tests", action=argparse.BooleanOptionalAction, default=True,
                        help="with --second-reader: the greedy reader's answer must agree with the pick "
                             "on the calls of tests the strong tier writes too (docs/SOLVING.md)")
    parser.add_argument("--strong-plain-samples", type=int, default=EscalationConfig.plain_samples,
                        help="with --strong-greedy-first: of the first round's other samples, how many "
                             "see the task alone (at temperature); the rest see the cheap failures")
    parser.add_argument("--strong-more-plain-samples", type=int, default=EscalationConfig.more_plain_samples,
                        help="with --strong-greedy-first: how many more samples of the task alone, in one "
                             "more request, once the plain ones failed too")
    parser.add_argument("--strong-spare-samples", type=int, default=EscalationConfig.spare_samples,
                        help="with --time-limit: more strong samples a task may get in spare time, at most")
    parser.add_argument("--strong-max-tokens", type=int, default=1024,
                        help="generated tokens per strong sample")
    parser.add_argument("--time-limit", type=duration,
                        help="stop by this time (1800, 90s, 30m, 1.5h; engine start included): tasks "
                             "not yet decided are left for a rerun, and before it the strong tier's "
                             "spare time goes to escalated tasks still unsolved (more samples of "
                             "the task alone, while the next is expected to end in time). "
                             "Default: no limit")
    parser.add_argument("--price-cheap", default=env("PRICE_CHEAP", "0.02,0.05"),
                        help="cheap tier price per million tokens, IN,OUT [env BESTOFN_PRICE_CHEAP]")
    parser.add_argument("--price-strong", default=os.environ.get("BESTOFN_PRICE_STRONG"),
                        help="strong tier price per million tokens, IN,OUT (default 1.25,10; "
                             "with --strong same, the cheap price) [env BESTOFN_PRICE_STRONG]")


def cluster_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cluster", default=os.environ.get("BESTOFN_CLUSTER"),
                        help="run on Ray: 'local' (embedded ray.init(); the default when "
                             "--engines > 1), 'auto' (the cluster this machine belongs to) or "
                             "a Ray address [env BESTOFN_CLUSTER]")
    parser.add_argument("--engines", type=int, default=EnvInt("ENGINES", 1),
                        help="engines (Ray actors when > 1) [env BESTOFN_ENGINES]")
    parser.add_argument("--verifier-workers", type=int,
                        help="Ray verifier workers (default: embedded, one worker with all "
                             "CPUs; on a cluster, the CPUs left beside the engines / 4)")


def verifiers_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verifiers", default=env("VERIFIERS", "all"),
                        help="comma-separated checks, run cheap first on the survivors of the one "
                             "before: syntax, tests, mypy, properties; 'all' = every check that "
                             "applies to the task [env BESTOFN_VERIFIERS]")


def experiment_args(parser: argparse.ArgumentParser, out_help: str) -> None:
    """The options ``scale`` and ``generate`` share with ``solve``; --model may repeat."""
    task_and_sampling_args(parser)
    parser.add_argument("--model", action="append", dest="models",
                        help="as for solve; give it several times for several models "
                             f"(default {DEFAULT_MODEL}) [env BESTOFN_MODEL]")
    parser.add_argument("--out", type=out_path, required=True, help=out_help)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
