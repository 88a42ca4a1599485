"""The careful reader's answers for a finished run, so a replay can judge them without a model.

For every task of RUN whose result shows the second reader asked and agreeing (the
tasks on which the careful reader is asked: ``sampler.core.second_reader``), the
strong model gets the very request ``solve`` sends (``careful_reader_request``:
the task, then "list every requirement and edge case first", greedy) and its answer
is appended to OUT as ``{"task_id", "completion", "seconds", "tokens"}``; a rerun
asks only for the tasks not in OUT yet. ``replay_without_tests.py --careful OUT``
then replays the run with those answers as strong sample 1.

    .venv/bin/python benchmarks/careful_answers.py runs/mbppg /tmp/mbppg_notests.jsonl --out /tmp/careful-g.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sampler.backends.factory import make_backend, prefills_answers  # noqa: E402
from sampler.config import EscalationConfig, SampleConfig  # noqa: E402
from sampler.core.escalation import careful_reader_request  # noqa: E402
from sampler.core.task_run import request_prefix  # noqa: E402
from sampler.storage.records import STRONG  # noqa: E402
from tasks.registry import select_tasks  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a finished solve run on tasks without tests")
    parser.add_argument("tasks", type=Path, help="the task file that run solved")
    parser.add_argument("--out", type=Path, required=True, help="JSONL of answers, appended to")
    parser.add_argument("--all", action="store_true", help="every task with a reader, not only those it agreed on")
    parser.add_argument("--escalated", action="store_true",
                        help="instead, the tasks called solved on the strong tier's own samples (escalated, no reader)")
    args = parser.parse_args()
    settings = json.loads((args.run / "run.json").read_text(encoding="utf-8"))
    results = [json.loads(line) for line in (args.run / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    if args.escalated:
        wanted = {r["task_id"] for r in results if r.get("solved") and r.get("escalated") and not r.get("second_reader")}
    else:
        wanted = {r["task_id"] for r in results
                  if r.get("second_reader") == "agrees" or (args.all and r.get("second_reader"))}
    done = set()
    if args.out.exists():
        done = {json.loads(line)["task_id"] for line in args.out.read_text(encoding="utf-8").splitlines() if line}
    tasks = [t for t in select_tasks(args.tasks) if t.task_id in wanted and t.task_id not in done]
    print(f"{len(wanted)} tasks {'called on the strong tier' if args.escalated else 'whose reader agreed'}; "
          f"{len(tasks)} to ask", flush=True)
    if not tasks:
        return 0
    backend = make_backend(str(settings["strong"]))
    sample, escalation = SampleConfig(seed=int(settings["seed"])), EscalationConfig()
    try:
        with args.out.open("a", encoding="utf-8") as out:
            for task in tasks:
                start = time.perf_counter()
                request = careful_reader_request(task, sample, escalation, request_prefix(task.task_id, STRONG),
                                                 prefill=prefills_answers(str(settings["strong"])))
                [generation] = backend.generate([request])
                [completion] = generation.completions
                seconds = time.perf_counter() - start
                out.write(json.dumps({"task_id": task.task_id, "completion": completion.text,
                                      "seconds": round(seconds, 2), "tokens": completion.tokens}) + "\n")
                out.flush()
                print(f"{task.task_id}: {completion.tokens} tokens, {seconds:.1f} s", flush=True)
    finally:
        backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
