"""Where bestofn keeps files of its own: one cache root, at the bottom layer so every
package can use it (models, scratch files of the checks)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$BESTOFN_CACHE/bestofn``, else ``$XDG_CACHE_HOME/bestofn``, else ``~/.cache/bestofn``."""
    base = os.environ.get("BESTOFN_CACHE") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "bestofn" if base else Path.home() / ".cache" / "bestofn"
