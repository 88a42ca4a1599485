"""Verified datasets: distinctness rule, provenance, caps, Parquet, resume after kill -9."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sampler.backends.replay import ReplayBackend
from sampler.cli import main
from sampler.config import SampleConfig
from sampler.core.prompting import sample_seed
from sampler.experiments.dataset import COLUMNS, normalised_code, read_dataset, solution_hash
from sampler.experiments.generate import generate
from tasks.schema import write_tasks
from tests.unit import kill_driver
from tests.unit import fakes
from tests.unit.fakes import MarkerVerifier, fenced, make_task

ROOT = Path(__file__).resolve().parents[2]


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().split("\n") if x.strip()]  # as the store ends lines


def without_time(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "created_at"} for row in rows]


def test_distinctness_ignores_comments_docstrings_and_layout_only() -> None:
    base = "def f(x):\n    return x + 1\n"
    assert solution_hash(base) == solution_hash(
        '"""Module."""\n\n\ndef f(x):  # hi\n    """Doc."""\n\n    return (x +\n            1)\n')
    assert solution_hash(base) != solution_hash("def f(y):\n    return y + 1\n")  # renamed
    assert solution_hash(base) != solution_hash("def f(x):\n    return 1 + x\n")
    assert solution_hash("def f():\n    'only a docstring'\n") == solution_hash("def f():\n    pass\n")
    # Source that does not parse compares by its text, trailing spaces aside.
    assert normalised_code("def (:\n  x  \n") == normalised_code("def (:\n  x\n\n")
    assert solution_hash("def (:\n") != solution_hash("def ):\n")


def test_a_line_separator_in_a_solution_loses_no_row_and_deep_code_has_a_hash(tmp_path: Path) -> None:
    """U+2028 and U+0085 are written raw (ensure_ascii is off), and str.splitlines()
    broke the follower's lines there, losing the task's rows; ast.dump's recursion on a
    passing answer of 1,000 chained "+ 0" crashed every rerun of generate (red team)."""
    from sampler.experiments.dataset import JsonlTail
    from sampler.storage.store import JsonlAppender

    path = tmp_path / "samples.jsonl"
    appender = JsonlAppender(path)
    odd = "def f(x):  # a\u2028b\x85c\u2029\n    return x\n"
    appender.append([{"solution": odd}, {"solution": "ok"}])
    appender.close()
    assert [row["solution"] for row in JsonlTail(path).read_new()] == [odd, "ok"]
    deep = "def f(x):\n    return x" + " + 0" * 3000 + "\n"
    assert solution_hash(deep) != solution_hash(deep.replace("+ 0", "+ 1"))


def test_generate_keeps_distinct_verified_solutions_with_provenance(tmp_path: Path) -> None:
    kill_driver.run(tmp_path, None)
    rows = lines(tmp_path / "dataset.jsonl")
    by_task: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_task.setdefault(row["task_id"], []).append(row)
    # Tasks 0, 3, 6, 9 never pass; the others have two distinct right answers.
    assert sorted(by_task) == sorted(f"T/{i}" for i in range(kill_driver.TASKS) if i % 3)
    for task_id, task_rows in by_task.items():
        assert [r["candidate_id"] for r in task_rows] == ["s0", "s3"]
        assert all("# correct" in r["solution"] for r in task_rows)
        assert task_rows[0]["solution"].startswith("from typing import List")
        assert [r["seed"] for r in task_rows] == [sample_seed(0, task_id, 0),
                                                  sample_seed(0, task_id, 3)]
    row = rows[0]
    assert set(row) == set(COLUMNS)
    assert (row["model"], row["n"], row["temperature"], row["top_p"], row["max_tokens"]) == (
        "replay-kill", 4, 0.7, 0.95, 512)
    assert row["verifier"] == "marker" and row["verifier_version"] and row["bestofn_version"]
    assert len({(r["task_id"], r["solution_hash"]) for r in rows}) == len(rows)
    before = (tmp_path / "dataset.jsonl").read_text()
    kill_driver.run(tmp_path, None)  # a finished run resumes: nothing new
    assert (tmp_path / "dataset.jsonl").read_text() == before


def test_max_per_task_caps_rows(tmp_path: Path) -> None:
    tasks = [make_task(0)]
    texts = [fenced(f"def f0(x: int) -> int:\n    return x + {j} - {j}  # correct\n") for j in range(5)]
    report = generate(tasks, out=tmp_path, models=[ReplayBackend({"T/0": texts})],
                      verifier=MarkerVerifier(), sample=SampleConfig(n=5), max_per_task=2)
    assert report.rows == 2 and report.new_rows == {"replay": 2}
    assert [r["candidate_id"] for r in lines(tmp_path / "dataset.jsonl")] == ["s0", "s1"]


def test_parquet_round_trip_equals_jsonl(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    kill_driver.run(tmp_path, None)
    rows = lines(tmp_path / "dataset.jsonl")
    table = pq.read_table(tmp_path / "dataset.parquet")
    assert table.column_names == list(COLUMNS)
    assert table.to_pylist() == rows
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_parquet(tmp_path / "dataset.parquet")
    assert frame.to_dict(orient="records") == rows


def test_rerun_catches_up_rows_lost_between_result_and_dataset(tmp_path: Path) -> None:
    kill_driver.run(tmp_path, None)
    path = tmp_path / "dataset.jsonl"
    full = path.read_text().splitlines(keepends=True)
    # As if killed after the last task's result line: its rows are missing, the
    # previous row is torn.
    path.write_text("".join(full[:-3]) + full[-3][:25])
    kill_driver.run(tmp_path, None)
    assert without_time(read_dataset(path)) == without_time([json.loads(x) for x in full])
    assert len(read_dataset(path)) == len(full)


def _by_key(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (r["task_id"], r["solution_hash"]))


def test_kill_9_during_generate_then_rerun_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    kill_driver.run(reference, None)
    expected = without_time(lines(reference / "dataset.jsonl"))
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "tests.unit.kill_driver", str(out), "150"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dataset = out / "dataset.jsonl"
    kill_driver.sigkill_when(proc, lambda: dataset.exists() and dataset.read_text().count("\n") >= 3)
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "dataset.parquet").exists()
    partial = lines(dataset)
    assert 3 <= len(partial) < len(expected)
    rerun = subprocess.run(command[:-1], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    final = lines(dataset)
    # Rows are appended as tasks finish, and verification threads may finish tasks in another order.
    assert _by_key(without_time(final)) == _by_key(expected)
    assert final[:len(partial)] == partial  # appended, never rewritten
    keys = [(r["task_id"], r["solution_hash"]) for r in final]
    assert len(keys) == len(set(keys))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return fakes.run_cli(*args, timeout=120)


def test_cli_generate_with_replay_model_and_real_sandbox(tmp_path: Path) -> None:
    tasks_file = tmp_path / "tasks.jsonl"
    write_tasks(tasks_file, [make_task(i) for i in range(2)])
    script = tmp_path / "replay.jsonl"
    bodies = {0: ["return x", "return x + 0", "return 0 + x", "return x  # same as the first"],
              1: ["return x", "return x + 1", "return 1 - x", "return x + 1  # again"]}
    script.write_text("".join(
        json.dumps({"task_id": f"T/{i}", "completion": fenced(f"def f{i}(x: int) -> int:\n    {b}\n")}) + "\n"
        for i, bs in bodies.items() for b in bs))
    out = tmp_path / "data"
    args = ("generate", str(tasks_file), "-n", "4", "--model", f"replay:{script}", "--out", str(out),
            "--quiet")
    proc = run_cli(*args, "--max-per-task", "2")
    assert proc.returncode == 0, proc.stderr
    rows = lines(out / "dataset.jsonl")
    # T/0: all four pass, three distinct, capped at two; T/1: two pass, one distinct.
    # Rows come in the order tasks finish, which streaming does not fix.
    assert sorted((r["task_id"], r["candidate_id"]) for r in rows) == [("T/0", "s0"), ("T/0", "s1"),
                                                                      ("T/1", "s1")]
    assert rows[0]["verifier"] == "pipeline:syntax+tests+mypy+properties"  # the default checks
    assert "dataset: 3 rows" in proc.stderr
    assert (out / "dataset.parquet").is_file()
    assert len(lines(out / "run" / os.listdir(out / "run")[0] / "samples.jsonl")) == 8


def test_cli_generate_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tasks_file = tmp_path / "tasks.jsonl"
    write_tasks(tasks_file, [make_task(0)])
    out = str(tmp_path / "out")
    for args, needle in [
        (("generate", str(tasks_file), "--max-per-task", "0", "--out", out), "max-per-task"),
        (("generate", str(tasks_file), "--model", "replay:/nope.jsonl", "--out", out), "no such file"),
        (("generate", "--out", out), "give a tasks file or --suite"),
        (("generate", str(tmp_path / "missing.jsonl"), "--out", out), "no such file"),
    ]:
        code = main(list(args))
        err = capsys.readouterr().err
        assert code == 2, err
        assert needle in err.strip().splitlines()[-1], err
