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
   those words, single-spaced when every example is and the task's words speak of
   spaces without making the spacing matter); strings whose examples share a format around their numbers
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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tasks.pyast import parse_expression, parse_module
from tasks.types import Task
from verifiers.shapes import Shape, constrain, union
from verifiers.stated_domain import Domain, repeats


_PRIMITIVES = {"int", "float", "str", "bool", "none"}
_TYPING_NAMES = {
    "int": "int", "float": "float", "str": "str", "bool": "bool", "None": "none",
    "List": "list", "list": "list", "Set": "set", "set": "set", "FrozenSet": "set",
    "Tuple": "tuple", "tuple": "tuple", "Dict": "dict", "dict": "dict",
    "Optional": "optional", "Union": "union", "Sequence": "list", "Iterable": "list",
}  # fmt: skip


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
        return union([shape_of_annotation(node.left), shape_of_annotation(node.right)])
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
        return union([shape_of_annotation(args[0]), Shape("none")])
    if kind == "union":
        return union([shape_of_annotation(a) for a in args])
    return Shape("any")


def _name_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "typing":
        return node.attr
    return None


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
        shape = counted_if_stated(shape, stated, values)
        shape = with_negatives(shape) if stated.signed else shape
        shape = above_zero(shape) if not stated.zero else shape
        shape = any_spacing(shape) if stated.spacing or not stated.spaces else shape
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


SMALLEST_POSITIVE = 0.01
"""Where a task's floats are "positive", the least one generated (they are drawn
rounded to two places, and next to them)."""


def above_zero(shape: Shape) -> Shape:
    """``shape`` with its floats above zero, at every depth, for a task whose words say
    its numbers are positive ("Given a positive floating point number"): non-negative
    examples let 0.0 in, and a right answer to HumanEval/2 that refuses it was disputed
    there (red team). Ints need nothing: they start where the examples do."""
    if shape.kind == "float" and shape.lo == 0.0 and (shape.hi or 0.0) > SMALLEST_POSITIVE:
        return dataclasses.replace(shape, lo=SMALLEST_POSITIVE)
    if shape.items:
        return dataclasses.replace(shape, items=tuple(above_zero(item) for item in shape.items))
    return shape


def any_spacing(shape: Shape) -> Shape:
    """``shape`` with its strings spaced any way, at every depth: for a task whose words
    make spacing matter (HumanEval/86: "keep the order of words and blank spaces"), and
    for one whose words never speak of spaces, whose answers must keep any spacing
    (HumanEval/27's ``flip_case``, /162's hash: single-spaced inputs let an answer that
    collapses spaces through, red team)."""
    if shape.kind == "str" and shape.spaced:
        return dataclasses.replace(shape, spaced=False)
    if shape.items:
        return dataclasses.replace(shape, items=tuple(any_spacing(item) for item in shape.items))
    return shape


def unique_if_stated(shape: Shape, stated: Domain, values: Sequence[Any]) -> Shape:
    """A list shape without repeats, when the task promises unique elements and every
    example list keeps the promise (HumanEval/109: "guaranteed to have unique elements")."""
    if not stated.unique or shape.kind != "list" or not values \
            or not all(type(v) is list and not repeats(v) for v in values):
        return shape
    return dataclasses.replace(shape, unique=True)


def counted_if_stated(shape: Shape, stated: Domain, values: Sequence[Any]) -> Shape:
    """A list shape of exactly the size the task states ("a list of two strings",
    HumanEval/119), when every example list has it: a right answer's ``a, b = lst`` was
    disputed on three strings (red team)."""
    if not stated.counted or shape.kind != "list" or not values \
            or not all(type(v) is list and len(v) == stated.counted for v in values):
        return shape
    return dataclasses.replace(shape, min_size=stated.counted, max_size=stated.counted)


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
