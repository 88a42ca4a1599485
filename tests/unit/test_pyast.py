"""Parsing from several threads (CPython gh-106905), and that this process parses only through tasks.pyast."""

import ast
import gc
import re
import sys
import threading

import pytest
from collections.abc import Callable
from pathlib import Path

from tasks import pyast

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (ROOT / "verifiers" / "strategies.py").read_text()


class _Finalised:
    def __del__(self) -> None:
        sum(range(50))  # Python code in a finalizer: a point where the thread may switch


def _race(parse: Callable[[str], object], rounds: int) -> int:
    """Three threads at different stack depths parse while garbage with finalizers is collected."""
    failures = []

    def loop() -> None:
        for _ in range(rounds):
            cycle = [_Finalised() for _ in range(50)]
            for item in cycle:
                item.self = item  # type: ignore[attr-defined]
            del cycle
            try:
                parse(SOURCE)
            except SystemError as error:
                failures.append(str(error))

    def at_depth(depth: int) -> None:
        at_depth(depth - 1) if depth else loop()

    threads = [threading.Thread(target=at_depth, args=(d,)) for d in (5, 40, 80)]
    # Python's default collection thresholds: mypy, run in-process by other tests, sets
    # (200000, 30, 30), and with collections that rare no finalizer runs mid-parse.
    thresholds = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        gc.set_threshold(*thresholds)
    return len(failures)


def test_parses_from_threads_at_different_depths_never_fail() -> None:
    # The control: the plain parse fails this way (76 of 450 parses on the 2-core box);
    # where it does not, the race cannot be shown and the test says so.
    if sys.version_info >= (3, 12) or not any(_race(ast.parse, 40) for _ in range(3)):
        pytest.skip("the plain ast.parse did not fail here: the race is not reproduced")
    assert _race(pyast.parse_module, 40) == 0


def test_this_process_parses_only_through_the_lock() -> None:
    """Every module outside the sandbox runtime (one thread per process there)."""
    offenders = []
    for package in ("tasks", "verifiers", "sampler", "cluster", "bestofn"):
        for path in (ROOT / package).rglob("*.py"):
            if "runtime" in path.parts or path.name == "pyast.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"\bast\.parse\(|\bcompile\([^)]*PyCF_ONLY_AST", line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []
