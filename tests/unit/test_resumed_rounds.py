"""A strong round cut short (a time limit, a crash) and resumed by a rerun: it asks for
what it lacks, on the prompt it had, and nothing verified is drawn twice (red team of
the time limit; ``sampler.core.loop.BestOfN._round_cut_short``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from sampler.backends.replay import ReplayBackend
from sampler.config import BudgetConfig, BudgetPolicy, EscalationConfig, SampleConfig
from sampler.core.api import solve
from tasks.types import Task
from tests.unit.fakes import MarkerVerifier, fenced, make_task
from tests.unit.test_escalation import strong_script
from tests.unit.test_loop import WRONG, DisputingVerifier, script
from tests.unit.test_solve_without_tests import FakeCollector
from tests.unit.test_spare_time import ROUND, SlowReplay
from verifiers.types import Candidate, Verdict


def asked(backend: ReplayBackend) -> list[int]:
    return [r.first_index + k for r in backend.requests_seen for k in range(r.completions)]


def test_a_rerun_after_a_strong_error_verdict_never_redraws_a_verified_strong_sample(tmp_path: Path) -> None:
    first = solve([make_task(0)], out=tmp_path, backend=ReplayBackend(script({0: [False] * 2})),
                  strong_backend=ReplayBackend(strong_script({0: [False] * 4}), model="strong"),
                  verifier=MarkerVerifier(infra_errors={("T/0", "x3")}), sample=SampleConfig(n=2),
                  escalation=ROUND)
    assert first.outcome.incomplete == ("T/0",)
    again = ReplayBackend(strong_script({0: [False] * 4}), model="strong")
    rerun = solve([make_task(0)], out=tmp_path, backend=ReplayBackend(script({})), strong_backend=again,
                  verifier=MarkerVerifier(), sample=SampleConfig(n=2), escalation=ROUND)
    assert rerun.outcome.results
    assert 2 not in asked(again), f"x2 was verified in the first call, asked again: {asked(again)}"


class Staged(MarkerVerifier):
    """MarkerVerifier whose failures name a check stage (what `informative_failures` ranks on)."""

    def __init__(self, stages: dict[str, str], infra_errors: set[tuple[str, str]] | None = None) -> None:
        super().__init__(infra_errors=infra_errors)
        self.stages = stages

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        return [dataclasses.replace(v, verifier=f"marker:{self.stages.get(v.candidate_id, 'syntax')}")
                for v in super().verify(task, candidates)]


def test_rerun_of_a_repair_round_asks_the_prompt_the_round_had(tmp_path: Path) -> None:
    esc = EscalationConfig(samples=2, rounds=2, greedy_first=False)
    strong = ReplayBackend(strong_script({0: [False] * 4}), model="strong")
    solve([make_task(0)], out=tmp_path, backend=ReplayBackend(script({0: [False] * 2})), strong_backend=strong,
          verifier=Staged({"x2": "tests"}, infra_errors={("T/0", "x3")}), sample=SampleConfig(n=2),
          escalation=esc)
    round1 = next(r for r in strong.requests_seen if r.first_index == 2)
    again = ReplayBackend(strong_script({0: [False] * 4}), model="strong")
    solve([make_task(0)], out=tmp_path, backend=ReplayBackend(script({})), strong_backend=again,
          verifier=Staged({"x2": "tests"}), sample=SampleConfig(n=2), escalation=esc)
    # Only x3, whose verdict was an error, is asked again, on the repair prompt round 1 had
    # (rebuilt from all samples, it repaired x2, round 1's own: red team).
    (asked_again,) = again.requests_seen
    assert (asked_again.first_index, asked_again.completions) == (3, 1)
    assert asked_again.messages == round1.messages


def test_a_task_with_strong_samples_stays_escalated_after_a_cut_short_round(tmp_path: Path) -> None:
    cut = solve([make_task(0)], out=tmp_path, backend=ReplayBackend(script({0: [False] * 2})),
                strong_backend=SlowReplay(strong_script({0: [False] * 4}), seconds=2.0),
                verifier=MarkerVerifier(), sample=SampleConfig(n=2), escalation=ROUND, time_limit_s=3.0)
    assert cut.outcome.stopped == ("T/0",)
    rerun = solve([make_task(0)], out=tmp_path, backend=ReplayBackend(script({})),
                  strong_backend=ReplayBackend(strong_script({0: [False] * 4}), model="strong"),
                  verifier=MarkerVerifier(), sample=SampleConfig(n=2), escalation=ROUND,
                  budget=BudgetConfig(policy=BudgetPolicy.ADAPTIVE, solve_value=1e-9))
    (result,) = rerun.outcome.results
    assert result.tokens_out.get("strong", 0) > 0
    assert result.escalated and rerun.summary.escalated == 1, result.stop_reason


def test_a_cut_short_round_of_a_task_without_tests_is_resumed(tmp_path: Path) -> None:
    task = dataclasses.replace(make_task(0), test="", test_origin="examples")
    cut = solve([task], out=tmp_path, backend=ReplayBackend(script({0: [False] * 2})),
                strong_backend=SlowReplay(strong_script({0: [False] * 4}), seconds=2.0),
                verifier=MarkerVerifier(), sample=SampleConfig(n=2), escalation=ROUND, time_limit_s=3.0,
                outputs=FakeCollector())
    assert cut.outcome.stopped == ("T/0",)
    again = ReplayBackend(strong_script({0: [False] * 4}), model="strong")
    solve([task], out=tmp_path, backend=ReplayBackend(script({})), strong_backend=again,
          verifier=MarkerVerifier(), sample=SampleConfig(n=2), escalation=ROUND, outputs=FakeCollector())
    assert sorted(asked(again)) == [1, 2, 3]


def test_a_round_after_a_round_of_errors_is_resumed_as_itself(tmp_path: Path) -> None:
    """Round 0's samples all errored (dropped on the rerun), round 1 has x2 verified and x3
    errored: the rerun is in round 1 and asks x3 only (it asked round 0 again, then all of
    round 1, x2 included: red team)."""
    esc = EscalationConfig(samples=2, rounds=2, greedy_first=False)
    errors = {("T/0", "x0"), ("T/0", "x1"), ("T/0", "x3")}
    first = solve([make_task(0)], out=tmp_path, backend=ReplayBackend(script({0: [False] * 2})),
                  strong_backend=ReplayBackend(strong_script({0: [False] * 4}), model="strong"),
                  verifier=MarkerVerifier(infra_errors=errors), sample=SampleConfig(n=2), escalation=esc)
    assert first.outcome.incomplete == ("T/0",)
    again = ReplayBackend(strong_script({0: [False] * 4}), model="strong")
    solve([make_task(0)], out=tmp_path, backend=ReplayBackend(script({})), strong_backend=again,
          verifier=MarkerVerifier(), sample=SampleConfig(n=2), escalation=esc)
    assert asked(again) == [3]


DISPUTED = "def f0(x: int) -> int:\n    return x + 0  # disputed out=A\n"


def test_a_cut_round_of_a_task_without_tests_escalated_for_disputed_answers_is_resumed(tmp_path: Path) -> None:
    """Its cheap answers were only disputed, so it escalated; its round was cut after x0
    and x1. The rerun took those for the readers' answers and asked the careful reader
    again and again (11,220 requests in 5 s: red team); it resumes the round."""
    task = dataclasses.replace(make_task(0), test="", test_origin="examples")
    wrong = [fenced(WRONG.format(i=0))] * 4
    first = solve([task], out=tmp_path, backend=ReplayBackend({"T/0": [fenced(DISPUTED)] * 2}, model="cheap"),
                  strong_backend=SlowReplay({"T/0": wrong}, seconds=1.0), verifier=DisputingVerifier(),
                  sample=SampleConfig(n=2), escalation=ROUND, time_limit_s=2.5, outputs=FakeCollector())
    assert first.outcome.stopped == ("T/0",)
    again = ReplayBackend({"T/0": wrong}, model="strong")
    rerun = solve([task], out=tmp_path, backend=ReplayBackend({}, model="cheap"), strong_backend=again,
                  verifier=DisputingVerifier(), sample=SampleConfig(n=2), escalation=ROUND,
                  outputs=FakeCollector())
    assert sorted(asked(again)) == [2, 3]
    (result,) = rerun.outcome.results
    fresh = solve([task], out=tmp_path / "fresh", backend=ReplayBackend({"T/0": [fenced(DISPUTED)] * 2},
                                                                      model="cheap"),
                  strong_backend=ReplayBackend({"T/0": wrong}, model="strong"), verifier=DisputingVerifier(),
                  sample=SampleConfig(n=2), escalation=ROUND, outputs=FakeCollector())
    (whole,) = fresh.outcome.results
    assert result.escalated and whole.escalated  # decided as the run never cut short decides it
    assert (result.solved, result.second_reader, result.guess) == (whole.solved, whole.second_reader, whole.guess)


def test_a_round_is_cut_short_only_where_its_last_round_misses_samples_before_the_last_round() -> None:
    from sampler.core.resumption import round_cut_short

    assert not round_cut_short(set(), 4, 2)
    assert round_cut_short({0, 1}, 4, 2)              # round 1 of 2, half drawn
    assert not round_cut_short({0, 1, 2, 3}, 4, 2)    # round 1 whole: the next is a new one
    assert round_cut_short({0, 1, 2, 3, 5}, 4, 2)     # round 2 missing 4, 6, 7
    assert not round_cut_short({0, 1, 2, 3, 4, 5, 6, 7, 8}, 4, 2)  # 8: spare time, no round
