"""Extending a run instead of redoing it: a larger n draws only the new samples."""

import json
from pathlib import Path

import pytest

from sampler.backends.replay import ReplayBackend
from sampler.config import SampleConfig
from sampler.core.api import solve
from sampler.experiments.generate import generate
from sampler.experiments.scale import scale
from sampler.storage.store import MANIFEST
from tasks.errors import ConfigError
from tests.unit.fakes import MarkerVerifier, make_task
from tests.unit.test_loop import lines, script

PATTERN = {0: [True, False, False, False], 1: [False, False, True, False], 2: [False] * 4}


def drawn(backend: ReplayBackend) -> set[tuple[str, int]]:
    return {(r.task_id, r.first_index + i) for r in backend.requests_seen for i in range(r.completions)}


def test_solve_with_a_larger_n_draws_only_the_new_samples_of_unsolved_tasks(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(3)]
    first = ReplayBackend(script(PATTERN))
    report = solve(tasks, out=tmp_path, backend=first, verifier=MarkerVerifier(), sample=SampleConfig(n=2))
    assert [r.solved for r in report.results] == [True, False, False]
    assert json.loads((tmp_path / MANIFEST).read_text())["n"] == 2

    again = ReplayBackend(script(PATTERN))
    report = solve(tasks, out=tmp_path, backend=again, verifier=MarkerVerifier(), sample=SampleConfig(n=4))
    # T/0 was solved (stop on first pass): untouched. The others: indices 2 and 3 only
    # (a wave of 2 draws T/1's 3 beside its 2).
    assert drawn(again) == {("T/1", 2), ("T/1", 3), ("T/2", 2), ("T/2", 3)}
    by_id = {r.task_id: r for r in report.results}
    assert by_id["T/1"].solved and by_id["T/1"].candidate_id == "s2"
    assert not by_id["T/2"].solved and by_id["T/2"].samples_drawn == 4
    assert by_id["T/0"].candidate_id == "s0"
    # Nothing drawn twice; the later result line is the task's result.
    samples = lines(tmp_path / "samples.jsonl")
    keys = [(s["task_id"], s["sample_index"]) for s in samples]
    assert len(keys) == len(set(keys))
    assert {k for k in keys if k[0] == "T/2"} == {("T/2", i) for i in range(4)}
    assert json.loads((tmp_path / MANIFEST).read_text())["n"] == 4

    # Lowering n reads what is there and draws nothing; the manifest keeps 4.
    lower = ReplayBackend(script(PATTERN))
    report = solve(tasks, out=tmp_path, backend=lower, verifier=MarkerVerifier(), sample=SampleConfig(n=2))
    assert drawn(lower) == set() and report.summary.solved == 2
    assert json.loads((tmp_path / MANIFEST).read_text())["n"] == 4
    # What a sample is may not change.
    with pytest.raises(ConfigError, match="temperature"):
        solve(tasks, out=tmp_path, backend=ReplayBackend(script(PATTERN)), verifier=MarkerVerifier(),
              sample=SampleConfig(n=4, temperature=0.3))


def test_scale_extends_and_reads_a_subset(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(3)]
    first = ReplayBackend(script(PATTERN), model="cheap")
    scale(tasks, out=tmp_path, models=[first], verifier=MarkerVerifier(), sample=SampleConfig(n=2))
    assert len(drawn(first)) == 6
    more = ReplayBackend(script(PATTERN), model="cheap")
    report = scale(tasks, out=tmp_path, models=[more], verifier=MarkerVerifier(), sample=SampleConfig(n=4))
    assert drawn(more) == {(f"T/{i}", k) for i in range(3) for k in (2, 3)}
    (analysis,) = report.analyses
    assert [r.k for r in analysis.rows] == [1, 2, 3, 4] and analysis.samples == 12
    assert analysis.rows[-1].pass_at_k == pytest.approx(2 / 3)
    fewer = ReplayBackend(script(PATTERN), model="cheap")
    report = scale(tasks, out=tmp_path, models=[fewer], verifier=MarkerVerifier(), sample=SampleConfig(n=2))
    (analysis,) = report.analyses
    assert drawn(fewer) == set() and [r.k for r in analysis.rows] == [1, 2]
    assert analysis.rows[-1].pass_at_k == pytest.approx(1 / 3)  # only T/0 passes within 2
    assert (tmp_path / "cheap" / "passk.csv").read_text().splitlines()[-1].startswith("2,")


def test_generate_extends_the_dataset_with_the_new_samples(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(3)]
    report = generate(tasks, out=tmp_path, models=[ReplayBackend(script(PATTERN), model="cheap")],
                      verifier=MarkerVerifier(), sample=SampleConfig(n=2))
    assert report.rows == 1
    more = ReplayBackend(script(PATTERN), model="cheap")
    report = generate(tasks, out=tmp_path, models=[more], verifier=MarkerVerifier(),
                      sample=SampleConfig(n=4))
    assert drawn(more) == {(f"T/{i}", k) for i in range(3) for k in (2, 3)}
    assert report.rows == 2 and report.new_rows == {"cheap": 1}
    rows = lines(tmp_path / "dataset.jsonl")
    assert sorted((r["task_id"], r["sample_index"]) for r in rows) == [("T/0", 0), ("T/1", 2)]


def test_kill_9_during_an_extension_then_rerun_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    from tests.unit import kill_driver
    from tests.unit.test_dataset import ROOT, _by_key, without_time

    reference = tmp_path / "reference"
    kill_driver.run(reference, None, n=4)
    out = tmp_path / "extended"
    kill_driver.run(out, None, n=2)
    samples = out / "run" / "replay-kill" / "samples.jsonl"
    before = len(lines(samples))
    command = [sys.executable, "-m", "tests.unit.kill_driver", str(out), "150", "4"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kill_driver.sigkill_when(proc, lambda: len(samples.read_text().splitlines()) >= before + 4)
    assert proc.returncode == -signal.SIGKILL
    assert json.loads((out / "run" / "replay-kill" / MANIFEST).read_text())["n"] == 2
    rerun = subprocess.run(command[:4] + ["", "4"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    keys = [(s["task_id"], s["sample_index"]) for s in lines(samples)]
    assert len(keys) == len(set(keys)) == kill_driver.TASKS * 4
    # The same rows as a run drawn to 4 at once; each says the n of the call that wrote it.
    def rows(path: Path) -> list[dict[str, object]]:
        return [{k: v for k, v in r.items() if k != "n"} for r in _by_key(without_time(lines(path)))]

    assert rows(out / "dataset.jsonl") == rows(reference / "dataset.jsonl")
    assert json.loads((out / "run" / "replay-kill" / MANIFEST).read_text())["n"] == 4


def test_generate_with_another_model_adds_its_rows_and_redraws_nothing(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(3)]
    generate(tasks, out=tmp_path, models=[ReplayBackend(script(PATTERN), model="a")],
             verifier=MarkerVerifier(), sample=SampleConfig(n=4))
    again = ReplayBackend(script(PATTERN), model="a")
    other = ReplayBackend(script({0: [False] * 4, 1: [True] * 4, 2: [True] * 4}), model="b")
    report = generate(tasks, out=tmp_path, models=[again, other], verifier=MarkerVerifier(),
                      sample=SampleConfig(n=4))
    assert drawn(again) == set() and len(drawn(other)) == 12
    # b's answer to T/1 is a's, already a row (rows are distinct solutions).
    assert report.new_rows == {"a": 0, "b": 1}
    assert sorted((r["model"], r["task_id"]) for r in lines(tmp_path / "dataset.jsonl")) == [
        ("a", "T/0"), ("a", "T/1"), ("b", "T/2")]
