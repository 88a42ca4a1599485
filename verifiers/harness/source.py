"""Turning a harness module (``verifiers.harness``) into a task's test source."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_BLOCK = re.compile(r"^# bestofn: parameters\n(?P<body>.*?)^# bestofn: end of parameters\n", re.S | re.M)
_PARAMETER = re.compile(r"^(?P<name>_BESTOFN_[A-Z_]+): [^=]+ = .+$")


@functools.cache
def _module_text(name: str) -> str:
    return (Path(__file__).parent / f"{name}.py").read_text(encoding="utf-8")


def harness_source(module: str, values: dict[str, str], check: str) -> str:
    """The text of harness ``module`` with its parameter block set to ``values``
    (Python source for each ``_BESTOFN_*`` name, every one given) and ``check`` (a
    function of the module) bound to the name the test server calls."""
    text = _module_text(module)
    match = _BLOCK.search(text)
    if match is None:
        raise ValueError(f"harness {module} has no parameter block")
    names = []
    for line in match.group("body").splitlines():
        parameter = _PARAMETER.match(line)
        if parameter is None:
            raise ValueError(f"harness {module}: not a parameter line: {line!r}")
        names.append(parameter.group("name"))
    if sorted(names) != sorted(values):
        raise ValueError(f"harness {module} takes {sorted(names)}, given {sorted(values)}")
    block = "".join(f"{name} = {values[name]}\n" for name in names)
    if f"\ndef {check}(" not in text:
        raise ValueError(f"harness {module} has no function {check}")
    return text[:match.start()] + block + text[match.end():] + f"\n\ncheck = {check}\n"


def calls_literal(calls: Sequence[tuple[Any, ...]]) -> str:
    """A list of argument tuples as Python source, one per line (a parameter value)."""
    return "[\n" + "".join(f"    {args!r},\n" for args in calls) + "]"
