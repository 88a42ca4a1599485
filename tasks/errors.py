"""The one exception root of bestofn, at the bottom layer so every package can raise from it.

Each subclass also inherits the builtin it resembles, so callers that only know
the builtin (``except ValueError``) still catch it.
"""

from __future__ import annotations


class BestofnError(Exception):
    """Root of every error bestofn raises on purpose."""


class InputError(BestofnError, ValueError):
    """Bad user input: a file, a field, an option. The CLI maps it to exit code 2."""


class ConfigError(InputError):
    """A configuration value is out of range or inconsistent."""


class TaskFormatError(InputError):
    """A task or candidate file is malformed (names the file and line)."""


class UnknownNameError(InputError, KeyError):
    """An unknown suite, model or verifier name."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class InfrastructureError(BestofnError, RuntimeError):
    """Our machinery broke (sandbox, engine, worker): never a candidate's fault."""


class SandboxError(InfrastructureError):
    """The sandbox could not start or a sandbox worker died."""


class BackendError(InfrastructureError):
    """A generation backend failed or is not installed."""
