"""Tests from a task's own examples, for tasks that arrive without tests.

A prompt often states what its function must do on a few inputs: doctest lines
(``>>> f(2)`` then ``4``), ``f(2) == 4`` and ``f(2) ➞ 4`` lines (HumanEval's
docstrings hold all three) and ``assert`` lines (as MBPP's prompts hold). ``examples_test`` turns them into a ``check(candidate)``, run
in the sandbox like any test. Only examples whose expected value is a plain literal
(numbers, strings, None, booleans, and containers of them) are kept: an output
that is an exception, an object's repr or prose is skipped, not guessed at. Floats
compare within 1e-6 (a docstring shows them rounded).
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import replace

from tasks.pyast import AWAITED_BODY, BUILTIN_NAMES, literal_eval_text, parse_expression, parse_module, unparse_or_none
from tasks.types import Task

_DOCTEST = re.compile(r"^\s*>>>\s?(.*)$")

_CHECK_HEAD = '''def _bestofn_same(got, expected):
    if isinstance(expected, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        return abs(got - expected) <= 1e-6 * max(1.0, abs(expected))
    if isinstance(expected, (list, tuple)) and type(got) is type(expected):
        return len(got) == len(expected) and all(_bestofn_same(g, e) for g, e in zip(got, expected))
    return got == expected


def _bestofn_printed(got, shown):
    # What ``print(got)`` shows, trailing blanks aside; a float within the tolerance.
    if str(got).rstrip() == shown:
        return True
    try:
        return isinstance(got, float) and _bestofn_same(got, float(shown))
    except ValueError:
        return False


def _bestofn_same_or_one(got, expected):
    # "f(x) ==> ('Venus')": a string in Python, a tuple of one to the task's author.
    return _bestofn_same(got, expected) or _bestofn_same(got, (expected,))


def check(candidate):
    {entry} = candidate
'''


def _literal(text: str) -> str | None:
    """``text`` as the literal source the generated test carries, or None if it is no
    literal an answer can equal. Written anew from its syntax tree: pasted as written,
    ``4  # two times two`` swallowed the assert's closing parenthesis, the test did not
    compile, and the task was refused (red team). ``[0, 1, 1, 2, ...]`` elides the rest
    (doctest's ELLIPSIS); read as Python's ``...`` no answer equalled it (red team). One
    value in parentheses keeps them (``_one_in_parentheses``)."""
    try:
        tree = parse_expression(text.strip())
        ast.literal_eval(tree)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if any(isinstance(node, ast.Constant) and node.value is Ellipsis for node in ast.walk(tree)):
        return None
    source = unparse_or_none(tree)
    if source is None:
        return None
    return f"({source})" if _one_in_parentheses(text) else source


@functools.lru_cache(maxsize=64)
def _defined_names(prompt: str) -> frozenset[str]:
    """The names the prompt's own code binds at its top level (its classes above all:
    ``length(ListNode(1, ListNode(2)))`` is an example, run where the prompt is loaded,
    and the object crosses to the candidate as one of its class, docs/VERIFICATION.md)."""
    for source in (prompt, prompt + AWAITED_BODY):
        try:
            tree = parse_module(source)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        names = set()
        for node in tree.body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                if not _awaits_body(node):
                    names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(target.id for target in node.targets if isinstance(target, ast.Name))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        return frozenset(names)
    return frozenset()


def _awaits_body(node: ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a definition of the prompt is left for the candidate to write (a body of a
    docstring, ``pass`` or ``...`` alone, or a class holding one): an example calling it
    would run the prompt's empty one where the tests run, not the candidate's (a
    fifteenth red team: ``f(square(3))`` failed every right answer on ``None + 1``)."""
    if isinstance(node, ast.ClassDef):
        return _empty(node.body) or any(
            _awaits_body(item) for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return _empty(node.body)


def _empty(body: list[ast.stmt]) -> bool:
    return all(isinstance(stmt, ast.Pass) or isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
               and (isinstance(stmt.value.value, str) or stmt.value.value is Ellipsis) for stmt in body)


def _call(expression: str, entry_point: str, prompt: str = "") -> str | None:
    """The expression, normalised (comments dropped), when it parses and calls the
    entry point somewhere, naming nothing but builtins and what the prompt defines;
    else None."""
    try:
        tree = parse_expression(expression.strip())
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if not any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == entry_point
               for node in ast.walk(tree)):
        return None
    # A placeholder (``is_happy(a) => False``) names something the example never defines.
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    if names - {entry_point} - BUILTIN_NAMES - _defined_names(prompt):
        return None
    return unparse_or_none(tree)  # an example too deep to unparse is not one


_ARROWS = ("==>", "➞", "=>", "->", "→")


def inline_examples(prompt: str, entry_point: str) -> list[tuple[str, str]]:
    """``f(x) == y`` and ``f(x) ➞ y`` (also ``=>``, ``->``, ``==>``) lines, as many
    HumanEval docstrings state their examples, where ``y`` is a literal."""
    found = []
    for line in prompt.splitlines():
        text = line.strip().rstrip(",;")
        if not text or text.startswith((">>>", "def ", "assert ", "#")):
            continue
        pair: tuple[str, str] | None = None
        try:
            tree = parse_expression(text)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            tree = None
        if tree is not None and isinstance(tree.body, ast.Compare) and len(tree.body.ops) == 1 \
                and isinstance(tree.body.ops[0], ast.Eq):
            left, right = unparse_or_none(tree.body.left), unparse_or_none(tree.body.comparators[0])
            if left is None or right is None:
                continue
            pair = (left, right)
        else:
            for arrow in _ARROWS:
                if arrow in text:
                    left, _, right = text.partition(arrow)
                    pair = (left, right.strip())
                    break
        if pair is None:
            continue
        expression = _call(pair[0], entry_point, prompt)
        expected = _literal(pair[1])
        if expression is not None and expected is not None:
            found.append((expression, expected))
    return found


def doctest_examples(prompt: str, entry_point: str) -> list[tuple[str, str]]:
    """``(expression, expected)`` of each ``>>>`` line calling the entry point whose
    output (the lines up to a blank line or the next prompt) is a literal."""
    lines = prompt.splitlines()
    found = []
    for i, line in enumerate(lines):
        match = _DOCTEST.match(line)
        if match is None:
            continue
        output = []
        for j in range(i + 1, len(lines)):  # by index: a slice copied the rest, quadratic (red team)
            following = lines[j]
            if not following.strip() or _DOCTEST.match(following) or following.strip() in ('"""', "'''"):
                break
            text = following.strip()
            ended = text.endswith(('"""', "'''"))
            output.append(text[:-3].strip() if ended else text)
            if ended:
                break
        shown_text = " ".join(o for o in output if o)
        expression = _call(match.group(1), entry_point, prompt)
        if expression is None or not shown_text:
            continue
        printing = _print_call(expression)
        if printing is not None:
            example = _printed_example(printing, line, lines[i + 1], len(output))
            if example is not None:
                found.append(example)
            continue
        expected = _literal(shown_text)
        if expected is not None:
            found.append((expression, expected))
    return found


def _print_call(expression: str) -> ast.Call | None:
    """The call, if ``expression`` is a call of ``print``."""
    try:
        call = parse_expression(expression).body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "print":
        return call
    return None


def _printed_example(call: ast.Call, line: str, shown_line: str, output_lines: int) -> tuple[str, str] | None:
    """``>>> print(f(x))`` shows str() of the value, and print itself returns None: every
    right answer failed while the call was compared whole (red team). The line is as
    shown, less the example's own indentation, tabs expanded as doctest does (``'   ab'``
    keeps its spaces: stripped, a wrong answer passed and the right one failed). Only one
    value printed (no ``end=``, ``sep=``, ``*args``), on one line, and nothing elided."""
    if len(call.args) != 1 or call.keywords or isinstance(call.args[0], ast.Starred) or output_lines != 1:
        return None
    printed = unparse_or_none(call.args[0])
    indent = len(line.expandtabs()) - len(line.expandtabs().lstrip())
    shown = shown_line.expandtabs()
    shown = (shown[indent:] if not shown[:indent].strip() else shown.lstrip()).rstrip()
    shown = shown.removesuffix('"""').removesuffix("'''").rstrip()
    if printed is None or not shown or "..." in shown:
        return None
    return f"_bestofn_printed({printed}, {shown!r})", "True"


def _one_in_parentheses(expected: str) -> bool:
    """Whether ``expected`` is one value in parentheses (``('Venus')``), not a tuple."""
    text = expected.strip()
    if not (text.startswith("(") and text.endswith(")")):
        return False
    try:
        return not isinstance(literal_eval_text(text), tuple)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False


def assert_examples(prompt: str, entry_point: str) -> list[str]:
    """Each ``assert`` line of the prompt that parses and calls the entry point."""
    found = []
    for line in prompt.splitlines():
        text = line.strip()
        if not text.startswith("assert "):
            continue
        try:
            tree = parse_module(text)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
            continue
        test, statement = unparse_or_none(tree.body[0].test), unparse_or_none(tree.body[0])
        if test is not None and statement is not None and _call(test, entry_point, prompt) is not None:
            found.append(statement)
    return found


def _example_lines(prompt: str, entry_point: str) -> list[str]:
    pairs = doctest_examples(prompt, entry_point) + inline_examples(prompt, entry_point)
    body = [f"    assert _bestofn_same{'_or_one' if _one_in_parentheses(expected) else ''}({expression}, "
            f"{expected}), {expression!r}" for expression, expected in pairs]
    body += [f"    {line}" for line in assert_examples(prompt, entry_point)]
    # Each line must compile where it goes (a value nested near the parser's limit gains a
    # level inside the assert): one that does not is no example, not a task that fails to load.
    return [line for line in dict.fromkeys(body) if _compiles(line.strip())]


def _compiles(statement: str) -> bool:
    try:
        parse_module(statement)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def example_count(prompt: str, entry_point: str) -> int:
    """How many distinct examples the prompt states (the asserts ``examples_test`` makes)."""
    return len(_example_lines(prompt, entry_point))


def examples_test(prompt: str, entry_point: str) -> str:
    """A ``check(candidate)`` asserting the prompt's examples; "" when it states none."""
    body = _example_lines(prompt, entry_point)
    if not body:
        return ""
    return _CHECK_HEAD.format(entry=entry_point) + "\n".join(body) + "\n"


def with_example_tests(task: Task) -> Task:
    """``task`` judged by its prompt's examples (``test_origin`` says so)."""
    test = examples_test(task.prompt, task.entry_point)
    return replace(task, test=test, test_origin="examples" if test else "none")
