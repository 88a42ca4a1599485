"""Where bestofn keeps files of its own: one cache root, at the bottom layer so every
package can use it (models, scratch files of the checks)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$BESTOFN_CACHE/bestofn``, else ``$XDG_CACHE_HOME/bestofn``, else ``~/.cache/bestofn``."""
    base = os.environ.get("BESTOFN_CACHE") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "bestofn" if base else Path.home() / ".cache" / "bestofn"


def is_special_file(path: Path) -> bool:
    """Whether ``path`` is a FIFO, socket or device: opening one to read waits for a writer,
    and to write for a reader, for ever (red team); such a path is refused as bad input."""
    return path.exists() and not path.is_file() and not path.is_dir()
