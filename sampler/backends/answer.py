"""Where a chat answer's code ends: the model may go on talking, but nothing after it is verified.

``sampler.core.prompting.extract_code`` verifies the first ```python block of an
answer (any other block only when there is no python one). So once the first
python block has closed, the rest of the answer cannot change what is verified,
and a backend may stop generating there: the same program, fewer tokens.
An untagged first block gives no such guarantee (a later python block would
win), so it never stops a request.

The verdict is also settled earlier when the python block's code so far can no
longer parse, whatever follows (``can_still_parse``): the program verified is
then a syntax error, at full length or cut. That needs to know the program's
shape: ``sampler.core.prompting.program_from_output`` wraps a block defining the
task's entry point as a module and anything else as a continuation of the
prompt, so a request is only cut once its code so far defines the entry point.
"""

from __future__ import annotations

import ast
import codeop
import re
import warnings
from collections.abc import Sequence

from tasks.pyast import compile_to_ast

FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
"""A fenced block: its language tag and body; an unclosed one runs to the end of the text."""

PYTHON_TAGS = ("python", "py", "python3")

FINISH_CODE_END = "code_end"
"""The finish reason of a request a backend stopped at its first closed python block."""

FINISH_UNPARSABLE = "unparsable"
"""The finish reason of a request a backend stopped because its code can no longer parse."""

# The parser alone (no symbol table: ``nonlocal x`` before ``x``'s binding is
# legal in a prefix), told that input may be incomplete, as the REPL's is.
_PREFIX_FLAGS = (ast.PyCF_ONLY_AST | codeop.PyCF_ALLOW_INCOMPLETE_INPUT  # type: ignore[attr-defined]
                 | codeop.PyCF_DONT_IMPLY_DEDENT)  # type: ignore[attr-defined]


THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


def answer_start(text: str) -> int | None:
    """Where a chat answer's answer starts: past a reasoning model's ``<think>...</think>``
    (code in there is thinking, never the answer); None while it is still thinking."""
    closed = text.rfind(THINK_CLOSE)
    if closed >= 0:
        return closed + len(THINK_CLOSE)
    return None if text.lstrip().startswith(THINK_OPEN) else 0


def _first_python_block(text: str) -> re.Match[str] | None:
    start = answer_start(text)
    if start is None:
        return None
    for match in FENCE.finditer(text, start):
        if match.group(1).lower() in PYTHON_TAGS:
            return match
    return None


def _closed(block: re.Match[str]) -> bool:
    return block.group(0).endswith("```") and block.end() - 3 >= block.start(2)


def code_end(text: str) -> int | None:
    """The offset just past the closing fence of the first python block, or None while there is none."""
    block = _first_python_block(text)
    return block.end() if block is not None and _closed(block) else None


def can_still_parse(code: str) -> bool:
    """False only when no continuation of ``code`` (whole lines) is a valid Python module.

    It is ``codeop.compile_command``'s test for "incomplete, not invalid", run by
    the parser alone. A wrong False would cut a sample that could have passed, so
    it is checked on every line prefix of the standard library and of every
    HumanEval reference (tests/unit/test_answer_settled.py); anything the parser
    refuses for other reasons (null bytes, nesting too deep) counts as parsable.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes and the like are warnings, not errors
        for source in (code, code + "\n"):
            try:
                compile_to_ast(source, "<prefix>", _PREFIX_FLAGS)
                return True
            except SyntaxError as error:
                if "incomplete input" in str(error):
                    return True
            except (ValueError, OverflowError, MemoryError, RecursionError):
                return True
    return False


def _unparsable(lines: str, entry_point: str) -> bool:
    """Complete lines of a block that defines the entry point, with no valid continuation."""
    return f"def {entry_point}" in lines and not can_still_parse(lines)


def settled(parts: Sequence[str], entry_point: str = "") -> tuple[str, str] | None:
    """A streamed answer so far (its pieces), cut where its verified program is settled,
    with the finish reason; None while more tokens could still change it.

    Settled means: the first python block has closed (``code_end``), or, when the
    task's ``entry_point`` is given, the block defines it and its complete lines
    can no longer parse (``unparsable``, cut after those lines). The parse is
    only tried when the newest piece completes a line.
    """
    text = "".join(parts)
    block = _first_python_block(text)
    if block is None:
        return None
    if _closed(block):
        return text[:block.end()], FINISH_CODE_END
    if not entry_point or "\n" not in parts[-1]:
        return None
    body = block.group(2)
    lines = body[:body.rfind("\n") + 1]
    if _unparsable(lines, entry_point):
        return text[:block.start(2) + len(lines)], FINISH_UNPARSABLE
    return None


def settled_streamed(text: str, entry_point: str = "") -> tuple[str, str] | None:
    """Where ``settled`` first cuts ``text`` had it streamed one line at a time (for
    backends that simulate a stream from a whole answer).

    Both conditions only ever become true as lines are added (a prefix that cannot
    parse has no continuation that can), so the first line that settles it is found
    by bisection, not by parsing every prefix.
    """
    block = _first_python_block(text)
    if block is None:
        return None
    body = block.group(2)
    ends = [k + 1 for k, char in enumerate(body) if char == "\n"]
    low, high = 0, len(ends)  # the first line end after which the code cannot parse, or len(ends)
    while entry_point and low < high:
        mid = (low + high) // 2
        if _unparsable(body[:ends[mid]], entry_point):
            high = mid
        else:
            low = mid + 1
    if entry_point and low < len(ends):
        return text[:block.start(2) + ends[low]], FINISH_UNPARSABLE
    if _closed(block):
        return text[:block.end()], FINISH_CODE_END
    return None
