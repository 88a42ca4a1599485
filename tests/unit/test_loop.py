"""The whole sample -> verify -> choose -> record loop, offline, through the replay backend."""

import dataclasses
import json
import random
import signal
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from sampler.backends.replay import ReplayBackend
from sampler.config import BudgetConfig, BudgetPolicy, EscalationConfig, SampleConfig, SolveConfig
from sampler.core.api import solve
from sampler.core.loop import BestOfN
from sampler.core.selection import choose
from sampler.core.task_run import TaskRun
from sampler.storage.records import SampleRecord
from sampler.storage.store import RunStore
from tasks.types import Task
from tests.unit.fakes import MarkerVerifier, fenced, make_task
from verifiers.types import Candidate, Status, Verdict

RIGHT = "def f{i}(x: int) -> int:\n    return x + {i}  # correct\n"
WRONG = "def f{i}(x: int) -> int:\n    return x\n"


def script(pattern: dict[int, list[bool]]) -> dict[str, list[str]]:
    """Per task i, which sample indices are right."""
    return {f"T/{i}": [fenced((RIGHT if ok else WRONG).format(i=i)) for ok in oks]
            for i, oks in pattern.items()}


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_solves_what_verifies_and_records_everything(tmp_path: Path) -> None:
    """Scaling mode (no stop on first pass): every sample drawn, verified and recorded."""
    tasks = [make_task(i) for i in range(3)]
    backend = ReplayBackend(script({0: [False, True, True, False], 1: [False] * 4, 2: [True] * 4}))
    report = solve(tasks, out=tmp_path, backend=backend, verifier=MarkerVerifier(),
                   sample=SampleConfig(n=4), batch_tasks=2, stop_on_first_pass=False)
    by_id = {r.task_id: r for r in report.results}
    assert by_id["T/0"].solved and by_id["T/0"].candidate_id == "s1"  # lowest passing index
    assert not by_id["T/1"].solved and by_id["T/1"].solution is None
    assert by_id["T/2"].candidate_id == "s0" and by_id["T/2"].tier == "cheap"
    assert by_id["T/0"].solution is not None and by_id["T/0"].solution.startswith("from typing import List")
    assert report.summary.solved == 2 and report.summary.coverage == pytest.approx(2 / 3)
    assert report.summary.mean_pass_at_1 == pytest.approx((2 / 4 + 0 + 1) / 3)
    assert set(report.summary.pass_at_k) == {1, 2, 4}
    results = lines(tmp_path / "results.jsonl")
    samples = lines(tmp_path / "samples.jsonl")
    assert sorted(r["task_id"] for r in results) == ["T/0", "T/1", "T/2"]
    assert len(samples) == 12
    assert {"task_id", "sample_index", "candidate_id", "model", "passed", "status", "tokens",
            "verifier", "stage_seconds", "tier", "prompt_tokens"} <= set(samples[0])
    assert {"task_id", "solved", "solution", "model", "samples_drawn", "tokens_generated",
            "seconds", "tier", "tokens_in", "tokens_out", "cost", "stop_reason"} <= set(results[0])
    # Every sample is its own request with its own seed; the prompt reached the model
    # through the chat instruction.
    request = backend.requests_seen[0]
    assert request.messages is not None and "def f0" in request.messages[0].content
    assert request.completions == 1 and len(backend.requests_seen) == 12
    assert len({r.seed for r in backend.requests_seen}) == 12
    assert by_id["T/1"].tokens_out["cheap"] == sum(s["tokens"] for s in samples if s["task_id"] == "T/1")
    assert by_id["T/1"].cost == pytest.approx(SolveConfig().cheap_price.cost(
        by_id["T/1"].tokens_in["cheap"], by_id["T/1"].tokens_out["cheap"]))


def test_stop_on_first_pass_draws_in_waves_and_aborts_in_flight(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(2)]
    # One slot, slow tokens: later samples are still waiting or running when s0 passes.
    backend = ReplayBackend(script({0: [True] * 6, 1: [False] * 6}), tokens_per_second=2000, slots=1)
    verifier = MarkerVerifier()
    report = solve(tasks, out=tmp_path, backend=backend, verifier=verifier,
                   sample=SampleConfig(n=6), budget=BudgetConfig(wave=3))
    by_id = {r.task_id: r for r in report.results}
    assert by_id["T/0"].solved and by_id["T/0"].stop_reason == "passed"
    assert by_id["T/0"].aborted_requests >= 1
    assert any(r.startswith("T/0|") for r in backend.aborted)
    assert not any(r.startswith("T/1|") for r in backend.aborted)
    assert by_id["T/1"].samples_drawn == 6 and not by_id["T/1"].solved
    verified_t0 = [c for task, cands in verifier.calls if task == "T/0" for c in cands]
    assert "s0" in verified_t0 and len(verified_t0) < 6
    assert report.summary.aborted_requests == by_id["T/0"].aborted_requests
    assert not report.summary.fixed_n and "pass@k not estimated" in "\n".join(report.summary.lines())


def test_sample_i_is_the_same_request_however_it_is_scheduled(tmp_path: Path) -> None:
    task = make_task(0)
    waves = ReplayBackend(script({0: [False] * 4}))
    solve([task], out=tmp_path / "a", backend=waves, verifier=MarkerVerifier(),
          sample=SampleConfig(n=4), budget=BudgetConfig(wave=1))
    whole = ReplayBackend(script({0: [False] * 4}))
    solve([task], out=tmp_path / "b", backend=whole, verifier=MarkerVerifier(),
          sample=SampleConfig(n=4), stop_on_first_pass=False)
    key = lambda r: (r.first_index, r.seed, r.messages)  # noqa: E731
    assert sorted(map(key, waves.requests_seen)) == sorted(map(key, whole.requests_seen))
    assert len(waves.requests_seen) == 4


def test_samples_stop_at_the_code_end_with_the_same_programs_and_verdicts(tmp_path: Path) -> None:
    chatty = {task: [text + "This works because it adds i to x. " * 30 for text in texts]
              for task, texts in script({0: [False, True], 1: [False, False]}).items()}
    runs = {}
    for stop in (True, False):
        runs[stop] = solve([make_task(i) for i in range(2)], out=tmp_path / str(stop), backend=ReplayBackend(chatty),
                           verifier=MarkerVerifier(), sample=SampleConfig(n=2, stop_at_code_end=stop),
                           stop_on_first_pass=False)
    cut, whole = (lines(tmp_path / str(stop) / "samples.jsonl") for stop in (True, False))
    key = lambda r: (r["task_id"], r["sample_index"])  # noqa: E731
    assert [(r["solution"], r["status"]) for r in sorted(cut, key=key)] == \
        [(r["solution"], r["status"]) for r in sorted(whole, key=key)]
    assert {r["finish_reason"] for r in cut} == {"code_end"} and {r["finish_reason"] for r in whole} == {"stop"}
    assert runs[True].summary.solved == runs[False].summary.solved == 1
    assert 4 * runs[True].summary.tokens_generated < runs[False].summary.tokens_generated


def test_adaptive_budget_gives_up_early_on_hopeless_tasks(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(30)]
    pattern = {i: [i % 10 == 0] * 10 for i in range(30)}  # 3 easy tasks, 27 hopeless ones
    fixed = solve(tasks, out=tmp_path / "fixed", backend=ReplayBackend(script(pattern)),
                  verifier=MarkerVerifier(), sample=SampleConfig(n=10), batch_tasks=1)
    adaptive = solve(tasks, out=tmp_path / "adaptive", backend=ReplayBackend(script(pattern)),
                     verifier=MarkerVerifier(), sample=SampleConfig(n=10), batch_tasks=1,
                     budget=BudgetConfig(policy=BudgetPolicy.ADAPTIVE))
    assert fixed.summary.solved == adaptive.summary.solved == 3
    assert adaptive.summary.samples < 0.7 * fixed.summary.samples
    assert adaptive.summary.tokens_generated < 0.7 * fixed.summary.tokens_generated
    hopeless = [r for r in adaptive.results if not r.solved]
    # Once the prior has learned the suite is hard, hopeless tasks stop well before n.
    late = hopeless[-10:]
    assert all(r.stop_reason.startswith("budget: not worth it") for r in late)
    assert all(r.samples_drawn < 10 for r in late)
    assert late[-1].samples_drawn <= hopeless[0].samples_drawn


def test_rerun_resumes_without_duplicates(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(4)]
    pattern = {i: [i % 2 == 0, True] for i in range(4)}
    crashing = MarkerVerifier(fail_after=2)
    with pytest.raises(RuntimeError):
        solve(tasks, out=tmp_path, backend=ReplayBackend(script(pattern)), verifier=crashing,
              sample=SampleConfig(n=2), batch_tasks=1, stop_on_first_pass=False)
    before = (tmp_path / "results.jsonl").read_text()
    assert len(lines(tmp_path / "results.jsonl")) == 2
    verifier = MarkerVerifier()
    report = solve(tasks, out=tmp_path, backend=ReplayBackend(script(pattern)), verifier=verifier,
                   sample=SampleConfig(n=2), batch_tasks=1, stop_on_first_pass=False)
    assert (tmp_path / "results.jsonl").read_text().startswith(before)  # never truncated
    assert sorted({c[0] for c in verifier.calls}) == ["T/2", "T/3"]  # done tasks skipped
    ids = [(s["task_id"], s["candidate_id"]) for s in lines(tmp_path / "samples.jsonl")]
    assert len(ids) == len(set(ids)) == 8
    assert len(report.results) == 4 and report.outcome.skipped == 2


def test_infrastructure_error_leaves_task_unfinished_then_retried(tmp_path: Path) -> None:
    tasks = [make_task(0)]
    backend = ReplayBackend(script({0: [False, True]}))
    flaky = MarkerVerifier(infra_errors={("T/0", "s1")})
    first = solve(tasks, out=tmp_path, backend=backend, verifier=flaky, sample=SampleConfig(n=2))
    assert first.outcome.incomplete == ("T/0",) and not first.results
    second_verifier = MarkerVerifier()
    second = solve(tasks, out=tmp_path, backend=backend, verifier=second_verifier, sample=SampleConfig(n=2))
    assert second_verifier.calls == [("T/0", ["s1"])]  # only the errored sample is re-verified
    assert second.results[0].solved and second.results[0].candidate_id == "s1"


def test_crash_between_samples_and_result_reuses_samples(tmp_path: Path) -> None:
    tasks = [make_task(0)]
    backend = ReplayBackend(script({0: [True, False]}))
    solve(tasks, out=tmp_path, backend=backend, verifier=MarkerVerifier(), sample=SampleConfig(n=2))
    results = tmp_path / "results.jsonl"
    results.write_text("")  # as if the process died before the result line
    verifier = MarkerVerifier()
    seen_before = len(backend.requests_seen)
    report = solve(tasks, out=tmp_path, backend=backend, verifier=verifier, sample=SampleConfig(n=2))
    assert verifier.calls == [] and len(backend.requests_seen) == seen_before
    assert report.results[0].solved
    assert len(lines(tmp_path / "samples.jsonl")) == 2


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(["passed", "failed", "timeout", "memory"]), min_size=1,
                         max_size=6), min_size=1, max_size=4))
def test_choice_is_never_unverified(statuses: list[list[str]]) -> None:
    for row in statuses:
        records = [SampleRecord("t", i, f"s{i}", "m", s == "passed", s, 1, f"src{i}")
                   for i, s in enumerate(row)]
        chosen = choose(records)
        if "passed" in row:
            assert chosen is not None and chosen.passed and chosen.sample_index == row.index("passed")
        else:
            assert chosen is None


def test_a_budget_stop_waits_until_the_prior_has_seen_every_task(tmp_path: Path) -> None:
    """Ten hopeless tasks come first, so a prior fitted on them says every task is
    hopeless; later tasks show a third of the suite passes at a moderate rate. T/10
    passes only at sample 6: stopped on the early prior it is lost (it stopped at 4
    samples before stops were deferred); decided again on the prior of the whole run,
    it is worth its later waves."""
    rng = random.Random(0)
    pattern = {i: [False] * 10 for i in range(10)}
    pattern[10] = [j == 6 for j in range(10)]
    pattern.update({i: [i % 2 == 0 and rng.random() < 0.3 for _ in range(10)] for i in range(11, 30)})
    outcome = solve([make_task(i) for i in range(30)], out=tmp_path, backend=ReplayBackend(script(pattern)),
                    verifier=MarkerVerifier(), sample=SampleConfig(n=10), batch_tasks=1,
                    budget=BudgetConfig(policy=BudgetPolicy.ADAPTIVE))
    results = {r.task_id: r for r in outcome.results}
    assert results["T/10"].solved and results["T/10"].samples_drawn >= 7
    assert outcome.summary.solved == sum(any(p) for p in pattern.values()) == 10
    # Decided on the same, final prior, the ten hopeless tasks got the same number of samples.
    assert len({results[f"T/{i}"].samples_drawn for i in range(10)}) == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=8, max_size=8), min_size=1, max_size=14),
       st.integers(1, 5), st.sampled_from([5.0, 20.0, 60.0, 150.0]))
def test_deferred_decisions_always_finish_every_task(pattern: list[list[bool]], batch_tasks: int,
                                                     value: float) -> None:
    """Waiting for shallower tasks and parking stops must never hold each other up (a
    parked task once kept a deeper queued one waiting while it waited for the queue):
    every task ends, a solvable one only after a verified pass or a budget stop, none
    with more than n samples."""
    tasks = [make_task(i) for i in range(len(pattern))]
    previous = signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the loop did not finish"))
    signal.alarm(20)
    try:
        with tempfile.TemporaryDirectory() as out:
            outcome = solve(tasks, out=out, backend=ReplayBackend(script(dict(enumerate(pattern)))),
                            verifier=MarkerVerifier(), sample=SampleConfig(n=8), batch_tasks=batch_tasks,
                            budget=BudgetConfig(policy=BudgetPolicy.ADAPTIVE, solve_value_samples=value))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert len(outcome.results) == len(tasks)
    for result in outcome.results:
        row = pattern[int(result.task_id.split("/")[1])]
        assert result.samples_drawn <= 8
        assert result.solved == any(row[:result.samples_drawn])
        assert result.solved or result.stop_reason.startswith("budget")


def test_a_task_coming_back_from_parking_never_holds_up_a_deeper_queued_one(tmp_path: Path) -> None:
    """The state a recorded run once spun in: nothing in flight, one task queued at
    depth 6, two parked at depth 4. Parked tasks come back only when nothing is left
    to learn; if they then counted as shallower tasks still to sample, the queued
    one would wait for them while they parked again for it, forever."""
    tasks = [make_task(i) for i in range(3)]
    config = SolveConfig(sample=SampleConfig(n=10), batch_tasks=4,
                         budget=BudgetConfig(policy=BudgetPolicy.ADAPTIVE, solve_value_samples=5.0))
    loop = BestOfN(ReplayBackend(script({i: [False] * 10 for i in range(3)})), MarkerVerifier(), config,
                   RunStore(tmp_path, {}))
    for task, depth, where in ((tasks[0], 6, loop._queued), (tasks[1], 4, loop._parked),
                               (tasks[2], 4, loop._parked)):
        samples = {f"s{i}": SampleRecord(task.task_id, i, f"s{i}", "m", False, "failed", 1, "src")
                   for i in range(depth)}
        where[task.task_id] = run = TaskRun(task, samples, 0.0)
        loop._observe(run)
    previous = signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the loop did not finish"))
    signal.alarm(20)
    try:
        outcome = loop.run([])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert sorted(r.task_id for r in outcome.results) == ["T/0", "T/1", "T/2"]


def _with_prompt_words(task: Task, words: int) -> Task:
    pad = " ".join(["detail"] * words)
    return dataclasses.replace(task, prompt=task.prompt.replace('"""Return', f'"""{pad}\n    Return'))


def test_the_prior_reads_prompt_length_to_keep_late_passers_with_short_prompts(tmp_path: Path) -> None:
    """Twelve short-prompt tasks (four pass, first at samples 0, 2, 4 and 7) and 24
    long-prompt ones that never pass. One prior for all says a task failing four times
    is hopeless, and loses the two late passers; a prior that reads prompt length
    learns from the run that long prompts fail and short ones sometimes pass, so it
    stops the long ones as early and keeps buying samples for the short ones."""
    first_pass = {0: 0, 3: 2, 6: 4, 9: 7}
    pattern = {i: [i in first_pass and j >= first_pass[i] for j in range(10)] for i in range(36)}
    tasks = [make_task(i) if i < 12 else _with_prompt_words(make_task(i), 60) for i in range(36)]
    runs = {}
    for by_length in (True, False):
        report = solve(tasks, out=tmp_path / str(by_length), backend=ReplayBackend(script(pattern)),
                       verifier=MarkerVerifier(), sample=SampleConfig(n=10), batch_tasks=4,
                       budget=BudgetConfig(policy=BudgetPolicy.ADAPTIVE, by_prompt_length=by_length))
        runs[by_length] = {r.task_id: r for r in report.results}
    by_length, one_prior = runs[True], runs[False]
    assert all(by_length[f"T/{i}"].solved for i in first_pass)
    assert not one_prior["T/6"].solved and not one_prior["T/9"].solved
    long_drawn = [by_length[f"T/{i}"].samples_drawn for i in range(12, 36)]
    assert max(long_drawn) <= max(one_prior[f"T/{i}"].samples_drawn for i in range(12, 36)) < 10
    short_hopeless = [by_length[f"T/{i}"].samples_drawn for i in range(12) if i not in first_pass]
    assert min(short_hopeless) > max(long_drawn)


class DisputingVerifier:
    """Samples marked ``# correct`` pass everything; ``# disputed`` pass the tests and then
    fail the property check, as a pipeline reports it; the rest fail the tests."""

    name = "pipeline"

    def verify(self, task: Task, candidates: list[Candidate]) -> list[Verdict]:
        out = []
        for c in candidates:
            if "# correct" in c.source:
                out.append(Verdict(c.task_id, c.candidate_id, "pipeline", Status.PASSED, "passed tests, properties",
                                   stages=(("tests", 0.01), ("properties", 0.01))))
            elif "# disputed" in c.source:
                out.append(Verdict(c.task_id, c.candidate_id, "properties", Status.FAILED,
                                   "properties: counterexample: f(1) expected 2, got 3",
                                   stages=(("tests", 0.01), ("properties", 0.01))))
            else:
                out.append(Verdict(c.task_id, c.candidate_id, "tests", Status.FAILED, "tests: AssertionError",
                                   stages=(("tests", 0.01),)))
        return out


def test_an_answer_disputed_only_by_the_property_check_is_kept_when_nothing_passes_everything(
        tmp_path: Path) -> None:
    disputed = "def f{i}(x: int) -> int:\n    return x + {i}  # disputed\n"
    outputs = {
        # T/0: a disputed answer first, then one that passes everything: the latter wins.
        "T/0": [fenced(disputed.format(i=0)), fenced(RIGHT.format(i=0))],
        # T/1: only disputed answers and failures: the first disputed one is kept, said so.
        "T/1": [fenced(WRONG.format(i=1)), fenced(disputed.format(i=1)), fenced(disputed.format(i=1))],
        # T/2: nothing passes the tests: unsolved.
        "T/2": [fenced(WRONG.format(i=2))] * 3,
    }
    report = solve([make_task(i) for i in range(3)], out=tmp_path, backend=ReplayBackend(outputs),
                   verifier=DisputingVerifier(), sample=SampleConfig(n=3), batch_tasks=3)
    by_id = {r.task_id: r for r in report.results}
    assert by_id["T/0"].candidate_id == "s1" and by_id["T/0"].disputed_by == ""
    assert by_id["T/1"].solved and by_id["T/1"].candidate_id == "s1" and by_id["T/1"].disputed_by == "properties"
    # A disputed answer does not stop sampling: every cheap sample was drawn looking for a full pass.
    assert by_id["T/1"].samples_drawn == 3 and by_id["T/1"].passed_samples == 0
    assert not by_id["T/2"].solved
    assert report.summary.solved == 2 and report.summary.disputed == 1
    assert any("1 passed the task's tests but disagreed" in line for line in report.summary.lines())
    # The record on disk says so too, and the sample itself stays a failure (datasets keep passes only).
    results = {r["task_id"]: r for r in lines(tmp_path / "results.jsonl")}
    assert results["T/1"]["disputed_by"] == "properties"
    assert not any(s["passed"] for s in lines(tmp_path / "samples.jsonl") if s["task_id"] == "T/1")


def test_a_task_with_only_disputed_answers_goes_to_the_strong_tier_and_keeps_its_fallback(
        tmp_path: Path) -> None:
    """A disputed answer is a weaker verdict than a full pass (on a full HumanEval run one
    such task's cheap answers all dropped a leading space the task asks to keep, and the
    1.5B's answer passed every check), so it no longer ends the task's search: the task
    escalates, and the disputed cheap answer is the pick only when the strong tier finds
    nothing better."""
    disputed = "def f{i}(x: int) -> int:\n    return x + {i}  # disputed\n"
    cheap = ReplayBackend({f"T/{i}": [fenced(disputed.format(i=i))] * 2 for i in range(3)}, model="cheap")
    strong = ReplayBackend({"T/0": [fenced(RIGHT.format(i=0))] * 2,
                            "T/1": [fenced(WRONG.format(i=1))] * 2,
                            "T/2": [fenced(disputed.format(i=2))] * 2}, model="strong")
    report = solve([make_task(i) for i in range(3)], out=tmp_path, backend=cheap, strong_backend=strong,
                   verifier=DisputingVerifier(), sample=SampleConfig(n=2),
                   escalation=EscalationConfig(samples=2, rounds=1))
    by_id = {r.task_id: r for r in report.results}
    assert all(r.escalated for r in report.results)
    assert {r.key for r in strong.requests_seen} == {"T/0", "T/1", "T/2"}
    # The strong answer passing every check wins over the disputed cheap one.
    assert by_id["T/0"].tier == "strong" and by_id["T/0"].disputed_by == ""
    # Nothing better: the first disputed cheap answer stays, said so.
    for task_id in ("T/1", "T/2"):
        assert by_id[task_id].solved and by_id[task_id].tier == "cheap"
        assert by_id[task_id].candidate_id == "s0" and by_id[task_id].disputed_by == "properties"
    assert report.summary.solved == 3 and report.summary.disputed == 2


def test_a_record_failing_an_advisory_check_without_having_run_the_tests_is_no_fallback() -> None:
    no_tests = SampleRecord("t", 0, "s0", "m", False, "failed", 1, "src", verifier="properties",
                            stage_seconds={"syntax": 0.0, "properties": 0.1})
    after_tests = dataclasses.replace(no_tests, stage_seconds={"tests": 0.0, "properties": 0.1})
    errored = dataclasses.replace(after_tests, status="error")
    assert choose([no_tests]) is None and choose([errored]) is None
    assert choose([no_tests, after_tests]) is after_tests
