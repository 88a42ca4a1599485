"""The channel's one error: a value or frame outside the strict plain-data encoding
(``codec``), kept apart so the codec and what it builds on (``key_hashing``) share it."""

from __future__ import annotations


class CodecError(ValueError):
    """A value or frame outside the strict plain-data encoding."""
