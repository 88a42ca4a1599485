"""What more strong samples buy on the tasks a finished run left unsolved: a repair
round that shows the failing check (with what the answer returned), or more samples
of the bare task.

For every task of RUN without a solution, the strong model gets, per arm, N samples
at temperature (one request each, as ``solve`` sends them):

* ``repair``: the round ``solve --strong-rounds 2`` sends (``round_requests``, round 1):
  the task, the strong tier's most informative failing draft and the check it failed,
  re-verified first so its message is today's (a failed assertion says what the
  draft's last call returned: ``; the last call, f(2), returned 10``);
* ``plain``: N more samples of the bare task (the prompt ``solve``'s own plain
  samples use, seeded past them);
* ``careful``: N answers to the careful reader's prompt (list the requirements and
  edge cases the task states, then write the function: ``careful_reader_request``),
  the first greedy, the rest at temperature, one request each (an answer is cut where
  its code block closes).

Every answer is verified with the default checks (``bestofn verify``), and the arm's
figures are printed: tasks with an answer passing every check, with one passing the
tests, samples, the strong model's seconds and generated tokens. Answers are appended
to OUT/answers.jsonl (a rerun asks only for the (task, arm) pairs not there yet).

    .venv/bin/python benchmarks/repair_feedback.py runs/full18/cascade --out runs/repair18 --samples 4
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sampler.backends.factory import make_backend, prefills_answers  # noqa: E402
from sampler.config import EscalationConfig, PromptStyle, SampleConfig  # noqa: E402
from sampler.backends.base import GenerationRequest  # noqa: E402
from sampler.core.escalation import (  # noqa: E402
    _request, careful_reader_request, draft_text, informative_failures, round_requests)
from sampler.core.prompting import program_from_output  # noqa: E402
from sampler.core.task_run import request_prefix  # noqa: E402
from sampler.storage.records import STRONG, SampleRecord  # noqa: E402
from tasks.humaneval import load_humaneval  # noqa: E402
from tasks.types import Task  # noqa: E402

ARMS = ("repair", "plain", "careful")
BESTOFN = str(Path(sys.executable).with_name("bestofn"))


def _records(run: Path) -> dict[str, list[SampleRecord]]:
    by_task: dict[str, list[SampleRecord]] = {}
    fields = {f.name for f in dataclasses.fields(SampleRecord)}
    for line in (run / "samples.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        by_task.setdefault(row["task_id"], []).append(SampleRecord(**{k: v for k, v in row.items() if k in fields}))
    return by_task


def _verify(tasks: list[Task], candidates: list[dict[str, Any]], out: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Verdicts by task and candidate id, from ``bestofn verify`` with its default checks."""
    task_file, candidate_file = out.with_suffix(".tasks.jsonl"), out.with_suffix(".candidates.jsonl")
    task_file.write_text("".join(json.dumps({"task_id": t.task_id, "prompt": t.prompt, "entry_point": t.entry_point,
                                             "test": t.test, "canonical_solution": t.canonical_solution}) + "\n"
                                 for t in tasks), encoding="utf-8")
    candidate_file.write_text("".join(json.dumps(c) + "\n" for c in candidates), encoding="utf-8")
    subprocess.run([BESTOFN, "verify", str(task_file), str(candidate_file), "--out", str(out), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    return {(row["task_id"], row["candidate_id"]): row for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


def _drafts(tasks: list[Task], records: dict[str, list[SampleRecord]], out: Path) -> dict[str, SampleRecord]:
    """Each task's most informative failing strong draft, its verdict taken again today."""
    chosen = {}
    for task in tasks:
        strong = [r for r in records[task.task_id] if r.tier == STRONG]
        best = informative_failures(strong, 1)
        if best:
            chosen[task.task_id] = best[0]
    verdicts = _verify(tasks, [{"task_id": t, "candidate_id": f"draft-{t}", "solution": r.solution}
                               for t, r in chosen.items()], out / "drafts.jsonl")
    return {t: dataclasses.replace(r, detail=verdicts[t, f"draft-{t}"]["detail"]) for t, r in chosen.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a finished solve run's directory (run.json, samples.jsonl, results.jsonl)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=4, help="samples per task and arm")
    parser.add_argument("--arms", default=",".join(ARMS))
    args = parser.parse_args()
    arms = [a for a in args.arms.split(",") if a]
    if not arms or any(a not in ARMS for a in arms) or args.samples < 1:
        print(f"bad --arms or --samples: arms are {', '.join(ARMS)}", file=sys.stderr)
        return 2
    settings = json.loads((args.run / "run.json").read_text(encoding="utf-8"))
    results = [json.loads(line) for line in (args.run / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    unsolved = {r["task_id"] for r in results if not r["solved"]}
    tasks = [t for t in load_humaneval() if t.task_id in unsolved]
    args.out.mkdir(parents=True, exist_ok=True)
    answers_path = args.out / "answers.jsonl"
    done = set()
    if answers_path.exists():
        done = {(r["task_id"], r["arm"]) for r in map(json.loads, answers_path.read_text(encoding="utf-8").splitlines())}
    records = _records(args.run)
    drafts = _drafts(tasks, records, args.out)
    strong = str(settings["strong"])
    prefill = prefills_answers(strong)
    sample = SampleConfig(seed=int(settings["seed"]))
    escalation = dataclasses.replace(EscalationConfig(), samples=args.samples)
    print(f"{len(tasks)} unsolved tasks; arms {', '.join(arms)}; {args.samples} samples each", flush=True)
    todo = [(t, a) for t in tasks for a in arms if (t.task_id, a) not in done]
    if todo:
        backend = make_backend(strong)
        try:
            with answers_path.open("a", encoding="utf-8") as out:
                for task, arm in todo:
                    prefix = request_prefix(task.task_id, STRONG)
                    requests: list[GenerationRequest]
                    if arm == "repair":
                        draft = drafts.get(task.task_id)
                        [request] = round_requests(task, 1, [draft] if draft else [], sample, escalation, prefix,
                                                   prefill)
                        requests = [request]
                    elif arm == "plain":  # seeded past solve's own 8 strong samples of the bare task
                        requests = [_request(task, draft_text(task, []), sample, escalation, 0, prefix, prefill,
                                             skip=EscalationConfig().samples, completions=args.samples)]
                    else:
                        careful = careful_reader_request(task, sample, escalation, prefix, prefill)
                        requests = [dataclasses.replace(careful, request_id=f"{careful.request_id}c{i}",
                                                        seed=(careful.seed + 7919 * i) % (2**31 - 1),
                                                        temperature=0.0 if i == 0 else escalation.temperature)
                                    for i in range(args.samples)]
                    start = time.perf_counter()
                    generations = [g for r in requests for g in backend.generate([r])]
                    seconds = time.perf_counter() - start
                    for i, completion in enumerate(c for g in generations for c in g.completions):
                        out.write(json.dumps({"task_id": task.task_id, "arm": arm, "index": i,
                                              "solution": program_from_output(task, completion.text, PromptStyle.CHAT),
                                              "tokens": completion.tokens, "seconds": round(seconds, 2)}) + "\n")
                    out.flush()
                    print(f"{task.task_id} {arm}: {seconds:.1f} s", flush=True)
        finally:
            backend.close()
    answers = [json.loads(line) for line in answers_path.read_text(encoding="utf-8").splitlines()]
    verdicts = _verify(tasks, [{"task_id": a["task_id"], "candidate_id": f"{a['arm']}-{a['index']}",
                                "solution": a["solution"]} for a in answers], args.out / "verdicts.jsonl")
    for arm in arms:
        mine = [a for a in answers if a["arm"] == arm]
        verdict = {id(a): verdicts[a["task_id"], f"{arm}-{a['index']}"] for a in mine}
        passed = {a["task_id"] for a in mine if verdict[id(a)]["status"] == "passed"}
        tests = {a["task_id"] for a in mine if verdict[id(a)]["status"] == "passed"
                 or verdict[id(a)]["verifier"] in ("mypy", "properties")}
        seconds = sum({(a["task_id"]): a["seconds"] for a in mine}.values())
        print(f"{arm:7s} {len(passed):2d} of {len(tasks)} tasks passed every check ({', '.join(sorted(passed))}), "
              f"{len(tests)} passed the tests; {len(mine)} samples, {sum(a['tokens'] for a in mine)} tokens, "
              f"{seconds:.0f} s of the strong model")
    return 0


if __name__ == "__main__":
    sys.exit(main())
