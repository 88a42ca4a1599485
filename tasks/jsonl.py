"""Reading JSONL input with errors that name the file and line."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

from tasks.errors import TaskFormatError
from tasks.paths import is_special_file


def _open(path: Path) -> IO[bytes]:
    """The file's bytes; a ``.gz`` file's decompressed bytes (as users download task files)."""
    try:
        if is_special_file(path):
            raise TaskFormatError(f"{path}: not a regular file")
        return cast(IO[bytes], gzip.open(path, "rb")) if path.suffix == ".gz" else path.open("rb")
    except FileNotFoundError:
        raise TaskFormatError(f"{path}: no such file") from None
    except OSError as exc:
        raise TaskFormatError(f"{path}: cannot read ({exc.strerror})") from None


def _lines(path: Path, handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    try:
        yield from enumerate(handle, start=1)
    except (OSError, EOFError, zlib.error) as exc:
        # Not gzip, or cut short: say so instead of a traceback.
        raise TaskFormatError(f"{path}: not a readable gzip file ({exc})") from None


def read_jsonl_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line; raise on the first bad one.
    ``.jsonl.gz`` files are read through gzip."""
    handle = _open(path)
    with handle:
        for number, raw in _lines(path, handle):
            # Decoded line by line, so bytes that are not UTF-8 name their line.
            try:
                # A byte-order mark, as Windows editors write one, opens the first line only.
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise TaskFormatError(f"{path}:{number}: not UTF-8 (byte {exc.start}: {exc.reason})") from None
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TaskFormatError(f"{path}:{number}: bad JSON ({exc.msg})") from None
            except (ValueError, RecursionError) as exc:  # past json's limits: 4,300 digits, deep nesting
                raise TaskFormatError(f"{path}:{number}: bad JSON ({type(exc).__name__}: "
                                      f"{str(exc)[:80]})") from None
            if not isinstance(value, dict):
                raise TaskFormatError(f"{path}:{number}: expected a JSON object")
            yield number, value


def require_str(obj: dict[str, Any], field: str, where: str, *, optional: bool = False) -> str | None:
    """Return ``obj[field]`` as a string, or raise naming ``where`` and the field."""
    value = obj.get(field)
    if value is None:
        if optional:
            return None
        raise TaskFormatError(f"{where}: missing field {field!r}")
    if not isinstance(value, str):
        raise TaskFormatError(f"{where}: field {field!r} must be a string")
    return value
