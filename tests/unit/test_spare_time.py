"""A time limit: the strong tier's spare time before it, and the stop at it
(``sampler.core.spare_time``)."""

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from sampler.backends.replay import ReplayBackend
from sampler.cli_parser import duration
from sampler.config import EscalationConfig, SampleConfig, SolveConfig
from sampler.core.api import solve
from sampler.core.loop import BestOfN
from sampler.policy.budget import Action, Budget, Decision, TaskState
from sampler.storage.store import RunStore
from tasks.errors import ConfigError
from tasks.types import Task
from tests.unit.fakes import MarkerVerifier, make_task
from tests.unit.test_escalation import strong_script
from tests.unit.test_loop import script
from verifiers.types import Candidate, Verdict

# A round of three requests: the greedy answer, one plain sample, two more plain ones.
ROUND = EscalationConfig(samples=4, plain_samples=1, more_plain_samples=2)


class SlowReplay(ReplayBackend):
    """Every request takes ``seconds`` of its slot, whatever its length."""

    def __init__(self, script: dict[str, list[str]], seconds: float) -> None:
        super().__init__(script, model="strong", tokens_per_second=1.0)
        self.seconds = seconds

    def _duration(self, tokens: int) -> float:
        return self.seconds


def strong_requests(strong: ReplayBackend) -> list[tuple[str, int, int]]:
    return [(r.key, r.first_index, r.completions) for r in strong.requests_seen]


def test_spare_time_draws_more_plain_strong_samples_until_one_passes(tmp_path: Path) -> None:
    cheap = ReplayBackend(script({0: [False] * 2}))
    strong = ReplayBackend(strong_script({0: [False] * 6 + [True] + [False]}), model="strong")
    report = solve([make_task(0)], out=tmp_path, backend=cheap, strong_backend=strong,
                   verifier=MarkerVerifier(), sample=SampleConfig(n=2), escalation=ROUND,
                   time_limit_s=60)
    (result,) = report.results
    assert result.solved and result.tier == "strong" and result.candidate_id == "x6"
    assert result.stop_reason == "passed" and result.spare_samples == 4
    assert "  spare time before the limit: 4 more strong samples for 1 task(s), 1 of them solved by one" \
        in report.summary.lines()
    # The round (0; 1; 2-3), then spare requests of two from index 4 on, the bare task's.
    assert strong_requests(strong) == [("T/0", 0, 1), ("T/0", 1, 1), ("T/0", 2, 2), ("T/0", 4, 2),
                                       ("T/0", 6, 2)]
    spare = strong.requests_seen[-1]
    assert spare.temperature == ROUND.temperature
    assert spare.messages == strong.requests_seen[1].messages  # the task alone, as the plain samples
    assert "Earlier attempts" not in spare.messages[0].content  # type: ignore[index]


def test_without_a_time_limit_the_budget_stops_as_before(tmp_path: Path) -> None:
    cheap = ReplayBackend(script({0: [False] * 2}))
    strong = ReplayBackend(strong_script({0: [False] * 6 + [True] + [False]}), model="strong")
    report = solve([make_task(0)], out=tmp_path, backend=cheap, strong_backend=strong,
                   verifier=MarkerVerifier(), sample=SampleConfig(n=2), escalation=ROUND)
    (result,) = report.results
    assert not result.solved and result.stop_reason == "budget: budget spent" and result.spare_samples == 0
    assert not any("spare time" in line for line in report.summary.lines())
    assert [i for _, i, _ in strong_requests(strong)] == [0, 1, 2]


def test_spare_requests_wait_for_every_escalation_waiting_its_turn(tmp_path: Path) -> None:
    """With one batch slot, the first task to fail its round waits with its spare samples
    until the other's whole round has gone: a first strong round solves far more often
    than a ninth strong sample."""
    cheap = ReplayBackend(script({0: [False] * 2, 1: [False] * 2}))
    strong = ReplayBackend(strong_script({0: [False] * 5 + [True], 1: [False] * 5 + [True]}), model="strong")
    report = solve([make_task(0), make_task(1)], out=tmp_path, backend=cheap, strong_backend=strong,
                   verifier=MarkerVerifier(), sample=SampleConfig(n=2), escalation=ROUND, batch_tasks=1,
                   time_limit_s=60)
    indices = [i for _, i, _ in strong_requests(strong)]
    assert indices == [0, 1, 2, 0, 1, 2, 4, 4]
    assert all(r.candidate_id == "x5" and r.solved for r in report.results)


def test_no_spare_request_unless_it_is_expected_to_end_in_time(tmp_path: Path) -> None:
    """Each strong request takes 1 s: the round ends at about 3 s, one spare request fits
    before the 4.5 s limit, a second would not; the task is then decided, not left."""
    cheap = ReplayBackend(script({0: [False] * 2}))
    strong = SlowReplay(strong_script({0: [False] * 20}), seconds=1.0)
    report = solve([make_task(0)], out=tmp_path, backend=cheap, strong_backend=strong,
                   verifier=MarkerVerifier(), sample=SampleConfig(n=2), escalation=ROUND,
                   time_limit_s=4.5)
    (result,) = report.results
    assert not result.solved
    assert result.stop_reason == "budget: budget spent; 2 more strong sample(s) in spare time"
    assert [i for _, i, _ in strong_requests(strong)] == [0, 1, 2, 4]
    assert report.outcome.stopped == () and report.outcome.seconds < 4.5


def test_the_limit_stops_the_run_and_a_rerun_goes_on(tmp_path: Path) -> None:
    """At the limit the strong request in flight is aborted and its task, still in its
    round, gets no result line; what was verified is kept, and a rerun decides it."""
    cheap = ReplayBackend(script({0: [False] * 2, 1: [False, True]}))
    strong = SlowReplay(strong_script({0: [False, True]}), seconds=2.0)
    report = solve([make_task(0), make_task(1)], out=tmp_path, backend=cheap, strong_backend=strong,
                   verifier=MarkerVerifier(), sample=SampleConfig(n=2), escalation=ROUND,
                   time_limit_s=3.0)
    assert [r.task_id for r in report.results] == ["T/1"]
    assert report.outcome.stopped == ("T/0",) and report.outcome.incomplete == ()
    assert strong.aborted == ["T/0|strong|1"]
    assert report.summary.stopped == 1 and report.summary.finished == 1
    assert any("time limit reached: 1 task(s) left undecided" in line for line in report.summary.lines())
    assert not any("infrastructure" in line for line in report.summary.lines())
    again = SlowReplay(strong_script({0: [False, True]}), seconds=0.0)
    rerun = solve([make_task(0), make_task(1)], out=tmp_path, backend=ReplayBackend(script({})),
                  strong_backend=again, verifier=MarkerVerifier(), sample=SampleConfig(n=2), escalation=ROUND)
    (result,) = rerun.outcome.results
    assert result.task_id == "T/0" and result.solved and result.candidate_id == "x1"
    # The greedy answer verified before the limit was kept: only the aborted request is asked again.
    assert [i for _, i, _ in strong_requests(again)] == [1]


def test_spare_samples_per_task_are_capped(tmp_path: Path) -> None:
    """An instant strong tier drew 3,042 spare samples for one task in 2 s (red team):
    spare time is capped per task, counted by index, so a rerun does not start again."""
    escalation = EscalationConfig(samples=4, plain_samples=1, more_plain_samples=2, spare_samples=5)
    strong = ReplayBackend(strong_script({0: [False] * 4}), model="strong")
    report = solve([make_task(0)], out=tmp_path, backend=ReplayBackend(script({0: [False] * 2})),
                   strong_backend=strong, verifier=MarkerVerifier(), sample=SampleConfig(n=2),
                   escalation=escalation, time_limit_s=60)
    (result,) = report.results
    assert strong_requests(strong)[3:] == [("T/0", 4, 2), ("T/0", 6, 2), ("T/0", 8, 1)]
    assert result.stop_reason == "budget: budget spent; 5 more strong sample(s) in spare time"
    assert result.spare_samples == 5 and report.summary.spare_solved == 0
    assert report.outcome.seconds < 10


def test_a_task_back_in_a_strong_round_is_left_undecided_at_the_limit(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def decide(self: Budget, state: TaskState) -> Decision:
        if state.cheap_drawn < state.max_cheap:
            return Decision(Action.SAMPLE, state.max_cheap - state.cheap_drawn, "fixed n")
        if state.strong_rounds == 0:
            return Decision(Action.ESCALATE, 0, "go")
        calls.append(state.strong_rounds)
        if state.strong_rounds == 1 and len(calls) == 1:
            return Decision(Action.STOP, 0, "not worth it")
        if state.strong_rounds == 1:
            return Decision(Action.ESCALATE, 0, "worth it now")
        return Decision(Action.STOP, 0, "strong rounds spent")

    monkeypatch.setattr(Budget, "decide", decide)
    esc = EscalationConfig(samples=1, rounds=2, greedy_first=False, more_plain_samples=0)
    strong = SlowReplay(strong_script({0: [False] * 8}), seconds=1.0)
    report = solve([make_task(0)], out=tmp_path, backend=ReplayBackend(script({0: [False] * 2})),
                   strong_backend=strong, verifier=MarkerVerifier(), sample=SampleConfig(n=2),
                   escalation=esc, time_limit_s=2.5)
    # x0 (round 0) at 1 s, spare x2 at 2 s, round 1 (x1) in flight at the limit.
    assert [r.first_index for r in strong.requests_seen] == [0, 2, 1]
    assert report.outcome.results == () and report.outcome.stopped == ("T/0",), \
        [r.stop_reason for r in report.outcome.results]


class SlowVerifier(MarkerVerifier):
    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        time.sleep(0.5)
        return super().verify(task, candidates)


def test_the_stop_does_not_wait_for_verifications_not_begun(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(8)]
    config = SolveConfig(sample=SampleConfig(n=2), batch_tasks=8, verify_threads=1)
    loop = BestOfN(ReplayBackend(script({i: [False] * 2 for i in range(8)})), SlowVerifier(), config,
                   RunStore(tmp_path, {}), deadline=time.monotonic() + 0.3)
    outcome = loop.run(tasks)
    assert outcome.seconds < 1.5, f"limit 0.3 s, stopped after {outcome.seconds:.1f} s"


@pytest.mark.parametrize("text, seconds", [("1800", 1800.0), ("90s", 90.0), ("30m", 1800.0),
                                           ("1.5h", 5400.0), (" 2M ", 120.0)])
def test_time_limits_are_read_with_their_unit(text: str, seconds: float) -> None:
    assert duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "thirty", "-5m", "0", "nan", "inf", "5d"])
def test_a_bad_time_limit_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        duration(text)


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("nan"), float("inf")])
def test_a_time_limit_must_be_positive_and_finite(seconds: float) -> None:
    with pytest.raises(ConfigError):
        SolveConfig(time_limit_s=seconds)


class Steps(ReplayBackend):
    """Request k takes ``durations[k]`` seconds."""

    def __init__(self, script: dict[str, list[str]], durations: list[float]) -> None:
        super().__init__(script, model="strong", tokens_per_second=1.0)
        self.durations = list(durations)

    def _duration(self, tokens: int) -> float:
        return self.durations.pop(0) if self.durations else 0.0


def test_a_spare_request_aborted_at_the_limit_is_neither_drawn_nor_aborted_after_a_pass(tmp_path: Path) -> None:
    """The spare request expected to take 0.2 s took 5: the result said it had drawn two
    more samples, and the summary that a request was aborted after a pass (red team)."""
    strong = Steps(strong_script({0: [False] * 20}), [0.2, 0.2, 0.2, 5.0])
    report = solve([make_task(0)], out=tmp_path, backend=ReplayBackend(script({0: [False] * 2})),
                   strong_backend=strong, verifier=MarkerVerifier(), sample=SampleConfig(n=2),
                   escalation=ROUND, time_limit_s=2.0)
    (result,) = report.results
    assert strong.aborted == ["T/0|strong|4"]
    assert result.stop_reason == "budget: budget spent" and result.spare_samples == 0
    assert result.aborted_requests == 0 and result.tokens_out["strong"] > 0  # paid for all the same
