"""numpy in the runtime: its scalars on the wire, importing it safely, and its global
state in the test server.

numpy is the one package besides the standard library in the sandbox
(``verifiers.sandbox_root.THIRD_PARTY``). Its scalars cross as themselves (tag ``"v"``
of ``codec``, through ``std_values``): made into the plain numbers they hold, a wrong
answer's ``np.bool_`` passed ``is True`` and its ``np.uint8(255) + 1`` no longer
wrapped, and a right answer's ``np.float32(0.1)`` no longer equalled ``0.1`` as numpy
compares (a thirty-seventh red team).

Nothing here imports numpy until a value of it is received, and a side that has no
value of it never sends one: servers start as fast as before.
"""

from __future__ import annotations

import math
import signal
import sys
from collections.abc import Callable
from typing import Any

from . import task_classes

SCALARS = frozenset({"bool", "bool_", "int8", "int16", "int32", "int64", "longlong", "uint8", "uint16",
                     "uint32", "uint64", "ulonglong", "float16", "float32", "float64", "complex64", "complex128"})
"""numpy's scalar types that cross as themselves (``bool_`` is numpy 1's name of
``bool``), each as the Python number its ``item`` gives, which makes it again exactly.
Not a ``longdouble`` (its ``item`` keeps it), a ``datetime64`` or an array."""
IMPORT_FRAMES = 2_000
"""Room the import of numpy gets above wherever it is asked for (a reply read deep in
the tests' recursion)."""


def is_own_type(t: type, names: frozenset[str]) -> bool:
    """One of numpy's own static types of these names, exactly: a class made in Python,
    a subclass or a stand-in named so, is a heap type. Nothing of ``sys.modules`` is
    trusted to say what numpy is."""
    return t.__module__ == "numpy" and t.__name__ in names and not task_classes.made_by_python(t)


def is_scalar_type(t: type) -> bool:
    """One of numpy's own scalar types (``SCALARS``), exactly (``is_own_type``)."""
    return is_own_type(t, SCALARS)


def parts(x: Any, t: type) -> list[Any] | None:
    """``["numpy.NAME", *number]`` for one of numpy's own scalar types (``is_scalar_type``).
    Its number is read by numpy's own ``item``, in C: a static type's methods cannot be
    replaced."""
    if not is_scalar_type(t):
        return None
    value = t.item(x)  # type: ignore[attr-defined]
    if type(value) is complex:
        return [f"numpy.{t.__name__}", value.real, value.imag]
    if type(value) not in (int, bool, float):
        return None
    return [f"numpy.{t.__name__}", value]


def is_nan(described: list[Any]) -> bool:
    """Whether ``parts`` described a NaN of numpy's: numbered where it crosses, as a
    float's NaN is, so the tests' own comes back as itself (``x in candidate([x])``)."""
    return described[0].startswith("numpy.") and any(type(p) is float and p != p for p in described[1:])


def _same(a: Any, b: Any) -> bool:
    if type(a) is float and type(b) is float:
        return (a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (a != a and b != b)
    return type(a) is type(b) and a == b


def maker(name: str) -> Callable[[list[Any]], Any]:
    """Makes numpy's scalar ``name`` from its number, on the side that receives one, and
    only if it holds that number exactly: a forged ``float16`` of 1e300 would overflow
    (and warn, an exception where the tests made warnings errors: the harness's
    ``error`` where the fault is the sender's, a thirty-eighth red team)."""
    kind = bool if name.startswith("bool") else float if name.startswith("float") else int

    def made(described: list[Any]) -> Any:
        if name.startswith("complex"):
            if len(described) != 2 or any(type(p) is not float for p in described):
                raise ValueError
            number: Any = complex(described[0], described[1])
        elif len(described) != 1 or type(described[0]) is not kind:
            raise ValueError
        else:
            number = described[0]
        numpy = imported()
        if numpy is None:
            raise ValueError
        made_by = numpy.bool_ if kind is bool else getattr(numpy, name, None)
        if made_by is None:
            raise ValueError
        import warnings  # not loaded for every server: only once a value of numpy arrives

        with warnings.catch_warnings(), numpy.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = made_by(number)  # out of an int type's range: OverflowError
        back = value.item()
        if kind is not bool and type(number) is complex:
            exact = _same(back.real, number.real) and _same(back.imag, number.imag)
        else:
            exact = _same(back, number)
        if not exact:
            raise ValueError
        return value
    return made


def imported() -> Any:
    """numpy, imported whole however it is asked for: with the job's alarm held back and
    room for its frames. A numpy whose import was cut off halfway (the alarm, or a reply
    read at the tests' recursion limit) cannot be imported again in that process, and
    every later job of the test server failed with it (a thirty-eighth red team). None
    where there is no numpy."""
    loaded = sys.modules.get("numpy")
    if loaded is not None:
        return loaded
    limit = sys.getrecursionlimit()
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    try:  # an alarm met before the mask took is raised here, and the finally undoes both
        sys.setrecursionlimit(limit + IMPORT_FRAMES)
        import numpy
    except ImportError:
        return None
    finally:
        sys.setrecursionlimit(limit)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # an alarm held back is delivered now
    _keep_pristine(numpy)
    return numpy


_PRISTINE: dict[str, Any] = {}
"""numpy's state as imported, in the test server: its module's names and its print
options (``reset``)."""


def _keep_pristine(numpy: Any) -> None:
    if _PRISTINE:
        return
    _PRISTINE["numpy"] = dict(vars(numpy))
    _PRISTINE["print"] = numpy.get_printoptions()


def prepare(*sources: str) -> None:
    """Before a job whose tests or prompt name numpy: import it now, before any of their
    code runs, so ``reset`` knows it as imported."""
    if "numpy" not in sys.modules and any("numpy" in source for source in sources):
        imported()


def reset() -> None:
    """numpy's global state as a fresh import has it, before each job of the test server
    once numpy is loaded there: its names (a task's tests that set ``np.sum`` reached the
    next task's), its print options, its floating-point error handling and its legacy
    random generator, seeded as ``random`` is. Left as a job left them, twelve copies of
    one answer drew other inputs each (10 failed, 2 passed), and a task's
    ``np.seterr(all='raise')`` failed a later task's right answer (the thirty-seventh and
    thirty-eighth red teams). ``default_rng()`` is seeded by the system's entropy in
    plain Python too."""
    numpy: Any = sys.modules.get("numpy")
    if numpy is None:
        return
    if not _PRISTINE:  # imported by tests that do not name it (``prepare``): as the last job left it
        _keep_pristine(numpy)
    names = vars(numpy)
    pristine = _PRISTINE["numpy"]
    if len(names) != len(pristine) or any(names.get(k) is not v for k, v in pristine.items()):
        for added in names.keys() - pristine.keys():
            if type(names[added]) is not type(numpy):  # a submodule numpy loads when first named stays
                del names[added]
        names.update(pristine)
    numpy.set_printoptions(**_PRISTINE["print"])
    numpy.seterr(divide="warn", over="warn", under="ignore", invalid="warn")
    numpy.seterrcall(None)
    import numpy.random  # loaded when first named, seeded then by the system's entropy: not the same for every job

    numpy.random.seed(0)
