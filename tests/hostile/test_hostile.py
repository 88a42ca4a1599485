"""Hostile candidates against the real sandbox: none may pass, and none may leave a trace.

After the run: the harness still answers, no /tmp/bestofn_hostile_* (or other
file outside) exists, nothing connected to our listener, our canary env value is
in no verdict, no process of a sandbox uid is alive, project files are unchanged.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostile_corpus import (ADD_EVENS, AGE_RANGE, ALTERNATE, APPEND_ONE, BRANCH, BUMP, CHECKED_SORT, COMMIT, CONTROLS,
                            COUNT_KEYWORDS, DISTINCT, DOUBLE, DOUBLE_UP, DRAIN, DROP_NEGATIVES, HOSTILE, IN_PLACE,
                            LOAD_JSON, MOVE_ZEROS, NEED_FILE, PARSE_AGE, POSITIVE, PUSH, RAISES, SECRET, SORT_AND_MARK,
                            SORT_KEYS, SORT_TAGGED, SORTED_COPY, SORTED_FIRST, STRIP_ZEROS, TOTAL_WORDS, ADD_ROWS, SHARE,
                            ADD_LOOP, TO_DEC, MOVE_ALL, SET_KEEPS, UNZIP, ADD_SUM, COUNT_KEYS, TAG_ALL, FILL)
from tasks.types import Task
from verifiers.sandbox import SandboxLimits, SandboxPool
from verifiers.sandbox_servers import processes_of
from verifiers.types import Candidate, Status, Verdict

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "hostile"
WATCHED = [ROOT / "tasks" / "types.py", ROOT / "verifiers" / "types.py",
           *sorted((ROOT / "verifiers" / "runtime").glob("*.py"))]
LIMITS = SandboxLimits(wall_seconds=2.0, memory_bytes=512 << 20, rerun_timeouts=False, margin_seconds=3.0)
OUTSIDE = [
    "/tmp/bestofn_hostile_*",
    os.path.expanduser("~/bestofn_hostile*"),
    "/root/bestofn_hostile*",
    str(ROOT / "bestofn_hostile*"),
    str(ROOT / "**" / "bestofn_hostile*"),
    "/dev/shm/bestofn_hostile*",
]


def _traces() -> list[str]:
    return sorted(p for pattern in OUTSIDE for p in glob.glob(pattern, recursive=True) if ".venv" not in p)


def _digests() -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in WATCHED}


@pytest.fixture
def canary(monkeypatch: pytest.MonkeyPatch) -> str:
    value = "bestofn-canary-" + secrets.token_hex(8)
    monkeypatch.setenv("BESTOFN_CANARY", value)
    return value


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


@pytest.fixture
def pool(canary: str) -> Iterator[SandboxPool]:
    # Started after the canary is set: the servers must not inherit it.
    with SandboxPool(workers=2, limits=LIMITS) as p:
        yield p


def _nothing_connected(sock: socket.socket) -> bool:
    try:
        sock.accept()
    except BlockingIOError:
        return True
    return False


def _run_all(pool: SandboxPool, items: list[tuple[Task, str, str]]) -> list[Verdict]:
    verdicts: list[Verdict] = []
    by_task: dict[str, tuple[Task, list[Candidate]]] = {}
    for task, cid, source in items:
        by_task.setdefault(task.task_id, (task, []))[1].append(Candidate(task.task_id, cid, source))
    for task, cands in by_task.values():
        verdicts += pool.run(task, cands)
    return verdicts


def _assert_clean(pool: SandboxPool, verdicts: list[Verdict], canary: str, listener: socket.socket,
                  before: dict[str, str], traces_before: list[str]) -> None:
    for v in verdicts:
        assert canary not in v.detail, v
    assert _nothing_connected(listener)
    assert _traces() == traces_before
    assert _digests() == before
    # The harness is alive: the same pool still judges controls correctly.
    again = _run_all(pool, CONTROLS[:1] + [(DOUBLE, "control_wrong_after", "def double(x):\n    return x\n")])
    assert [v.status for v in again] == [Status.PASSED, Status.FAILED]


def test_hostile_corpus_never_passes(pool: SandboxPool, canary: str, listener: socket.socket) -> None:
    before, traces_before = _digests(), _traces()
    port = listener.getsockname()[1]
    items = [(t, cid, src.replace("{port}", str(port))) for t, cid, src in HOSTILE]
    verdicts = _run_all(pool, items + CONTROLS)
    by_id = {v.candidate_id: v for v in verdicts}
    for _task, cid, _src in CONTROLS:
        assert by_id[cid].status is Status.PASSED, by_id[cid]
    for _task, cid, _src in items:
        v = by_id[cid]
        assert v.status is not Status.PASSED, v
        # A hostile candidate is the candidate's fault: never an infrastructure error.
        assert v.status is not Status.ERROR, v
    _assert_clean(pool, verdicts, canary, listener, before, traces_before)
    uids = set(pool.sandbox_uids)
    pool.close()
    assert processes_of(uids) == []


def test_hostile_statuses_are_specific(pool: SandboxPool) -> None:
    """The categories that have a dedicated status get it (not just "not passed")."""
    wanted = {
        "spin_ignore_signals": Status.TIMEOUT,
        "sleep_forever": Status.TIMEOUT,
        "spin_at_load": Status.TIMEOUT,
        "str_never_returns": Status.TIMEOUT,
        "alloc_8g": Status.MEMORY,
        "memory_at_load": Status.MEMORY,
        "always_equal": Status.FAILED,
        "forge_answers_then_exit": Status.FAILED,
        "forge_answers_then_serve_wrong": Status.FAILED,
        "sort_argument_in_place": Status.FAILED,
        "hash_flood_reply": Status.FAILED,  # refused while decoding (it held the slot past its limit before)
        "costly_hash_reply": Status.FAILED,  # refused while decoding (a timeout, stuck in set(), before)
        "huge_source": Status.FAILED,
        "lying_int": Status.FAILED,
        "os_exit_in_call": Status.FAILED,
        "keyboard_interrupt": Status.FAILED,
        "memoryerror_where_valueerror_expected": Status.MEMORY,
        "systemexit_where_valueerror_expected": Status.FAILED,
    }
    items = [item for item in HOSTILE if item[1] in wanted]
    verdicts = {v.candidate_id: v for v in _run_all(pool, items)}
    assert {cid: v.status for cid, v in verdicts.items()} == wanted
    # Refused before set() is built: about 0.5 s here, where building it took 4.5 s.
    assert verdicts["costly_hash_reply"].seconds < 2.5, verdicts["costly_hash_reply"]


def test_daemons_die_with_the_job(pool: SandboxPool) -> None:
    """A setsid'd double-forked daemon is gone as soon as its job ends (PID namespace teardown)."""
    items = [item for item in HOSTILE if item[1] in ("setsid_daemon", "fork_bomb", "thread_storm")]
    verdicts = _run_all(pool, items)
    assert all(v.status is not Status.PASSED for v in verdicts)
    # The verdict is reported after the candidate's PID 1 was reaped, and that waits for its namespace.
    assert processes_of(set(pool.candidate_uids)) == []


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared starter corpus absent")
def test_shared_starter_corpus(pool: SandboxPool, canary: str, listener: socket.socket) -> None:
    before, traces_before = _digests(), _traces()
    tasks = {}
    for line in (SHARED / "tasks.jsonl").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            tasks[row["task_id"]] = Task(row["task_id"], row["prompt"], row["entry_point"], row["test"],
                                         row.get("canonical_solution"))
    items = []
    for line in (SHARED / "candidates.jsonl").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            items.append((tasks[row["task_id"]], row["candidate_id"], row["solution"]))
    verdicts = _run_all(pool, items)
    assert len(verdicts) == len(items)
    for v in verdicts:
        if v.candidate_id.startswith("control_correct"):
            assert v.status is Status.PASSED, v
        else:
            assert v.status is not Status.PASSED, v
            assert v.status is not Status.ERROR, v
    _assert_clean(pool, verdicts, canary, listener, before, traces_before)


def test_tasks_used_here_pass_with_their_references(pool: SandboxPool) -> None:
    """Guards the corpus itself: each task is passable, so "not passed" above means something."""
    for task in (DOUBLE, SECRET, RAISES, SORTED_COPY, PUSH, SORTED_FIRST, IN_PLACE, DISTINCT, POSITIVE, PARSE_AGE,
                 NEED_FILE, SORT_TAGGED, SORT_KEYS, DROP_NEGATIVES, CHECKED_SORT, DRAIN, DOUBLE_UP, COUNT_KEYWORDS,
                 COMMIT, BRANCH, SORT_AND_MARK, TOTAL_WORDS, LOAD_JSON, ALTERNATE, MOVE_ZEROS, BUMP, APPEND_ONE,
                 STRIP_ZEROS, AGE_RANGE, ADD_EVENS, ADD_ROWS, SHARE, ADD_LOOP, TO_DEC, MOVE_ALL, SET_KEEPS, UNZIP,
                 ADD_SUM, COUNT_KEYS, TAG_ALL, FILL):
        assert task.canonical_solution is not None
        source = task.prompt + task.canonical_solution
        [v] = pool.run(task, [Candidate(task.task_id, "reference", source)])
        assert v.status is Status.PASSED, v


def test_what_one_candidate_does_to_an_object_the_tests_share_is_undone() -> None:
    """A test that passes a list the test server imported once (``keyword.kwlist``): a
    candidate that emptied it had it emptied for every later candidate of that server
    (red team: 3 of 8 right answers failed after it). Changes written back to the
    tests' objects are undone when the job ends."""
    evil = "def count_words(words):\n    n = len(words)\n    if n == 35:\n        words.clear()\n    return n\n"
    right = "def count_words(words):\n    return len(words)\n"
    # And through a container, over two calls: the first empties the list, the second drops it.
    evil_twice = ("def total_words(groups):\n    if groups and groups[0]:\n        groups[0].clear()\n"
                  "    else:\n        groups.clear()\n    return 35\n")
    right_twice = "def total_words(groups):\n    return sum(len(g) for g in groups)\n"
    with SandboxPool(workers=1) as one:
        verdicts = one.run(COUNT_KEYWORDS, [Candidate(COUNT_KEYWORDS.task_id, "evil", evil)]
                           + [Candidate(COUNT_KEYWORDS.task_id, f"right{i}", right) for i in range(3)])
        assert [v.status for v in verdicts] == [Status.PASSED] * 4, verdicts
        verdicts = one.run(TOTAL_WORDS, [Candidate(TOTAL_WORDS.task_id, "evil", evil_twice)]
                           + [Candidate(TOTAL_WORDS.task_id, f"right{i}", right_twice) for i in range(3)])
        assert [v.status for v in verdicts] == [Status.PASSED] * 4, verdicts


# A test that hands the candidate's own value back to it: the call must go through, or
# fail as the candidate's fault, never as the harness's (red team).
ROUND_TRIP = Task(
    task_id="hostile/round_trip",
    prompt='def ident(v: object) -> object:\n    """Return v unchanged."""\n',
    entry_point="ident",
    test=("def check(candidate):\n    v = candidate([1])\n    assert candidate(v) == [1]\n"
          "    xs = [1, 2]\n    assert candidate(xs) == [1, 2]\n    assert candidate(xs) == [1, 2]\n"),
    canonical_solution="    return v\n",
)


def test_a_value_the_candidate_made_never_becomes_a_harness_error(pool: SandboxPool) -> None:
    deep = "def _deep():\n    v = 0\n    for _ in range(100):\n        v = [v]\n    return v\n"
    items = [
        (ROUND_TRIP, "deep_result", deep + "def ident(v):\n    return _deep()\n"),
        (ROUND_TRIP, "deep_write_back", deep + "def ident(v):\n    v[:] = [_deep()[0]]\n    return [1]\n"),
        (ROUND_TRIP, "huge_write_back", "def ident(v):\n    v[:] = ['a' * (16 * 1024 * 1024 - 67)]\n    return [1]\n"),
        (ROUND_TRIP, "control_round_trip", "def ident(v):\n    return v\n"),
    ]
    got = {v.candidate_id: v for v in _run_all(pool, items)}
    assert got["control_round_trip"].status is Status.PASSED, got["control_round_trip"]
    for cid in ("deep_result", "deep_write_back", "huge_write_back"):
        assert got[cid].status is Status.FAILED, got[cid]


# A reply written straight to the channel, answering the call in flight (its nonce read
# off the server loop's frame): what a candidate can send that our own encoder never would.
_RAW_REPLY = ("import os, sys, struct\n"
              "def _raw(tree):\n"
              "    nonce = sys._getframe(2).f_locals['nonce']\n"
              "    body = ('{\"n\":\"%s\",\"r\":' % nonce).encode() + tree + b'}'\n"
              "    os.write(3, struct.pack('>I', len(body)) + body)\n"
              "    __import__('time').sleep(100)\n")


def test_a_reply_that_grows_when_encoded_again_is_the_candidates_fault(pool: SandboxPool) -> None:
    """Under the reply limit on the wire, over the limit once the tests pass it back:
    floats written short (1e15: 18 characters re-encoded) and raw UTF-8 (one emoji: 12
    escaped). Both ended as the harness's ERROR (red team)."""
    floats = (_RAW_REPLY + "def ident(v):\n"
              "    _raw(b'{\"l\":[' + b','.join([b'1e15'] * ((8 * 1024 * 1024 - 200) // 5)) + b']}')\n")
    utf8 = (_RAW_REPLY + "def ident(v):\n"
            "    _raw(b'\"' + ('\\U0001F600' * ((8 * 1024 * 1024 - 200) // 4)).encode() + b'\"')\n")
    got = {v.candidate_id: v for v in _run_all(pool, [(ROUND_TRIP, "float_expansion", floats),
                                                      (ROUND_TRIP, "utf8_expansion", utf8)])}
    for verdict in got.values():
        assert verdict.status in (Status.FAILED, Status.TIMEOUT), verdict


# The tests gather several of the candidate's values and hand them back in one call.
GATHER = Task(
    task_id="hostile/gather",
    prompt='def tag(v: object) -> object:\n    """Return 0 for a list, else v."""\n',
    entry_point="tag",
    test="def check(candidate):\n    parts = [candidate(i) for i in range(3)]\n    assert candidate(parts) == 0\n",
    canonical_solution="    return 0 if type(v) is list else v\n",
)


def test_values_the_candidate_made_are_its_fault_even_when_passed_back_together(pool: SandboxPool) -> None:
    """Each value fits the channel alone; three of them in one call do not. The test
    side's "cannot carry" was the harness's ERROR (red team); it is the candidate's doing.
    An argument the tests build alone, too large for the channel, stays the harness's."""
    big = "def tag(v):\n    return 0 if type(v) is list else 'a' * (7 * 1024 * 1024)\n"
    [together] = pool.run(GATHER, [Candidate(GATHER.task_id, "three_big_values", big)])
    assert together.status is Status.FAILED, together
    assert "too large" in together.detail, together
    own = Task(task_id="hostile/own_huge_argument", prompt=GATHER.prompt, entry_point="tag",
               test="def check(candidate):\n    assert candidate(['a' * (17 * 1024 * 1024)]) == 0\n",
               canonical_solution=GATHER.canonical_solution)
    [harness] = pool.run(own, [Candidate(own.task_id, "small_values", GATHER.prompt + "    return 0\n")])
    assert harness.status is Status.ERROR and "cannot carry" in harness.detail, harness


# The test side is still deciding when the candidate's wall passes: the tests take a
# while after the candidate's (wrong) answer, as when it answers just before its wall
# with a reply slow to decode (red team: a random guesser got a second try that way).
LATE_CHECK = Task(
    task_id="hostile/late_check",
    prompt='def coin() -> bool:\n    """Return True."""\n',
    entry_point="coin",
    test=("import time\n\ndef check(candidate):\n    got = candidate()\n"
          f"    time.sleep({LIMITS.wall_seconds + 0.4})\n    assert got is True\n"),
    canonical_solution="    return True\n",
)


def test_a_wrong_answer_that_outlives_the_candidates_wall_is_a_failure_not_a_timeout(pool: SandboxPool) -> None:
    """A timeout is run again, so a wrong answer reported as one gives a guesser a second try."""
    wrong = "def coin():\n    return False\n"
    right = "def coin():\n    return True\n"
    got = {v.candidate_id: v for v in pool.run(LATE_CHECK, [Candidate(LATE_CHECK.task_id, "wrong", wrong),
                                                            Candidate(LATE_CHECK.task_id, "right", right)])}
    assert got["wrong"].status is Status.FAILED, got["wrong"]
    assert got["right"].status is Status.PASSED, got["right"]
