"""The thread pool candidates are verified on, left at once when the run is stopped.

``with ThreadPoolExecutor(...)`` waits for every check in flight when its block is left
by an exception: a Ctrl-C or SIGTERM then waited out each running job's wall clock
(5 s on a task without a reference) before the verifier, which would have ended those
jobs, was closed. Here an exception leaves the block at once, dropping the checks not
started; closing the verifier ends those in flight.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor


@contextlib.contextmanager
def verify_threads(count: int) -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(count, thread_name_prefix="verify")
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
