"""The cheap-first pipeline: order, survivors only, caching, errors, configuration."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from tasks.errors import ConfigError, SandboxError, UnknownNameError
from tasks.types import Task
from verifiers.cache import VerdictCache, code_key
from verifiers.pipeline import STAGE_ORDER, Pipeline, Stage, SyntaxVerifier, make_pipeline, normalise_stages
from verifiers.sandbox import SandboxPool
from verifiers.types import Candidate, Status, Verdict

PROMPT = '''from typing import List


def parse_ints(text: str) -> List[int]:
    """Comma-separated integers of text, in order."""
'''
GOOD = PROMPT + "    return [int(x) for x in text.split(',') if x]\n"
GOOD_REFORMATTED = PROMPT + "    # same program, other comments and spacing\n    return [int(x)   for x in text.split(',') if x]\n"
STR_TYPED = PROMPT + "    return text\n"  # passes the thin test at runtime, but is not List[int]
BROKEN = PROMPT + "    return [\n"
WRONG_BIG = PROMPT + "    return [int(x) for x in text.split(',')[:2] if x]\n"  # right on <= 2 numbers only
TEST = "def check(candidate):\n    assert candidate('') == [] or candidate('') == ''\n    assert candidate('1,2') in ([1, 2], '1,2')\n"
TASK = Task("T/parse", PROMPT, "parse_ints", TEST, "    return [int(x) for x in text.split(',') if x]\n")


def cands(*sources: str) -> list[Candidate]:
    return [Candidate(TASK.task_id, f"s{i}", src) for i, src in enumerate(sources)]


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=2) as p:
        yield p


@pytest.fixture(scope="module")
def pipeline(pool: SandboxPool) -> Iterator[Pipeline]:
    with make_pipeline(pool=pool) as p:
        yield p


def test_stage_names_are_validated_and_ordered_cheap_first() -> None:
    assert normalise_stages(["properties", "tests", "mypy"]) == ("tests", "mypy", "properties")
    assert normalise_stages(None) == STAGE_ORDER
    with pytest.raises(UnknownNameError, match="pytest"):
        normalise_stages(["tests", "pytest"])
    with pytest.raises(UnknownNameError):
        make_pipeline(["nope"])
    with pytest.raises(ConfigError):
        normalise_stages([])
    with make_pipeline(["mypy", "syntax"]) as p:  # no sandbox stage: no pool is started
        assert p.stage_names == ("syntax", "mypy")


def test_each_stage_sees_only_the_survivors(pipeline: Pipeline) -> None:
    pipeline.reset_stats()
    verdicts = pipeline.verify(TASK, cands(BROKEN, STR_TYPED, WRONG_BIG, GOOD))
    assert [v.verifier for v in verdicts] == ["syntax", "mypy", "properties", pipeline.name]
    assert STAGE_ORDER == ("syntax", "tests", "mypy", "properties")  # tests cost half mypy's time
    assert [v.status for v in verdicts] == [Status.FAILED, Status.FAILED, Status.FAILED, Status.PASSED]
    assert verdicts[0].detail.startswith("syntax: ")
    assert verdicts[1].detail.startswith("mypy: ")  # type-wrong, though it passes the unit tests
    assert verdicts[2].detail.startswith("properties: counterexample: parse_ints(")
    assert verdicts[3].detail == "passed syntax, tests, mypy, properties"
    # Each verdict carries the seconds of every stage that ran on it, in order.
    assert [name for name, _ in verdicts[0].stages] == ["syntax"]
    assert [name for name, _ in verdicts[2].stages] == ["syntax", "tests", "mypy", "properties"]
    assert [name for name, _ in verdicts[3].stages] == list(STAGE_ORDER)
    assert verdicts[3].seconds == pytest.approx(sum(t for _, t in verdicts[3].stages), abs=1e-3)
    stats = pipeline.stats()
    assert list(stats) == list(STAGE_ORDER)
    assert (stats["syntax"].reached, stats["syntax"].passed) == (4, 3)
    assert (stats["tests"].reached, stats["tests"].passed) == (3, 3)  # the broken one never got here
    assert (stats["mypy"].reached, stats["mypy"].passed) == (3, 2)
    assert (stats["properties"].reached, stats["properties"].passed) == (2, 1)
    assert all(s.seconds > 0 for s in stats.values())


def test_a_twin_that_differs_only_in_what_a_candidate_can_observe_is_verified_on_its_own(
        pipeline: Pipeline) -> None:
    """Same AST, other line numbers: a candidate can read its own line number from its
    frame, so the wrong twin must not get the right one's cached pass."""
    task = Task("T/parse-twin", PROMPT, "parse_ints", TEST, TASK.canonical_solution)
    right = ("import sys\nfrom typing import List\n\n\ndef parse_ints(text: str) -> List[int]:\n"
             "    if sys._getframe().f_lineno == 6:\n        return [int(x) for x in text.split(',') if x]\n"
             "    return []\n")
    twin = "# one more line\n" + right
    [good, bad] = pipeline.verify(task, [Candidate(task.task_id, "right", right), Candidate(task.task_id, "twin", twin)])
    assert good.status is Status.PASSED, good.detail
    assert bad.status is Status.FAILED and bad.verifier == "tests", bad.detail


def test_duplicates_are_verified_once(pipeline: Pipeline) -> None:
    assert code_key(GOOD) == code_key(str(GOOD)) != code_key(GOOD_REFORMATTED)
    task = Task("T/parse-dup", PROMPT, "parse_ints", TEST, TASK.canonical_solution)
    batch = [Candidate(task.task_id, f"d{i}", src) for i, src in enumerate([GOOD, GOOD, GOOD_REFORMATTED])]
    pipeline.reset_stats()
    first = pipeline.verify(task, batch)
    assert [v.status for v in first] == [Status.PASSED] * 3
    assert [v.candidate_id for v in first] == ["d0", "d1", "d2"]
    stats = pipeline.stats()
    # Same text: verified once. Other comments and spacing: verified again (see the next test).
    for name in ("mypy", "tests", "properties"):
        assert (stats[name].ran, stats[name].cached) == (2, 1), name
    pipeline.reset_stats()
    again = pipeline.verify(task, [Candidate(task.task_id, "later", GOOD)])
    assert again[0].status is Status.PASSED and again[0].candidate_id == "later"
    assert all(s.ran == 0 and s.cached == 1 for s in pipeline.stats().values())


class _Broken:
    """A sandbox stage whose infrastructure is down."""

    name = "tests"

    def __init__(self, raise_it: bool) -> None:
        self.raise_it = raise_it
        self.calls = 0

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        self.calls += 1
        if self.raise_it:
            raise SandboxError("bwrap is gone")
        return [Verdict(c.task_id, c.candidate_id, self.name, Status.ERROR, "infrastructure: slot died") for c in candidates]


class _Never:
    name = "properties"

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        raise AssertionError("an ERROR must not reach a later stage")


@pytest.mark.parametrize("raise_it", [False, True])
def test_errors_stay_errors_and_are_not_cached(raise_it: bool) -> None:
    broken = _Broken(raise_it)
    stages = [Stage("properties", _Never()), Stage("tests", broken), Stage("syntax", SyntaxVerifier())]
    with Pipeline(stages, cache=VerdictCache()) as p:
        assert p.stage_names == ("syntax", "tests", "properties")
        for _ in range(2):
            [verdict] = p.verify(TASK, cands(GOOD))
            assert verdict.status is Status.ERROR and verdict.verifier == "tests"
            assert verdict.detail.startswith("tests: infrastructure")
        assert broken.calls == 2  # retried, never served from the cache
        assert p.stats()["tests"].errors == 2


def test_configured_stages_only(pool: SandboxPool) -> None:
    with make_pipeline(["tests"], pool=pool, cache=False) as p:
        [typed_wrong, broken] = p.verify(TASK, cands(STR_TYPED, BROKEN))
        assert typed_wrong.status is Status.PASSED  # no mypy stage: the tests alone let it through
        assert broken.verifier == "tests" and broken.status is Status.FAILED
        assert p.stats()["tests"].ran == 2


def test_inapplicable_stage_is_skipped(pool: SandboxPool) -> None:
    no_reference = Task("T/noref", PROMPT, "parse_ints", TEST)
    with make_pipeline(["tests", "properties"], pool=pool) as p:
        [verdict] = p.verify(no_reference, [Candidate("T/noref", "c", WRONG_BIG)])
        assert verdict.status is Status.PASSED
        assert "not applicable: properties" in verdict.detail
        assert p.stats()["properties"].skipped == 1


def test_a_registered_stage_runs_in_its_place_and_is_known_by_name() -> None:
    """Stages come from a registry, not an if/elif chain: a new check is one call."""
    from verifiers import pipeline as pipeline_module

    class Upper:
        name = "upper"

        def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
            return [Verdict(task.task_id, c.candidate_id, self.name,
                            Status.FAILED if "BAD" in c.source else Status.PASSED) for c in candidates]

        def close(self) -> None:
            pass

    def build(options: pipeline_module.StageOptions) -> tuple[Stage, Upper]:
        upper = Upper()
        return Stage("upper", upper, "1"), upper

    saved = dict(pipeline_module._STAGES)
    try:
        pipeline_module.register_stage("upper", build, before="mypy")
        assert pipeline_module.stage_order() == ("syntax", "tests", "upper", "mypy", "properties")
        assert normalise_stages(["mypy", "upper"]) == ("upper", "mypy")
        with pytest.raises(ConfigError):
            pipeline_module.register_stage("upper", build)
        pipe = make_pipeline(["syntax", "upper"], cache=False)
        try:
            task = Task("t", "def f():\n    pass\n", "f", "")
            verdicts = pipe.verify(task, [Candidate("t", "a", "X = 1\n"), Candidate("t", "b", "BAD = 1\n")])
            assert [v.status for v in verdicts] == [Status.PASSED, Status.FAILED]
            assert [name for name, _ in verdicts[0].stages] == ["syntax", "upper"]
        finally:
            pipe.close()
    finally:
        pipeline_module._STAGES.clear()
        pipeline_module._STAGES.update(saved)
