"""Task files as users have them: gzipped JSONL, evalplus's HumanEval+ and MBPP+ formats."""

import gzip
import json
from pathlib import Path

import pytest

from tasks.errors import TaskFormatError
from tasks.schema import load_tasks
from tasks.program import reference_program
from verifiers.types import Candidate, Status
from verifiers.unit_tests import UnitTestVerifier

HUMANEVAL_PLUS = {
    "task_id": "HumanEval/0", "entry_point": "halve",
    "prompt": "def halve(xs: list[float]) -> list[float]:\n    \"\"\"Each number halved.\"\"\"\n",
    "canonical_solution": "    return [x / 2 for x in xs]\n",
    "base_input": [[[1.0, 2.0]], [[]]],
    # evalplus's extra inputs: where a candidate right on the small examples goes wrong.
    "plus_input": [[[1e6, -3.0, 0.1]], [[7.0] * 50]],
    "atol": 0,
    "contract": "", "test": "METADATA = {}\n",  # evalplus's other fields are carried along
}
MBPP_PLUS = {
    "task_id": "Mbpp/2", "entry_point": "common",
    "prompt": '"""\nWrite a function to find the shared elements of two lists, sorted.\n'
              'assert common([3, 4, 5], [5, 4, 10]) == [4, 5]\n"""\n',
    "canonical_solution": "def common(a, b):\n    return sorted(set(a) & set(b))\n",
    "base_input": [[[3, 4, 5], [5, 4, 10]]],
    "plus_input": [[[1, 1, 2], [2, 1]], [[], [1]]],
    "atol": 0,
}


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    text = "".join(json.dumps(r) + "\n" for r in rows)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def test_gzipped_task_files_load_and_a_bad_one_names_itself(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [{"task_id": "T/0", "prompt": "def f(x):\n", "entry_point": "f",
             "test": "def check(candidate):\n    assert candidate(1) == 1\n"}]
    assert load_tasks(write(tmp_path / "t.jsonl.gz", rows))[0].task_id == "T/0"
    (tmp_path / "bad.jsonl.gz").write_bytes(b"not gzip at all\n")
    with pytest.raises(TaskFormatError, match="bad.jsonl.gz: not a readable gzip file"):
        load_tasks(tmp_path / "bad.jsonl.gz")
    cut = gzip.compress(json.dumps(rows[0]).encode() * 50)[:40]
    (tmp_path / "cut.jsonl.gz").write_bytes(cut)
    with pytest.raises(TaskFormatError, match="cut.jsonl.gz"):
        load_tasks(tmp_path / "cut.jsonl.gz")


def test_evalplus_files_load_and_their_references_verify(tmp_path: Path) -> None:
    tasks = load_tasks(write(tmp_path / "plus.jsonl.gz", [HUMANEVAL_PLUS, MBPP_PLUS]))
    halve, common = tasks
    assert "def check(candidate)" in halve.test and halve.canonical_solution is not None
    halve_ref = reference_program(halve)
    assert halve_ref is not None
    right_common = MBPP_PLUS["canonical_solution"]
    assert isinstance(right_common, str)
    with UnitTestVerifier(workers=1) as verifier:
        verdicts = verifier.verify(halve, [
            Candidate(halve.task_id, "ref", halve_ref),
            Candidate(halve.task_id, "close", "def halve(xs):\n    return [x * 0.5 + 1e-9 for x in xs]\n"),
            # Right on the base inputs, wrong past them: only the plus inputs catch it.
            Candidate(halve.task_id, "small", "def halve(xs):\n    return [x / 2 if x < 100 else x for x in xs]\n"),
            Candidate(halve.task_id, "ints", "def halve(xs):\n    return [x // 2 for x in xs]\n"),
            Candidate(halve.task_id, "mutates", "def halve(xs):\n    xs[:] = [x / 2 for x in xs]\n    return xs\n"),
        ])
        assert [v.status for v in verdicts] == [Status.PASSED, Status.PASSED, Status.FAILED, Status.FAILED,
                                                Status.PASSED]
        assert "input 2" in verdicts[2].detail
        verdicts = verifier.verify(common, [
            Candidate(common.task_id, "ref", right_common),
            Candidate(common.task_id, "unsorted", "def common(a, b):\n    return list(set(a) & set(b))[::-1]\n"),
            Candidate(common.task_id, "tuple", "def common(a, b):\n    return tuple(sorted(set(a) & set(b)))\n"),
        ])
        assert [v.status for v in verdicts] == [Status.PASSED, Status.FAILED, Status.FAILED]


@pytest.mark.parametrize("change, message", [
    ({"plus_input": "x"}, "'plus_input' must be a list of argument lists"),
    ({"base_input": [], "plus_input": []}, "no inputs"),
    ({"atol": -1}, "'atol' must be a finite number >= 0"),
    # NaN and infinity were taken, and every verdict was an error ('nan' is no name in
    # the test); an int past float's range was a traceback (red team).
    ({"atol": float("nan")}, "'atol' must be a finite"), ({"atol": float("inf")}, "'atol' must be a finite"),
    ({"atol": 10 ** 400}, "'atol' must be a finite"),
    ({"canonical_solution": None}, "missing field 'canonical_solution'"),
    # Either not parsing made every candidate fail, where a task's own are exit 2 (red team).
    ({"prompt": "def f(x:\n"}, "prompt does not parse"),
    ({"canonical_solution": "    return (\n"}, r"reference \(canonical_solution\) does not parse"),
])
def test_bad_evalplus_lines_name_their_line(tmp_path: Path, change: dict[str, object], message: str) -> None:
    row = {**HUMANEVAL_PLUS, **change}
    with pytest.raises(TaskFormatError, match=f"plus.jsonl:2: .*{message}"):
        load_tasks(write(tmp_path / "plus.jsonl", [MBPP_PLUS, row]))
