"""Where a chat answer's code ends: the model may go on talking, but nothing after it is verified.

``sampler.prompting.extract_code`` verifies the first ```python block of an
answer (any other block only when there is no python one). So once the first
python block has closed, the rest of the answer cannot change what is verified,
and a backend may stop generating there: the same program, fewer tokens.
An untagged first block gives no such guarantee (a later python block would
win), so it never stops a request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
"""A fenced block: its language tag and body; an unclosed one runs to the end of the text."""

PYTHON_TAGS = ("python", "py", "python3")

FINISH_CODE_END = "code_end"
"""The finish reason of a request a backend stopped at its first closed python block."""


def code_end(text: str) -> int | None:
    """The offset just past the closing fence of the first python block, or None while there is none."""
    for match in FENCE.finditer(text):
        if match.group(1).lower() in PYTHON_TAGS:
            closed = match.group(0).endswith("```") and match.end() - 3 >= match.start(2)
            return match.end() if closed else None
    return None


def cut_at_code_end(parts: Sequence[str]) -> str | None:
    """A streamed answer so far (its pieces), cut just past its first python block
    once that has closed; None while it has not."""
    text = "".join(parts)
    end = code_end(text)
    return None if end is None else text[:end]
