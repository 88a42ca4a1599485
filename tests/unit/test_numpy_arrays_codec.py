"""numpy's arrays on the wire (``verifiers.runtime.numpy_arrays``): made again exactly,
forged ones refused, changes in place written into the tests' array and undone, and
arrays compared by value where outputs are grouped."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tasks.types import Task
from verifiers.channel import CodecError
from verifiers.runtime import codec, numpy_arrays
from verifiers.runtime.codec import Shared
from verifiers.runtime.shared_state import changes, snapshots
from verifiers.runtime.write_back import WriteBack
from verifiers.types import Candidate

np = pytest.importorskip("numpy")


@pytest.mark.parametrize("array", [
    np.arange(12, dtype=np.int32).reshape(3, 4), np.array([1.5, np.nan, -0.0]), np.array([True, False]),
    np.array([1 + 2j], dtype=np.complex64), np.array(["ab", "c"]), np.array([b"x", b"yz"]), np.zeros((0, 3)),
    np.array(7, dtype=np.uint8), np.arange(6, dtype=">i4"), np.arange(6).reshape(2, 3).T])
def test_an_array_is_made_again_exactly(array: Any) -> None:
    made = codec.decode(codec.encode(array))
    assert type(made) is np.ndarray and made.dtype == array.dtype and made.shape == array.shape
    assert made.tobytes() == array.tobytes() and made.flags.writeable and made.flags.owndata


def test_a_read_only_array_arrives_read_only() -> None:
    array = np.zeros(2)
    array.flags.writeable = False
    assert not codec.decode(codec.encode(array)).flags.writeable


def _tree(dtype: str, shape: list[int], data: bytes, writeable: bool = True) -> dict[str, Any]:
    return {"a": [dtype, shape, base64.b64encode(data).decode("ascii"), writeable]}


@pytest.mark.parametrize("tree", [
    _tree("|O8", [1], b"\0" * 8), _tree("|V8", [1], b"\0" * 8), _tree("<M8[s]", [1], b"\0" * 8),
    _tree("<f16", [1], b"\0" * 16), _tree("<U0", [1], b""), _tree("<i8", [2], b"\0" * 8),
    _tree("<i8", [-1], b""), _tree("<i8", [1] * 65, b"\0" * 8), _tree("<i8", [2 ** 40, 2 ** 40], b""), _tree("<i8", [0, 2 ** 70], b""),
    {"a": ["<i8", [1], "not base64!", True]}, {"a": ["<i8", [1], base64.b64encode(b"\0" * 8).decode(), 1]},
    {"a": ["<i8", [1]]}, {"a": "<i8"}])
def test_a_forged_array_is_refused(tree: Any) -> None:
    with pytest.raises(CodecError):
        codec.decode(tree)


def test_an_array_that_cannot_cross_is_refused_for_its_type_or_for_its_size() -> None:
    with pytest.raises(CodecError, match=f"^{codec.UNSENDABLE_TYPE} numpy array of dtype object"):
        codec.encode(np.array([1, "x"], dtype=object))
    with pytest.raises(CodecError, match="^cannot send a numpy array over"):
        codec.encode(np.zeros(numpy_arrays.MAX_BYTES // 8 + 1))


def test_a_change_in_place_is_written_into_the_tests_array_and_undone() -> None:
    """The candidate's side finds its copy changed; the tests' side makes its own array so,
    and puts it back as it was when the job ends."""
    theirs = np.array([[3.0, 1.0], [2.0, 0.0]])
    sent = codec.encode([theirs], shared=(tests_table := Shared()))
    copy_table = Shared()
    [copy] = codec.decode(sent, shared=copy_table)
    before = snapshots(copy_table.objects)
    copy.shape = (4,)
    copy.sort()
    found = changes(copy_table, before)
    assert [number for number, _ in found] == [1]
    undo = WriteBack()
    undo.apply(tests_table, found, len(tests_table.objects))
    assert theirs.shape == (4,) and theirs.tolist() == [0.0, 1.0, 2.0, 3.0]
    undo.undo()
    assert theirs.shape == (2, 2) and theirs.tolist() == [[3.0, 1.0], [2.0, 0.0]]


def test_a_change_no_change_in_place_makes_is_refused() -> None:
    theirs = np.zeros(3)
    table = Shared()
    codec.encode(theirs, shared=table)
    for forged in (codec.encode(np.zeros(4))["a"], codec.encode(np.zeros(3, dtype=np.int64))["a"]):
        with pytest.raises(CodecError, match="no change in place"):
            WriteBack().apply(table, [[0, forged]], 1)


def test_agreement_groups_arrays_by_their_values() -> None:
    from verifiers.agreement import group
    from verifiers.outputs import OutputCollector

    prompt = "def doubled(xs):\n    \"\"\"xs doubled, as an array.\"\"\"\n"
    task = Task("T/np-doubled", prompt, "doubled", "", test_origin="none")
    bodies = {"int64": "    import numpy as np\n    return np.array(xs, dtype=np.int64) * 2\n",
              "int32": "    import numpy as np\n    return np.array(xs, dtype=np.int32) * 2\n",
              "list": "    return [2 * x for x in xs]\n",
              "wrong": "    import numpy as np\n    return np.array(xs) * 3\n"}
    with OutputCollector(workers=1) as collector:
        found = collector.behaviours_on(task, [Candidate(task.task_id, k, prompt + b) for k, b in bodies.items()],
                                        [([1, 2, 3],), ([5],)])
    assert [g.members for g in group(found)] == [("int64", "int32"), ("list",), ("wrong",)]
