"""SIGTERM to a run's whole process group (what a scheduler or ``kill`` sends) ends it
fast: verdicts so far stay on disk, and no process the run started is left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tasks.schema import write_tasks
from tests.unit.fakes import ROOT, make_task


def live_processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, session id) of every live (non-zombie) process."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z":
            found[int(entry)] = (int(fields[1]), int(fields[3]))
    return found


def session_members(sid: int) -> list[int]:
    """Live processes in session ``sid`` (the run and everything it started without a new session)."""
    return [pid for pid, (_, session) in live_processes().items() if session == sid]


def sandbox_descendants(pid: int) -> list[int]:
    """Processes whose ancestry leads to ``pid`` (sandbox servers start their own sessions)."""
    parents = {p: parent for p, (parent, _) in live_processes().items()}
    out = []
    for child in parents:
        p = child
        while p in parents and p not in (0, 1):
            p = parents[p]
            if p == pid:
                out.append(child)
                break
    return out


def test_sigterm_to_the_process_group_ends_the_run_and_everything_it_started(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    write_tasks(tasks, [make_task(i) for i in range(3)])
    rows = [{"task_id": "T/0", "candidate_id": "good", "solution": "def f0(x):\n    return x\n"}]
    rows += [{"task_id": f"T/{i % 3}", "candidate_id": f"slow{i}",
              "solution": f"import time\ndef f{i % 3}(x):\n    time.sleep(60)\n"} for i in range(60)]
    cands = tmp_path / "cands.jsonl"
    cands.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "verdicts.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "sampler.cli", "verify", str(tasks), str(cands),
                             "--out", str(out), "--quiet", "--verifiers", "tests"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (out.exists() and out.read_text().strip()):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        assert out.read_text().strip(), "no verdict within 120 s"
        started = sandbox_descendants(proc.pid)
        assert started, "the run started no process to clean up"
        os.killpg(proc.pid, signal.SIGTERM)
        sent = time.monotonic()
        _, stderr = proc.communicate(timeout=30)
        assert time.monotonic() - sent < 4  # no job in flight is waited out (each had 3 s, run twice)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 143, stderr
    assert "interrupted; results so far are on disk" in stderr
    assert "Traceback" not in stderr
    time.sleep(1)
    assert session_members(proc.pid) == []
    assert [p for p in started if p in live_processes()] == []
    kept = [json.loads(line) for line in out.read_text().splitlines()]
    assert kept and all(v["status"] in ("passed", "failed", "timeout") for v in kept)
