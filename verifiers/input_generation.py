"""Drawing a task's generated inputs with hypothesis, from the shapes ``verifiers.strategies``
read off the task (its signature, bounded by its own examples).

Generation is deterministic: hypothesis with ``@seed`` (derived from the task id),
database-less and generate-phase only, so the same task gives the same inputs in
every run on one hypothesis version.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from tasks.paths import cache_root
from verifiers.strategies import INT_DEFAULT, Shape, is_balanced, is_plain


def _scratch_in_cache() -> None:
    """hypothesis keeps files (its unicode tables) in ``./.hypothesis`` unless told
    otherwise: put them in bestofn's cache, never in the user's working directory
    (a user's own HYPOTHESIS_STORAGE_DIRECTORY wins)."""
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(cache_root() / "hypothesis"))


# hypothesis' engine keeps per-thread and global state: one generation at a time.
_HYPOTHESIS_LOCK = threading.Lock()


def to_strategy(shape: Shape) -> Any:
    """The hypothesis strategy for a resolved shape (typed Any: hypothesis' generics are loose)."""
    _scratch_in_cache()
    from hypothesis import strategies as st

    kind = shape.kind
    if kind == "int":
        return st.integers(int(shape.lo or 0), int(shape.hi or 0))
    if kind == "float":
        lo, hi = float(shape.lo or 0.0), float(shape.hi or 0.0)
        finite = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
        rounded = finite.map(_round(2)).filter(lambda x: lo <= x <= hi)
        return st.one_of(rounded, st.integers(math.ceil(lo), math.floor(hi)).map(float), finite)
    if kind == "str":
        if shape.template:
            slots = len(shape.template) - 1
            numbers = st.lists(st.integers(0, int(shape.hi or INT_DEFAULT)), min_size=slots, max_size=slots)
            return numbers.map(lambda ns: _fill(shape.template, ns))
        text = st.text(alphabet=st.sampled_from(shape.alphabet), min_size=shape.min_size, max_size=shape.max_size)
        if shape.words:
            sentence = st.lists(st.sampled_from(shape.words), min_size=shape.min_size, max_size=6).map(" ".join)
            text = st.one_of(sentence, text)
        return text.filter(is_balanced) if shape.balanced else text
    if kind == "bool":
        return st.booleans()
    if kind == "none":
        return st.none()
    if kind in ("list", "vtuple"):
        items = st.lists(to_strategy(shape.items[0]), min_size=shape.min_size, max_size=shape.max_size)
        return items if kind == "list" else items.map(tuple)
    if kind == "set":
        return st.sets(to_strategy(shape.items[0]), min_size=shape.min_size, max_size=shape.max_size)
    if kind == "tuple":
        return st.tuples(*(to_strategy(item) for item in shape.items))
    if kind == "dict":
        return st.dictionaries(to_strategy(shape.items[0]), to_strategy(shape.items[1]),
                               min_size=shape.min_size, max_size=shape.max_size)
    if kind == "union":
        return st.one_of(*(to_strategy(item) for item in shape.items))
    raise ValueError(f"cannot generate values of an unresolved shape {shape!r}")


def _fill(template: Sequence[str], numbers: Sequence[int]) -> str:
    return template[0] + "".join(str(n) + piece for n, piece in zip(numbers, template[1:]))


def _round(digits: int) -> Callable[[float], float]:
    return lambda x: round(x, digits)


def generate_inputs(shapes: Sequence[Shape], count: int, seed: int) -> list[tuple[Any, ...]]:
    """Up to ``count`` distinct argument tuples, deterministic for a seed, smallest first."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    strategy = to_strategy(Shape("tuple", tuple(shapes)))
    drawn: list[tuple[Any, ...]] = []

    @hypothesis_seed(seed)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=False, print_blob=False)
    @given(strategy)
    def collect(args: tuple[Any, ...]) -> None:
        drawn.append(args)

    with _HYPOTHESIS_LOCK:
        collect()
    unique: dict[str, tuple[Any, ...]] = {}
    for args in drawn:
        if is_plain(args):
            unique.setdefault(repr(args), args)
    ordered = sorted(unique.items(), key=lambda kv: (len(kv[0]), kv[0]))
    return [args for _, args in ordered[:count]]
