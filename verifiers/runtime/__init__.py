"""The code that runs inside the bwrap sandbox: both servers and the value codec.

This package must stand alone: stdlib only, importing nothing from the project, and
its modules reach each other by relative imports only. Its ``.py`` files are bound
read-only into the sandbox (``verifiers.sandbox_servers``), where it is imported as
``bestofn_runtime`` by an interpreter isolated but for one environment variable, the
fixed hash seed (``python -P -s -S -B``, ``verifiers.sandbox_servers``): the
sandbox holds the stdlib and these files, nothing else of ours, so a candidate
finds no project code or settings to read or patch, and nothing can be written
back (no ``__pycache__``). Our own process imports the same modules for the codec,
the framing and how candidates compile (through ``verifiers.channel``), so both
ends cannot drift.

Two server modes, each one long-lived process per worker slot:

* ``candidate-server`` (``candidate_side``): per job, has its zygote (forked at
  start, never holding a report) fork a child that is PID 1 of a fresh PID
  namespace (so killing it kills every descendant, daemons included); the zygote
  reaps it and hands the raw status back. The child drops to an unprivileged uid under
  rlimits, with the server's scratch tmpfs (empty for every candidate) as cwd and
  /tmp, compiles and loads the candidate under its limits and answers calls
  over its end of the channel. The server enforces the wall clock from outside
  with SIGKILL. It never sees the tests.
* ``test-server`` (``test_side``): per job, execs the prompt and the tests
  (compiled once per task) and runs ``check(proxy)``; the proxy ships every call
  over the channel. It never runs candidate code; it only decodes plain data from it.

The rest: ``codec`` (values and frames), ``confine`` (the kernel-level confinement),
``control`` (both servers' job loop) and ``main`` (the entry point).
Framing everywhere: 4-byte big-endian length, then compact JSON.
"""
