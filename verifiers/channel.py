"""Our side of the wire: the strict plain-data codec and the length-prefixed framing,
and how a candidate's text is handed to the sandbox (``candidate_body``, ``compiled_body``).

The implementation lives in ``verifiers.runtime`` because that package must run
alone inside the sandbox; importing it here keeps one definition for both ends.
"""

from __future__ import annotations

import base64
import marshal
import os
import re
import warnings

from verifiers.runtime.candidate_side import CANDIDATE_FILENAME, CODE_ABI, COMPILE_ERRORS, compile_candidate
from verifiers.runtime.codec import (
    MAX_DEPTH,
    MAX_MESSAGE,
    CodecError,
    decode,
    encode,
    frame,
    recv_msg,
    recv_msg_fds,
    send_msg,
)

# Compiling a candidate in our process (syntax stage, mypy's pre-check, the
# sandbox's marshalled code) must not print its SyntaxWarnings or invalid-escape
# DeprecationWarnings into our output: they are about the candidate, not us.
warnings.filterwarnings("ignore", module=re.escape(CANDIDATE_FILENAME) + "$")

PRECOMPILE_CHARS = 8192
"""Candidates up to this long are compiled here, once, and arrive marshalled (cheaper
than compiling in every forked child); longer ones are compiled in the sandbox."""


def candidate_body(body: dict[str, str]) -> int:
    """The candidate's text in an anonymous memory file, for the sandbox's forked child
    alone to read: the candidate server only passes the descriptor on, so no job's
    text ever enters the process every later candidate is forked from."""
    data = frame(body)  # the codec's own encoding and size limit
    fd = os.memfd_create("bestofn-candidate", os.MFD_CLOEXEC)
    try:
        view = memoryview(data)[4:]  # the JSON alone: past the frame's 4-byte length
        while view:
            view = view[os.write(fd, view):]
    except BaseException:
        os.close(fd)
        raise
    return fd


def compiled_body(source: str) -> dict[str, str]:
    """The candidate compiled here, marshalled, for the sandbox to load (see ``verifiers.runtime.candidate_side``).

    Empty when it does not compile: the sandbox then compiles it and reports the error as the candidate's.
    Also empty for a long candidate: compiling pathological code can take gigabytes
    (8,000 chained ``or``: 2.6 GB), which here would be ours; the sandbox compiles
    it within the candidate's own limits.
    """
    if len(source) > PRECOMPILE_CHARS:
        return {}
    try:
        code = compile_candidate(source)
    except COMPILE_ERRORS:
        return {}
    return {"code": base64.b64encode(marshal.dumps(code)).decode("ascii"), "abi": CODE_ABI}


__all__ = [
    "CANDIDATE_FILENAME",
    "CODE_ABI",
    "COMPILE_ERRORS",
    "MAX_DEPTH",
    "MAX_MESSAGE",
    "PRECOMPILE_CHARS",
    "CodecError",
    "candidate_body",
    "compile_candidate",
    "compiled_body",
    "decode",
    "encode",
    "frame",
    "recv_msg",
    "recv_msg_fds",
    "send_msg",
]
