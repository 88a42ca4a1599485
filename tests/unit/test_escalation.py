"""Escalation to the strong tier: only on verified failure, with the failures in the prompt."""

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from sampler.backends.base import GenerationRequest
from sampler.backends.replay import ReplayBackend
from sampler.config import BudgetConfig, BudgetPolicy, EscalationConfig, SampleConfig, TierPrice
from sampler.core.api import solve
from sampler.core.escalation import informative_failures, round_requests
from sampler.storage.records import SampleRecord
from tasks.errors import ConfigError
from tests.unit.fakes import MarkerVerifier, fenced, make_task
from tests.unit.test_loop import RIGHT, WRONG, script

WRONG_STRONG = "def f{i}(x: int) -> int:\n    return x - 1  # strong draft\n"


def strong_script(pattern: dict[int, list[bool]]) -> dict[str, list[str]]:
    return {f"T/{i}": [fenced((RIGHT if ok else WRONG_STRONG).format(i=i)) for ok in oks]
            for i, oks in pattern.items()}


def test_escalates_only_verified_failures_and_hands_over_what_failed(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(3)]
    cheap = ReplayBackend(script({0: [True] * 4, 1: [False] * 4, 2: [False, True, False, False]}),
                          model="cheap")
    strong = ReplayBackend(strong_script({0: [True] * 2, 1: [True] * 2, 2: [True] * 2}), model="strong")
    report = solve(tasks, out=tmp_path, backend=cheap, strong_backend=strong,
                   verifier=MarkerVerifier(), sample=SampleConfig(n=4),
                   escalation=EscalationConfig(samples=2, rounds=2, greedy_first=False))
    by_id = {r.task_id: r for r in report.results}
    assert {r.key for r in strong.requests_seen} == {"T/1"}  # the only task no cheap sample passed
    assert by_id["T/1"].solved and by_id["T/1"].tier == "strong" and by_id["T/1"].escalated
    assert by_id["T/1"].model == "strong" and by_id["T/1"].candidate_id == "x0"
    assert by_id["T/0"].tier == "cheap" and not by_id["T/0"].escalated
    assert by_id["T/2"].tier == "cheap" and by_id["T/2"].candidate_id == "s1"
    # The strong model saw the task, the failing cheap code and the check's message.
    prompt = strong.requests_seen[0].messages[0].content  # type: ignore[index]
    assert "def f1(x: int) -> int" in prompt and "return x\n" in prompt
    assert "AssertionError in check of s0" in prompt
    assert by_id["T/1"].tokens_out["strong"] > 0 and by_id["T/1"].tokens_in["strong"] > 0
    assert report.summary.solved_by_tier == {"cheap": 2, "strong": 1} and report.summary.escalated == 1
    samples = [json.loads(x) for x in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert {s["tier"] for s in samples if s["task_id"] == "T/1"} == {"cheap", "strong"}
    assert all(s["model"] == "strong" for s in samples if s["tier"] == "strong")


def test_second_round_reviews_and_repairs_the_strong_draft(tmp_path: Path) -> None:
    task = make_task(0)
    cheap = ReplayBackend(script({0: [False] * 2}))
    strong = ReplayBackend(strong_script({0: [False, False, True, True]}), model="strong")
    report = solve([task], out=tmp_path, backend=cheap, strong_backend=strong,
                   verifier=MarkerVerifier(), sample=SampleConfig(n=2),
                   escalation=EscalationConfig(samples=2, rounds=2, greedy_first=False))
    (result,) = report.results
    assert result.solved and result.tier == "strong" and result.candidate_id == "x2"
    draft, repair = strong.requests_seen  # one request per round
    assert "Earlier attempts" in draft.messages[0].content  # type: ignore[index]
    repair_text = repair.messages[0].content  # type: ignore[index]
    assert repair_text.startswith("Review this Python function") and "strong draft" in repair_text
    assert [(r.first_index, r.completions) for r in strong.requests_seen] == [(0, 2), (2, 2)]


def test_unverified_strong_output_is_never_a_solution(tmp_path: Path) -> None:
    task = make_task(0)
    cheap = ReplayBackend(script({0: [False] * 2}))
    strong = ReplayBackend(strong_script({0: [True] * 2}), model="strong")
    # The strong tier's right answers hit an infrastructure error in verification.
    verifier = MarkerVerifier(infra_errors={("T/0", "x0"), ("T/0", "x1")})
    report = solve([task], out=tmp_path, backend=cheap, strong_backend=strong, verifier=verifier,
                   sample=SampleConfig(n=2), escalation=EscalationConfig(samples=2, rounds=1))
    assert report.results == () and report.outcome.incomplete == ("T/0",)


def test_same_engine_strong_tier_and_cost_aware_escalation(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(2)]
    engine = ReplayBackend(script({0: [False] * 6, 1: [False] * 6}))
    report = solve(tasks, out=tmp_path, backend=engine, strong_backend=engine,
                   verifier=MarkerVerifier(), sample=SampleConfig(n=6),
                   escalation=EscalationConfig(samples=1, rounds=1),
                   budget=BudgetConfig(policy=BudgetPolicy.ADAPTIVE, strong_prior=(9.0, 1.0)),
                   strong_price=TierPrice(0.02, 0.05))
    # A strong round believed 90% likely to solve, at cheap prices, beats more cheap waves:
    # the policy escalates before the cheap budget is spent.
    for result in report.results:
        assert result.escalated and result.samples_drawn < 6 + 1
    assert any("|strong|" in r.request_id for r in engine.requests_seen)


def test_most_informative_failures_first() -> None:
    def rec(i: int, stage: str, detail: str, status: str = "failed") -> SampleRecord:
        return SampleRecord("t", i, f"s{i}", "m", False, status, 1, f"src{i}", detail=detail,
                            verifier=stage)
    samples = [rec(0, "syntax", "SyntaxError"), rec(1, "tests", "assert 1 == 2"),
               rec(2, "tests", "assert 1 == 2"), rec(3, "mypy", "error: int vs str"),
               rec(4, "tests", "", status="timeout")]
    chosen = informative_failures(samples, 3)
    assert [s.sample_index for s in chosen] == [3, 1, 4]  # 3 passed the tests: the nearest miss


class OrderedReplay(ReplayBackend):
    """A replay engine that notes, in a log shared with the other tier, what it was asked for."""

    def __init__(self, outputs: dict[str, list[str]], model: str, log: list[str]) -> None:
        super().__init__(outputs, model=model)
        self.log = log

    def submit(self, requests: Sequence[GenerationRequest]) -> None:
        self.log += [f"{self.model}:{r.request_id}" for r in requests]
        super().submit(requests)


def test_escalations_wait_until_the_cheap_tier_has_nothing_left(tmp_path: Path) -> None:
    """On shared cores the strong tier pauses the cheap one: escalating mid-run would stall
    every cheap task. Task 0 fails early; its strong round still comes after the last cheap
    request of every other task, and all escalations then go together."""
    log: list[str] = []
    pattern = {0: [False] * 2, 1: [False] * 2, **{i: [False, True] for i in range(2, 8)}}
    cheap = OrderedReplay(script(pattern), "cheap", log)
    strong = OrderedReplay(strong_script({i: [True] * 2 for i in range(8)}), "strong", log)
    report = solve([make_task(i) for i in range(8)], out=tmp_path, backend=cheap, strong_backend=strong,
                   verifier=MarkerVerifier(), sample=SampleConfig(n=2), batch_tasks=2,
                   escalation=EscalationConfig(samples=2, rounds=1))
    assert report.summary.solved == 8
    first_strong = next(i for i, entry in enumerate(log) if entry.startswith("strong:"))
    assert all(entry.startswith("strong:") for entry in log[first_strong:])
    assert {r.task_id for r in report.results if r.tier == "strong"} == {"T/0", "T/1"}


def test_a_round_is_one_request_whose_prompt_the_server_reads_once() -> None:
    task = make_task(1)
    failed = SampleRecord(task.task_id, 0, "s0", "cheap", False, "failed", 9,
                          "def f1(x: int) -> int:\n    return x\n", "tests: AssertionError",
                          verifier="pipeline:tests")
    escalation = EscalationConfig(samples=3, rounds=2, greedy_first=False)
    for prefill in (False, True):
        for round_index in (0, 1):
            requests = round_requests(task, round_index, [failed], SampleConfig(), escalation,
                                      "T/1|x", prefill=prefill)
            assert len(requests) == 1
            request = requests[0]
            assert request.completions == 3 and request.first_index == 3 * round_index
            # Server-side stops: the client cannot cut one completion of several.
            assert ("```" in request.stop) is prefill and ("\n#" in request.stop) is prefill
    seeds = {round_requests(task, r, [failed], SampleConfig(), escalation, "x")[0].seed for r in (0, 1)}
    assert len(seeds) == 2


def test_the_longest_escalation_prompt_fits_a_llama_cpp_slot() -> None:
    """A 2,197-token escalation prompt once overflowed a 2048-token slot and ended a run."""
    from sampler.backends.llamacpp import LlamaCppConfig
    from sampler.core.escalation import draft_text
    from tasks.registry import load_suite

    longest = max(load_suite("humaneval"), key=lambda t: len(t.prompt))
    failures = [SampleRecord(longest.task_id, i, f"s{i}", "cheap", False, "failed", 500, "x" * 9000,
                             f"tests: {i} " + "y" * 3000, verifier="pipeline:tests") for i in range(3)]
    text = draft_text(longest, informative_failures(failures, EscalationConfig().failures_shown))
    # Prompt and prefill at 3 characters per token (HumanEval's code and text run at
    # about 3.5-4 for Qwen's tokenizer), plus the answer.
    tokens = (len(text) + len(longest.prompt)) / 3 + EscalationConfig().max_tokens
    assert tokens <= LlamaCppConfig().context_per_slot


def test_the_first_strong_sample_is_the_strong_models_greedy_answer_to_the_task_alone() -> None:
    """On the full HumanEval run the 1.5B's greedy answer to the bare task solved more of
    the 0.5B's failures than samples shown those failures; the rest of the round still
    sees them, and later rounds repair as before."""
    task = make_task(1)
    failed = SampleRecord(task.task_id, 0, "s0", "cheap", False, "failed", 9,
                          "def f1(x: int) -> int:\n    return x\n", "tests: AssertionError",
                          verifier="pipeline:tests")
    escalation = EscalationConfig(samples=3, rounds=2, plain_samples=0, more_plain_samples=0)
    plain, informed = round_requests(task, 0, [failed], SampleConfig(), escalation, "T/1|x", prefill=True)
    assert (plain.request_id, plain.first_index, plain.completions, plain.temperature) == ("T/1|x0", 0, 1, 0.0)
    assert "Earlier attempts" not in plain.messages[0].content  # type: ignore[index]
    assert (informed.request_id, informed.first_index, informed.completions) == ("T/1|x1", 1, 2)
    assert informed.temperature == escalation.temperature
    assert "Earlier attempts" in informed.messages[0].content  # type: ignore[index]
    [alone] = round_requests(task, 0, [failed], SampleConfig(), EscalationConfig(samples=1), "T/1|x")
    assert alone.completions == 1 and alone.temperature == 0.0
    [repair] = round_requests(task, 1, [failed], SampleConfig(), escalation, "T/1|x")
    assert repair.first_index == 3 and repair.completions == 3


def test_a_greedy_strong_answer_solves_and_is_recorded_as_the_strong_tiers(tmp_path: Path) -> None:
    task = make_task(0)
    cheap = ReplayBackend(script({0: [False] * 2}))
    strong = ReplayBackend(strong_script({0: [True, False]}), model="strong")
    report = solve([task], out=tmp_path, backend=cheap, strong_backend=strong, verifier=MarkerVerifier(),
                   sample=SampleConfig(n=2), escalation=EscalationConfig(samples=2, rounds=1))
    (result,) = report.results
    assert result.solved and result.tier == "strong" and result.candidate_id == "x0"
    assert [(r.first_index, r.completions, r.temperature) for r in strong.requests_seen][0] == (0, 1, 0.0)


def test_the_drafts_shown_the_failures_wait_until_the_greedy_strong_answer_has_failed(tmp_path: Path) -> None:
    """Sent beside the greedy answer, the longer informed prompt is paid for on every task
    the greedy answer solves; held back, it is sent only where that answer failed."""
    tasks = [make_task(0), make_task(1)]
    cheap = ReplayBackend(script({0: [False] * 2, 1: [False] * 2}))
    strong = ReplayBackend(strong_script({0: [True, True], 1: [False, True]}), model="strong")
    report = solve(tasks, out=tmp_path, backend=cheap, strong_backend=strong, verifier=MarkerVerifier(),
                   sample=SampleConfig(n=2), escalation=EscalationConfig(samples=2, rounds=1, plain_samples=0,
                                                                more_plain_samples=0))
    by_id = {r.task_id: r for r in report.results}
    assert by_id["T/0"].solved and by_id["T/0"].candidate_id == "x0"
    assert by_id["T/1"].solved and by_id["T/1"].candidate_id == "x1"
    sent = [(r.key, r.first_index) for r in strong.requests_seen]
    assert sorted(sent) == [("T/0", 0), ("T/1", 0), ("T/1", 1)]  # T/0's informed draft never went
    assert sent.index(("T/1", 1)) > sent.index(("T/1", 0))
    informed = next(r for r in strong.requests_seen if r.first_index == 1)
    assert "Earlier attempts" in informed.messages[0].content  # type: ignore[index]


def test_without_stop_on_first_pass_the_whole_strong_round_goes_at_once(tmp_path: Path) -> None:
    task = make_task(0)
    cheap = ReplayBackend(script({0: [False] * 2}))
    strong = ReplayBackend(strong_script({0: [True, True]}), model="strong")
    solve([task], out=tmp_path, backend=cheap, strong_backend=strong, verifier=MarkerVerifier(),
          sample=SampleConfig(n=2), escalation=EscalationConfig(samples=2, rounds=1),
          stop_on_first_pass=False)
    assert sorted(r.first_index for r in strong.requests_seen) == [0, 1]


def test_a_round_can_sample_the_bare_task_at_temperature_before_showing_the_failures() -> None:
    task = make_task(1)
    failed = SampleRecord(task.task_id, 0, "s0", "cheap", False, "failed", 9,
                          "def f1(x: int) -> int:\n    return x\n", "tests: AssertionError",
                          verifier="pipeline:tests")
    escalation = EscalationConfig(samples=4, plain_samples=2, more_plain_samples=0)
    greedy, plain, informed = round_requests(task, 0, [failed], SampleConfig(), escalation, "T/1|x")
    assert [(r.request_id, r.first_index, r.completions) for r in (greedy, plain, informed)] == [
        ("T/1|x0", 0, 1), ("T/1|x1", 1, 2), ("T/1|x3", 3, 1)]
    assert greedy.temperature == 0.0 and plain.temperature == informed.temperature == escalation.temperature
    assert plain.messages == greedy.messages  # the same prompt: the server has it cached
    assert "Earlier attempts" in informed.messages[0].content  # type: ignore[index]
    assert len({greedy.seed, plain.seed, informed.seed}) == 3
    # Every sample after the greedy one plain: no request shows the failures.
    assert len(round_requests(task, 0, [failed], SampleConfig(), EscalationConfig(samples=3, plain_samples=2),
                              "T/1|x")) == 2
    # A round too small for them all: the plain ones first.
    assert [r.completions for r in round_requests(task, 0, [failed], SampleConfig(),
                                                  EscalationConfig(samples=2, plain_samples=3), "T/1|x")] == [1, 1]
    with pytest.raises(ConfigError):
        EscalationConfig(plain_samples=-1)
    with pytest.raises(ConfigError):
        EscalationConfig(more_plain_samples=-1)


def test_the_default_round_draws_more_of_the_bare_task_once_the_plain_samples_failed() -> None:
    """The default round: the greedy answer, 3 plain samples, then 4 more of the bare
    task (each request sent only once those before it failed), none shown the failures."""
    task = make_task(1)
    failed = SampleRecord(task.task_id, 0, "s0", "cheap", False, "failed", 9,
                          "def f1(x: int) -> int:\n    return x\n", "tests: AssertionError",
                          verifier="pipeline:tests")
    greedy, plain, more = round_requests(task, 0, [failed], SampleConfig(), EscalationConfig(), "T/1|x")
    assert [(r.request_id, r.first_index, r.completions) for r in (greedy, plain, more)] == [
        ("T/1|x0", 0, 1), ("T/1|x1", 1, 3), ("T/1|x4", 4, 4)]
    assert greedy.messages == plain.messages == more.messages
    assert "Earlier attempts" not in more.messages[0].content  # type: ignore[index]
    assert more.temperature == EscalationConfig().temperature and len({plain.seed, more.seed}) == 2
    # A round with room left after them still ends with the draft shown the failures.
    *_, informed = round_requests(task, 0, [failed], SampleConfig(),
                                  EscalationConfig(samples=10, plain_samples=3, more_plain_samples=4), "T/1|x")
    assert informed.first_index == 8 and informed.completions == 2
    assert "Earlier attempts" in informed.messages[0].content  # type: ignore[index]


def test_each_request_of_a_strong_round_waits_for_the_ones_before_it_to_fail(tmp_path: Path) -> None:
    tasks = [make_task(0), make_task(1)]
    cheap = ReplayBackend(script({0: [False] * 2, 1: [False] * 2}))
    # T/0: greedy wrong, a plain sample at temperature right; T/1: everything wrong but the last.
    strong = ReplayBackend(strong_script({0: [False, False, True, True], 1: [False, False, False, True]}),
                           model="strong")
    report = solve(tasks, out=tmp_path, backend=cheap, strong_backend=strong, verifier=MarkerVerifier(),
                   sample=SampleConfig(n=2), escalation=EscalationConfig(samples=4, plain_samples=2))
    by_id = {r.task_id: r for r in report.results}
    assert by_id["T/0"].solved and by_id["T/0"].candidate_id == "x2"
    assert by_id["T/1"].solved and by_id["T/1"].candidate_id == "x3"
    sent = [(r.key, r.first_index) for r in strong.requests_seen]
    assert [i for k, i in sent if k == "T/0"] == [0, 1]  # its informed draft never went
    assert [i for k, i in sent if k == "T/1"] == [0, 1, 3]
