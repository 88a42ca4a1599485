"""The standard-library imports a model's program uses but never wrote.

A prefilled answer (``sampler.core.prompting.ANSWER_PREFILL``) starts with the task's
own code, so the model writes the body only: where it reaches for ``math.ceil`` or
``factorial(i)`` the place for the import is already behind it, and a program that
is right apart from that dies with a NameError. On the full HumanEval runs
full22-full24 that was 60 samples of 88 NameErrors, most of them HumanEval/133
(``math.ceil``) and /139 (``factorial``), which both runs left unsolved.

``with_missing_imports`` puts such an import after the program's header, only where
nothing in the program can be relying on the name being unbound or bound to
something else: a module (``math``) only where every use of its name in the code is
an attribute (``math.ceil``), so nothing assigns, imports or takes it as a parameter;
a function (``factorial``) only where every use is a call or a decorator and no
``def`` or ``class`` of it appears. A program with a star import, a name outside
ASCII, or a way to bind names unseen (``globals()``, ``builtins``) or to look for
them (``except NameError``) gets none.

The program is read as text, never parsed: it is a candidate's, and nothing of a
candidate is parsed outside the sandbox. Every pattern runs in linear time.
"""

from __future__ import annotations

import re

from tasks.program import ESCAPE, header_end

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
# is no use of ``factorial``). Each string body takes an escape or one other character,
# never both, and cannot hold its closing quotes, so a match is linear; an unterminated
# one ends at the line's end (or the text's, for triple quotes). Names are Python's,
# Unicode included.
_STRING_PREFIX = r"(?:[rRbBuUfF]{1,2}(?=['\"]))?"
_TOKENS = re.compile(
    _STRING_PREFIX + r'(?:"""(?:' + ESCAPE + r'|"(?!"")|[^\\"])*(?:"""|\Z)|'
    r"'''(?:" + ESCAPE + r"|'(?!'')|[^\\'])*(?:'''|\Z)"
    r'|"(?:' + ESCAPE + r'|[^\\"\r\n])*"?|' r"'(?:" + ESCAPE + r"|[^\\'\r\n])*'?)"
    r"|(?P<comment>#[^\r\n]*)"
    r"|(?P<name>[^\W\d]\w*)",
    re.DOTALL,
)
_AFTER_ATTRIBUTE = re.compile(r"[ \t]*\.[ \t]*[A-Za-z_]")
_AFTER_CALL = re.compile(r"[ \t]*\(")
_STAR = re.compile(r"[ \t]*\*")

BINDS_UNSEEN = frozenset({"builtins", "__builtins__", "globals", "locals", "vars", "NameError"})
"""Names through which a program can bind a name no text shows, or look for one
(``globals().setdefault("factorial", f)``, ``builtins.gcd = f``, ``except NameError``):
a program that uses one gets no import, since one could change what it does."""


def missing_imports(program: str) -> list[str]:
    """The import lines ``program`` needs for standard names it uses and never binds."""
    uses: dict[str, list[bool]] = {}  # a wanted name -> for each use, whether it allows the import
    for token in _TOKENS.finditer(program):
        name = token.group("name")
        if name is None:
            continue
        start, end = token.span()
        if not name.isascii() or name in BINDS_UNSEEN \
                or (name == "import" and _STAR.match(program, end) is not None):
            # Python reads a full-width "ｆactorial" as ``factorial``, and a star import
            # binds names no text shows: nothing here can tell what they bind.
            return []
        if name not in _SOURCE_OF and name not in MODULES:
            continue
        before = program[max(0, start - 16):start].rstrip(" \t")
        if before.endswith("."):
            continue  # an attribute of something else (``self.heap``, ``np.sqrt``)
        if name in MODULES:
            allowed = _AFTER_ATTRIBUTE.match(program, end) is not None
        else:
            allowed = _AFTER_CALL.match(program, end) is not None or before.endswith("@")
        uses.setdefault(name, []).append(allowed)
    wanted = [name for name, each in sorted(uses.items()) if all(each) and not _defined(program, name)]
    modules = [name for name in wanted if name in MODULES]
    lines = [f"import {', '.join(modules)}"] if modules else []
    functions: dict[str, list[str]] = {}
    for name in wanted:
        if name in _SOURCE_OF:
            functions.setdefault(_SOURCE_OF[name], []).append(name)
    lines.extend(f"from {module} import {', '.join(names)}" for module, names in sorted(functions.items()))
    return lines


def _defined(program: str, name: str) -> bool:
    """Whether a ``def`` or ``class`` of ``name`` appears anywhere in the text, however
    far apart on a continued line (in a string too: that costs only an import not made)."""
    return re.search(r"\b(?:def|class)(?:[ \t\f]|\\(?:\r\n|\r|\n))+" + name + r"\b", program) is not None


def with_missing_imports(program: str) -> str:
    """``program`` with the imports of ``missing_imports`` after its header (comments, a
    module docstring, ``from __future__`` imports: ``tasks.program.header_end``), so
    nothing of the program moves. Unchanged where none is missing, or where a future
    import stands below the header (a layout the header's reading does not follow: an
    import above it would be a SyntaxError)."""
    lines = missing_imports(program)
    if not lines:
        return program
    at = header_end(program)
    if "__future__" in program[at:]:
        return program
    head = program[:at]
    if head and not head.endswith(("\n", "\r")):
        head += "\n"
    return head + "\n".join(lines) + "\n" + program[at:]
