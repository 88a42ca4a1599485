import json
from pathlib import Path

import pytest

from tasks.errors import ConfigError, TaskFormatError, UnknownNameError
from tasks.registry import load_suite, select_tasks
from tasks.schema import load_tasks, task_to_dict, write_tasks
from tests.unit.fakes import make_task


def test_round_trip(tmp_path: Path) -> None:
    tasks = [make_task(i) for i in range(3)]
    write_tasks(tmp_path / "t.jsonl", tasks)
    assert load_tasks(tmp_path / "t.jsonl") == tasks


@pytest.mark.parametrize("lines, message", [
    (["{not json"], ":1: bad JSON"),
    ([json.dumps({"task_id": "a"})], "missing field 'prompt'"),
    (["[1, 2]"], "expected a JSON object"),
])
def test_bad_lines_name_the_line(tmp_path: Path, lines: list[str], message: str) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text("\n" + "\n".join(lines) + "\n")
    with pytest.raises(TaskFormatError, match=message.replace(":1:", ":2:")):
        load_tasks(path)


@pytest.mark.parametrize("name, why", [
    ("class", "is not a Python identifier a function can have"), ("None", "is not a Python identifier"),
    ("lambda", "is not a Python identifier"), ("1f", "is not a Python identifier"),
    ("f-g", "is not a Python identifier"),
    # The checks share the prompt's namespace: `def len` turned the property check off, `exec`
    # made every verdict an infrastructure error (red team).
    ("len", "is a name Python itself defines"), ("exec", "is a name Python itself defines"),
    ("__builtins__", "is a name Python itself defines"), ("__init__", "is a name Python itself defines"),
])
def test_an_entry_point_no_task_function_can_have_is_refused(tmp_path: Path, name: str, why: str) -> None:
    """A keyword passed as an identifier, and every candidate then failed (red team)."""
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({**task_to_dict(make_task(1)), "entry_point": name}) + "\n")
    with pytest.raises(TaskFormatError, match=why):
        load_tasks(path)


def test_duplicate_ids_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    row = json.dumps(task_to_dict(make_task(1)))
    path.write_text(row + "\n" + row + "\n")
    with pytest.raises(TaskFormatError, match=":2: duplicate task_id"):
        load_tasks(path)
    with pytest.raises(TaskFormatError, match="no such file"):
        load_tasks(tmp_path / "missing.jsonl")


def test_humaneval_suite_and_limit() -> None:
    tasks = load_suite("humaneval")
    assert len(tasks) == 164 and tasks[0].task_id == "HumanEval/0"
    assert all(t.canonical_solution for t in tasks)
    assert [t.task_id for t in select_tasks(suite="humaneval", limit=2)] == ["HumanEval/0", "HumanEval/1"]
    held_out = select_tasks(suite="humaneval", skip=40, limit=40)
    assert [held_out[0].task_id, held_out[-1].task_id, len(held_out)] == ["HumanEval/40", "HumanEval/79", 40]
    assert select_tasks(tasks[:5], skip=3) == tasks[3:5]
    with pytest.raises(ConfigError, match="--skip must be >= 0"):
        select_tasks(suite="humaneval", skip=-1)
    # A slice past the end ran 0 tasks without a word (red team).
    with pytest.raises(ConfigError, match="--skip 164 leaves no task: there are 164"):
        select_tasks(suite="humaneval", skip=164)
    assert [t.task_id for t in select_tasks(suite="humaneval", skip=163)] == ["HumanEval/163"]
    with pytest.raises(UnknownNameError, match="unknown suite"):
        load_suite("nope")


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    from tasks.errors import TaskFormatError
    from tasks.schema import load_tasks

    path = tmp_path / "tasks.jsonl"
    path.write_bytes(b'\n{"task_id": "a\xff", "prompt": "", "entry_point": "f", "test": ""}\n')
    with pytest.raises(TaskFormatError, match=r"tasks.jsonl:2: not UTF-8 \(byte 14"):
        load_tasks(path)


def test_lone_surrogates_are_written_and_read_back(tmp_path: Path) -> None:
    from sampler.storage.store import JsonlAppender, read_records

    appender = JsonlAppender(tmp_path / "v.jsonl")
    appender.append([{"candidate_id": "c\ud800", "detail": "boom \udfff"}])
    appender.close()
    [(_, obj)] = list(read_records(tmp_path / "v.jsonl"))
    assert obj == {"candidate_id": "c\ud800", "detail": "boom \udfff"}


def test_lines_past_jsons_limits_and_a_fifo_are_bad_input(tmp_path: Path) -> None:
    """Deep nesting and ints of more than 4,300 digits gave tracebacks; a FIFO given as
    the file waited for a writer for ever (red team)."""
    import os

    row = task_to_dict(make_task(1))
    path = tmp_path / "t.jsonl"
    for extra in ("[" * 100_000, "9" * 5000):
        path.write_text(json.dumps(row)[:-1] + ', "extra": ' + extra + "}\n")
        with pytest.raises(TaskFormatError, match=":1: bad JSON"):
            load_tasks(path)
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(TaskFormatError, match="not a regular file"):
        load_tasks(fifo)


def test_a_byte_order_mark_opens_a_file_as_windows_editors_write_it(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    line = json.dumps(task_to_dict(make_task(1))) + "\n"
    path.write_bytes(b"\xef\xbb\xbf" + line.encode() + json.dumps(task_to_dict(make_task(2))).encode() + b"\n")
    assert [t.task_id for t in load_tasks(path)] == ["T/1", "T/2"]
    path.write_bytes(line.encode() + b"\xef\xbb\xbf" + line.encode())  # only the first line may have one
    with pytest.raises(TaskFormatError, match=":2: bad JSON"):
        load_tasks(path)


def test_a_prompt_no_candidate_could_carry_is_bad_input() -> None:
    """Every candidate carries the prompt: one of a million characters failed each as too long."""
    from tasks.program import MAX_CANDIDATE_CHARS
    from tasks.schema import task_from_dict

    row = {**task_to_dict(make_task(1)), "prompt": "#" * MAX_CANDIDATE_CHARS + "\ndef f1(x):\n    pass\n"}
    with pytest.raises(TaskFormatError, match="prompt is"):
        task_from_dict(row, "t:1")
