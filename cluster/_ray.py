"""The lazy ``import ray`` and how Ray's errors map onto bestofn's.

Importing any ``cluster`` module does not import Ray; building a pool does. Ray's
exceptions fall into three kinds here:

* the actor is gone (killed, its process or node died, it never started): the
  pool replaces it and re-issues its work;
* the actor's own code raised (a ``RayTaskError`` wrapping, say, vLLM's crash):
  re-raised as the original exception type, so the CLI's exit codes still apply;
* anything else from Ray is infrastructure.
"""

from __future__ import annotations

from typing import Any, NoReturn

from tasks.errors import BestofnError, InfrastructureError


def import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise InfrastructureError(
            f"the Ray cluster mode needs Ray: pip install 'bestofn[cluster]' ({exc})") from None
    return ray


_REMOTE_CLASSES: dict[type, Any] = {}


def remote_class(cls: type) -> Any:
    """``ray.remote(cls)``, made once on first use, so importing a module that defines
    an actor class needs no Ray."""
    if cls not in _REMOTE_CLASSES:
        _REMOTE_CLASSES[cls] = import_ray().remote(cls)
    return _REMOTE_CLASSES[cls]


def is_actor_gone(exc: BaseException) -> bool:
    """True when ``exc`` means the actor (or its worker process or node) is dead."""
    ray = import_ray()
    errors = ray.exceptions
    return isinstance(exc, (errors.RayActorError, errors.WorkerCrashedError,
                            errors.NodeDiedError, errors.OutOfMemoryError))


def init_failed(exc: BaseException) -> bool:
    """The actor died because its constructor raised: replacing it would fail the same way."""
    return bool(getattr(exc, "actor_init_failed", False))


def raise_from_actor(exc: BaseException, what: str,
                     error: type[InfrastructureError] = InfrastructureError) -> NoReturn:
    """Re-raise what an actor method raised: bestofn's own errors as themselves, the
    rest as ``error`` naming ``what`` failed."""
    ray = import_ray()
    if isinstance(exc, ray.exceptions.RayTaskError):
        cause = getattr(exc, "cause", None)
        if isinstance(cause, BestofnError):
            raise cause from exc
        if cause is not None:
            raise error(f"{what}: {type(cause).__name__}: {cause}") from exc
    raise error(f"{what}: {type(exc).__name__}: {exc}") from exc
