"""A sandbox launched ahead (``bestofn verify`` starts it before its imports) is taken over by the pool."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from sampler.cli import main
from tasks.errors import SandboxError
from verifiers import sandbox, sandbox_servers
from verifiers.sandbox import SandboxPool, launch_ahead
from verifiers.sandbox_servers import UIDS, processes_of
from verifiers.types import Candidate, Status
from tests.unit.test_sandbox import DOUBLE, FAST, GOOD


def _uids(slots: list[sandbox._Slot]) -> set[int]:
    return {uid for slot in slots for uid in (slot.candidate_uid, slot.test_uid)}


def test_the_next_pool_with_the_same_settings_takes_over_the_launched_servers() -> None:
    launch_ahead(workers=1)
    assert sandbox._launched is not None
    launched = sandbox._launched[2]
    servers = [slot._candidate for slot in launched]
    with SandboxPool(workers=1, limits=FAST) as pool:
        assert sandbox._launched is None
        assert [slot._candidate for slot in pool._slots] == servers
        [verdict] = pool.run(DOUBLE, [Candidate(DOUBLE.task_id, "c", GOOD)])
        assert verdict.status is Status.PASSED
    assert not processes_of(_uids(launched))


def test_a_pool_with_other_settings_starts_its_own_and_the_launched_ones_end_at_exit() -> None:
    launch_ahead(workers=1)
    assert sandbox._launched is not None
    launched = sandbox._launched[2]
    with SandboxPool(workers=2, limits=FAST) as pool:
        assert not set(pool._slots) & set(launched)
        assert sandbox._launched is not None  # still waiting for a pool of one slot
    assert processes_of(_uids(launched))
    sandbox.close_launched()  # what `verify` and the exit handler do
    assert sandbox._launched is None and not processes_of(_uids(launched))


def test_where_the_sandbox_cannot_start_nothing_is_launched_and_the_pool_says_why(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("verifiers.sandbox_servers.shutil.which", lambda name: None)
    monkeypatch.setattr(sandbox_servers, "FALLBACK_BWRAP", "/nonexistent/bwrap")
    launch_ahead(workers=1)
    assert sandbox._launched is None
    with pytest.raises(SandboxError, match="bwrap"):
        SandboxPool(workers=1)


def test_verify_with_a_bad_input_leaves_no_launched_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    launched: list[sandbox._Slot] = []
    original = sandbox.launch_ahead

    def recording(workers: int | None = None, pin: bool = False) -> None:
        original(workers, pin)
        launched.extend(sandbox._launched[2] if sandbox._launched is not None else [])

    monkeypatch.setattr(sandbox, "launch_ahead", recording)
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"task_id": DOUBLE.task_id, "prompt": DOUBLE.prompt, "entry_point": "double",
                                 "test": DOUBLE.test}) + "\n")
    candidates = tmp_path / "candidates.jsonl"
    candidates.write_text('{"task_id": "t/double", "candidate_id": \n')  # torn: bad input
    assert main(["verify", str(tasks), str(candidates), "--out", str(tmp_path / "v.jsonl"), "--quiet"]) == 2
    assert launched and sandbox._launched is None
    assert not processes_of(_uids(launched))


def test_servers_taken_over_long_after_their_launch_still_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # Inputs read from a pipe can keep the pool waiting past the servers' start-up
    # deadline, which must count from the take-over, not the launch.
    monkeypatch.setattr(sandbox_servers, "START_SECONDS", 1.0)
    launch_ahead(workers=1)
    time.sleep(1.5)
    with SandboxPool(workers=1, limits=FAST) as pool:
        [verdict] = pool.run(DOUBLE, [Candidate(DOUBLE.task_id, "c", GOOD)])
        assert verdict.status is Status.PASSED


def test_ctrl_c_while_launching_ahead_leaves_no_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[sandbox._Slot] = []
    real = sandbox._Slot

    def slot(cpus: frozenset[int] = frozenset()) -> sandbox._Slot:
        if made:
            raise KeyboardInterrupt  # Ctrl-C (or SIGTERM) while the second slot launches
        made.append(real(cpus))
        return made[-1]

    monkeypatch.setattr(sandbox, "_Slot", slot)
    monkeypatch.setattr("verifiers.sandbox.os.cpu_count", lambda: 2)
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"task_id": DOUBLE.task_id, "prompt": DOUBLE.prompt, "entry_point": "double",
                                 "test": DOUBLE.test}) + "\n")
    candidates = tmp_path / "candidates.jsonl"
    candidates.write_text(json.dumps({"task_id": DOUBLE.task_id, "candidate_id": "c", "solution": GOOD}) + "\n")
    assert main(["verify", str(tasks), str(candidates), "--out", str(tmp_path / "v.jsonl"), "--quiet"]) == 130
    assert made and not processes_of(_uids(made))
    assert made[0].index not in UIDS._used
