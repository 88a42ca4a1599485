"""Our side of the wire: the strict plain-data codec and the length-prefixed framing,
and how a candidate's text is handed to the sandbox (``candidate_body``).

The implementation lives in ``verifiers.runtime`` because that package must run
alone inside the sandbox; importing it here keeps one definition for both ends.
"""

from __future__ import annotations

import os
import re
import warnings

from verifiers.runtime.candidate_calls import CANDIDATE_FILENAME, COMPILE_ERRORS, compile_candidate
from verifiers.runtime.codec import MAX_DEPTH, MAX_MESSAGE, CodecError, decode, encode
from verifiers.runtime.framing import frame, recv_msg, recv_msg_fds, send_msg

# Compiling a candidate (the guarded syntax and mypy workers do, with this module
# imported) must not print its SyntaxWarnings or invalid-escape DeprecationWarnings
# into our output: they are about the candidate, not us. Our own process never
# compiles one: the candidate's sandboxed child does (``candidate_calls.serve_candidate``).
warnings.filterwarnings("ignore", module=re.escape(CANDIDATE_FILENAME) + "$")


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


__all__ = [
    "CANDIDATE_FILENAME",
    "COMPILE_ERRORS",
    "MAX_DEPTH",
    "MAX_MESSAGE",
    "CodecError",
    "candidate_body",
    "compile_candidate",
    "decode",
    "encode",
    "frame",
    "recv_msg",
    "recv_msg_fds",
    "send_msg",
]
