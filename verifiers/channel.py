"""Our side of the wire: the strict plain-data codec and the length-prefixed framing.

The implementation lives in ``verifiers.runtime`` because that package must run
alone inside the sandbox; importing it here keeps one definition for both ends.
"""

from __future__ import annotations

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

__all__ = [
    "CANDIDATE_FILENAME",
    "CODE_ABI",
    "COMPILE_ERRORS",
    "MAX_DEPTH",
    "MAX_MESSAGE",
    "CodecError",
    "compile_candidate",
    "decode",
    "encode",
    "frame",
    "recv_msg",
    "recv_msg_fds",
    "send_msg",
]
