"""Checks that read candidate text (compile, mypy) cannot take the verifier down with them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from crashing_checks import CrashOnMarker, NeverStarts
from hostile_corpus import DOUBLE
from tasks.errors import InfrastructureError
from verifiers.guarded import GuardedVerifier
from verifiers.pipeline import make_pipeline
from verifiers.types import Candidate, Status

ROOT = Path(__file__).resolve().parents[2]
GOOD = "def double(x: int) -> int:\n    return 2 * x\n"


def cands(*sources: str) -> list[Candidate]:
    return [Candidate(DOUBLE.task_id, f"c{i}", s) for i, s in enumerate(sources)]


def test_a_crash_is_the_culprits_verdict_and_every_other_candidate_gets_its_own() -> None:
    with GuardedVerifier(CrashOnMarker, "crashy", memory_bytes=1 << 30, seconds_per_candidate=3.0,
                         start_seconds=10.0) as guarded:
        verdicts = guarded.verify(DOUBLE, cands(GOOD, GOOD + "# segfault\n", GOOD + "# bloat\n", GOOD + "# hang\n", GOOD))
        assert [v.status for v in verdicts] == [Status.PASSED, Status.FAILED, Status.FAILED, Status.FAILED,
                                                 Status.PASSED]
        assert "crashed on this candidate: killed by SIGSEGV" in verdicts[1].detail
        assert "crashed on this candidate" in verdicts[2].detail  # MemoryError, or killed at the limit
        assert "no verdict within" in verdicts[3].detail
        assert verdicts[0].detail != f"pid {os.getpid()}"  # it ran in another process
        again = guarded.verify(DOUBLE, cands(GOOD))  # the worker is back for the next batch
        assert again[0].status is Status.PASSED


def test_a_check_that_raises_blames_its_candidate_and_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    with GuardedVerifier(CrashOnMarker, "crashy", memory_bytes=1 << 30, seconds_per_candidate=3.0,
                         start_seconds=10.0) as guarded:
        verdicts = guarded.verify(DOUBLE, cands(GOOD, GOOD + "# recurse\n", GOOD))
    assert [v.status for v in verdicts] == [Status.PASSED, Status.FAILED, Status.PASSED]
    assert "crashed on this candidate: it raised RecursionError: maximum recursion depth" in verdicts[1].detail
    assert capfd.readouterr().err == ""  # the worker's traceback was 118 KB on the user's terminal


def test_a_worker_that_cannot_start_is_infrastructure_not_a_candidates_fault() -> None:
    with GuardedVerifier(NeverStarts, "broken") as guarded, pytest.raises(InfrastructureError, match="no checker"):
        guarded.verify(DOUBLE, cands(GOOD))


# What crashed or bloated the in-process checks (issue: a verifier that dies loses every verdict).
BOMBS = {
    "or_chain": "def double(x: int) -> int:\n    return 2 * x if (" + " or ".join(["1"] * 20000) + ") else 0\n",
    "plus_chain": "def double(x: int) -> int:\n    return 2 * x + 0 * (" + " + ".join(["1"] * 4000) + ")\n",
    "big_literal": "T = [" + ", ".join(["1234567"] * 250_000) + "]\ndef double(x: int) -> int:\n    return 2 * x\n",
    "union_return": "def double(x: int) -> " + " | ".join(["int"] * 800) + ":\n    return 2 * x\n",
    "imports_torch": "def double(x: int) -> int:\n    import torch\n    return 2 * x\n",
}


def test_the_default_static_checks_survive_every_bomb() -> None:
    with make_pipeline(["syntax", "mypy"]) as pipeline:
        start = time.monotonic()
        verdicts = pipeline.verify(DOUBLE, cands(GOOD, *BOMBS.values()))
        elapsed = time.monotonic() - start
    by_name = dict(zip(["good", *BOMBS], verdicts))
    assert by_name["good"].status is Status.PASSED, by_name["good"]
    for name, verdict in by_name.items():
        assert verdict.status is not Status.ERROR, (name, verdict)
    assert by_name["imports_torch"].status is Status.PASSED  # installed packages are not analysed
    assert elapsed < 120


def peak_rss_while(command: list[str]) -> tuple[int, subprocess.CompletedProcess[str]]:
    """The command's own peak resident memory (VmHWM), read just before it exits."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, text=True)
        peak = 0
        while proc.poll() is None:
            try:
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) * 1024)
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        out.seek(0)
        err.seek(0)
        return peak, subprocess.CompletedProcess(command, proc.returncode, out.read(), err.read())


VERIFIER_PEAK_BYTES = 600 << 20
"""The bound docs/VERIFICATION.md states for the verifier process, whatever the candidates."""


def test_the_verifier_process_stays_small_whatever_the_candidates(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"task_id": DOUBLE.task_id, "prompt": DOUBLE.prompt, "entry_point": "double",
                                 "test": DOUBLE.test, "canonical_solution": DOUBLE.canonical_solution}) + "\n")
    rows = [{"task_id": DOUBLE.task_id, "candidate_id": name, "solution": source}
            for name, source in [("good", GOOD), *BOMBS.items()]]
    candidates = tmp_path / "cands.jsonl"
    candidates.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "verdicts.jsonl"
    peak, proc = peak_rss_while([sys.executable, "-m", "sampler.cli", "verify", str(tasks), str(candidates),
                                 "--out", str(out), "--quiet"])
    assert proc.returncode == 0, proc.stderr
    verdicts = {v["candidate_id"]: v for v in map(json.loads, out.read_text().splitlines())}
    assert verdicts["good"]["status"] == "passed"
    assert all(v["status"] != "error" for v in verdicts.values()), verdicts
    assert 0 < peak < VERIFIER_PEAK_BYTES, f"peak {peak >> 20} MiB"


# Under 8 KB each, so the verifier compiled them itself to hand the sandbox marshalled
# code (red team): the first made ``marshal`` raise and end the run with no verdict, the
# second's folded constants (13 MB) outgrew the job message and came back ``error``,
# the third's folding (``+`` of long strings, every intermediate kept) took it to 3 GB.
COMPILE_BOMBS = {
    "marshal_deep": "X = " + "lambda: " * 1000 + "0\n" + GOOD,
    "big_constants": "X = (" + ",".join(f"'{chr(0x10000 + i)}'*4096" for i in range(800)) + ")\n" + GOOD,
    "folded_concat": "X = " + "+".join(["'\U0001F600'*4096"] * 600) + "\n" + GOOD,
}


def test_candidates_are_compiled_in_the_sandbox_never_by_the_verifier(tmp_path: Path) -> None:
    assert all(len(source) < 8192 for source in COMPILE_BOMBS.values())
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"task_id": DOUBLE.task_id, "prompt": DOUBLE.prompt, "entry_point": "double",
                                 "test": DOUBLE.test}) + "\n")
    rows = [{"task_id": DOUBLE.task_id, "candidate_id": name, "solution": source}
            for name, source in [("good", GOOD), ("wrong", GOOD.replace("2 * x", "x")), *COMPILE_BOMBS.items()]]
    candidates = tmp_path / "cands.jsonl"
    candidates.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "verdicts.jsonl"
    peak, proc = peak_rss_while([sys.executable, "-m", "sampler.cli", "verify", str(tasks), str(candidates),
                                 "--out", str(out), "--quiet", "--verifiers", "tests"])
    assert proc.returncode == 0, proc.stderr
    verdicts = {v["candidate_id"]: v for v in map(json.loads, out.read_text().splitlines())}
    assert set(verdicts) == {r["candidate_id"] for r in rows}
    assert verdicts["good"]["status"] == "passed" and verdicts["wrong"]["status"] == "failed"
    # Each bomb is the candidate's own business: compiled in its child under its limits.
    assert verdicts["marshal_deep"]["status"] == "passed", verdicts["marshal_deep"]
    assert verdicts["big_constants"]["status"] == "passed", verdicts["big_constants"]
    # CPython's optimizer drops a fold that runs out of memory and compiles the sum
    # unfolded, but a MemoryError met elsewhere in compiling ends the load: which comes
    # first under the child's limit moves with its memory layout (a few modules more in
    # the runtime turned one into the other). Either way it is the candidate's own verdict.
    assert verdicts["folded_concat"]["status"] in ("memory", "passed"), verdicts["folded_concat"]
    assert 0 < peak < VERIFIER_PEAK_BYTES, f"peak {peak >> 20} MiB"


UNGUARDED_SCRIPT = """
import sys
import bestofn
print("script body ran", flush=True)
tasks = bestofn.load_suite("humaneval")[:12]
candidates = [bestofn.Candidate(t.task_id, kind, t.prompt + (t.canonical_solution or "") if kind == "right"
                                else t.prompt + "    return None\\n")
              for t in tasks for kind in ("right", "wrong")]
verdicts = bestofn.verify(tasks, candidates, out=sys.argv[1])
print("statuses", sorted(v.status.value for v in verdicts), flush=True)
"""


def test_a_script_without_a_main_guard_is_verified_once_and_in_full(tmp_path: Path) -> None:
    """The workers (syntax, mypy, the input drawing) are fresh interpreters that never
    import the caller's script. Spawned by multiprocessing they ran a script without an
    ``if __name__ == "__main__":`` guard again: every candidate got ``error`` (the
    workers died starting), and with HumanEval's 164 tasks the run hung for good."""
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BESTOFN_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "verdicts.jsonl")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("script body ran") == 1 and "RuntimeError" not in done.stderr
    statuses = json.loads(done.stdout.split("statuses", 1)[1].replace("'", '"'))
    assert statuses == ["failed"] * 12 + ["passed"] * 12


def test_modules_in_the_users_working_directory_do_not_reach_the_checks(tmp_path: Path) -> None:
    """mypy puts the working directory first on its module search path: a ``typing.py``
    where the user ran ``bestofn verify`` made mypy refuse every candidate (``error``).
    The checks' worker runs in an empty directory of its own; a relative cache path
    still means the user's directory."""
    (tmp_path / "typing.py").write_text("X = 1\n")
    (tmp_path / "mypy.ini").write_text("[mypy]\npython_version = 2.7\n")  # mypy refuses this config
    (tmp_path / "tmp").mkdir()
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"task_id": DOUBLE.task_id, "prompt": DOUBLE.prompt, "entry_point": "double",
                                 "test": DOUBLE.test, "canonical_solution": DOUBLE.canonical_solution}) + "\n")
    rows = [{"task_id": DOUBLE.task_id, "candidate_id": name, "solution": source}
            for name, source in [("good", GOOD), ("typed-wrong", "def double(x: int) -> int:\n    return 'x'\n")]]
    candidates = tmp_path / "cands.jsonl"
    candidates.write_text("".join(json.dumps(r) + "\n" for r in rows))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BESTOFN_CACHE": "relative-cache", "TMPDIR": str(tmp_path / "tmp")}
    # -P: as the ``bestofn`` script starts (python -m would import the user's typing.py itself).
    done = subprocess.run([sys.executable, "-P", "-m", "sampler.cli", "verify", "tasks.jsonl", "cands.jsonl",
                           "--out", "verdicts.jsonl", "--quiet"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    verdicts = {v["candidate_id"]: v for v in map(json.loads, (tmp_path / "verdicts.jsonl").read_text().splitlines())}
    assert verdicts["good"]["status"] == "passed", verdicts["good"]
    assert verdicts["typed-wrong"]["status"] == "failed", verdicts["typed-wrong"]
    assert (tmp_path / "relative-cache" / "bestofn").is_dir()
    # Nothing left behind, though the workers are killed at the end (mypy's private cache was, 3.9 MB a run).
    assert not list((tmp_path / "tmp").iterdir())
    assert not list((tmp_path / "relative-cache" / "bestofn" / "scratch").iterdir())


def test_a_worker_directory_removed_under_the_check_is_made_again() -> None:
    """Red team: removing the workers' directory (a /tmp reaper) made every later start
    fail with a traceback; it now lives under bestofn's cache and is remade."""
    import shutil

    with GuardedVerifier(CrashOnMarker, "crashy") as check:
        [first] = check.verify(DOUBLE, cands(GOOD))
        shutil.rmtree(check._cwd)
        [crashed, good] = check.verify(DOUBLE, cands("def double(x):\n    return 2 * x  # segfault\n", GOOD))
        assert (first.status, crashed.status, good.status) == (Status.PASSED, Status.FAILED, Status.PASSED)
