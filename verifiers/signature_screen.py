"""The screen a candidate passes before mypy reads it (``verifiers.typecheck``).

It parses the candidate (never runs it) and rejects what would let it silence or
dodge the checker: inline mypy configuration comments, ``no_type_check`` and
``TYPE_CHECKING``, an entry point whose annotations differ from the prompt's. It
blanks ``# type: ignore`` comments, and gives the entry point the prompt's
annotations where the candidate left them out. It runs in the pipeline's guarded
worker, as mypy does: pathological candidate text costs that process, not ours.
"""

from __future__ import annotations

import ast
import copy
import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass

from tasks.pyast import parse_expression, parse_module
from tasks.types import Task
from verifiers.channel import compile_candidate

_MYPY_CONFIG_RE = re.compile(r"^\s*#\s*mypy\s*:", re.IGNORECASE)
_TYPE_IGNORE_RE = re.compile(r"type\s*:\s*ignore", re.IGNORECASE)
_HIDING_NAMES = frozenset({"no_type_check", "no_type_check_decorator", "TYPE_CHECKING", "MYPY"})
"""``MYPY``: mypy reads a variable of that name as it reads ``TYPE_CHECKING`` (red team:
``MYPY = False; if not MYPY: def total(xs): ...`` hid the definition it runs)."""
_TYPING_ALIASES = {
    "List": "list",
    "Dict": "dict",
    "Tuple": "tuple",
    "Set": "set",
    "FrozenSet": "frozenset",
    "Type": "type",
    "DefaultDict": "collections.defaultdict",
    "Deque": "collections.deque",
}


@dataclass(frozen=True)
class Screened:
    """A candidate's source after the pre-mypy screen: what mypy sees, or why not."""

    text: str
    rejection: str = ""


@dataclass(frozen=True)
class Signature:
    """The prompt's annotations for the entry point, normalised; None = unannotated."""

    positional: tuple[str | None, ...]
    vararg: str | None
    kwonly: tuple[tuple[str, str | None], ...]
    kwarg: str | None
    returns: str | None


def screen(source: str, entry_point: str, signature: Signature | None,
            prompt_def: ast.FunctionDef | ast.AsyncFunctionDef | None = None,
            prompt_imports: Sequence[ast.stmt] = ()) -> Screened:
    try:
        compile_candidate(source)
        tree = parse_module(source, type_comments=True)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return Screened("", f"syntax error{where}: {exc.msg}")
    except (ValueError, TypeError) as exc:  # e.g. null bytes in the source
        return Screened("", f"cannot compile: {exc}")
    for number, line in enumerate(source.split("\n"), start=1):
        if _MYPY_CONFIG_RE.match(line):
            return Screened(
                "", f"inline mypy configuration comment (line {number}) is not allowed: {line.strip()}"
            )
    for node in ast.walk(tree):
        names: set[str] = set()
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.update({node.name.rsplit(".", 1)[-1], node.asname or ""})
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        for name in names & _HIDING_NAMES:
            line = getattr(node, "lineno", "?")
            return Screened("", f"uses {name} (line {line}), which hides code from the type checker")
        for name in names:
            if name.startswith(CHECK_PREFIX):
                line = getattr(node, "lineno", "?")
                return Screened("", f"uses {name} (line {line}): names starting {CHECK_PREFIX} are the checks'")
    filled = False
    if signature is not None:
        if prompt_def is not None:
            plain = parse_module(source)  # no type comments: unparse must not carry any ignore
            filled = _fill_missing_annotations(plain, entry_point, prompt_def)
            if filled:
                # The borrowed annotations may name what only the prompt imports (List).
                plain.body[:0] = copy.deepcopy(prompt_imports)
                tree = plain
        problem = _signature_problem(tree, entry_point, signature)
        if problem:
            plain = tree if filled else parse_module(source)  # no type comments: no ignore survives unparse
            entry = _find_def(plain, entry_point)
            if not isinstance(prompt_def, ast.FunctionDef) or not isinstance(entry, ast.FunctionDef) \
                    or len([*entry.args.posonlyargs, *entry.args.args]) < len([*prompt_def.args.posonlyargs,
                                                                              *prompt_def.args.args]):
                # Only a def whose body can be checked under the task's annotations: a
                # lambda, an alias or ``*args`` returning Any let a wrong return through (red team).
                return Screened("", problem)
            # Not the prompt's signature word for word: mypy judges whether it is one
            # the task's calls fit (``compatibility_check``), not this screen.
            return Screened(ast.unparse(compatibility_check(plain, entry_point, entry, prompt_def, prompt_imports))
                            + "\n")
    if filled:
        # The body is checked against the task's declared types even where the model
        # left them out; unparse drops every comment, type: ignore ones included.
        return Screened(ast.unparse(tree) + "\n")
    try:
        text = _neutralise_type_ignores(source)
    except (tokenize.TokenError, SyntaxError) as exc:
        return Screened("", f"cannot tokenize: {exc}")
    return Screened(text)


CHECK_PREFIX = "_bestofn_"
"""Names of the compatibility check's code (``compatibility_check``): a candidate that
uses one is rejected (red team: ``_bestofn_Signature = Any`` defined first made the
check's annotation mean Any, redefinitions being no error under our flags)."""


def compatibility_check(tree: ast.Module, entry_point: str, node: ast.FunctionDef, prompt_def: ast.FunctionDef,
                        prompt_imports: Sequence[ast.stmt]) -> ast.Module:
    """``tree`` with code for mypy to judge a candidate whose entry point ``node`` is not
    the prompt's signature word for word, placed right after ``node``: the entry point
    must be assignable to a callable of the prompt's signature (parameters positional, as
    the tests call them: a wider type, a generic, an overload are), and a copy of it with
    the prompt's annotations must type-check too, so that annotating ``Any`` hides
    nothing. A red team's right answers with ``Iterable[float]`` for ``List[float]``,
    ``list[T]`` or an overload were failed as "signature differs". Placed after the
    def, not at the end: a call typed ``NoReturn`` at the end made mypy skip all after it."""
    want = prompt_def.args
    any_ = ast.Attribute(value=ast.Name(id=f"{CHECK_PREFIX}typing", ctx=ast.Load()), attr="Any", ctx=ast.Load())

    def param(arg: ast.arg) -> ast.arg:
        return ast.arg(arg=arg.arg, annotation=copy.deepcopy(arg.annotation) if arg.annotation else any_)

    positional = [*want.posonlyargs, *want.args]
    call = ast.FunctionDef(
        name="__call__",
        args=ast.arguments(
            posonlyargs=[ast.arg(arg="self"), *[param(a) for a in positional]], args=[],
            vararg=param(want.vararg) if want.vararg else None,
            kwonlyargs=[param(a) for a in want.kwonlyargs],
            kw_defaults=[ast.Constant(value=...) if d is not None else None for d in want.kw_defaults],
            kwarg=param(want.kwarg) if want.kwarg else None,
            defaults=[ast.Constant(value=...) for _ in want.defaults]),
        body=[ast.Expr(value=ast.Constant(value=...))], decorator_list=[],
        returns=copy.deepcopy(prompt_def.returns) if prompt_def.returns else any_)
    protocol = ast.ClassDef(
        name=f"{CHECK_PREFIX}Signature", bases=[ast.Attribute(value=ast.Name(id=f"{CHECK_PREFIX}typing", ctx=ast.Load()),
                                                            attr="Protocol", ctx=ast.Load())],
        keywords=[], body=[call], decorator_list=[])
    assign = ast.AnnAssign(target=ast.Name(id=f"{CHECK_PREFIX}entry_point", ctx=ast.Store()),
                           annotation=ast.Name(id=f"{CHECK_PREFIX}Signature", ctx=ast.Load()),
                           value=ast.Name(id=entry_point, ctx=ast.Load()), simple=1)
    declared = copy.deepcopy(node)
    declared.name, declared.decorator_list = f"{CHECK_PREFIX}entry_point_as_declared", []
    _impose_annotations(declared, prompt_def, any_)
    _unbind_type_variables(declared, _type_variables(tree), any_)
    bound = _bound_names(tree.body)
    imports = [imp for imp in copy.deepcopy(list(prompt_imports))
               if not {a.asname or a.name.split(".")[0] for a in getattr(imp, "names", [])} & bound]
    block: list[ast.stmt] = [ast.Import(names=[ast.alias(name="typing", asname=f"{CHECK_PREFIX}typing")]),
                             *imports, protocol, assign, declared]
    at = tree.body.index(node) + 1
    module = ast.Module(body=[*tree.body[:at], *block, *tree.body[at:]], type_ignores=[])
    return ast.fix_missing_locations(module)


def _type_variables(tree: ast.Module) -> set[str]:
    """Module-level names bound to ``TypeVar(...)`` (or ``typing.TypeVar(...)``)."""
    found: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            func = stmt.value.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in ("TypeVar", "ParamSpec", "TypeVarTuple"):
                found.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
    return found


def _unbind_type_variables(node: ast.FunctionDef, variables: set[str], any_: ast.expr) -> None:
    """``Any`` for the candidate's type variables in the copy's body: its parameters now
    have the prompt's concrete types, so a ``T`` left in ``out: list[T] = []`` was
    unbound there (red team: right generic answers failed)."""
    class _Replace(ast.NodeTransformer):
        def visit_Name(self, name: ast.Name) -> ast.AST:
            return copy.deepcopy(any_) if name.id in variables else name

    if variables:
        node.body = [_Replace().visit(stmt) for stmt in node.body]


def _bound_names(body: Sequence[ast.stmt]) -> set[str]:
    """Names the candidate binds at module level (a prompt import of the same name would
    clash with one: ``List = list`` and ``from typing import List``)."""
    bound: set[str] = set()
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            bound.update(a.asname or a.name.split(".")[0] for a in stmt.names)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            bound.update(t.id for t in targets if isinstance(t, ast.Name))
    return bound


def _impose_annotations(node: ast.FunctionDef, prompt_def: ast.FunctionDef, any_: ast.expr) -> None:
    """The prompt's annotations on ``node`` where it has its parameters, ``any_`` wherever
    the prompt has none (the candidate's own may name a type variable the copy no
    longer binds)."""
    def imposed(want: ast.arg | None) -> ast.expr:
        return copy.deepcopy(want.annotation) if want is not None and want.annotation is not None else any_

    want, got = prompt_def.args, node.args
    wanted = [*want.posonlyargs, *want.args]
    for i, g in enumerate([*got.posonlyargs, *got.args]):
        g.annotation = imposed(wanted[i] if i < len(wanted) else None)
    for w_star, g_star in ((want.vararg, got.vararg), (want.kwarg, got.kwarg)):
        if g_star is not None:
            g_star.annotation = imposed(w_star)
    wanted_kwonly = {a.arg: a for a in want.kwonlyargs}
    for kw in got.kwonlyargs:
        kw.annotation = imposed(wanted_kwonly.get(kw.arg))
    node.returns = copy.deepcopy(prompt_def.returns) if prompt_def.returns is not None else any_


def _fill_missing_annotations(tree: ast.Module, entry_point: str,
                              prompt_def: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Give the candidate's entry point the prompt's annotations where it has none.

    A missing annotation is not a type error, so it must not fail the candidate; a
    different one is, and is left for ``_signature_problem`` to reject.
    """
    node = _find_def(tree, entry_point)
    if node is None:
        return False
    changed = False
    want, got = prompt_def.args, node.args
    want_pos, got_pos = [*want.posonlyargs, *want.args], [*got.posonlyargs, *got.args]
    for w, g in zip(want_pos, got_pos):
        if g.annotation is None and w.annotation is not None:
            g.annotation = copy.deepcopy(w.annotation)
            changed = True
    pairs = [(w, g) for w, g in ((want.vararg, got.vararg), (want.kwarg, got.kwarg))
             if w is not None and g is not None]
    for w_star, g_star in pairs:
        if g_star.annotation is None and w_star.annotation is not None:
            g_star.annotation = copy.deepcopy(w_star.annotation)
            changed = True
    got_kwonly = {a.arg: a for a in got.kwonlyargs}
    for w in want.kwonlyargs:
        kw = got_kwonly.get(w.arg)
        if kw is not None and kw.annotation is None and w.annotation is not None:
            kw.annotation = copy.deepcopy(w.annotation)
            changed = True
    if node.returns is None and prompt_def.returns is not None:
        node.returns = copy.deepcopy(prompt_def.returns)
        changed = True
    return changed


def _neutralise_type_ignores(source: str) -> str:
    """Blanks every comment that holds ``type: ignore`` (lines and columns kept)."""
    if not _TYPE_IGNORE_RE.search(source):
        return source
    lines = io.StringIO(source).readlines()
    spans: list[tuple[int, int, int]] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and _TYPE_IGNORE_RE.search(token.string):
            (row, col), (end_row, end_col) = token.start, token.end
            if row == end_row:
                spans.append((row - 1, col, end_col))
    for row, col, end_col in spans:
        line = lines[row]
        lines[row] = line[:col] + "#" + " " * (end_col - col - 1) + line[end_col:]
    return "".join(lines)


def _normalise(annotation: ast.expr | None) -> str | None:
    """An annotation as comparable text: typing aliases and unions made canonical."""
    if annotation is None:
        return None
    return ast.dump(_Canonical().visit(_copy(annotation)), annotate_fields=False)


def _copy(node: ast.expr) -> ast.expr:
    parsed = parse_expression(ast.unparse(node))
    return parsed.body


class _Canonical(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str):  # a forward reference
            try:
                parsed: ast.AST = self.visit(parse_expression(node.value).body)
            except SyntaxError:
                return node
            return parsed
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        alias = _TYPING_ALIASES.get(node.id)
        return ast.Name(id=alias, ctx=ast.Load()) if alias else node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == "typing":
            alias = _TYPING_ALIASES.get(node.attr, node.attr)
            return ast.Name(id=alias, ctx=ast.Load())
        return self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        base = self.visit(node.value)
        name = base.id if isinstance(base, ast.Name) else None
        if name in ("Optional", "Union"):
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            members = [self.visit(item) for item in items]
            if name == "Optional":
                members.append(ast.Constant(value=None))
            return _union(members)
        return ast.Subscript(value=base, slice=self.visit(node.slice), ctx=ast.Load())

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        if isinstance(node.op, ast.BitOr):
            return _union([self.visit(node.left), self.visit(node.right)])
        return self.generic_visit(node)


def _union(members: list[ast.AST]) -> ast.AST:
    """``Union[...]`` of the members, nested unions flattened, sorted, deduplicated."""
    flat: dict[str, ast.expr] = {}
    for member in members:
        if not isinstance(member, ast.expr):  # pragma: no cover - visitors return expressions
            continue
        parts = [member]
        if (
            isinstance(member, ast.Subscript)
            and isinstance(member.value, ast.Name)
            and member.value.id == "Union"
            and isinstance(member.slice, ast.Tuple)
        ):
            parts = member.slice.elts
        for part in parts:
            flat[ast.dump(part, annotate_fields=False)] = part
    ordered = [flat[k] for k in sorted(flat)]
    if len(ordered) == 1:
        return ordered[0]
    union = ast.Tuple(elts=ordered, ctx=ast.Load())
    return ast.Subscript(value=ast.Name(id="Union", ctx=ast.Load()), slice=union, ctx=ast.Load())


def _find_def(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    found: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            found = node
    return found


def signature_of(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Signature:
    args = node.args
    return Signature(
        positional=tuple(_normalise(a.annotation) for a in [*args.posonlyargs, *args.args]),
        vararg=_normalise(args.vararg.annotation) if args.vararg else None,
        kwonly=tuple((a.arg, _normalise(a.annotation)) for a in args.kwonlyargs),
        kwarg=_normalise(args.kwarg.annotation) if args.kwarg else None,
        returns=_normalise(node.returns),
    )


def prompt_definition(task: Task) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef | None, list[ast.stmt]]:
    """The prompt's definition of the entry point, and its top-level imports."""
    try:
        tree = parse_module(task.prompt)
    except SyntaxError:
        return None, []
    imports: list[ast.stmt] = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    return _find_def(tree, task.entry_point), imports


def _signature_problem(tree: ast.Module, entry_point: str, want: Signature) -> str:
    node = _find_def(tree, entry_point)
    if node is None:
        return f"no module-level def of the entry point {entry_point!r} to check"
    got = signature_of(node)
    mismatch = f"signature of {entry_point!r} differs from the task's"
    if len(got.positional) < len(want.positional):
        return f"{mismatch}: fewer positional parameters"
    for i, annotation in enumerate(want.positional):
        if annotation is not None and got.positional[i] != annotation:
            return f"{mismatch}: annotation of parameter {i + 1}"
    if want.vararg is not None and got.vararg != want.vararg:
        return f"{mismatch}: annotation of *args"
    if want.kwarg is not None and got.kwarg != want.kwarg:
        return f"{mismatch}: annotation of **kwargs"
    got_kwonly = dict(got.kwonly)
    for name, annotation in want.kwonly:
        if annotation is not None and got_kwonly.get(name) != annotation:
            return f"{mismatch}: annotation of {name!r}"
    if want.returns is not None and got.returns != want.returns:
        return f"{mismatch}: return annotation"
    return ""
