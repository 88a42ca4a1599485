"""Have a model write tests for every task, for ``select_without_tests.py --model-tests``.

What ``solve`` does for tasks without tests (``sampler.core.written_tests``), for
every task of the file with its tests withheld: one greedy request per task, in
batches, each answer appended to OUT as it arrives (a rerun asks only for the
tasks not there). Prints progress, how many tests parsed and the time taken.

    .venv/bin/python benchmarks/write_tests.py runs/tests-0.5b.jsonl [--model qwen2.5-coder-0.5b]
    .venv/bin/python benchmarks/write_tests.py runs/mbpp-tests.jsonl --tasks benchmarks/data/mbpp_style.jsonl
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from sampler.backends.factory import make_backend, prefills_answers
from sampler.core.written_tests import write_tests
from tasks.examples import with_example_tests
from tasks.registry import load_suite, select_tasks

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
    # The tasks as if they came without tests: write_tests asks only for those.
    untested = [dataclasses.replace(t, test="", test_origin="none") for t in tasks]
    start = time.monotonic()
    backend = make_backend(args.model)
    try:
        written = write_tests(backend, untested, args.out, seed=args.seed, prefill=prefills_answers(args.model),
                              progress=lambda line: print(line, file=sys.stderr))
    finally:
        backend.close()
    parsed = sum(len(tests) for tests in written.values())
    print(f"{len(untested)} tasks with tests by {args.model} in {time.monotonic() - start:.0f} s (those already "
          f"in {args.out} not asked again): {parsed} usable tests ({parsed / max(1, len(untested)):.1f} a task)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
