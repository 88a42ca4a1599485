"""What the CLI will not overwrite, and the exit codes and one-line reasons it owes (a red team's findings)."""

import errno
import json
import os
from pathlib import Path

import pytest

import sampler.cli as cli
from sampler.backends.replay import ReplayBackend
from sampler.cli import main
from sampler.config import SampleConfig
from sampler.core.api import solve
from sampler.experiments.runs import model_slug
from sampler.terminal.report import _task_key
from tasks.errors import ConfigError, TaskFormatError
from tasks.schema import task_from_dict, write_tasks
from tests.unit.fakes import MarkerVerifier, fenced, make_task
from tests.unit.test_loop import RIGHT
from verifiers.types import Status, Verdict


def _run(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    solve([make_task(0)], out=out, backend=ReplayBackend({"T/0": [fenced(RIGHT.format(i=0))]}),
          verifier=MarkerVerifier(), sample=SampleConfig(n=1))
    return out


def test_report_and_prior_overwrite_only_what_they_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``report --out run/results.jsonl`` replaced a run's results with the page, and ``prior
    --out run/samples.jsonl`` its samples, both with exit 0."""
    run = _run(tmp_path)
    tasks = tmp_path / "tasks.jsonl"
    write_tasks(tasks, [make_task(0)])
    for name in ("results.jsonl", "samples.jsonl"):
        before = (run / name).read_bytes()
        assert main(["report", str(run), "--out", str(run / name)]) == 2
        assert "is not a report" in capsys.readouterr().err
        assert main(["prior", str(run), "--tasks", str(tasks), "--out", str(run / name)]) == 2
        assert "is not a prior file" in capsys.readouterr().err
        assert (run / name).read_bytes() == before
    prior = tmp_path / "prior.json"
    assert main(["prior", str(run), "--tasks", str(tasks), "--out", str(prior)]) == 0
    assert main(["prior", str(run), "--tasks", str(tasks), "--out", str(prior)]) == 0  # its own file again
    page = tmp_path / "r.html"
    assert main(["report", str(run), "--out", str(page)]) == 0
    assert main(["report", str(run), "--out", str(page)]) == 0  # its own page, written again
    fifo = tmp_path / "fifo.html"  # opened to see whether it is a report, it waited for a writer for ever
    os.mkfifo(fifo)
    assert main(["report", str(run), "--out", str(fifo)]) == 2
    other = tmp_path / "index.html"  # any page opens with the doctype (a third red team)
    other.write_text("<!DOCTYPE html><html><head><title>mine</title></head></html>\n")
    assert main(["report", str(run), "--out", str(other)]) == 2
    assert other.read_text().endswith("</html>\n")


def test_verify_appends_to_no_input_and_no_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tasks = tmp_path / "tasks.jsonl"
    write_tasks(tasks, [make_task(0)])
    cands = tmp_path / "cands.jsonl"
    cands.write_text(json.dumps({"task_id": "T/0", "candidate_id": "c", "completion": "    return x\n"}) + "\n")
    run = _run(tmp_path)
    other_tasks = tmp_path / "other.jsonl.gz"
    write_tasks(other_tasks, [make_task(1)])
    # A third red team: a run's pretty-printed run.json, a gzip file, another candidates file.
    solutions = tmp_path / "solutions.jsonl"
    solutions.write_text(json.dumps({"task_id": "T/0", "candidate_id": "c", "solution": "def f0(x):\n    return x\n"})
                         + "\n")
    for out in (tasks, cands, run / "results.jsonl", run / "samples.jsonl", run / "run.json", other_tasks, solutions):
        before = out.read_bytes()
        assert main(["verify", str(tasks), str(cands), "--out", str(out), "--verifiers", "syntax"]) == 2
        assert "--out" in capsys.readouterr().err
        assert out.read_bytes() == before
    verdicts = tmp_path / "v.jsonl"  # its own verdicts, a torn last line and all, it goes on with
    assert main(["verify", str(tasks), str(cands), "--out", str(verdicts), "--verifiers", "syntax"]) == 0
    with verdicts.open("a") as handle:
        handle.write('{"task_id": "T/0", "cand')
    assert main(["verify", str(tasks), str(cands), "--out", str(verdicts), "--verifiers", "syntax"]) == 0


def test_verify_exits_1_when_verdicts_are_infrastructure_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The README promises exit 1 for work left unfinished by infrastructure errors; verify said 0."""
    import sampler.core.verify_run as api

    def broken(*args: object, **kwargs: object) -> list[Verdict]:
        return [Verdict("T/0", "c", "tests", Status.ERROR, "sandbox gone", 0.0)]

    monkeypatch.setattr(api, "verify", broken)
    assert main(["verify", "t.jsonl", "c.jsonl", "--out", str(tmp_path / "v.jsonl"), "--verifiers", "syntax"]) == 1
    assert "rerun to retry" in capsys.readouterr().err


def test_a_full_disk_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def full(args: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device", "run/samples.jsonl")

    monkeypatch.setattr(cli, "_verify", full)
    assert main(["verify", "t.jsonl", "c.jsonl", "--out", "v.jsonl"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device (run/samples.jsonl)" in err[0]


def test_argument_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse printed its whole usage before the reason (30 lines for solve)."""
    for argv, needle in ((["solve", "--price-cheap", "-1,2", "--out", "o"], "--price-cheap: expected one argument"),
                         (["verify", "t", "c", "--out", ""], "--out: an empty path"),
                         (["bogus"], "invalid choice"),
                         (["solve", "--time-limit", "half an hour", "--out", "o"], "is not a duration")):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and needle in err[0], err
    with pytest.raises(ConfigError, match="solve_value"):
        from sampler.config import BudgetConfig
        BudgetConfig(solve_value=float("nan"))
    with pytest.raises(ConfigError, match="seed must be in"):
        SampleConfig(seed=1 << 63)  # a dataset's int64 column overflowed after all the work


def test_odd_names_are_read_as_python_reads_them() -> None:
    # "def ﬁnd" defines find: the ligature's entry point never matched.
    task = task_from_dict({"task_id": "T/l", "prompt": "def \ufb01nd(x):\n    pass\n", "entry_point": "\ufb01nd",
                           "test": "def check(candidate):\n    assert candidate(1) == 1\n"}, "t:1")
    assert task.entry_point == "find"
    with pytest.raises(TaskFormatError, match="must define check"):  # the words inside a string define nothing
        task_from_dict({"task_id": "T/s", "prompt": "def f(x):\n    pass\n", "entry_point": "f",
                        "test": "NOTE = 'def check(candidate): ...'\n"}, "t:1")
    assert _task_key("T/2") < _task_key("T/10") < _task_key("T/" + "9" * 5000)  # int() refused 4,301 digits
    assert _task_key("T/2\u00b2")  # '²' is a digit to isdigit, not to int
    assert model_slug("m" * 70 + "\udcff")  # a non-UTF-8 byte of argv


def test_a_task_whose_tests_do_not_load_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every candidate was an infrastructure error, "rerun to retry", on every rerun."""
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"task_id": "T/m", "prompt": "def f(x):\n    pass\n", "entry_point": "f",
                                 "test": "import no_such_module_here\n\ndef check(candidate):\n    pass\n"}) + "\n")
    cands = tmp_path / "cands.jsonl"
    cands.write_text(json.dumps({"task_id": "T/m", "candidate_id": "c", "completion": "    return x\n"}) + "\n")
    assert main(["verify", str(tasks), str(cands), "--out", str(tmp_path / "v.jsonl"), "--verifiers", "tests"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "T/m: the task's prompt or tests do not load: ModuleNotFoundError" in err[-1], err
