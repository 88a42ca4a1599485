"""The learned length cap: its statistics, and what it does inside the loop."""

import math
import random
import time
from collections.abc import Sequence
from pathlib import Path
from statistics import NormalDist

import pytest

import sampler.core.loop
from sampler.backends.base import BatchStreaming, Generation, GenerationRequest
from sampler.backends.replay import ReplayBackend
from sampler.config import BudgetConfig, BudgetPolicy, SampleConfig
from sampler.core.api import solve
from sampler.policy.length_cap import FINISH_LENGTH_CAP, LengthCap, t_quantile
from tests.unit.fakes import MarkerVerifier, fenced, make_task
from tests.unit.test_loop import RIGHT, lines


@pytest.mark.parametrize(("p", "dof", "exact"), [
    (0.99, 4, 3.747), (0.99, 10, 2.764), (0.99, 30, 2.457), (0.95, 4, 2.132),
    (0.995, 4, 4.604), (0.999, 10, 4.144), (0.9, 4, 1.533),
])
def test_t_quantile_matches_tables(p: float, dof: float, exact: float) -> None:
    assert t_quantile(p, dof) == pytest.approx(exact, rel=0.01)


def test_no_cap_without_evidence_then_never_below_a_seen_pass() -> None:
    cap = LengthCap(512, miss=0.01)
    assert cap.cap() == 512
    cap.observe_pass(30)
    assert cap.cap() > 10 * 30  # one pass: the predictive's tails are still wide
    for tokens in [30, 32, 35, 40, 28, 33, 31, 36, 29, 34]:
        cap.observe_pass(tokens)
    tight = cap.cap()
    assert 40 < tight < 200
    cap.observe_pass(300)  # an unusually long pass: the cap never cuts what was seen to pass
    assert cap.cap() >= 300
    assert LengthCap(512, miss=0.2).cap() <= 512


def test_cap_cuts_no_more_than_the_promised_fraction_of_passes() -> None:
    """Calibration: over many runs whose passes are log-normal, the share of further
    passes above the cap is at most ``miss`` (the predictive quantile's promise), and
    not vacuously so. It is below ``miss`` because the cap never cuts under the
    longest pass seen, and because the prior's spread (0.8) exceeds this one's."""
    rng = random.Random(7)
    mu, sigma, miss = math.log(60), 0.5, 0.01
    for n in (10, 40, 160):
        cut = []
        for _ in range(300):
            cap = LengthCap(100_000, miss=miss)
            for _ in range(n):
                cap.observe_pass(max(1, round(math.exp(rng.gauss(mu, sigma)))))
            cut.append(1 - NormalDist(mu, sigma).cdf(math.log(cap.cap())))
        assert miss / 4 < sum(cut) / len(cut) < miss, n


def runaway(i: int) -> str:
    """A sample that loses its way: its python block never closes."""
    return "Here you go:\n```python\n" + f"def f{i}(x: int) -> int:\n" + "    x = x + 1\n" * 300


def test_adaptive_solve_caps_runaways_without_losing_a_pass(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(24)]
    easy = {i for i in range(24) if i % 3 == 0}
    script = {f"T/{i}": [fenced(RIGHT.format(i=i))] if i in easy else [runaway(i)]
              for i in range(24)}

    def run(out: Path, miss: float | None) -> tuple[ReplayBackend, object]:
        # One task at a time: the adaptive budget reads the tasks finished before, and
        # with two in flight which finishes first varies with load (the two runs drew
        # 86 and 88 samples in a fresh clone's full test run).
        backend = ReplayBackend(script)
        report = solve(tasks, out=out, backend=backend, verifier=MarkerVerifier(),
                       sample=SampleConfig(n=6), batch_tasks=1,
                       budget=BudgetConfig(policy=BudgetPolicy.ADAPTIVE, length_cap_miss=miss))
        return backend, report

    uncapped_backend, uncapped = run(tmp_path / "uncapped", None)
    capped_backend, capped = run(tmp_path / "capped", 0.01)
    assert all(r.max_tokens == 512 for r in uncapped_backend.requests_seen)
    caps = {r.request_id: r.max_tokens for r in capped_backend.requests_seen}
    assert min(caps.values()) < 512 / 2
    assert {r.task_id for r in capped.results if r.solved} == \
        {r.task_id for r in uncapped.results if r.solved} == {f"T/{i}" for i in easy}
    assert capped.summary.samples == uncapped.summary.samples
    assert capped.summary.tokens_generated < 0.75 * uncapped.summary.tokens_generated
    samples = lines(tmp_path / "capped" / "samples.jsonl")
    cut = [s for s in samples if s["finish_reason"] == FINISH_LENGTH_CAP]
    assert cut and all(not s["passed"] for s in cut)
    for s in cut:  # a capped sample stops exactly at its request's cap
        assert s["tokens"] == caps[f"{s['task_id']}|cheap|{s['sample_index']}"] < 512
    assert all(s["finish_reason"] == "length" for s in samples
               if caps[f"{s['task_id']}|cheap|{s['sample_index']}"] == 512 and s["tokens"] == 512)


def test_rerun_without_the_cap_draws_capped_samples_again_in_full(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(12)]
    script = {f"T/{i}": [fenced(RIGHT.format(i=i))] if i % 3 == 0 else [runaway(i)]
              for i in range(12)}
    adaptive = BudgetConfig(policy=BudgetPolicy.ADAPTIVE)
    solve(tasks, out=tmp_path, backend=ReplayBackend(script), verifier=MarkerVerifier(),
          sample=SampleConfig(n=4), batch_tasks=1, budget=adaptive)
    cut = {(s["task_id"], s["candidate_id"]) for s in lines(tmp_path / "samples.jsonl")
           if s["finish_reason"] == FINISH_LENGTH_CAP}
    assert cut
    (tmp_path / "results.jsonl").write_text("")  # as if it died before any result line
    again = ReplayBackend(script)
    solve(tasks, out=tmp_path, backend=again, verifier=MarkerVerifier(), sample=SampleConfig(n=4),
          batch_tasks=1, budget=adaptive)
    assert again.requests_seen == []  # the same policy reuses every sample
    (tmp_path / "results.jsonl").write_text("")
    fixed = ReplayBackend(script)
    solve(tasks, out=tmp_path, backend=fixed, verifier=MarkerVerifier(), sample=SampleConfig(n=4),
          batch_tasks=1)
    redrawn = {(r.key, f"s{r.first_index}") for r in fixed.requests_seen}
    assert cut <= redrawn
    assert all(r.max_tokens == 512 for r in fixed.requests_seen)


def plain(request_id: str, task: str, max_tokens: int = 512) -> GenerationRequest:
    return GenerationRequest(request_id=request_id, completions=1, temperature=0.7, top_p=0.95,
                             max_tokens=max_tokens, seed=0, prompt="p", task_id=task)


def test_replay_shortens_waiting_and_running_requests() -> None:
    script = {"long": ["x" * 4000], "short": ["y" * 40]}
    backend = ReplayBackend(script, tokens_per_second=1000, slots=1)  # 1000 tokens: 1 s
    backend.submit([plain("a", "long"), plain("b", "long"), plain("c", "short")])
    time.sleep(0.1)  # "a" is running, "b" and "c" are waiting
    backend.shorten(["a", "b", "c", "unknown"], 200)
    got: dict[str, Generation] = {}
    start = time.monotonic()
    while backend.in_flight():
        got.update({g.request_id: g for g in backend.poll(1.0)})
    assert time.monotonic() - start < 1.0  # 200 + 200 + 10 tokens, not 1000 + 1000 + 10
    for request_id in ("a", "b"):
        [completion] = got[request_id].completions
        assert (completion.tokens, completion.finish_reason) == (200, "length")
        assert completion.text == "x" * 800
    assert got["c"].completions[0].tokens == 10  # already shorter: untouched


def test_batch_streaming_sends_queued_requests_shorter() -> None:
    inner = ReplayBackend({"long": ["x" * 4000]})
    batch = BatchStreaming(_BatchOnly(inner))
    batch.submit([plain("a", "long")])
    batch.shorten(["a"], 50)
    [generation] = batch.poll(0.0)
    assert generation.completions[0].tokens == 50
    assert inner.requests_seen[0].max_tokens == 50


class _BatchOnly:
    """A backend with only the batch shape."""

    def __init__(self, inner: ReplayBackend) -> None:
        self.inner = inner
        self.model = inner.model

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        return self.inner.generate(requests)

    def close(self) -> None:
        pass


def test_in_flight_requests_are_shortened_once_passes_teach_the_cap(tmp_path: Path) -> None:
    """Runaways submitted before any pass (at max_tokens) are cut when the cap is learned."""
    tasks = [make_task(i) for i in range(16)]
    easy = {i for i in range(16) if i % 2 == 0}
    script = {f"T/{i}": [fenced(RIGHT.format(i=i))] if i in easy else [runaway(i)]
              for i in range(16)}
    # Slow enough that runaways (512 tokens: 2 s) are still running when passes arrive
    # and are verified, also on a loaded machine (at 0.5 s a slow CI run lost the race).
    backend = ReplayBackend(script, tokens_per_second=250, slots=64)
    solve(tasks, out=tmp_path, backend=backend, verifier=MarkerVerifier(), sample=SampleConfig(n=2),
          batch_tasks=16, budget=BudgetConfig(policy=BudgetPolicy.ADAPTIVE, wave=2))
    samples = lines(tmp_path / "samples.jsonl")
    runaways = [s for s in samples if s["task_id"] not in {f"T/{i}" for i in easy}]
    submitted_at = {r.request_id: r.max_tokens for r in backend.requests_seen}
    assert all(submitted_at[f"{s['task_id']}|cheap|{s['sample_index']}"] == 512 for s in runaways)
    assert runaways and all(s["finish_reason"] == FINISH_LENGTH_CAP for s in runaways)
    assert all(s["tokens"] < 512 for s in runaways)
    assert all(s["passed"] for s in samples if s["task_id"] in {f"T/{i}" for i in easy})


class _ScriptedCap:
    """A cap that falls after the first pass and rises after the third (more spread)."""

    def __init__(self, max_tokens: int, miss: float) -> None:
        self.max_tokens, self.seen = max_tokens, 0

    def observe_pass(self, tokens: int) -> None:
        self.seen += 1

    def cap(self) -> int:
        return self.max_tokens if self.seen == 0 else 100 if self.seen < 3 else 300


def test_new_requests_get_the_current_cap_even_when_it_rises(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sampler.core.loop, "LengthCap", _ScriptedCap)
    tasks = [make_task(i) for i in range(5)]
    easy = {0, 2, 3}
    script = {f"T/{i}": [fenced(RIGHT.format(i=i))] if i in easy else [runaway(i)] for i in range(5)}
    backend = ReplayBackend(script)
    solve(tasks, out=tmp_path, backend=backend, verifier=MarkerVerifier(), sample=SampleConfig(n=2),
          batch_tasks=1, budget=BudgetConfig(policy=BudgetPolicy.ADAPTIVE))
    caps = {r.key: {q.max_tokens for q in backend.requests_seen if q.key == r.key}
            for r in backend.requests_seen}
    assert caps["T/0"] == {512} and caps["T/1"] == {100} and caps["T/4"] == {300}
