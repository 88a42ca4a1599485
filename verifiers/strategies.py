"""Input generation for differential testing: from a task's signature to plain-data inputs.

Nothing here executes task code: the prompt and the tests are only *parsed*.

How a parameter's inputs are chosen:

1. Its annotation in the prompt (read from the AST) gives the type: ``int``,
   ``float``, ``str``, ``bool``, ``None``, ``List/list[X]``, ``Set/set[X]``,
   ``Tuple/tuple[X, Y]`` and ``tuple[X, ...]``, ``Dict/dict[K, V]``,
   ``Optional[X]``, ``X | None`` and ``Union[...]``. Anything else (``Any``,
   ``object``, a bare ``list``'s elements, a missing annotation) is *unknown*.
2. The literal arguments the task itself uses (``candidate(...)`` calls in its
   tests, ``>>> entry(...)`` examples in its docstring) fill in unknown types
   (all ints -> int, ints and floats -> float, mixed kinds -> a union) and,
   for every type, bound the *domain*: the reference is only a specification on
   inputs like the task's own. Non-negative ints start where every example
   does, down to 2 at most ("assume n > 1"); strings use only the characters the
   examples use (and, when examples are space-separated words, sequences of
   those words); strings whose examples share a format around their numbers
   (``'5 apples and 6 oranges'``) keep it, only the numbers vary; strings whose
   examples all nest brackets properly stay balanced; lists stay non-empty
   when every example is. Sizes stay small.
3. A parameter whose type is still unknown makes the task not applicable.

The values themselves are drawn by ``verifiers.input_generation`` (hypothesis,
deterministic per task).
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tasks.pyast import parse_expression, parse_module
from tasks.types import Task
from verifiers.stated_domain import Domain

INT_LIMIT = 1000
"""No generated int exceeds this in magnitude, whatever the examples use."""
INT_DEFAULT = 20
FLOAT_LIMIT = 1e6
FLOAT_DEFAULT = 100.0
STR_MAX = 20
STR_DEFAULT_MAX = 8
LIST_MAX = 10
LIST_DEFAULT_MAX = 6
DEFAULT_ALPHABET = "abcAB 01"

_PRIMITIVES = {"int", "float", "str", "bool", "none"}
_SEQUENCES = {"list", "set", "vtuple"}
_TYPING_NAMES = {
    "int": "int", "float": "float", "str": "str", "bool": "bool", "None": "none",
    "List": "list", "list": "list", "Set": "set", "set": "set", "FrozenSet": "set",
    "Tuple": "tuple", "tuple": "tuple", "Dict": "dict", "dict": "dict",
    "Optional": "optional", "Union": "union", "Sequence": "list", "Iterable": "list",
}  # fmt: skip


@dataclass(frozen=True)
class Shape:
    """The type and domain of one value to generate.

    ``kind``: int, float, str, bool, none, list, set, tuple (fixed items),
    vtuple (``tuple[X, ...]``), dict (items: key, value), union (items: members)
    or any (unknown). ``lo``/``hi`` bound numbers; ``alphabet``/``words`` and
    ``min_size``/``max_size`` bound strings and containers.
    """

    kind: str
    items: tuple[Shape, ...] = ()
    lo: float | None = None
    hi: float | None = None
    alphabet: str = ""
    words: tuple[str, ...] = ()
    min_size: int = 0
    max_size: int = 0
    template: tuple[str, ...] = ()
    """Strings: the literal pieces every example shares between its digit runs
    (``'# apples and # oranges'`` as ``('', ' apples and ', ' oranges')``); when set,
    strings are made by filling the slots with numbers up to ``hi``."""
    balanced: bool = False
    """Strings: every example nests its brackets properly, so generated ones do too."""
    unique: bool = False
    """Lists: no repeated elements (the task promises it and every example keeps it)."""

    def resolved(self) -> bool:
        if self.kind == "any":
            return False
        return all(item.resolved() for item in self.items)


@dataclass(frozen=True)
class InputPlan:
    """What a task's inputs are made of, or why none can be made."""

    shapes: tuple[Shape, ...]
    reason: str = ""
    """Empty when applicable; else why differential testing does not apply."""
    observed: int = 0
    """How many literal example calls informed the domain."""

    @property
    def applicable(self) -> bool:
        return not self.reason


# --------------------------------------------------------------------------- annotations


def _entry_def(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    found: ast.FunctionDef | None = None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            found = node
    return found


def signature_def(task: Task) -> tuple[ast.FunctionDef | None, str]:
    """The entry point's ``def``: from the prompt, else from the reference solution
    (a prompt that only describes the function, MBPP-style, still has a checkable
    signature when the reference defines it). Returns the node, or None and why."""
    sources = [task.prompt]
    if task.canonical_solution:
        sources += [task.canonical_solution, task.prompt + task.canonical_solution]
    why = f"no def of {task.entry_point!r} in the prompt or the reference"
    for source in sources:
        try:
            tree = parse_module(source)
        except SyntaxError as exc:
            if source is task.prompt:
                why = f"the prompt does not parse: {exc.msg}"
            continue
        except (ValueError, RecursionError, MemoryError):
            continue
        node = _entry_def(tree, task.entry_point)
        if node is not None:
            return node, ""
    return None, why


def shape_of_annotation(node: ast.expr | None) -> Shape:
    """The annotation's type; unknown parts are ``any``."""
    if node is None:
        return Shape("any")
    if isinstance(node, ast.Constant):
        if node.value is None:
            return Shape("none")
        if isinstance(node.value, str):  # a forward reference
            try:
                return shape_of_annotation(parse_expression(node.value).body)
            except SyntaxError:
                return Shape("any")
        return Shape("any")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _union([shape_of_annotation(node.left), shape_of_annotation(node.right)])
    name = _name_of(node.value if isinstance(node, ast.Subscript) else node)
    kind = _TYPING_NAMES.get(name or "")
    if kind is None:
        return Shape("any")
    if not isinstance(node, ast.Subscript):
        if kind in _PRIMITIVES:
            return Shape(kind)
        if kind in ("list", "set"):
            return Shape(kind, (Shape("any"),))
        if kind == "tuple":
            return Shape("vtuple", (Shape("any"),))
        if kind == "dict":
            return Shape("dict", (Shape("any"), Shape("any")))
        return Shape("any")
    args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
    if kind in ("list", "set") and len(args) == 1:
        return Shape(kind, (shape_of_annotation(args[0]),))
    if kind == "tuple":
        if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
            return Shape("vtuple", (shape_of_annotation(args[0]),))
        return Shape("tuple", tuple(shape_of_annotation(a) for a in args))
    if kind == "dict" and len(args) == 2:
        return Shape("dict", (shape_of_annotation(args[0]), shape_of_annotation(args[1])))
    if kind == "optional" and len(args) == 1:
        return _union([shape_of_annotation(args[0]), Shape("none")])
    if kind == "union":
        return _union([shape_of_annotation(a) for a in args])
    return Shape("any")


def _name_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "typing":
        return node.attr
    return None


def _union(members: Sequence[Shape]) -> Shape:
    flat: list[Shape] = []
    for member in members:
        for part in member.items if member.kind == "union" else (member,):
            if part not in flat:
                flat.append(part)
    return flat[0] if len(flat) == 1 else Shape("union", tuple(flat))


# --------------------------------------------------------------------------- observed examples


def observed_calls(task: Task, arity: int) -> list[tuple[Any, ...]]:
    """Literal positional argument tuples of the task's own example calls (tests, then docstring)."""
    found: list[tuple[Any, ...]] = []
    sources: list[tuple[str, set[str]]] = [(task.test, {"candidate", task.entry_point})]
    node, _ = signature_def(task)
    doc = ast.get_docstring(node) if node is not None else None
    if doc:
        lines = [line.strip()[4:] for line in doc.splitlines() if line.strip().startswith(">>> ")]
        sources.append(("\n".join(lines), {task.entry_point}))
    for source, names in sources:
        for text in _statements(source):
            try:
                parsed = parse_module(text)
            except SyntaxError:
                continue
            for call in ast.walk(parsed):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in names):
                    continue
                if call.keywords or len(call.args) != arity:
                    continue
                try:
                    found.append(tuple(ast.literal_eval(arg) for arg in call.args))
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    continue
    return found


def _statements(source: str) -> list[str]:
    """The whole source if it parses, else its lines one by one (docstring examples)."""
    try:
        parse_module(source)
        return [source]
    except SyntaxError:
        return source.splitlines()


def shape_of_value(value: Any) -> Shape:
    t = type(value)
    if t is bool:
        return Shape("bool")
    if t is int:
        return Shape("int")
    if t is float:
        return Shape("float") if math.isfinite(value) else Shape("any")
    if t is str:
        return Shape("str")
    if value is None:
        return Shape("none")
    if t is tuple and value:
        # A tuple is a record of fixed arity ("an interval (start, end)"), as typing reads
        # ``tuple[int, int]``: one of another length is outside the task (HumanEval/127's
        # correct answer unpacks two items and was disputed on a generated 3-tuple).
        return Shape("tuple", tuple(shape_of_value(v) for v in value))
    if t in (list, set, frozenset) or t is tuple:
        elem = _merge([shape_of_value(v) for v in value])
        kind = "list" if t is list else "set" if t in (set, frozenset) else "vtuple"
        return Shape(kind, (elem,))
    if t is dict:
        return Shape("dict", (_merge([shape_of_value(k) for k in value]),
                              _merge([shape_of_value(v) for v in value.values()])))
    return Shape("any")


def _merge(shapes: Sequence[Shape]) -> Shape:
    """The least shape covering all (unknown parts filled from the others)."""
    out: Shape | None = None
    for shape in shapes:
        out = shape if out is None else _merge2(out, shape)
    return out if out is not None else Shape("any")


def _merge2(a: Shape, b: Shape) -> Shape:
    if a.kind == "any":
        return b
    if b.kind == "any":
        return a
    if {a.kind, b.kind} == {"int", "float"}:
        return Shape("float")
    if a.kind == b.kind and a.kind != "union" and len(a.items) == len(b.items):
        return Shape(a.kind, tuple(_merge2(x, y) for x, y in zip(a.items, b.items)))
    if {a.kind, b.kind} <= {"tuple", "vtuple"}:  # tuples of several lengths: a sequence after all
        return Shape("vtuple", (_merge([*a.items, *b.items]),))
    return _union([a, b])


# --------------------------------------------------------------------------- domains


def constrain(shape: Shape, values: Sequence[Any]) -> Shape:
    """Fill unknown parts from the observed values and bound the domain by them."""
    if shape.kind == "any":
        shape = _merge([shape_of_value(v) for v in values])
        if shape.kind == "any":
            return shape
    kind = shape.kind
    if kind == "int":
        ints = [v for v in values if type(v) is int]
        lo, hi = _int_bounds(ints)
        return Shape("int", lo=lo, hi=hi)
    if kind == "float":
        nums = [float(v) for v in values if type(v) in (int, float) and math.isfinite(v)]
        flo, fhi = _float_bounds(nums)
        return Shape("float", lo=flo, hi=fhi)
    if kind == "str":
        return _constrain_str([v for v in values if type(v) is str])
    if kind in ("bool", "none"):
        return shape
    if kind in _SEQUENCES:
        seqs = [v for v in values if type(v) in (list, tuple, set, frozenset)]
        elements = [e for s in seqs for e in s]
        lo_size, hi_size = _sizes([len(s) for s in seqs])
        return Shape(kind, (constrain(shape.items[0], elements),), min_size=lo_size, max_size=hi_size)
    if kind == "tuple":
        tuples = [v for v in values if type(v) in (tuple, list) and len(v) == len(shape.items)]
        return Shape("tuple", tuple(constrain(item, [t[i] for t in tuples]) for i, item in enumerate(shape.items)))
    if kind == "dict":
        dicts = [v for v in values if type(v) is dict]
        lo_size, hi_size = _sizes([len(d) for d in dicts])
        key = constrain(shape.items[0], [k for d in dicts for k in d])
        val = constrain(shape.items[1], [x for d in dicts for x in d.values()])
        return Shape("dict", (key, val), min_size=lo_size, max_size=min(hi_size, 5))
    if kind == "union":
        members = []
        for member in shape.items:
            mine = [v for v in values if _fits(member, v)]
            constrained = constrain(member, mine)
            if constrained.resolved():
                members.append(constrained)
        return _union(members) if members else Shape("any")
    return Shape("any")


def _fits(shape: Shape, value: Any) -> bool:
    t = type(value)
    return {
        "int": t is int, "float": t in (int, float), "str": t is str, "bool": t is bool,
        "none": value is None, "list": t is list, "set": t in (set, frozenset),
        "vtuple": t is tuple, "tuple": t is tuple, "dict": t is dict, "any": True,
    }.get(shape.kind, False)  # fmt: skip


def _int_bounds(ints: Sequence[int]) -> tuple[int, int]:
    if not ints:
        return -INT_DEFAULT, INT_DEFAULT
    low, high = min(ints), max(ints)
    # Non-negative examples: never below what every example has, down to 2 at most
    # ("assume n > 1": largest_prime_factor(1) is outside the task, and its reference's
    # answer there proves nothing), as list sizes are bounded below.
    lo = min(low, 2) if low >= 0 else max(min(low, -10), -INT_LIMIT)
    hi = min(max(2 * high, INT_DEFAULT), INT_LIMIT)
    return lo, max(lo, hi)


def _float_bounds(nums: Sequence[float]) -> tuple[float, float]:
    if not nums:
        return -FLOAT_DEFAULT, FLOAT_DEFAULT
    low, high = min(nums), max(nums)
    lo = 0.0 if low >= 0 else max(min(low, -10.0), -FLOAT_LIMIT)
    hi = min(max(2 * high, 10.0), FLOAT_LIMIT)
    return lo, max(lo, hi)


def _sizes(lengths: Sequence[int]) -> tuple[int, int]:
    if not lengths:
        return 0, LIST_DEFAULT_MAX
    lo = min(min(lengths), 2)  # "a list of at least two numbers": never below what every example has
    return lo, max(lo, min(max(max(lengths), 5), LIST_MAX))


def _constrain_str(strs: Sequence[str]) -> Shape:
    if not strs:
        return Shape("str", alphabet=DEFAULT_ALPHABET, min_size=0, max_size=STR_DEFAULT_MAX)
    template = _digit_template(strs)
    if template:
        numbers = [int(run) for s in strs for run in _DIGIT_RUN.findall(s)]
        return Shape("str", template=template, hi=min(max(2 * max(numbers), INT_DEFAULT), INT_LIMIT))
    chars = "".join(sorted({c for s in strs for c in s})) or DEFAULT_ALPHABET
    lo = 1 if min(len(s) for s in strs) >= 1 else 0
    hi = max(lo, min(max(max(len(s) for s in strs), 5), STR_MAX))
    words: tuple[str, ...] = ()
    if any(" " in s.strip() for s in strs):
        words = tuple(sorted({w for s in strs for w in s.split(" ") if w}))[:50]
    balanced = any(c in _OPENERS for s in strs for c in s) and all(is_balanced(s) for s in strs)
    return Shape("str", alphabet=chars, words=words, min_size=lo, max_size=hi, balanced=balanced)


_DIGIT_RUN = re.compile(r"[0-9]+")
_PAIRS = {")": "(", "]": "[", "}": "{"}
_OPENERS = set(_PAIRS.values())


def _digit_template(strs: Sequence[str]) -> tuple[str, ...]:
    """The literal pieces around digit runs, when at least two examples share them and
    they have words besides the numbers (a format such as ``'5 apples and 6 oranges'``);
    else empty. Bare numbers (``'123'``) are not a format: their digits vary freely."""
    if len(strs) < 2:
        return ()
    pieces = {tuple(_DIGIT_RUN.split(s)) for s in strs}
    if len(pieces) != 1:
        return ()
    (template,) = pieces
    if len(template) < 2 or not any(piece.strip() for piece in template):
        return ()
    return template


def is_balanced(text: str) -> bool:
    """Whether every ``)``, ``]`` and ``}`` closes the innermost open bracket of its kind, and all close."""
    stack: list[str] = []
    for c in text:
        if c in _OPENERS:
            stack.append(c)
        elif c in _PAIRS:
            if not stack or stack.pop() != _PAIRS[c]:
                return False
    return not stack


# --------------------------------------------------------------------------- plans


def plan_inputs(task: Task, *, pinned: bool = True) -> InputPlan:
    """The shapes of the entry point's required positional parameters, or why not applicable.

    ``pinned``: demand tests that compare the candidate's results (``pins_results``),
    as a differential test against a reference must; comparing candidates with one
    another (``verifiers.agreement``) does not need them.
    """
    node, why = signature_def(task)
    if node is None:
        return InputPlan((), why)
    args = node.args
    if args.kwonlyargs and len(args.kw_defaults) != sum(d is not None for d in args.kw_defaults):
        return InputPlan((), "required keyword-only parameters")
    positional = [*args.posonlyargs, *args.args]
    required = positional[: len(positional) - len(args.defaults)]
    if not required:
        return InputPlan((), "no parameters to vary")
    if pinned and not pins_results(task):
        return InputPlan((), "the tests never compare the candidate's results (several answers may be right)")
    calls = observed_calls(task, len(required))
    return plan_from_calls(task, [(f"parameter {p.arg!r}", p.annotation) for p in required], calls)


def plan_from_calls(task: Task, params: Sequence[tuple[str, ast.expr | None]],
                    calls: Sequence[tuple[Any, ...]]) -> InputPlan:
    """Shapes for ``params`` (a label and an annotation, or None, each), bounded by the
    values the task's example ``calls`` pass there and by what its words promise."""
    stated = Domain.stated(task.prompt)
    shapes = []
    for i, (label, annotation) in enumerate(params):
        values = [c[i] for c in calls]
        shape = constrain(shape_of_annotation(annotation), values)
        if not shape.resolved():
            return InputPlan((), f"the type of {label} is unknown (no annotation or example)")
        shape = unique_if_stated(shape, stated, values)
        shape = with_negatives(shape) if stated.signed else shape
        shapes.append(both_cases(shape) if stated.cased else shape)
    return InputPlan(tuple(shapes), observed=len(calls))


def both_cases(shape: Shape) -> Shape:
    """``shape`` with its strings' letters in either case, at every depth: for a task
    whose words make case matter, though every example is in one case (a careless
    ``x.lower()`` sort key agreed with the right answer on every lowercase input)."""
    if shape.kind == "str" and shape.alphabet:
        alphabet = "".join(dict.fromkeys(shape.alphabet + shape.alphabet.swapcase()))
        words = tuple(dict.fromkeys([*shape.words, *(w.capitalize() for w in shape.words),
                                     *(w.upper() for w in shape.words)]))
        return dataclasses.replace(shape, alphabet=alphabet, words=words)
    if shape.items:
        return dataclasses.replace(shape, items=tuple(both_cases(item) for item in shape.items))
    return shape


def with_negatives(shape: Shape) -> Shape:
    """``shape`` with its numbers mirrored below zero, at every depth, for a task whose
    words speak of negative numbers though every example is positive."""
    if shape.kind in ("int", "float") and shape.lo is not None and shape.hi is not None and shape.lo >= 0:
        return dataclasses.replace(shape, lo=-shape.hi)
    if shape.items:
        return dataclasses.replace(shape, items=tuple(with_negatives(item) for item in shape.items))
    return shape


def unique_if_stated(shape: Shape, stated: Domain, values: Sequence[Any]) -> Shape:
    """A list shape without repeats, when the task promises unique elements and every
    example list keeps the promise (HumanEval/109: "guaranteed to have unique elements")."""
    if not stated.unique or shape.kind != "list" or not values \
            or not all(type(v) is list and len({repr(x) for x in v}) == len(v) for v in values):
        return shape
    return dataclasses.replace(shape, unique=True)


def admits_none(task: Task) -> bool:
    """Whether the entry point may return None: unannotated, or a return annotation admitting it."""
    node, _ = signature_def(task)
    if node is None or node.returns is None:
        return True
    shape = shape_of_annotation(node.returns)
    if shape.kind == "any":
        return True
    return shape.kind == "none" or (shape.kind == "union" and Shape("none") in shape.items)


def pins_results(task: Task) -> bool:
    """Whether the tests compare a result of the candidate: a differential test is only fair then.

    HumanEval/32's tests accept any root (``poly(xs, candidate(xs))`` near 0):
    the reference's root is one of many, so a disagreement proves nothing.
    """
    try:
        tree = parse_module(task.test)
    except SyntaxError:
        return False
    names = {"candidate", task.entry_point}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):  # ``assert candidate(x)``, ``assert not candidate(x)``: a bool pinned
            test = node.test.operand if isinstance(node.test, ast.UnaryOp) else node.test
            if isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id in names:
                return True
        if isinstance(node, ast.Compare):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in names:
                    return True
    return False


def task_seed(task_id: str, salt: int = 0) -> int:
    digest = hashlib.sha256(f"bestofn-properties\0{salt}\0{task_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def is_plain(value: Any) -> bool:
    """Representable as a Python literal that round-trips (finite floats, builtin containers)."""
    t = type(value)
    if value is None or t in (bool, int, str):
        return True
    if t is float:
        return math.isfinite(value)
    if t in (list, tuple, set, frozenset):
        return all(is_plain(v) for v in value)
    if t is dict:
        return all(is_plain(k) and is_plain(v) for k, v in value.items())
    return False
