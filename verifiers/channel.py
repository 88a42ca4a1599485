"""Our side of the wire: the strict plain-data codec and the length-prefixed framing.

The implementation lives in ``sandbox_runtime`` because that file must run alone
inside the sandbox; importing it here keeps one definition for both ends.
"""

from __future__ import annotations

from verifiers.sandbox_runtime import (
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

__all__ = [
    "MAX_DEPTH",
    "MAX_MESSAGE",
    "CodecError",
    "decode",
    "encode",
    "frame",
    "recv_msg",
    "recv_msg_fds",
    "send_msg",
]
