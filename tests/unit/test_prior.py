"""A prior trained on earlier runs: its file, and the routing it makes possible."""

import json
import math
import os
from pathlib import Path

import pytest

from sampler.backends.replay import ReplayBackend
from sampler.cli import main
from sampler.config import BudgetConfig, BudgetPolicy, EscalationConfig, SampleConfig, TierPrice
from sampler.config import Prior
from sampler.core.api import solve
from sampler.policy.prior import load_prior, prompt_length_covariate, save_prior, train_prior
from tasks.errors import ConfigError
from tasks.schema import write_tasks
from tasks.types import Task
from tests.unit.fakes import MarkerVerifier, make_task
from tests.unit.test_escalation import strong_script
from tests.unit.test_loop import _with_prompt_words, script

# Short prompts pass often, long ones never: what an earlier run of the cheap model saw.
PATTERN = {i: [i < 4 and j % 2 == 0 for j in range(6)] for i in range(8)}


def _tasks() -> list[Task]:
    return [make_task(i) if i < 4 else _with_prompt_words(make_task(i), 60) for i in range(8)]


def _earlier_run(out: Path) -> Path:
    solve(_tasks(), out=out, backend=ReplayBackend(script(PATTERN), model="cheap"),
          verifier=MarkerVerifier(), sample=SampleConfig(n=6), stop_on_first_pass=False)
    return out


def test_restandardising_keeps_the_prior_a_function_of_the_raw_covariate() -> None:
    prior = Prior(alpha=-1.0, log_kappa=0.5, slope=-0.8, centre=4.0, scale=0.5)
    moved = prior.restandardised(3.0, 2.0)
    for x in (2.0, 3.7, 5.5):
        assert moved.at(x) == pytest.approx(prior.at(x))


def test_trained_prior_learns_long_prompts_fail_and_round_trips_through_its_file(tmp_path: Path) -> None:
    run = _earlier_run(tmp_path / "earlier")
    tasks = {t.task_id: t for t in _tasks()}
    prior, count, model = train_prior([run], tasks, default=(0.2, 1.0))
    assert count == 8 and model == "cheap"
    short, long = (prior.at(prompt_length_covariate(tasks[t].prompt)) for t in ("T/0", "T/7"))
    assert short[0] / sum(short) > 0.3 > 0.05 > long[0] / sum(long)
    save_prior(tmp_path / "prior.json", prior, model=model, runs=[str(run)])
    assert load_prior(tmp_path / "prior.json") == prior == load_prior(tmp_path / "prior.json", "cheap")
    with pytest.raises(ConfigError, match="trained on cheap's runs, not other's"):
        load_prior(tmp_path / "prior.json", "other")


def test_a_sample_recorded_again_by_a_rerun_counts_once(tmp_path: Path) -> None:
    run = _earlier_run(tmp_path / "earlier")
    tasks = {t.task_id: t for t in _tasks()}
    before = train_prior([run], tasks, default=(0.2, 1.0))
    samples = run / "samples.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    samples.write_text("".join(lines) + "".join(lines[:5]))  # the same candidates, again
    assert train_prior([run], tasks, default=(0.2, 1.0)) == before


def test_training_and_loading_refuse_what_they_cannot_use(tmp_path: Path) -> None:
    run = _earlier_run(tmp_path / "earlier")
    with pytest.raises(ConfigError, match="not among the given tasks"):
        train_prior([run], {t.task_id: t for t in _tasks()[:3]}, default=(0.2, 1.0))
    with pytest.raises(ConfigError, match="not a run directory"):
        train_prior([tmp_path], {}, default=(0.2, 1.0))
    other = tmp_path / "other"
    solve(_tasks(), out=other, backend=ReplayBackend(script(PATTERN), model="another"),
          verifier=MarkerVerifier(), sample=SampleConfig(n=2), stop_on_first_pass=False)
    with pytest.raises(ConfigError, match="different models"):
        train_prior([run, other], {t.task_id: t for t in _tasks()}, default=(0.2, 1.0))
    bad = tmp_path / "bad.json"
    for text in ("{oops", '{"prior": {"alpha": 1}}', json.dumps({"prior": {
            "alpha": 0.0, "log_kappa": 0.0, "slope": 0.0, "centre": 0.0, "scale": 0.0}})):
        bad.write_text(text)
        with pytest.raises(ConfigError):
            load_prior(bad)
    with pytest.raises(ConfigError, match="no such file"):
        load_prior(tmp_path / "missing.json")
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # opened, it would wait for a writer (or, to write, a reader) for ever
    with pytest.raises(ConfigError, match="not a regular file"):
        load_prior(fifo)
    with pytest.raises(ConfigError, match="must be a regular file"):
        save_prior(fifo, Prior(alpha=0.2, log_kappa=0.0))


def test_a_trained_prior_sends_tasks_it_deems_hopeless_straight_to_the_strong_tier(tmp_path: Path) -> None:
    """The pre-generation router: with a prior from an earlier run, a long-prompt task is
    priced before its first sample, and a strong round (same price here, 2 samples, a
    1-in-4 prior chance) is the cheaper way to a solve, so no cheap sample is drawn for
    it. Short-prompt tasks still start cheap; without the trained prior every task does."""
    run = _earlier_run(tmp_path / "earlier")
    trained, _, _ = train_prior([run], {t.task_id: t for t in _tasks()}, default=(0.2, 1.0))
    outcomes = {}
    for name, prior in (("routed", trained), ("unrouted", None)):
        cheap = ReplayBackend(script(PATTERN), model="cheap")
        strong = ReplayBackend(strong_script({i: [True] * 2 for i in range(8)}), model="strong")
        report = solve(_tasks(), out=tmp_path / name, backend=cheap, strong_backend=strong,
                       verifier=MarkerVerifier(), sample=SampleConfig(n=6),
                       escalation=EscalationConfig(samples=2, rounds=1),
                       budget=BudgetConfig(policy=BudgetPolicy.ADAPTIVE, trained_prior=prior),
                       cheap_price=TierPrice(1.0, 1.0), strong_price=TierPrice(1.0, 1.0))
        assert report.summary.solved == 8
        outcomes[name] = ({r.task_id: r for r in report.results}, {r.key for r in cheap.requests_seen})
    routed, routed_cheap = outcomes["routed"]
    unrouted, unrouted_cheap = outcomes["unrouted"]
    long_tasks = {f"T/{i}" for i in range(4, 8)}
    assert not routed_cheap & long_tasks  # not one cheap sample for a long-prompt task
    # Solved by the strong round's first (greedy) sample, the rest of the round never
    # sent, with nothing cheap drawn first.
    assert all(routed[t].tier == "strong" and routed[t].samples_drawn == 1 for t in long_tasks)
    assert {f"T/{i}" for i in range(4)} <= routed_cheap
    assert long_tasks <= unrouted_cheap
    assert all(unrouted[t].samples_drawn > 1 for t in long_tasks)


def test_cli_trains_a_prior_and_solve_starts_from_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _earlier_run(tmp_path / "earlier")
    tasks_file = tmp_path / "tasks.jsonl"
    write_tasks(tasks_file, _tasks())
    prior_file = tmp_path / "prior.json"
    assert main(["prior", str(run), "--tasks", str(tasks_file), "--out", str(prior_file)]) == 0
    assert "prior trained on 8 task(s) of cheap" in capsys.readouterr().err
    saved = json.loads(prior_file.read_text())
    assert saved["tasks"] == 8 and saved["model"] == "cheap" and math.isfinite(saved["prior"]["slope"])
    assert main(["prior", str(run), "--out", str(prior_file)]) == 2
    assert "--tasks FILE or --suite" in capsys.readouterr().err
    assert main(["solve", str(tasks_file), "--prior-from", str(prior_file), "--out",
                 str(tmp_path / "x")]) == 2
    assert "--prior-from needs --budget adaptive" in capsys.readouterr().err
