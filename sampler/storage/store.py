"""Durable JSONL results: appended as produced, fsynced, never truncated; reruns resume.

A crash can leave a torn last line. Readers skip lines that do not parse, and the
appender first ends a torn line with a newline, so new records never merge into it.
Later lines win over earlier ones with the same key (a re-verified sample
supersedes its ``error`` verdict), so nothing is ever rewritten in place.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from sampler.storage.records import (
    SampleRecord,
    TaskResult,
    result_from_dict,
    sample_from_dict,
    to_json_dict,
)
from tasks.errors import ConfigError, InputError, TaskFormatError
from tasks.paths import is_special_file
from tasks.types import Task

RESULTS = "results.jsonl"
SAMPLES = "samples.jsonl"
MANIFEST = "run.json"
TASK_DIGESTS = "tasks.json"
"""Each task's digest (``Task.digest``) as the run first saw it: a rerun on edited tasks
is refused, as one with other settings is (red team: an edited test kept its old pass)."""
DRAWN_N = "n"
"""The manifest's record of samples per task drawn so far: the one setting a rerun may
change (raising it extends the run, lowering it reads a subset)."""


class JsonlAppender:
    """Appends JSON lines durably: each ``append`` is flushed and fsynced before it returns.
    One writer at a time: the file is locked while it is open, and a second run on the
    same output is refused (red team: two runs on one ``--out`` both did every task and
    wrote every line twice)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if is_special_file(path):
                raise InputError(f"{path}: not a regular file")
            self._handle: TextIO = path.open("a", encoding="utf-8")
        except OSError as exc:  # a file where a folder is due, a name too long, no room
            raise InputError(f"{path} cannot be written ({exc.strerror or exc})") from None
        try:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._handle.close()
            raise InputError(f"{path} is being written by another run; wait for it to end, "
                             "or use another --out") from None
        # Torn only now that no one else writes: a line another run was writing is not ours to mend.
        if path.stat().st_size > 0 and _last_byte(path) != b"\n":
            self._handle.write("\n")

    def append(self, objects: Iterable[dict[str, Any]]) -> None:
        lines = "".join(_json_line(obj) for obj in objects)
        if not lines:
            return
        self._handle.write(lines)
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def _json_line(obj: dict[str, Any]) -> str:
    """One JSON line that can always be written as UTF-8: text a candidate controls
    (an exception message, an id) may hold lone surrogates, which UTF-8 cannot carry;
    such a line is written with ASCII escapes instead (it reads back the same)."""
    line = json.dumps(obj, ensure_ascii=False) + "\n"
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(obj) + "\n"
    return line


def _last_byte(path: Path) -> bytes:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1)


def read_json_object(path: Path) -> dict[str, Any]:
    """A run's JSON file (``run.json``, ``tasks.json``) as an object; anything else is
    bad input with the reason (invalid UTF-8, nesting past json's limits and a
    directory in its place gave tracebacks: red team)."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError):  # bad JSON or bad UTF-8
        raise TaskFormatError(f"{path}: bad JSON; remove it or use a new --out") from None
    except OSError as exc:
        raise TaskFormatError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not isinstance(loaded, dict):
        raise TaskFormatError(f"{path}: not a JSON object; remove it or use a new --out")
    return loaded


def _write_json_object(path: Path, obj: dict[str, Any], indent: int) -> None:
    """Atomically: a reader (or a crash) never sees half a file."""
    tmp = path.with_suffix(".json.tmp")
    try:
        tmp.write_text(json.dumps(obj, indent=indent, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:  # a run directory one may not write to (red team: a traceback)
        raise InputError(f"{path} cannot be written ({exc.strerror or exc})") from None


def read_records(path: Path, *, warn: bool = True) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, object)`` for every parseable line; torn or corrupt lines are skipped (and
    counted on stderr, unless ``warn`` is False: a first look before the real read)."""
    try:
        if not path.exists():
            return
    except OSError as exc:  # a name too long
        raise TaskFormatError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not path.is_file():
        raise TaskFormatError(f"{path}: not a file")
    skipped = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except (ValueError, RecursionError):  # torn, or past json's limits (4,300 digits, deep nesting)
                skipped += 1
                continue
            if isinstance(obj, dict):
                yield f"{path}:{number}", obj
            else:
                skipped += 1
    if skipped and warn:
        print(f"bestofn: skipped {skipped} unreadable line(s) in {path} (torn by a crash?)",
              file=sys.stderr)


def read_results(path: Path) -> dict[str, TaskResult]:
    """``results.jsonl`` by task id. The last line wins: a task reopened by a larger n
    is decided again."""
    results: dict[str, TaskResult] = {}
    for where, obj in read_records(path):
        result = result_from_dict(obj, where)
        results[result.task_id] = result
    return results


def load_samples(path: Path) -> dict[str, dict[str, SampleRecord]]:
    """Samples by task and candidate id; later lines supersede earlier ones."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    samples: dict[str, dict[str, SampleRecord]] = {}
    for where, obj in read_records(path):
        sample = sample_from_dict(obj, where)
        samples.setdefault(sample.task_id, {})[sample.candidate_id] = sample
    return samples


class RunStore:
    """``DIR/results.jsonl`` (one line per finished task), ``DIR/samples.jsonl`` (one per
    sample) and ``DIR/run.json`` (the settings a resumed run must share)."""

    def __init__(self, out_dir: Path, fingerprint: dict[str, Any], n: int | None = None) -> None:
        """``fingerprint``: the settings that decide what a sample is (a rerun must share
        them). ``n``: samples per task this call asks for, which may differ from earlier
        calls': the manifest keeps the most any finished call drew (``drawn_n``)."""
        try:
            if out_dir.exists() and not out_dir.is_dir():
                raise InputError(f"--out {out_dir} exists and is not a directory")
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file on the path, a name too long, no permission
            raise InputError(f"--out {out_dir} cannot be made ({exc.strerror or exc})") from None
        self.dir = out_dir
        self._fingerprint = dict(fingerprint)
        self.drawn_n: int | None = None
        """Samples per task an earlier call drew (None: a new run)."""
        self._check_manifest(fingerprint, n)
        self.results = read_results(out_dir / RESULTS)
        self.samples: dict[str, dict[str, SampleRecord]] = {}
        for where, obj in read_records(out_dir / SAMPLES):
            sample = sample_from_dict(obj, where)
            self.samples.setdefault(sample.task_id, {})[sample.candidate_id] = sample
        self._results = JsonlAppender(out_dir / RESULTS)
        self._samples = JsonlAppender(out_dir / SAMPLES)

    def _check_manifest(self, fingerprint: dict[str, Any], n: int | None) -> None:
        path = self.dir / MANIFEST
        if path.exists():
            previous = read_json_object(path)
            drawn = previous.pop(DRAWN_N, None)
            if drawn is not None and (type(drawn) is not int or drawn < 1):
                # Ignored, it stopped a larger -n from reopening unsolved tasks, for good (red team).
                raise TaskFormatError(f"{path}: {DRAWN_N} must be a positive int, got {drawn!r}")
            self.drawn_n = drawn
            if previous != fingerprint:
                changed = sorted(k for k in set(previous) | set(fingerprint)
                                 if previous.get(k) != fingerprint.get(k))
                raise ConfigError(
                    f"{self.dir} holds a run with other settings ({', '.join(changed)}); "
                    "rerun with the same settings to resume, or use a new --out"
                )
            return
        # A new run: its tasks are decided with this call's n from the start.
        self.drawn_n = n
        self._write_manifest(n)

    def _write_manifest(self, drawn_n: int | None) -> None:
        path = self.dir / MANIFEST
        manifest = dict(self._fingerprint)
        if drawn_n is not None:
            manifest[DRAWN_N] = drawn_n
        _write_json_object(path, manifest, indent=2)

    def check_tasks(self, tasks: Iterable[Task]) -> None:
        """Refuse tasks whose text changed since this run first saw them (prompt, entry
        point, tests, reference); record the digests of tasks it has not seen."""
        path = self.dir / TASK_DIGESTS
        known: dict[str, Any] = {}
        if path.exists():
            known = read_json_object(path)
        digests = {t.task_id: t.digest()[:16] for t in tasks}
        changed = sorted(t for t, d in digests.items() if t in known and known[t] != d)
        if changed:
            shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
            raise ConfigError(f"{self.dir} holds a run on other text for {shown} (prompt, tests or "
                              "reference changed); rerun on the same tasks to resume, or use a new --out")
        if any(t not in known for t in digests):
            _write_json_object(path, {**known, **digests}, indent=1)

    def extends(self, n: int) -> bool:
        """Whether ``n`` samples per task asks for more than an earlier call drew."""
        return self.drawn_n is not None and n > self.drawn_n

    def reopen(self, task_id: str) -> None:
        """Decide ``task_id`` again (more samples were asked for): its samples stay and
        are reused; its new result line will supersede the old one."""
        self.results.pop(task_id, None)

    def finished(self, n: int) -> None:
        """Every task of this call is decided with up to ``n`` samples: record it, so a
        rerun with this ``n`` or less reopens nothing. Written only when the call
        completes, so a crash mid-extension leaves the extension to be redone (with
        the samples it drew kept)."""
        if self.drawn_n is None or n > self.drawn_n:
            self.drawn_n = n
            self._write_manifest(n)

    def is_done(self, task_id: str) -> bool:
        return task_id in self.results

    def record_samples(self, samples: Iterable[SampleRecord]) -> None:
        batch = list(samples)
        self._samples.append(to_json_dict(s) for s in batch)
        for sample in batch:
            self.samples.setdefault(sample.task_id, {})[sample.candidate_id] = sample

    def record_result(self, result: TaskResult) -> None:
        if result.task_id in self.results:
            raise ValueError(f"task {result.task_id!r} already has a result")
        self._results.append([to_json_dict(result)])
        self.results[result.task_id] = result

    def close(self) -> None:
        self._results.close()
        self._samples.close()
