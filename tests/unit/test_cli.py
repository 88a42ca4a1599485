"""The CLI contract: exit codes, one-line reasons, files written, resume; real sandbox."""

import json
import subprocess
from pathlib import Path

import pytest

from tasks.schema import write_tasks
from tests.unit.fakes import fenced, make_task, run_cli


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=300, env=env)


@pytest.fixture()
def tasks_file(tmp_path: Path) -> Path:
    path = tmp_path / "tasks.jsonl"
    write_tasks(path, [make_task(i) for i in range(3)])
    return path


def one_line_error(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert needle in last, proc.stderr


def test_bad_input_exits_2_with_a_reason(tmp_path: Path, tasks_file: Path) -> None:
    out = str(tmp_path / "out")
    one_line_error(run("solve", str(tmp_path / "missing.jsonl"), "--out", out), "no such file")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": "x"}\n{oops\n')
    one_line_error(run("solve", str(bad), "--out", out), "missing field 'prompt'")
    one_line_error(run("solve", str(tasks_file), "-n", "0", "--out", out), "n must be in [1, 100000]")
    # A red team's -n 10**20 filled 24 GiB; --wave 0 and --batch-tasks 0 silently meant the default.
    one_line_error(run("solve", str(tasks_file), "-n", str(10**20), "--out", out), "n must be in [1, 100000]")
    one_line_error(run("solve", str(tasks_file), "--wave", "0", "--out", out), "wave must be >= 1")
    one_line_error(run("solve", str(tasks_file), "--batch-tasks", "0", "--out", out), "batch_tasks must be >= 1")
    one_line_error(run("solve", str(tasks_file), "--cluster", "bogus", "--out", out), "must be local, auto or a Ray")
    one_line_error(run("solve", str(tasks_file), "--model", "no-such-model", "--out", out), "unknown model")
    one_line_error(run("solve", "--suite", "nope", "--out", out), "unknown suite")
    one_line_error(run("solve", "--out", out), "give a tasks file or --suite")
    one_line_error(run("solve", str(tasks_file), "--budget", "adaptive", "--length-cap-miss", "0.7",
                       "--out", out), "length_cap_miss must be in (0, 0.5)")
    one_line_error(run("solve", str(tasks_file), "--skip", "-1", "--out", out), "--skip must be >= 0")
    one_line_error(run("verify", str(tasks_file), str(tmp_path / "nope.jsonl"), "--out", out), "no such file")
    assert run("solve", str(tasks_file)).returncode == 2  # --out is required (argparse)
    # A task whose prompt or tests do not parse made every verdict an infrastructure error.
    broken = tmp_path / "broken.jsonl"
    for field, text, needle in (("test", "def check(candidate:\n    pass\n", "test does not parse"),
                                ("prompt", 'def f(x):\n    """no end\n', "prompt does not parse")):
        broken.write_text(json.dumps({"task_id": "T/b", "prompt": "def f(x):\n    pass\n", "entry_point": "f",
                                      "test": "def check(candidate):\n    pass\n", field: text}) + "\n")
        one_line_error(run("verify", str(broken), str(tmp_path / "nope.jsonl"), "--out", out), needle)


def test_bad_environment_exits_2_with_a_reason(tmp_path: Path, tasks_file: Path) -> None:
    """Defaults read from the environment, and the cache directory: each was a traceback (red team)."""
    out = str(tmp_path / "out")
    one_line_error(run("solve", str(tasks_file), "--out", out, env={"BESTOFN_BUDGET": "weird"}),
                   "must be one of fixed, adaptive")
    # Read eagerly, one bad int default refused every subcommand, those without the option too.
    bad_n = run("solve", str(tasks_file), "--out", out, env={"BESTOFN_N": "abc"})
    one_line_error(bad_n, "BESTOFN_N='abc' is not an integer")
    assert len(bad_n.stderr.strip().splitlines()) == 1, bad_n.stderr  # not argparse's whole usage
    (tmp_path / "none.jsonl").write_text("")
    assert run("verify", str(tasks_file), str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "v.jsonl"),
               env={"BESTOFN_N": "abc"}).returncode == 0
    one_line_error(run("solve", str(tasks_file), "--out", out, "--price-cheap", "nan"), "finite and >= 0")
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    one_line_error(run("verify", str(tasks_file), str(tmp_path / "c.jsonl"), "--out", out,
                       env={"BESTOFN_CACHE": str(a_file)}), "cannot be used")


def test_solve_with_replay_model_and_real_sandbox_then_resume(tmp_path: Path, tasks_file: Path) -> None:
    script = tmp_path / "replay.jsonl"
    rows = []
    for i in range(3):
        body = f"def f{i}(x: int) -> int:\n    return x + {i if i != 1 else 0}\n"
        rows += [{"task_id": f"T/{i}", "completion": fenced(body)}] * 2
    script.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "run"
    args = ("solve", str(tasks_file), "--model", f"replay:{script}", "-n", "2", "--out", str(out), "--quiet")
    first = run(*args)
    assert first.returncode == 0, first.stderr
    assert "solved 2/3 tasks" in first.stderr
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    results.sort(key=lambda r: r["task_id"])  # lines come in the order tasks finish
    assert [r["solved"] for r in results] == [True, False, True]
    solution = results[0]["solution"]
    # The solution is self-contained: the prompt's import travels with it.
    assert solution.startswith("from typing import List") and "def f0" in solution
    samples = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
    passed = next(s for s in samples if s["passed"])
    assert list(passed["stage_seconds"])[:3] == ["syntax", "tests", "mypy"]  # the default checks
    second = run(*args)
    assert second.returncode == 0 and "solved 2/3 tasks" in second.stderr
    assert len((out / "results.jsonl").read_text().splitlines()) == 3
    assert len((out / "samples.jsonl").read_text().splitlines()) == 6
    changed = run(*args, "--temperature", "0.3")
    one_line_error(changed, "other settings (temperature)")
    # Budget settings decide how many samples are drawn, not what sample i is: a rerun
    # may change them, and the adaptive budget's options reach the run.
    adaptive = run(*args, "--budget", "adaptive", "--no-prior-by-prompt-length")
    assert adaptive.returncode == 0 and "solved 2/3 tasks" in adaptive.stderr, adaptive.stderr


def test_verify_contract(tmp_path: Path, tasks_file: Path) -> None:
    cands = tmp_path / "cands.jsonl"
    rows = [
        {"task_id": "T/0", "candidate_id": "good", "solution": "def f0(x):\n    return x\n"},
        {"task_id": "T/1", "candidate_id": "good", "completion": "    return x + 1\n"},
        {"task_id": "T/1", "candidate_id": "bad", "completion": "    return x\n"},
        {"task_id": "T/2", "candidate_id": "crash", "solution": "raise SystemExit(0)\n"},
    ]
    cands.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "verdicts.jsonl"
    proc = run("verify", str(tasks_file), str(cands), "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    verdicts = {(v["task_id"], v["candidate_id"]): v for v in map(json.loads, out.read_text().splitlines())}
    assert verdicts[("T/0", "good")]["status"] == "passed"
    assert verdicts[("T/1", "good")]["status"] == "passed"
    assert verdicts[("T/1", "bad")]["status"] == "failed"
    assert verdicts[("T/2", "crash")]["status"] != "passed"
    assert {"task_id", "candidate_id", "status", "detail", "seconds"} <= set(verdicts[("T/0", "good")])
    again = run("verify", str(tasks_file), str(cands), "--out", str(out), "--quiet")
    assert again.returncode == 0 and len(out.read_text().splitlines()) == 4  # resumed, nothing redone
    # ... and says what the verdicts it kept are (it said "0 passed").
    assert "verified 4 candidate(s): 2 passed" in again.stderr, again.stderr
    # A hand-edited line is redone, never a traceback: a list for a status or an id, an
    # int past float's range for the seconds (red team).
    kept = out.read_text()
    edited = [json.loads(line) for line in kept.splitlines()]
    edited[0]["status"], edited[1]["task_id"] = [], ["T/1"]
    edited[2]["seconds"] = 10 ** 400
    out.write_text("".join(json.dumps(v) + "\n" for v in edited))
    redone = run("verify", str(tasks_file), str(cands), "--out", str(out), "--quiet")
    assert redone.returncode == 0 and "Traceback" not in redone.stderr, redone.stderr
    assert len(out.read_text().splitlines()) == 6 and "verified 4 candidate(s): 2 passed" in redone.stderr
    out.write_text(kept)
    # Other checks verify again: a syntax-only pass must not stand as a pass under the tests.
    syntax = run("verify", str(tasks_file), str(cands), "--out", str(out), "--quiet", "--verifiers", "syntax")
    assert syntax.returncode == 0 and len(out.read_text().splitlines()) == 8
    last = {(v["task_id"], v["candidate_id"]): v for v in map(json.loads, out.read_text().splitlines())}
    assert last[("T/1", "bad")]["status"] == "passed" and last[("T/1", "bad")]["checks"] == "pipeline:syntax"
    tests = run("verify", str(tasks_file), str(cands), "--out", str(out), "--quiet", "--verifiers", "tests")
    assert tests.returncode == 0 and len(out.read_text().splitlines()) == 12
    last = {(v["task_id"], v["candidate_id"]): v for v in map(json.loads, out.read_text().splitlines())}
    assert last[("T/1", "bad")]["status"] == "failed"
    # The same ids with other text verify again: a candidate rewritten, or a task whose
    # tests changed, kept its old pass (red team).
    rows[1] = {**rows[1], "completion": "    return 0\n"}
    cands.write_text("".join(json.dumps(r) + "\n" for r in rows))
    changed = run("verify", str(tasks_file), str(cands), "--out", str(out), "--quiet", "--verifiers", "tests")
    assert changed.returncode == 0 and len(out.read_text().splitlines()) == 13
    last = {(v["task_id"], v["candidate_id"]): v for v in map(json.loads, out.read_text().splitlines())}
    assert last[("T/1", "good")]["status"] == "failed"
    task_lines = tasks_file.read_text().splitlines()
    stricter = [json.loads(line) for line in task_lines]
    for task in stricter:
        task["test"] += "    assert False\n"
    tasks_file.write_text("".join(json.dumps(t) + "\n" for t in stricter))
    retested = run("verify", str(tasks_file), str(cands), "--out", str(out), "--quiet", "--verifiers", "tests")
    assert retested.returncode == 0 and len(out.read_text().splitlines()) == 17
    last = {(v["task_id"], v["candidate_id"]): v for v in map(json.loads, out.read_text().splitlines())}
    assert not any(v["status"] == "passed" for v in last.values())
