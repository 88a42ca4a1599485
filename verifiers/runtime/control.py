"""Both servers' loop on the control socket, where our process sends jobs."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

from .framing import recv_msg_fds, send_msg


def serve_jobs(ctl: socket.socket, kind: str, run_job: Callable[[dict[str, Any], list[int]], dict[str, Any]],
               fds_per_job: int = 1) -> None:
    """Both servers' loop: say ready, then one job (with its descriptors: the channel
    first) in, one report out."""
    send_msg(ctl, {"ready": os.getpid()})
    while True:
        try:
            job, fds = recv_msg_fds(ctl)
        except EOFError:
            return
        if len(fds) != fds_per_job:
            for fd in fds:
                os.close(fd)
            send_msg(ctl, {"fatal": f"job without exactly {fds_per_job} descriptors"})
            continue
        try:
            result = run_job(job, fds)
        except OSError as exc:
            result = {"fatal": f"{kind} job failed: {exc}"}
        send_msg(ctl, result)
