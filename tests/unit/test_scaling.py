"""Scaling experiments: pass@k tables with bootstrap intervals, the power-law fit,
passk.csv recomputed from samples.jsonl, several models in one figure, the CLI."""

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from sampler.backends.replay import ReplayBackend
from sampler.cli import main
from sampler.config import SampleConfig
from sampler.experiments.powerlaw import fit_power_law
from sampler.experiments.runs import model_slug
from sampler.experiments.scale import analyse_run, scale
from sampler.experiments.scaling import (TaskCounts, bootstrap_interval, passk_table,
                                         passk_table_from_samples, table_from_csv, table_to_csv)
from sampler.passk import pass_at_k
from tasks.errors import InputError, TaskFormatError
from tasks.schema import write_tasks
from tests.unit import fakes
from tests.unit.fakes import MarkerVerifier, fenced, make_task

RIGHT = "def f{i}(x: int) -> int:\n    return x + {i}  # correct\n"
WRONG = "def f{i}(x: int) -> int:\n    return x\n"


def script(pattern: dict[int, list[bool]]) -> dict[str, list[str]]:
    return {f"T/{i}": [fenced((RIGHT if ok else WRONG).format(i=i)) for ok in oks]
            for i, oks in pattern.items()}


task_counts = st.integers(1, 12).flatmap(
    lambda n: st.lists(st.integers(0, n).map(lambda c: TaskCounts("t", n, c, 10 * n)),
                       min_size=1, max_size=15))


@settings(max_examples=60, deadline=None)
@given(task_counts)
def test_table_is_monotone_and_its_interval_holds_the_estimate(counts: list[TaskCounts]) -> None:
    rows = passk_table(counts)
    n = counts[0].n
    assert [r.k for r in rows] == list(range(1, n + 1))
    for row in rows:
        expected = sum(pass_at_k(c.n, c.passed, row.k) for c in counts) / len(counts)
        assert row.pass_at_k == pytest.approx(expected, abs=1e-12)
        assert 0.0 <= row.ci_low <= row.pass_at_k + 1e-12
        assert row.pass_at_k <= row.ci_high + 1e-12 and row.ci_high <= 1.0
        assert row.mean_tokens == pytest.approx(10 * row.k)
    for earlier, later in zip(rows, rows[1:]):
        assert earlier.pass_at_k <= later.pass_at_k + 1e-12
        assert earlier.ci_low <= later.ci_low + 1e-12
        assert earlier.ci_high <= later.ci_high + 1e-12
    assert table_from_csv(table_to_csv(rows)) == rows  # exact round trip through text


def test_bootstrap_is_seeded_and_matches_its_definition() -> None:
    values = np.array([[0.0], [0.0], [1.0], [1.0], [0.5]])
    low, high = bootstrap_interval(values, resamples=4000, seed=7)
    again = bootstrap_interval(values, resamples=4000, seed=7)
    assert np.array_equal(low, again[0]) and np.array_equal(high, again[1])
    # Against a direct simulation of the percentile bootstrap with the same generator.
    rng = np.random.default_rng(7)
    picks = rng.integers(0, 5, size=(4000, 5))
    means = values[picks, 0].mean(axis=1)
    assert low[0] == np.percentile(means, 2.5) and high[0] == np.percentile(means, 97.5)
    # A constant column has a zero-width interval; a spread one does not.
    flat_low, flat_high = bootstrap_interval(np.full((6, 1), 0.25))
    assert flat_low[0] == flat_high[0] == 0.25
    assert high[0] - low[0] > 0.3


def test_table_rejects_empty_and_ragged_k() -> None:
    with pytest.raises(InputError):
        passk_table([])
    with pytest.raises(InputError):
        passk_table([TaskCounts("a", 4, 1, 4), TaskCounts("b", 2, 1, 2)], max_k=3)
    # Tasks with different sample counts: k runs to the fewest.
    assert [r.k for r in passk_table([TaskCounts("a", 4, 1, 4), TaskCounts("b", 2, 1, 2)])] == [1, 2]


@settings(max_examples=40, deadline=None)
@given(st.floats(-4.0, -0.02), st.floats(-1.5, -0.05), st.integers(4, 64))
def test_power_law_fit_recovers_known_parameters(a: float, b: float, n: int) -> None:
    ks = np.arange(1, n + 1)
    coverage = np.exp(a * ks ** b)
    fit = fit_power_law(ks, coverage)
    assert fit.status == "ok" and fit.points == n
    assert fit.a == pytest.approx(a, rel=1e-6) and fit.b == pytest.approx(b, rel=1e-6, abs=1e-8)
    assert fit.predict(1000) == pytest.approx(math.exp(a * 1000 ** b), rel=1e-6)


def test_power_law_fit_under_noise_and_at_the_edges() -> None:
    ks = np.arange(1, 33)
    rng = np.random.default_rng(3)
    noisy = np.clip(np.exp(-1.5 * ks ** -0.5) * (1 + 0.01 * rng.standard_normal(ks.size)), 0, 1)
    fit = fit_power_law(ks, noisy)
    assert fit.a == pytest.approx(-1.5, rel=0.05) and fit.b == pytest.approx(-0.5, rel=0.05)
    assert fit.rmse_log is not None and fit.rmse_log < 0.03
    # Least squares in log space: no worse than the straight-line start it refines.
    straight = np.polyfit(np.log(ks), np.log(-np.log(noisy)), 1)
    start_a, start_b = -math.exp(straight[1]), straight[0]
    start_cost = float(np.sum((start_a * ks ** start_b - np.log(noisy)) ** 2))
    assert fit.rmse_log ** 2 * ks.size <= start_cost + 1e-15
    assert fit_power_law([1, 2, 4], [0, 0, 0]).predict(100) == 0.0
    assert fit_power_law([1, 2, 4], [1, 1, 1]).predict(100) == 1.0
    one_point = fit_power_law([1], [0.4])
    assert one_point.status == "too-few-points" and one_point.predict(100) is None
    doc = fit.to_json()
    predictions = doc["predictions"]
    assert doc["status"] == "ok" and isinstance(predictions, dict)
    assert set(predictions) == {"100", "1000", "10000"}
    with pytest.raises(InputError):
        fit_power_law([1, 2], [0.5, 1.5])
    with pytest.raises(InputError):
        fit_power_law([1, 2], [0.5])


def test_scale_writes_tables_recomputable_from_samples(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(4)]
    pattern = {0: [True, False, False, True], 1: [False] * 4, 2: [True] * 4, 3: [False, False, True, False]}
    backend = ReplayBackend(script(pattern), model="cheap")
    report = scale(tasks, out=tmp_path, models=[backend], verifier=MarkerVerifier(),
                   sample=SampleConfig(n=4, temperature=0.6))
    # pass@k needs samples drawn alike: no greedy first sample in a scaling run.
    assert {r.temperature for r in backend.requests_seen} == {0.6}
    run_dir = tmp_path / "cheap"
    text = (run_dir / "passk.csv").read_text()
    assert text.splitlines()[0] == "k,pass_at_k,ci_low,ci_high,mean_tokens"
    assert text == table_to_csv(passk_table_from_samples(run_dir / "samples.jsonl"))
    rows = table_from_csv(text)
    assert [r.k for r in rows] == [1, 2, 3, 4]
    assert rows[0].pass_at_k == pytest.approx((2 / 4 + 0 + 1 + 1 / 4) / 4)
    assert rows[-1].pass_at_k == pytest.approx(3 / 4)  # coverage at N: solved / tasks
    samples = [json.loads(x) for x in (run_dir / "samples.jsonl").read_text().splitlines()]
    assert rows[1].mean_tokens == pytest.approx(2 * sum(s["tokens"] for s in samples) / 16)
    fit = json.loads((run_dir / "fit.json").read_text())
    assert fit["model"] == "cheap" and fit["status"] == "ok" and fit["max_k"] == 4
    assert 0.75 <= fit["predictions"]["1000"] <= 1.0
    assert (tmp_path / "scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert report.runs[0].samples == 16 and report.runs[0].passes == 7
    # Its run.json made unreadable: the analysis names the file (it was a traceback).
    (run_dir / "run.json").write_bytes(b"\xff")
    with pytest.raises(TaskFormatError, match="run.json: bad JSON"):
        analyse_run(run_dir)


def test_a_second_model_in_the_same_dir_joins_the_figure_and_reruns_resume(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(3)]
    cheap = {i: [i == 0, False, True] for i in range(3)}
    strong = {i: [True, True, i != 2] for i in range(3)}
    scale(tasks, out=tmp_path, models=[ReplayBackend(script(cheap), model="org/cheap")],
          verifier=MarkerVerifier(), sample=SampleConfig(n=3))
    verifier = MarkerVerifier()
    report = scale(tasks, out=tmp_path,
                   models=[ReplayBackend(script(cheap), model="org/cheap"),
                           ReplayBackend(script(strong), model="org/strong")],
                   verifier=verifier, sample=SampleConfig(n=3))
    assert [c[0] for c in verifier.calls] == ["T/0", "T/1", "T/2"]  # only the new model sampled
    assert [a.model for a in report.analyses] == ["org/cheap", "org/strong"]
    assert [a.run_dir.name for a in report.analyses] == ["org-cheap", "org-strong"]
    assert report.analyses[1].rows[0].pass_at_k == pytest.approx(8 / 9)


def test_model_slugs_are_safe_and_distinct() -> None:
    assert model_slug("smollm2-135m") == "smollm2-135m"
    assert model_slug("org/name") == "org-name"
    long_a, long_b = "replay:/" + "x" * 80 + "/a.jsonl", "replay:/" + "x" * 80 + "/b.jsonl"
    assert model_slug(long_a) != model_slug(long_b) and len(model_slug(long_a)) <= 60
    assert "/" not in model_slug("../../etc") and not model_slug("../../etc").startswith(".")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return fakes.run_cli(*args, timeout=120)


def test_cli_scale_with_replay_model_and_real_sandbox(tmp_path: Path) -> None:
    tasks_file = tmp_path / "tasks.jsonl"
    write_tasks(tasks_file, [make_task(i) for i in range(2)])
    replay = tmp_path / "replay.jsonl"
    bodies = {0: ["return x", "return x - 1", "return x + 0"], 1: ["return x", "return x", "return x + 1"]}
    replay.write_text("".join(
        json.dumps({"task_id": f"T/{i}", "completion": fenced(f"def f{i}(x: int) -> int:\n    {b}\n")}) + "\n"
        for i, bs in bodies.items() for b in bs))
    out = tmp_path / "scale"
    proc = run_cli("scale", str(tasks_file), "-n", "3", "--model", f"replay:{replay}", "--out", str(out),
                   "--quiet")
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = [d for d in out.iterdir() if d.is_dir()]
    rows = table_from_csv((run_dir / "passk.csv").read_text())
    assert rows[0].pass_at_k == pytest.approx((2 / 3 + 1 / 3) / 2) and rows[-1].pass_at_k == 1.0
    assert (out / "scaling.png").is_file() and (run_dir / "fit.json").is_file()
    assert "coverage@N" in proc.stderr and "figure:" in proc.stderr


def test_cli_scale_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tasks_file = tmp_path / "tasks.jsonl"
    write_tasks(tasks_file, [make_task(0)])
    replay = tmp_path / "replay.jsonl"
    replay.write_text(json.dumps({"task_id": "T/0", "completion": "x"}) + "\n")
    out = str(tmp_path / "out")
    for args, needle in [
        (("scale", str(tasks_file), "-n", "0", "--out", out), "n must be in [1, 100000]"),
        (("scale", str(tasks_file), "--model", f"replay:{replay}", "--model", f"replay:{replay}",
          "--out", out), "given twice"),
        (("scale", str(tasks_file), "--limit", "0", "--model", f"replay:{replay}", "--out", out), "--limit"),
        (("scale", "--suite", "nope", "--model", f"replay:{replay}", "--out", out), "unknown suite"),
        (("scale", str(tasks_file), "--model", "replay:/no/such.jsonl", "--out", out), "no such file"),
    ]:
        code = main(list(args))
        err = capsys.readouterr().err
        assert code == 2, err
        assert needle in err.strip().splitlines()[-1], err
