"""Framing of the wire (``codec``'s values): a 4-byte big-endian length, then compact
JSON; descriptors ride along on a Unix socket where a message carries them."""

from __future__ import annotations

import json
import socket
import struct
import time
from typing import Any

from .codec import MAX_MESSAGE, CodecError


def frame(message: Any, limit: int = MAX_MESSAGE) -> bytes:
    """One length-prefixed JSON frame; refuses to build one the peer would refuse."""
    try:
        data = json.dumps(message, separators=(",", ":")).encode("ascii")
    except (ValueError, TypeError, RecursionError) as exc:
        raise CodecError(f"cannot frame message: {type(exc).__name__}") from None
    if len(data) > limit:
        raise CodecError("message too large")
    return struct.pack(">I", len(data)) + data


def send_msg(sock: socket.socket, message: Any, fds: list[int] | None = None) -> None:
    data = frame(message)
    if fds:
        sent = socket.send_fds(sock, [data], fds)
        data = data[sent:]
    sock.settimeout(None)
    sock.sendall(data)


def _recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    while n > 0:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("deadline passed")
            sock.settimeout(remaining)
        else:
            sock.settimeout(None)
        try:
            chunk = sock.recv(min(n, 1 << 20))
        except socket.timeout:
            raise TimeoutError("deadline passed") from None
        if not chunk:
            raise EOFError("peer closed the channel")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _parse(header: bytes, sock: socket.socket, deadline: float | None) -> Any:
    (size,) = struct.unpack(">I", header)
    if size > MAX_MESSAGE:
        raise CodecError("message too large")
    body = _recv_exact(sock, size, deadline)
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise CodecError("malformed frame") from None


def recv_msg(sock: socket.socket, deadline: float | None = None) -> Any:
    """Next frame as a JSON tree. Raises EOFError, TimeoutError or CodecError."""
    return _parse(_recv_exact(sock, 4, deadline), sock, deadline)


class FrameReader:
    """Frames from a blocking socket with one recv() per message in the common case.

    For the per-call channel between the test and candidate children. Without a
    ``deadline`` (each server kills its child at the job's deadline from outside) the
    socket stays blocking and a call costs two syscalls a side; with one (the property
    check's limit per call) every recv waits only for what is left of it, so a peer
    that drips a byte at a time cannot stretch it (red team), as in ``_recv_exact``.
    """

    def __init__(self, sock: socket.socket, limit: int = MAX_MESSAGE) -> None:
        sock.setblocking(True)
        self._sock = sock
        self._buf = bytearray()
        self._limit = limit
        self.last_size = 0
        """The size of the last frame read, as sent."""

    def recv(self, deadline: float | None = None) -> Any:
        buf = self._buf
        while True:
            if len(buf) >= 4:
                (size,) = struct.unpack_from(">I", buf)
                if size > self._limit:
                    raise CodecError("message too large")
                end = 4 + size
                if len(buf) >= end:
                    body = bytes(buf[4:end])
                    del buf[:end]
                    self.last_size = size
                    if not body.isascii():  # our frames are ASCII; raw UTF-8 would grow 3x re-encoded
                        raise CodecError("malformed frame")
                    try:
                        return json.loads(body)
                    except (ValueError, RecursionError):
                        raise CodecError("malformed frame") from None
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("deadline passed")
                self._sock.settimeout(remaining)
            try:
                chunk = self._sock.recv(1 << 16)
            except socket.timeout:
                raise TimeoutError("deadline passed") from None
            if not chunk:
                raise EOFError("peer closed the channel")
            buf += chunk


def recv_msg_fds(sock: socket.socket) -> tuple[Any, list[int]]:
    """Next frame plus the descriptors sent with its first bytes (SCM_RIGHTS)."""
    sock.settimeout(None)
    data, fds, _flags, _addr = socket.recv_fds(sock, 4, 4)
    if not data:
        raise EOFError("peer closed the channel")
    header = data + _recv_exact(sock, 4 - len(data), None)
    return _parse(header, sock, None), list(fds)
