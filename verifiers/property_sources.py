"""The property check's generated tests, as source for the sandbox (the probe, which
runs the reference on the drawn inputs, and the check, which runs a candidate against
the reference's answers), and the probe's report read back: plain data, checked field
by field, since it came out of the sandbox.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from tasks.types import Task
from verifiers import strategies
from verifiers.harness.source import calls_literal, harness_source
from verifiers.runtime.codec import CodecError, decode

def _values(task: Task, reference: str, inputs: Sequence[tuple[Any, ...]],
            examples: Sequence[tuple[Any, ...]] = (), per_call: float = 0.0, budget: float = 0.0,
            expected: Sequence[Any] | None = None, task_test: str = "",
            keeps_arguments: bool = False) -> dict[str, str]:
    """The parameters of ``verifiers.harness.property_check`` for ``task``, as source."""
    return {
        "_BESTOFN_TASK_TEST": repr(task_test),
        "_BESTOFN_KEEPS_ARGUMENTS": repr(keeps_arguments),
        "_BESTOFN_EXPECTED": _expected_literal(expected),
        "_BESTOFN_REFERENCE": repr(reference),
        "_BESTOFN_ENTRY": repr(task.entry_point),
        "_BESTOFN_NONE_OK": repr(strategies.admits_none(task)),
        "_BESTOFN_INPUTS": calls_literal(inputs),
        "_BESTOFN_EXAMPLES": calls_literal(examples),
        "_BESTOFN_PER_CALL": repr(float(per_call)),
        "_BESTOFN_BUDGET": repr(float(budget)),
    }


def check_test_source(task: Task, reference: str, inputs: Sequence[tuple[Any, ...]],
                      expected: Sequence[Any] | None = None, keeps_arguments: bool = False) -> str:
    """The generated ``check(candidate)``: candidate vs reference on every input, in order
    (against ``expected``, the reference's answers found by the probe, when given)."""
    return harness_source("property_check", _values(task, reference, inputs, expected=expected,
                                                    keeps_arguments=keeps_arguments),
                          "_bestofn_check_against_reference")


def _expected_literal(expected: Sequence[Any] | None) -> str:
    """The reference's answers as source; ``None`` (the check runs the reference itself)
    when one has no faithful literal (an int past the 4,300 digits ``repr`` writes)."""
    if expected is None:
        return "None"
    try:
        return "[\n" + "".join(f"    {value!r},\n" for value in expected) + "]"
    except ValueError:
        return "None"


def reference_fails(text: str) -> str:
    """Why the probe found the reference failing the task's own tests, or ""."""
    try:
        found = json.loads(text)
    except (ValueError, RecursionError):
        return ""
    why = found.get("reference_fails") if type(found) is dict else None
    return why if type(why) is str else ""


_PROBE_COUNTS = ("raised", "slow", "unplain", "unstable", "examples", "examples_sensitive", "examples_beyond")


def probe_report(text: str) -> dict[str, Any] | None:
    """The probe's JSON, checked field by field; None if it is not one."""
    try:
        found = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if type(found) is not dict or any(type(found.get(name)) is not int for name in _PROBE_COUNTS) \
            or type(found.get("seconds")) not in (int, float) \
            or any(type(found.get(name)) is not str or not _HEX.fullmatch(found[name])
                   for name in ("usable", "sensitive", "sorted_sensitive")):
        return None
    return found


_HEX = re.compile(r"[0-9a-f]{1,200}")


def probe_answers(tree: Any, count: int) -> list[Any] | None:
    """The reference's answers sent back by the probe, one per usable input, else None."""
    if type(tree) is not list or len(tree) != count:
        return None
    try:
        return [decode(item) for item in tree]
    except (CodecError, RecursionError):
        return None


def probe_test_source(task: Task, reference: str, inputs: Sequence[tuple[Any, ...]], per_call: float,
                      budget: float = 0.0) -> str:
    """The generated probe: always fails, with what the reference made of each input in its
    message; once it has run ``budget`` seconds (0: no limit), the inputs left are dropped."""
    examples = [args for args in strategies.observed_calls(task, len(inputs[0]))
                if strategies.is_plain(args)] if inputs else []
    return harness_source("property_check", _values(task, reference, inputs, examples, per_call, budget,
                                                    task_test=task.test),
                          "_bestofn_probe")
