"""Cost per solved task with real tiers only: cheap-only, strong-only and the cascade.

Every arm is an ordinary `bestofn solve` run (its own process group, its own run
directory under --out, so an interrupted arm resumes), all real: the packaged
Qwen2.5-Coder-0.5B (cheap) and -1.5B (strong) on llama.cpp, every candidate through
the default verifiers in the sandbox. Arms, run one after another:

- cascade: the defaults (`bestofn solve --suite humaneval`): up to N cheap samples per
  task, stopping at the first verified pass, then the strong tier for the tasks no
  cheap sample solved, with the cheap failures in its prompt;
- cheap: the same without the strong tier (`--strong none`);
- strong: the 1.5B as the only tier (`--model qwen2.5-coder-1.5b --strong none`),
  up to N samples per task.

Printed per arm: solved, wall time (engine start included), tokens per tier,
samples per solved task, cost at the configured prices (the strong tier at 3x the
cheap tier's price per token: it decodes about 3x slower on this machine), and
solved per minute of wall time (the comparison at equal wall time). The cheap arm
draws exactly the cascade's cheap samples (every sample has its own seed), so
`--derive-cheap` reads it off the cascade run instead of drawing it again; its wall
time is then not measured and printed as such.

    .venv/bin/python benchmarks/cost_per_solve.py --out runs/cost --arms cascade,strong --derive-cheap

The north star's figure (all of HumanEval within 30 minutes) is the cascade arm with
`--time-limit 30m`: the strong tier's spare time before it goes to the escalated tasks
still unsolved, and the run stops at it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sampler.config import CHEAP_PRICE, TierPrice

ARMS = {
    "cascade": [],
    "cheap": ["--strong", "none"],
    "strong": ["--model", "qwen2.5-coder-1.5b", "--strong", "none"],
}


@dataclass(frozen=True)
class ArmResult:
    arm: str
    tasks: int
    solved: int
    solved_cheap: int
    solved_strong: int
    escalated: int
    wall: float | None
    tokens: dict[str, int]
    samples: int
    cost: float


def _run_arm(arm: str, out: Path, common: list[str]) -> float:
    run_dir = out / arm
    command = [sys.executable, "-m", "sampler.cli", "solve", *common, *ARMS[arm], "--out", str(run_dir),
               "--quiet"]
    print(f"[{arm}] {' '.join(command[2:])}", file=sys.stderr, flush=True)
    started = time.monotonic()
    start_file = out / f"{arm}.start"
    if not start_file.exists():  # a resumed arm keeps its first start
        start_file.write_text(f"{time.time():.3f}\n")
    with open(out / f"{arm}.log", "ab") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
        try:
            code = proc.wait()
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)  # the arm and every engine it started
            raise
    wall = time.monotonic() - started
    if code != 0:
        raise SystemExit(f"[{arm}] exited {code}; see {out / f'{arm}.log'}")
    (out / f"{arm}.wall").write_text(f"{wall:.1f}\n")
    return wall


def _read(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _summarise(arm: str, run_dir: Path, wall: float | None, only_tier: str | None = None) -> ArmResult:
    results = {str(r["task_id"]): r for r in _read(run_dir / "results.jsonl")}
    samples = _read(run_dir / "samples.jsonl")
    if only_tier is not None:
        samples = [s for s in samples if s["tier"] == only_tier]
    tokens: dict[str, int] = {}
    for s in samples:
        tokens[str(s["tier"])] = tokens.get(str(s["tier"]), 0) + int(str(s["tokens"]))
    passed = {str(s["task_id"]) for s in samples if s["passed"]}
    by_tier = {t: {str(s["task_id"]) for s in samples if s["passed"] and s["tier"] == t} for t in ("cheap", "strong")}
    prices = {"cheap": CHEAP_PRICE, "strong": TierPrice(CHEAP_PRICE.input_per_mtok * 3, CHEAP_PRICE.output_per_mtok * 3)}
    model = {str(s["tier"]): str(s["model"]) for s in samples}
    cost = 0.0
    for s in samples:
        tier = str(s["tier"])
        # A strong-only arm's "cheap" tier is the 1.5B: price by model, not by tier name.
        price = prices["strong"] if model.get(tier) == "qwen2.5-coder-1.5b" else prices["cheap"]
        cost += price.cost(int(str(s.get("prompt_tokens") or 0)), int(str(s["tokens"])))
    escalated = sum(bool(r.get("escalated")) for r in results.values()) if only_tier is None else 0
    return ArmResult(arm, len(results), len(passed), len(by_tier["cheap"]), len(by_tier["strong"]),
                     escalated, wall, tokens, len(samples), cost)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--arms", default="cascade,cheap,strong")
    parser.add_argument("--derive-cheap", action="store_true",
                        help="read the cheap arm off the cascade run's cheap tier instead of running it")
    parser.add_argument("--limit", type=int, help="first K HumanEval tasks (default all 164)")
    parser.add_argument("-n", type=int, help="samples per task (default: solve's)")
    parser.add_argument("--time-limit", help="solve's --time-limit for every arm (the north star's 30m)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    common = ["--suite", "humaneval"] + (["-n", str(args.n)] if args.n else []) \
        + (["--limit", str(args.limit)] if args.limit else []) \
        + (["--time-limit", args.time_limit] if args.time_limit else [])
    arms = [a.strip() for a in args.arms.split(",") if a.strip()]
    rows: list[ArmResult] = []
    for arm in arms:
        if arm not in ARMS:
            raise SystemExit(f"unknown arm {arm!r}")
        wall_file = args.out / f"{arm}.wall"
        wall = float(wall_file.read_text()) if wall_file.exists() else _run_arm(arm, args.out, common)
        rows.append(_summarise(arm, args.out / arm, wall))
    if args.derive_cheap and "cheap" not in arms and (args.out / "cascade" / "results.jsonl").exists():
        rows.append(_summarise("cheap (cascade's cheap tier)", args.out / "cascade", None, only_tier="cheap"))
    print(f"HumanEval, N={args.n or 'default'}, real tiers: qwen2.5-coder-0.5b cheap, qwen2.5-coder-1.5b strong, "
          "llama.cpp, default verifiers", file=sys.stderr)
    print(f"{'arm':<30} {'solved':>12} {'wall':>9} {'cheap tok':>10} {'strong tok':>10} {'samples/solve':>13} "
          f"{'cost/solve':>11} {'solved/min':>10}", file=sys.stderr)
    for r in rows:
        shown = f"{r.wall:.0f} s" if r.wall is not None else "n/a"
        per_min = f"{r.solved / (r.wall / 60):.2f}" if r.wall else "n/a"
        # In a strong-only arm the one tier is recorded as "cheap"; show it as strong.
        strong_only = r.arm == "strong"
        cheap_tok = 0 if strong_only else r.tokens.get("cheap", 0)
        strong_tok = r.tokens.get("cheap", 0) if strong_only else r.tokens.get("strong", 0)
        print(f"{r.arm:<30} {r.solved:>4}/{r.tasks:<3} {r.solved / max(1, r.tasks):>4.0%} {shown:>9} "
              f"{cheap_tok:>10} {strong_tok:>10} {r.samples / max(1, r.solved):>13.2f} "
              f"{r.cost / max(1, r.solved):>11.3g} {per_min:>10}", file=sys.stderr)
        if r.escalated:
            print(f"{'':<30} cheap tier solved {r.solved_cheap}, {r.escalated} escalated, "
                  f"strong tier solved {r.solved_strong}", file=sys.stderr)
        curve = _solved_by_minute(args.out, r.arm)
        if curve:
            print(f"{'':<30} solved (every check passed) by wall time: "
                  + ", ".join(f"{m} min {n}" for m, n in curve), file=sys.stderr)
    return 0


def _solved_by_minute(out: Path, arm: str, minutes: tuple[int, ...] = (10, 15, 20, 30, 45, 60, 90)
                      ) -> list[tuple[int, int]]:
    """Tasks solved with every check passed within each wall time of the arm's start
    (results' ``finished_at``): the comparison of arms at equal wall time."""
    start_file = out / f"{arm}.start"
    if not start_file.exists():
        return []
    start = float(start_file.read_text())
    times = sorted(float(str(r.get("finished_at") or 0)) - start
                   for r in _read(out / arm / "results.jsonl")
                   if r.get("solved") and not r.get("disputed_by") and r.get("finished_at"))
    return [(m, sum(t <= m * 60 for t in times)) for m in minutes if not times or m * 60 <= times[-1] + 600]


if __name__ == "__main__":
    sys.exit(main())
