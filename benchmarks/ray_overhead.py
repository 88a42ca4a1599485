"""What Ray costs, and how the engine layer scales with simulated engines.

(a) The same solve through one Ray engine actor and through the in-process engine:
    HumanEval/0-7, the packaged model on vLLM's CPU build, n=4, T=0.7, seed 0,
    max 256 tokens, unit-test verification in the driver (the same in-process
    verifier both ways, so only the engine layer differs), every sample drawn
    (no early stop, so both runs generate the same 32 seeded samples). The engine
    is started before the clock starts; the time is the ``solve`` call. Reported:
    samples/s, generated tokens/s, and the Ray/in-process ratio of samples/s.
(b) Solved tasks/s with 1, 2, 4 and 8 simulated engines: the replay backend with a
    token-rate latency model (each sequence decodes at ``--tps`` tokens/s, ``--slots``
    at once per engine), one Ray actor per engine, a cheap in-driver verifier (a
    marker check, no sandbox) to isolate the engine layer, stop on first pass,
    ``batch_tasks`` = 8 x engines so every engine has work queued. Also one
    in-process replay engine with the same latency model, for Ray's own overhead.
    Scaling efficiency = throughput_k / (k x throughput_1), both through Ray.

Ray runs embedded (``ray.init(num_cpus=2)``) on this machine: on 2 cores the
vLLM engine, its scheduler, Ray's own processes and the sandboxed verification
all share them, so (a) measures Ray's overhead under CPU contention, not on an
idle GPU node.

    .venv/bin/python benchmarks/ray_overhead.py [--skip-vllm] [--out runs/ray-overhead]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cluster.engine_host import EngineResources, EngineSpec
from cluster.engines import RayEnginePool
from sampler.backends.base import StreamingBackend
from sampler.backends.replay import ReplayBackend
from sampler.config import EngineConfig, SampleConfig
from sampler.core.api import solve
from sampler.core.verify_run import close_if_closable, default_verifier
from tasks.types import Task
from verifiers.types import Candidate, Status, Verdict


def _samples_and_tokens(out: Path) -> tuple[int, int]:
    samples = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines() if x.strip()]
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines() if x.strip()]
    return len(samples), sum(r["tokens_generated"] for r in results)


def _timed_solve(backend: StreamingBackend, out: Path, **kwargs: Any) -> tuple[float, Any]:
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    report = solve(out=out, backend=backend, **kwargs)
    return time.perf_counter() - start, report


# --------------------------------------------------------------------------- (a)


def vllm_overhead(out: Path, limit: int, n: int, max_tokens: int) -> None:
    from sampler.backends.factory import make_backend
    from sampler.backends.vllm import VllmBackend

    sample = SampleConfig(n=n, max_tokens=max_tokens, seed=0)
    common: dict[str, Any] = dict(suite="humaneval", limit=limit, sample=sample, batch_tasks=8,
                                  stop_on_first_pass=False)
    rows = []
    for where in ("in-process", "ray"):
        verifier = default_verifier(["tests"])
        start = time.perf_counter()
        if where == "in-process":
            backend: Any = make_backend("smollm2-135m", EngineConfig())
            assert isinstance(backend, VllmBackend)
        else:
            backend = RayEnginePool(EngineSpec.for_model("smollm2-135m", EngineConfig()), 1,
                                    EngineResources(num_cpus=1))
            backend.wait_ready(timeout=900)
        started = time.perf_counter() - start
        try:
            seconds, _ = _timed_solve(backend, out / where, verifier=verifier, **common)
        finally:
            close_if_closable(verifier)
            backend.close()
        samples, tokens = _samples_and_tokens(out / where)
        rows.append((where, started, seconds, samples, tokens))
        print(f"  {where:<11} engine start {started:6.1f} s   solve {seconds:6.1f} s   "
              f"{samples} samples, {tokens} tokens   {samples / seconds:.3f} samples/s   "
              f"{tokens / seconds:.1f} tok/s", flush=True)
    (_, _, local_s, local_samples, _), (_, _, ray_s, ray_samples, _) = rows
    ratio = (ray_samples / ray_s) / (local_samples / local_s)
    print(f"  throughput ratio Ray/in-process (samples/s): {ratio:.3f} (goal >= 0.9)")


# --------------------------------------------------------------------------- (b)


class MarkerVerifier:
    """Cheap and in the driver: a pass is the marker comment (the replay script's
    right answers carry it). No sandbox, so (b) measures the engine layer."""

    name = "marker"

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        return [Verdict(c.task_id, c.candidate_id, self.name,
                        Status.PASSED if "# correct" in c.source else Status.FAILED)
                for c in candidates]


def _task(i: int) -> Task:
    return Task(f"S/{i}", f"def f{i}(x: int) -> int:\n    \"\"\"Return x + {i}.\"\"\"\n", f"f{i}",
                f"def check(candidate):\n    assert candidate(1) == {1 + i}\n", f"    return x + {i}\n")


def _script(tasks: int, n: int, tokens: int) -> dict[str, list[str]]:
    """Task i passes first at sample (i * 3) % n; every fourth task never passes."""
    pad = "#" * max(0, tokens * 4 - 60)  # the replay tokenizer: ~4 characters a token
    out = {}
    for i in range(tasks):
        right = f"```python\ndef f{i}(x: int) -> int:\n    return x + {i}  # correct\n{pad}\n```\n"
        wrong = f"```python\ndef f{i}(x: int) -> int:\n    return x\n{pad}\n```\n"
        first = (i * 3) % n
        out[f"S/{i}"] = [right if (j >= first and i % 4) else wrong for j in range(n)]
    return out


def simulated_scaling(out: Path, engines_list: Sequence[int], tasks: int, n: int, tokens: int,
                      tps: float, slots: int) -> None:
    script = _script(tasks, n, tokens)
    task_list = [_task(i) for i in range(tasks)]
    sample = SampleConfig(n=n, max_tokens=tokens * 2, seed=0)

    def run(backend: StreamingBackend, name: str, engines: int) -> tuple[float, int, int]:
        seconds, report = _timed_solve(backend, out / name, tasks=task_list, sample=sample,
                                       verifier=MarkerVerifier(), batch_tasks=8 * engines)
        samples, _ = _samples_and_tokens(out / name)
        return seconds, report.summary.solved, samples

    local = ReplayBackend(script, model="replay", tokens_per_second=tps, slots=slots)
    seconds, solved, samples = run(local, "replay-in-process", 1)
    base_local = solved / seconds
    print(f"  in-process, 1 engine: {seconds:6.2f} s  {solved} solved  {samples} samples  "
          f"{solved / seconds:6.2f} solved tasks/s  {samples / seconds:7.1f} samples/s", flush=True)
    base: float | None = None
    for k in engines_list:
        pool = RayEnginePool(EngineSpec.replay(script, model="replay", tokens_per_second=tps,
                                               slots=slots), k,
                             EngineResources(num_cpus=0, num_gpus=1, gpu_resource="GPU_SIM"))
        try:
            pool.wait_ready(timeout=300)
            seconds, solved, samples = run(pool, f"replay-ray-{k}", k)
        finally:
            pool.close()
        rate = solved / seconds
        base = rate if base is None else base
        base_k = engines_list[0]
        note = f"   vs in-process {rate / base_local:.3f}" if k == 1 else ""
        print(f"  Ray, {k} engine(s):    {seconds:6.2f} s  {solved} solved  {samples} samples  "
              f"{rate:6.2f} solved tasks/s  {samples / seconds:7.1f} samples/s  "
              f"efficiency {rate * base_k / (k * base):.3f}{note}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/ray-overhead"))
    parser.add_argument("--skip-vllm", action="store_true", help="only (b)")
    parser.add_argument("--skip-sim", action="store_true", help="only (a)")
    parser.add_argument("--limit", type=int, default=8)
    parser.add_argument("-n", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--sim-tasks", type=int, default=96)
    parser.add_argument("--sim-n", type=int, default=8)
    parser.add_argument("--sim-tokens", type=int, default=100, help="tokens per simulated sample")
    parser.add_argument("--tps", type=float, default=100.0, help="simulated tokens/s per sequence")
    parser.add_argument("--slots", type=int, default=8, help="simulated sequences per engine")
    parser.add_argument("--sim-engines", default="1,2,4,8",
                        help="engine counts for (b), comma-separated; the first is the baseline")
    args = parser.parse_args()

    import ray

    ray.init(num_cpus=2, resources={"GPU_SIM": 8}, include_dashboard=False,
             logging_level="WARNING")
    try:
        if not args.skip_vllm:
            print(f"(a) one Ray engine actor vs the in-process engine: HumanEval/0-{args.limit - 1}, "
                  f"smollm2-135m (vLLM CPU), n={args.n}, max_tokens={args.max_tokens}, seed 0, "
                  "every sample drawn, unit tests in the driver; engine start excluded", flush=True)
            vllm_overhead(args.out, args.limit, args.n, args.max_tokens)
        if not args.skip_sim:
            print(f"(b) simulated engines: {args.sim_tasks} tasks, n={args.sim_n}, "
                  f"{args.sim_tokens} tokens/sample at {args.tps:g} tok/s per sequence, "
                  f"{args.slots} slots/engine (ideal {args.slots * args.tps / args.sim_tokens:g} "
                  "samples/s per engine), marker verifier in the driver, stop on first pass, "
                  "batch_tasks = 8 x engines", flush=True)
            engines = [int(k) for k in args.sim_engines.split(",")]
            simulated_scaling(args.out, engines, args.sim_tasks, args.sim_n, args.sim_tokens,
                              args.tps, args.slots)
    finally:
        ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
