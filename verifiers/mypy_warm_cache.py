"""A mypy cache of the standard library's stubs, made once per machine and copied into
each type checker's private cache directory before it reads a candidate.

Every checker starts with an empty private cache (``verifiers.typecheck``): its first
mypy run read typeshed's builtins, typing and the rest from source (1.2-1.4 s here),
and its warm fine-grained build (``verifiers.mypy_incremental``) read them from source
again (1.0-1.5 s), so it was left until 16 batches had gone to classic runs. Both
come to about 3 s of one core in every ``verify`` and ``solve``. From a fine-grained
cache (``--cache-fine-grained``) the warm build loads in about 20 ms and a classic run
in about 25 ms.

The shared cache holds only what our own module (imports of the standard library
modules answers use, nothing else) made mypy write; it is made in a scratch directory
and renamed into place, so a reader never sees half of one, and it is never written
again: a checker copies it (about 2.5 MB) and works on the copy, so nothing a
candidate's check writes reaches another run. It is keyed by everything that decides
its content (mypy's and Python's versions, the flags, the imports); a cache that
cannot be made or copied leaves the checker to start cold, as before, and one that
mypy fails on (a damaged file: a crash while it was written) is dropped by the
checker that finds it, which goes on cold (``discard_cache``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tasks.paths import cache_root

VERSION = "1"
WARM_IMPORTS: tuple[str, ...] = (
    "typing", "collections", "collections.abc", "math", "itertools", "functools", "re", "string",
    "heapq", "bisect", "operator", "statistics", "fractions", "decimal", "random", "hashlib", "copy",
    "datetime", "sys", "dataclasses", "enum", "array", "textwrap", "unicodedata",
)
"""What answers to code tasks import (HumanEval's and our MBPP-style samples'); a module
not here is read from source on first use, as any module was before."""
READY = "ready"


def _shared(flags: Sequence[str]) -> Path:
    import mypy.version

    key = hashlib.sha256(repr((VERSION, mypy.version.__version__, sys.version, tuple(flags), WARM_IMPORTS))
                         .encode("utf-8")).hexdigest()[:32]
    return cache_root() / "mypy" / key


def seed_cache(flags: Sequence[str], target: Path) -> bool:
    """Copy the shared cache for ``flags`` into ``target`` (made first if this machine has
    none yet). False when it could not be had: ``target`` then starts empty."""
    try:
        shared = _shared(flags)
        if not (shared / READY).exists() and not _make(shared, flags):
            return False
        shutil.copytree(shared / "cache", target, dirs_exist_ok=True)
        return True
    except Exception:  # noqa: BLE001 - a missing cache costs time, never a verdict
        shutil.rmtree(target, ignore_errors=True)
        return False


def discard_cache(flags: Sequence[str]) -> None:
    """Drop the shared cache for ``flags`` (a checker found mypy failing on it): the next
    checker makes it again. Renamed aside first, so no checker copies half of it."""
    try:
        shared = _shared(flags)
        aside = shared.with_name(f".{shared.name}.{os.getpid()}.dropped")
        os.rename(shared, aside)
        shutil.rmtree(aside, ignore_errors=True)
    except Exception:  # noqa: BLE001 - gone already, or never made
        pass


def _make(shared: Path, flags: Sequence[str]) -> bool:
    import mypy.api

    shared.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{shared.name}.", dir=shared.parent))
    try:
        module = scratch / "bestofn_warm.py"
        module.write_text("".join(f"import {name}\n" for name in WARM_IMPORTS), encoding="utf-8")
        (scratch / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")
        _out, _err, status = mypy.api.run([*flags, "--config-file", str(scratch / "mypy.ini"),
                                           "--cache-dir", str(scratch / "cache"), "--cache-fine-grained",
                                           str(module)])
        if status != 0:
            return False
        module.unlink()
        (scratch / READY).write_text("", encoding="utf-8")
        try:
            os.rename(scratch, shared)
        except OSError:  # another process made it first: theirs is as good
            return (shared / READY).exists()
        return True
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
