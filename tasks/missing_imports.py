"""The standard-library imports a model's program uses but never wrote.

A prefilled answer (``sampler.core.prompting.ANSWER_PREFILL``) starts with the task's
own code, so the model writes the body only: where it reaches for ``math.ceil`` or
``factorial(i)`` the place for the import is already behind it, and a program that
is right apart from that dies with a NameError. On the full HumanEval runs
full22-full24 that was 60 samples of 88 NameErrors, most of them HumanEval/133
(``math.ceil``) and /139 (``factorial``), which both runs left unsolved.

``with_missing_imports`` puts such an import in front of the program, only where
nothing in the program can be relying on the name being unbound or bound to
something else: a module (``math``) only where every use of its name in the code is
an attribute (``math.ceil``), so nothing assigns, imports or takes it as a parameter;
a function (``factorial``) only where every use is a call or a decorator and nothing
defines it. An import it adds where the name was in fact bound (``exec``,
``globals()``) names the same standard object the model's code reached for.

The program is read as text, never parsed: it is a candidate's, and nothing of a
candidate is parsed outside the sandbox. Every pattern runs in linear time.
"""

from __future__ import annotations

import re

from tasks.program import split_future_imports

MODULES = ("bisect", "cmath", "collections", "copy", "decimal", "fractions", "functools", "hashlib",
           "heapq", "itertools", "math", "operator", "re", "statistics", "string", "sys")
"""Modules a function body reaches for by name: computation only, nothing that touches
the machine (the sandbox would stop it, but bestofn never writes such an import)."""

FUNCTIONS: dict[str, tuple[str, ...]] = {
    "math": ("ceil", "comb", "exp", "fabs", "factorial", "floor", "fsum", "gcd", "hypot", "isclose",
             "isqrt", "lcm", "log", "log10", "log2", "perm", "prod", "sqrt", "trunc"),
    "collections": ("Counter", "OrderedDict", "defaultdict", "deque", "namedtuple"),
    "itertools": ("accumulate", "chain", "combinations", "combinations_with_replacement", "groupby",
                  "islice", "permutations", "zip_longest"),
    "functools": ("cache", "cmp_to_key", "lru_cache", "partial", "reduce"),
    "heapq": ("heapify", "heappop", "heappush", "heappushpop", "heapreplace", "nlargest", "nsmallest"),
    "bisect": ("bisect_left", "bisect_right", "insort", "insort_left", "insort_right"),
    "fractions": ("Fraction",),
    "decimal": ("Decimal",),
    "operator": ("attrgetter", "itemgetter"),
}
"""Functions a model calls bare, as if it had written ``from math import factorial``.
None of them is a builtin's name (``math.pow`` is left out: it would shadow ``pow``),
and each name is in one module only."""

_SOURCE_OF = {name: module for module, names in FUNCTIONS.items() for name in names}

# Strings, comments and names, left to right. Strings and comments are matched so the
# words inside them are skipped ("the special factorial of this integer" in a docstring
# is no use of ``factorial``). Each string body takes an escape pair or one other
# character, never both, and cannot hold its closing quotes, so a match is linear; an
# unterminated one ends at the line's end (or the text's, for triple quotes).
_STRING_PREFIX = r"(?:[rRbBuUfF]{1,2}(?=['\"]))?"
_TOKENS = re.compile(
    _STRING_PREFIX + r'(?:"""(?:\\.|"(?!"")|[^\\"])*(?:"""|\Z)|' r"'''(?:\\.|'(?!'')|[^\\'])*(?:'''|\Z)"
    r'|"(?:\\.|[^\\"\r\n])*"?|' r"'(?:\\.|[^\\'\r\n])*'?)"
    r"|(?P<comment>#[^\r\n]*)"
    r"|(?P<name>[A-Za-z_]\w*)",
    re.DOTALL,
)
_AFTER_ATTRIBUTE = re.compile(r"[ \t]*\.[ \t]*[A-Za-z_]")
_AFTER_CALL = re.compile(r"[ \t]*\(")
_BEFORE_DEFINITION = re.compile(r"(?:def|class)[ \t]+\Z")


def missing_imports(program: str) -> list[str]:
    """The import lines ``program`` needs for standard names it uses and never binds."""
    uses: dict[str, list[bool]] = {}  # a wanted name -> for each use, whether it allows the import
    for token in _TOKENS.finditer(program):
        name = token.group("name")
        if name is None or (name not in _SOURCE_OF and name not in MODULES):
            continue
        start, end = token.span()
        before = program[max(0, start - 16):start]
        if before.rstrip(" \t").endswith("."):
            continue  # an attribute of something else (``self.heap``, ``np.sqrt``)
        if name in MODULES:
            allowed = _AFTER_ATTRIBUTE.match(program, end) is not None
        else:
            allowed = ((_AFTER_CALL.match(program, end) is not None or before.rstrip(" \t").endswith("@"))
                       and _BEFORE_DEFINITION.search(before) is None)
        uses.setdefault(name, []).append(allowed)
    wanted = sorted(name for name, each in uses.items() if all(each))
    modules = [name for name in wanted if name in MODULES]
    lines = [f"import {', '.join(modules)}"] if modules else []
    functions: dict[str, list[str]] = {}
    for name in wanted:
        if name in _SOURCE_OF:
            functions.setdefault(_SOURCE_OF[name], []).append(name)
    lines.extend(f"from {module} import {', '.join(names)}" for module, names in sorted(functions.items()))
    return lines


def with_missing_imports(program: str) -> str:
    """``program`` with the imports of ``missing_imports`` in front, after its ``from
    __future__`` imports (which must stay first); unchanged where none is missing."""
    lines = missing_imports(program)
    if not lines:
        return program
    future, rest = split_future_imports(program)
    return future + "\n".join(lines) + "\n" + rest
