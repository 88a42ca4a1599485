"""What the property check's probe found (``Probe``), and probes kept on disk.

A probe (``verifiers.properties``) is one sandbox job per task: the reference run on
every generated input, then run again as the candidate. Over HumanEval it is about
half of the property check's time, and it depends only on the task, its inputs and
the check's settings: so a probe that found usable inputs is kept under bestofn's
cache, keyed by all of those (and the harness that ran it, and Python's version),
and a later run over the same tasks (new candidates for a benchmark, a rerun) reads
it back instead of probing again, as the drawn inputs are read back
(``verifiers.input_generation``). A probe that broke or found nothing usable is
never kept: it may say more next time. Its limits were calibrated on this machine
when it ran, as every limit is.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks.paths import cache_root
from verifiers.runtime.codec import CodecError, decode, encode
from verifiers.sandbox import SandboxLimits

VERSION = "2"
_HARNESS = Path(__file__).parent / "harness" / "property_check.py"


@dataclass(frozen=True)
class Probe:
    """What the reference made of the inputs, in the sandbox."""

    usable: tuple[tuple[Any, ...], ...]
    raised: int = 0
    slow: int = 0
    unplain: int = 0
    unstable: int = 0
    limits: SandboxLimits | None = None
    reason: str = ""
    """Non-empty: not applicable (and why)."""
    error: str = ""
    """Non-empty: the sandbox broke while probing (infrastructure)."""
    ties: int = 0
    """Inputs discarded as ties: see ``verifiers.properties.tie_like``."""
    expected: tuple[Any, ...] | None = None
    """The reference's answer on each usable input, when the probe could send them all back."""
    keeps_arguments: bool = False
    """The reference changed no argument on any input: where the task's words say to leave
    them be too (``Domain.kept``), a candidate that changes one is wrong."""

    @property
    def discarded(self) -> int:
        return self.raised + self.slow + self.unplain + self.unstable + self.ties


@functools.cache
def _harness_digest() -> str:
    """The harness that runs the probe, read once per process (not once per probe)."""
    return hashlib.sha256(_HARNESS.read_bytes()).hexdigest()


def probe_path(task_digest: str, inputs: Sequence[tuple[Any, ...]], settings: str) -> Path:
    """Where the probe of a task on these inputs, with these settings, is kept."""
    key = hashlib.sha256(repr((VERSION, _harness_digest(), sys.version, task_digest, settings, repr(inputs)))
                         .encode("utf-8", "surrogatepass")).hexdigest()
    return cache_root() / "probes" / f"{key[:40]}.json"


def read_probe(path: Path, inputs: Sequence[tuple[Any, ...]]) -> Probe | None:
    """The kept probe, or None (not there, or not one: probed again)."""
    try:
        with open(path, encoding="utf-8") as f:
            record = json.load(f)
        indexes = record["usable"]
        if type(indexes) is not list or not indexes or any(type(i) is not int or not 0 <= i < len(inputs)
                                                            for i in indexes):
            return None
        expected = record["expected"]
        answers = None if expected is None else tuple(decode(tree) for tree in expected)
        if answers is not None and len(answers) != len(indexes):
            return None
        counts = [record[name] for name in ("raised", "slow", "unplain", "unstable", "ties")]
        wall, call = float(record["wall"]), float(record["call"])
        if any(type(n) is not int or n < 0 for n in counts):
            return None
        limits = SandboxLimits(wall_seconds=wall, rerun_timeouts=False, call_seconds=call)
        keeps = record.get("keeps", False)
        if type(keeps) is not bool:
            return None
    except (OSError, ValueError, TypeError, KeyError, RecursionError, CodecError, AttributeError):
        return None
    raised, slow, unplain, unstable, ties = counts
    return Probe(tuple(inputs[i] for i in indexes), raised, slow, unplain, unstable, limits, ties=ties,
                 expected=answers, keeps_arguments=keeps)


def write_probe(path: Path, inputs: Sequence[tuple[Any, ...]], probe: Probe) -> None:
    """Keeps a probe that found usable inputs (atomically; one that cannot be written is skipped)."""
    if probe.error or probe.reason or probe.limits is None or probe.limits.call_seconds is None:
        return
    positions = {id(args): i for i, args in enumerate(inputs)}
    indexes = [positions.get(id(args)) for args in probe.usable]
    temporary = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        record = {"usable": indexes, "raised": probe.raised, "slow": probe.slow, "unplain": probe.unplain,
                  "unstable": probe.unstable, "ties": probe.ties, "wall": probe.limits.wall_seconds,
                  "call": probe.limits.call_seconds, "keeps": probe.keeps_arguments,
                  "expected": None if probe.expected is None else [encode(value) for value in probe.expected]}
        if None in indexes:
            return
        os.makedirs(path.parent, exist_ok=True)
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(record, f, separators=(",", ":"))
        os.replace(temporary, path)
    except (OSError, ValueError, CodecError, RecursionError):
        try:
            os.unlink(temporary)
        except OSError:
            pass
