"""evalplus's HumanEval+ and MBPP+ task files, as users download them.

Their ``OriginFmt`` files are HumanEval-shaped and load like any task file. The plain
files judge by inputs instead: ``base_input`` and ``plus_input`` (lists of argument
lists) and ``atol``, with the reference in ``canonical_solution`` (a body continuing
the prompt in HumanEval+, a whole module in MBPP+). Such a task's ``test`` is built
here: a ``check(candidate)`` that runs the reference and the candidate on every input,
inside the sandbox like any test, and compares them by evalplus's rule: floats within
``atol`` (1e-6 when it is 0), everything else exactly, types included; where the
reference raises, the candidate must raise too. Arguments are deep-copied for each
call, so a candidate that mutates its input changes nothing the reference sees.
"""

from __future__ import annotations

import json
import math
from typing import Any

from tasks.errors import TaskFormatError
from tasks.jsonl import require_str
from tasks.pyast import must_parse
from tasks.types import Task

INPUT_FIELDS = ("base_input", "plus_input")

_CHECK = '''
import copy as _copy
import json as _json
import math as _math

_REFERENCE = {reference!r}
_INPUTS = _json.loads({inputs!r})
_ATOL = {atol!r} or 1e-6


def _same(got, expected):
    if isinstance(expected, float) and not isinstance(got, bool) and isinstance(got, (int, float)):
        if _math.isnan(expected):
            return isinstance(got, float) and _math.isnan(got)
        return _math.isclose(got, expected, rel_tol=0.0, abs_tol=_ATOL)
    if type(got) is not type(expected):
        return False
    if isinstance(expected, (list, tuple)):
        return len(got) == len(expected) and all(_same(g, e) for g, e in zip(got, expected))
    if isinstance(expected, dict):
        return got.keys() == expected.keys() and all(_same(got[k], expected[k]) for k in expected)
    return bool(got == expected)


def check(candidate):
    space = {{}}
    exec(compile(_REFERENCE, "<reference>", "exec"), space)
    reference = space[{entry_point!r}]
    for number, args in enumerate(_INPUTS):
        try:
            expected = reference(*_copy.deepcopy(args))
        except Exception:
            try:
                candidate(*_copy.deepcopy(args))
            except Exception:
                continue
            raise AssertionError(f"input {{number}}: the reference raises, the candidate returned")
        got = candidate(*_copy.deepcopy(args))
        assert _same(got, expected), f"input {{number}} {{args!r:.200}}: expected {{expected!r:.200}}, got {{got!r:.200}}"
'''


def is_evalplus(obj: dict[str, Any]) -> bool:
    return any(field in obj for field in INPUT_FIELDS)


def evalplus_task(obj: dict[str, Any], where: str, task_id: str, prompt: str, entry_point: str) -> Task:
    """A task of evalplus's plain format, judged by its inputs against its reference
    (``task_id``, ``prompt`` and ``entry_point``: already checked by ``tasks.schema``)."""
    canonical = require_str(obj, "canonical_solution", where)
    assert canonical is not None
    inputs: list[Any] = []
    for field in INPUT_FIELDS:
        value = obj.get(field, [])
        if not isinstance(value, list) or not all(isinstance(args, list) for args in value):
            raise TaskFormatError(f"{where}: field {field!r} must be a list of argument lists")
        inputs.extend(value)
    if not inputs:
        raise TaskFormatError(f"{where}: no inputs in {' or '.join(INPUT_FIELDS)}")
    atol = obj.get("atol", 0)
    try:
        finite = not isinstance(atol, bool) and isinstance(atol, (int, float)) and math.isfinite(atol)
    except OverflowError:  # an int past float's range
        finite = False
    if not finite or atol < 0:  # NaN and infinity were taken, and the test read 'nan' as a name
        raise TaskFormatError(f"{where}: field 'atol' must be a finite number >= 0")
    # HumanEval+ continues the prompt; MBPP+ gives the whole module.
    whole = f"def {entry_point}(" in canonical
    reference = canonical if whole else prompt + canonical
    # Either not parsing made every candidate fail (red team); a task's own are exit 2.
    must_parse(prompt, "prompt", where, awaiting_body=True)
    must_parse(reference, "reference (canonical_solution)", where)
    test = _CHECK.format(reference=reference, inputs=json.dumps(inputs), atol=float(atol),
                         entry_point=entry_point)
    return Task(task_id, prompt, entry_point, test, None if whole else canonical)
