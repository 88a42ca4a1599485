"""Have a model write tests for every task, for ``select_without_tests.py --model-tests``.

One greedy request per task (``sampler.core.test_writing``), sent in batches;
each answer is appended to OUT as it arrives (a rerun skips the tasks already
there). Prints how many tests parsed per task and the time taken.

    .venv/bin/python benchmarks/write_tests.py runs/tests-0.5b.jsonl [--model qwen2.5-coder-0.5b]
    .venv/bin/python benchmarks/write_tests.py runs/mbpp-tests.jsonl --tasks benchmarks/data/mbpp_style.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from sampler.backends.factory import make_backend, prefills_answers
from sampler.core.test_writing import parse_answer, request_for_tests, writing_prompt_id
from tasks.examples import with_example_tests
from tasks.registry import load_suite, select_tasks

BATCH = 16


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="JSONL of {task_id, model, prompt_id, text}, appended")
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--tasks", type=Path, default=None, help="a task file (default: the HumanEval suite)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="only the first K tasks")
    parser.add_argument("--without-examples", action="store_true",
                        help="only tasks whose prompt states no examples")
    args = parser.parse_args()
    tasks = (select_tasks(args.tasks) if args.tasks else load_suite("humaneval"))[:args.limit]
    if args.without_examples:
        tasks = [t for t in tasks if with_example_tests(t).test_origin == "none"]
    done: set[str] = set()
    if args.out.exists():
        for line in args.out.read_text(encoding="utf-8").splitlines():
            if line.strip():
                done.add(json.loads(line)["task_id"])
    todo = [t for t in tasks if t.task_id not in done]
    prefill = prefills_answers(args.model)
    start = time.monotonic()
    parsed = 0
    backend = make_backend(args.model)
    try:
        for at in range(0, len(todo), BATCH):
            batch = todo[at:at + BATCH]
            generations = backend.generate([request_for_tests(t, seed=args.seed, prefill=prefill) for t in batch])
            with args.out.open("a", encoding="utf-8") as out:
                for task, generation in zip(batch, generations):
                    text = generation.completions[0].text if generation.completions else ""
                    tests = parse_answer(task, text)
                    parsed += len(tests)
                    out.write(json.dumps({"task_id": task.task_id, "model": args.model,
                                          "prompt_id": writing_prompt_id(), "text": text}) + "\n")
                out.flush()
                os.fsync(out.fileno())
            print(f"{at + len(batch)}/{len(todo)} tasks, {parsed} tests parsed, "
                  f"{time.monotonic() - start:.0f} s", file=sys.stderr)
    finally:
        backend.close()
    print(f"{len(todo)} tasks asked for tests by {args.model} in {time.monotonic() - start:.0f} s: "
          f"{parsed} usable tests ({parsed / max(1, len(todo)):.1f} a task)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
