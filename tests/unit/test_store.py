import dataclasses
import json
from pathlib import Path

import pytest

from sampler.storage.records import SampleRecord, TaskResult
from sampler.storage.store import RESULTS, SAMPLES, JsonlAppender, RunStore, read_records
from tasks.errors import ConfigError, InputError
from tests.unit.fakes import make_task


def sample(task: str, i: int, status: str = "failed") -> SampleRecord:
    return SampleRecord(task, i, f"s{i}", "m", status == "passed", status, 5, "src")


def test_records_survive_reopen_and_later_lines_win(tmp_path: Path) -> None:
    store = RunStore(tmp_path, {"seed": 2})
    store.record_samples([sample("a", 0, "error"), sample("a", 1)])
    store.record_result(TaskResult("b", False, None, "m", 2, 10, 1.0))
    store.close()
    again = RunStore(tmp_path, {"seed": 2})
    again.record_samples([sample("a", 0, "passed")])
    again.close()
    third = RunStore(tmp_path, {"seed": 2})
    assert third.is_done("b") and not third.is_done("a")
    assert third.samples["a"]["s0"].status == "passed"
    third.close()


def test_torn_last_line_is_skipped_and_never_merged(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n{"a": 2, "b"')
    appender = JsonlAppender(path)
    appender.append([{"a": 3}])
    appender.close()
    assert [obj["a"] for _, obj in read_records(path)] == [1, 3]
    assert path.read_text().startswith('{"a": 1}\n{"a": 2, "b"\n')


def test_other_settings_refuse_to_resume(tmp_path: Path) -> None:
    RunStore(tmp_path, {"seed": 2}).close()
    with pytest.raises(ConfigError, match="other settings \\(seed\\)"):
        RunStore(tmp_path, {"seed": 3})


def test_a_second_writer_on_the_same_output_is_refused(tmp_path: Path) -> None:
    """Two runs on one --out both did every task and wrote every line twice (red team)."""
    first = RunStore(tmp_path, {"seed": 2})
    with pytest.raises(InputError, match="being written by another run"):
        RunStore(tmp_path, {"seed": 2})
    first.close()
    RunStore(tmp_path, {"seed": 2}).close()  # free again once the first one is done


def test_edited_tasks_refuse_to_resume(tmp_path: Path) -> None:
    """A rerun after a task's test was edited kept the old pass (red team); a new task is fine."""
    store = RunStore(tmp_path, {"seed": 2})
    store.check_tasks([make_task(0), make_task(1)])
    store.close()
    store = RunStore(tmp_path, {"seed": 2})
    store.check_tasks([make_task(0), make_task(1), make_task(2)])  # same text, and one more task
    edited = dataclasses.replace(make_task(1), test=make_task(1).test + "    assert False\n")
    with pytest.raises(ConfigError, match="other text for T/1"):
        store.check_tasks([make_task(0), edited])
    store.close()


def test_result_written_once(tmp_path: Path) -> None:
    store = RunStore(tmp_path, {})
    result = TaskResult("a", True, "code", "m", 1, 1, 0.1, 1, "s0")
    store.record_result(result)
    with pytest.raises(ValueError):
        store.record_result(result)
    store.close()
    lines = (tmp_path / RESULTS).read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["solution"] == "code"
    assert not (tmp_path / SAMPLES).read_text()


def test_records_reject_contradictions() -> None:
    with pytest.raises(ValueError):
        TaskResult("a", True, None, "m", 1, 1, 0.1)
    with pytest.raises(ValueError):
        SampleRecord("a", 0, "s0", "m", True, "failed", 1, "")


def test_a_hand_edited_line_of_the_wrong_type_is_bad_input_where_it_is_read(tmp_path: Path) -> None:
    """A list for an id or a string for a count was taken in, crashed a rerun or the
    report far from where it was read, or reached the report's page unescaped (red team)."""
    from sampler.storage.records import sample_from_dict
    from sampler.storage.store import load_samples

    good = dataclasses.asdict(sample("T/0", 0))
    assert sample_from_dict(dict(good), "x") == sample("T/0", 0)
    assert sample_from_dict({**good, "verify_seconds": 1}, "x").verify_seconds == 1  # an int is a float
    for field, value in (("task_id", ["T/0"]), ("tokens", "<img src=x onerror=alert(1)>"), ("tokens", None),
                         ("passed", "true"), ("stage_seconds", {"tests": "x"}), ("tier", 5)):
        with pytest.raises(InputError, match=field):
            sample_from_dict({**good, field: value}, "x")
    path = tmp_path / SAMPLES
    path.write_text(json.dumps({**good, "tokens": "many"}) + "\n")
    with pytest.raises(InputError, match="tokens is str"):
        load_samples(path)


def test_lines_and_files_past_jsons_limits_are_skipped_or_refused(tmp_path: Path) -> None:
    from sampler.storage.store import read_json_object

    path = tmp_path / RESULTS
    path.write_text('{"n": ' + "9" * 5000 + "}\n" + "[" * 100_000 + "\n" + '{"ok": 1}\n')
    assert [obj for _, obj in read_records(path)] == [{"ok": 1}]  # a huge int and deep nesting: skipped
    bad = tmp_path / "run.json"
    for content in (b'{"a": "\xff"}', b"[" * 100_000):
        bad.write_bytes(content)
        with pytest.raises(InputError, match="bad JSON"):
            read_json_object(bad)
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(InputError, match="cannot be read"):
        read_json_object(tmp_path / "dir.json")


def test_a_manifest_n_that_is_no_count_is_refused(tmp_path: Path) -> None:
    """Ignored, a hand-edited n stopped a larger -n from ever reopening unsolved tasks."""
    RunStore(tmp_path, {"seed": 2}, n=2).close()
    manifest = tmp_path / "run.json"
    for bad in ("2", 0, True, None):
        manifest.write_text(json.dumps({"seed": 2, "n": bad}))
        if bad is None:
            RunStore(tmp_path, {"seed": 2}, n=3).close()  # no n yet: the run's own, as written before
            continue
        with pytest.raises(InputError, match="n must be a positive int"):
            RunStore(tmp_path, {"seed": 2}, n=3)


def test_a_dataset_row_of_the_wrong_type_is_bad_input(tmp_path: Path) -> None:
    from sampler.experiments.dataset import read_dataset

    path = tmp_path / "dataset.jsonl"
    path.write_text(json.dumps({"task_id": "T/0", "solution_hash": "h", "tokens": "many"}) + "\n")
    with pytest.raises(InputError, match="tokens is str"):
        read_dataset(path)


def test_outputs_that_cannot_be_written_are_bad_input(tmp_path: Path) -> None:
    """A file where a folder is due, a name too long, a directory or FIFO for a prior's
    --out: tracebacks, or a wait for a reader for ever (red team)."""
    import os

    from sampler.config import Prior
    from sampler.policy.prior import save_prior

    (tmp_path / "file").write_text("x")
    for bad in (tmp_path / "file" / "o.jsonl", tmp_path / ("a" * 300)):
        with pytest.raises(InputError, match="cannot be"):
            JsonlAppender(bad)
    with pytest.raises(InputError, match="cannot be read"):
        list(read_records(tmp_path / ("a" * 300)))
    with pytest.raises(InputError, match="cannot be made"):
        RunStore(tmp_path / "file" / "run", {})
    os.mkfifo(tmp_path / "fifo")
    for bad in (tmp_path, tmp_path / "fifo", tmp_path / "nowhere" / "p.json"):
        with pytest.raises(InputError):
            save_prior(bad, Prior(0.0, 0.0))
