"""``verify``: a file of candidates checked against their tasks, verdicts appended as
they come and kept for a rerun; and the checks ``solve`` and the experiments build.

Kept apart from the solve loop so ``bestofn verify`` loads none of it: the escalation
prompts, the selection and numpy cost about 0.1 s of a run that takes 1.5 s.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import as_completed
from pathlib import Path
from typing import Any

from sampler.core.verify_threads import verify_threads
from sampler.storage.candidate_file import load_candidates
from sampler.storage.store import JsonlAppender, read_records
from sampler.terminal.progress import NullProgress, Progress
from tasks.errors import InputError
from tasks.registry import select_tasks
from tasks.types import Task
from verifiers.types import Candidate, Status, Verdict, Verifier

VERIFY_TASKS_AT_ONCE = 2
"""``verify`` keeps this many tasks in the verifier at once (more if it says it takes more)."""

def default_verifier(stages: Sequence[str] | None = None, *, pin: bool = False) -> Verifier:
    """The cheap-first pipeline (syntax, tests, mypy, properties), each stage where it applies.

    ``stages`` picks a subset by name; unknown names raise ``UnknownNameError``.
    ``pin``: sandbox slots pinned to cores, for processes that run no engine.
    """
    from verifiers.pipeline import make_pipeline

    return make_pipeline(stages, pin=pin)


def stage_stats(verifier: Verifier) -> dict[str, dict[str, Any]]:
    """Per-stage counts and seconds, for verifiers that keep them (the pipeline)."""
    stats = getattr(verifier, "stats_dict", None)
    return dict(stats()) if callable(stats) else {}


def close_if_closable(obj: object) -> None:
    """Verifiers need not have ``close``; the ones built here (the pipeline) do."""
    close = getattr(obj, "close", None)
    if callable(close):
        close()


def verdict_digest(task: Task, candidate: Candidate) -> str:
    """What a verdict line was reached on: the task's text and the candidate's."""
    text = f"{task.digest()}\0{candidate.source}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def verify(
    tasks: str | Path | Sequence[Task],
    candidates: str | Path | Sequence[Candidate],
    *,
    out: str | Path,
    verifier: Verifier | None = None,
    verifiers: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> list[Verdict]:
    """Verify candidates; one verdict line per candidate is appended to ``out``.

    Candidates already in ``out`` (by task_id and candidate_id) with a verdict from the
    same checks (``checks``: the verifier's name) on the same text (``digest``: of the
    task's and the candidate's) are not verified again, so an interrupted verify
    resumes; other checks, other text, or an ``error`` verdict, verify again (the later
    line supersedes). Returns every candidate's verdict, in the order given: those
    kept from an earlier run are read back from ``out``.
    """
    task_list = select_tasks(tasks)
    by_id = {t.task_id: t for t in task_list}
    cand_list = (load_candidates(Path(candidates), by_id)
                 if isinstance(candidates, (str, Path)) else list(candidates))
    out_path = Path(out)
    _refuse_foreign_out(out_path, [Path(p) for p in (tasks, candidates) if isinstance(p, (str, Path))])
    own_verifier = verifier is None
    # No engine shares this process's cores here, so the sandbox slots may pin theirs.
    active = verifier if verifier is not None else default_verifier(verifiers, pin=True)
    # A verdict counts as done only if the same checks produced it (a rerun with other
    # --verifiers verifies again), on the same task and candidate text (an id reused for
    # other text kept its old verdict: red team) and it is not an infrastructure error
    # (retried).
    done = {(obj["task_id"], obj["candidate_id"], obj["digest"]): obj
            for _, obj in read_records(out_path) if _keepable(obj, active.name)}
    digests = {(c.task_id, c.candidate_id): verdict_digest(by_id[c.task_id], c) for c in cand_list}
    todo = [c for c in cand_list if (c.task_id, c.candidate_id, digests[c.task_id, c.candidate_id]) not in done]
    groups: dict[str, list[Candidate]] = {}
    for cand in todo:
        groups.setdefault(cand.task_id, []).append(cand)
    bar = progress or NullProgress()
    appender = JsonlAppender(out_path)
    by_task: dict[str, list[Verdict]] = {}
    # Tasks are verified concurrently, as the solve loop does: one task's few candidates
    # leave sandbox slots idle while its last one runs (328 HumanEval candidates, two per
    # task: 3.4 s one task at a time, 2.0 s with the slots kept fed).
    threads = max(VERIFY_TASKS_AT_ONCE, int(getattr(active, "parallelism", 0) or 0))
    try:
        bar.start(total=len(cand_list), already_done=len(cand_list) - len(todo))
        prefetch = getattr(active, "prefetch", None)
        if callable(prefetch):  # every task is known up front: checks may prepare ahead
            prefetch([by_id[task_id] for task_id in groups])
        with verify_threads(threads) as pool:
            futures = {pool.submit(active.verify, by_id[task_id], group): task_id
                       for task_id, group in groups.items()}
            try:
                for future in as_completed(futures):
                    batch = future.result()
                    appender.append(
                        {"task_id": v.task_id, "candidate_id": v.candidate_id, "status": v.status.value,
                         "detail": v.detail, "seconds": round(v.seconds, 4), "verifier": v.verifier,
                         "checks": active.name, "digest": digests[v.task_id, v.candidate_id]}
                        for v in batch
                    )
                    by_task[futures[future]] = batch
                    bar.advance(len(batch), sum(v.passed for v in batch))
            finally:
                for future in futures:
                    future.cancel()  # after a failure or Ctrl-C: start no further task
    finally:
        bar.close()
        appender.close()
        if own_verifier:
            close_if_closable(active)
    fresh = {(v.task_id, v.candidate_id): v for batch in by_task.values() for v in batch}
    return [fresh.get((c.task_id, c.candidate_id))
            or _kept_verdict(done[c.task_id, c.candidate_id, digests[c.task_id, c.candidate_id]])
            for c in cand_list]


_KEPT_STATUSES = frozenset(s.value for s in Status if s is not Status.ERROR)
"""Verdicts a rerun keeps: an infrastructure ``error`` (or a line no run wrote) is redone."""


_VERDICT_KEYS = ("task_id", "candidate_id", "status")
_LOOKED_AT = 100
"""Lines of an existing ``--out`` read before appending to it: a foreign file shows itself at once."""


def _refuse_foreign_out(out: Path, inputs: Sequence[Path]) -> None:
    """``verify --out`` appends verdicts: only to a verdicts file (each of its first lines a
    verdict, the last perhaps torn by a crash), never to its inputs, a run's records or
    any other file (each was left unreadable to the next command, after an exit 0: two
    red teams; a run's pretty-printed run.json, a gzip file, a prior)."""
    for path in inputs:
        try:
            same = out.exists() and path.exists() and out.samefile(path)
        except OSError:
            same = False
        if same:
            raise InputError(f"{out}: --out is one of verify's own inputs; choose another file")
    try:
        if not out.is_file():
            return  # none yet (a directory or worse is refused when it is opened)
        with out.open("rb") as handle:
            lines = [line for line in (handle.readline(1 << 20) for _ in range(_LOOKED_AT)) if line]
    except OSError:
        return  # the appender says why it cannot be written
    torn_last = bool(lines) and not lines[-1].endswith(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            if number == len(lines) and torn_last:
                continue  # a crash's torn last line: the appender mends it
            obj = None
        # The keys, whatever their values: a hand-edited verdict is redone, not refused (red team).
        if not isinstance(obj, dict) or not all(key in obj for key in _VERDICT_KEYS) \
                or "sample_index" in obj or "solved" in obj:
            raise InputError(f"{out}:{number}: --out holds lines that are not verdicts (tasks, candidates or "
                             "a run's records?); choose another file")


def _keepable(line: dict[str, Any], checks: str) -> bool:
    """A line a rerun keeps: written by these checks, whole (a hand-edited line with a
    list for a status or an id crashed the rerun: red team), and not an ``error``."""
    return (line.get("checks") == checks and type(line.get("status")) is str
            and line["status"] in _KEPT_STATUSES
            and all(type(line.get(key)) is str for key in ("task_id", "candidate_id", "digest")))


def _kept_verdict(line: dict[str, Any]) -> Verdict:
    """A verdict an earlier run wrote, read back."""
    seconds = line.get("seconds")
    try:
        spent = float(seconds) if isinstance(seconds, (int, float)) else 0.0
    except OverflowError:  # an int past float's range
        spent = 0.0
    return Verdict(line["task_id"], line["candidate_id"], str(line.get("verifier", "")),
                   Status(line["status"]), str(line.get("detail", "")), spent)
