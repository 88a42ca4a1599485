"""Can the strong model tell a right function from a careless one by a few of its results?

An exploratory measure for tasks without tests (issue 17). The picks still called
wrong on held-out MBPP-style sets are misreadings every reader shares (a full sort for
"one pass of bubble sort", the first occurrence for "the last occurrence"): no reader
writes the right code, so no agreement check can see them. A check that does not
have to write the code might: reading one result against the task's words
(``last_index_of_min([9, 9, 12]) returns 0`` against "the last occurrence").

Measured without any sampling run. For each task of a held-out set whose prompt
states fewer than two examples (where ``solve``'s careful reader is asked too), its
reference and the careless variants written with it (each fits the prompt's example,
each fails the hidden tests) are run in the sandbox on the task's own inputs
(``verifiers.outputs``: the examples' calls, the edge cases made from them,
generated ones). Calls off the prompt's examples, short enough to read, spread over
their lengths from the shortest to the longest, are what the model sees. Two ways
to ask it, each one greedy request:

- ``--mode mark``: shown one function's results (``f([1, 1]) returns 0``), it marks
  each right or wrong; a function is vetoed when any is marked wrong. One request per
  function.
- ``--mode predict``: shown the calls alone, it writes the value a correct function
  returns on each; a function is vetoed when its results differ from the predictions
  on at least t calls (printed for t = 1..4). One request per task, whatever the
  functions.

Printed: how many references and how many careless variants are vetoed. A useful
check vetoes most careless variants and few references.

    .venv/bin/python benchmarks/judge_outputs.py benchmarks/data/mbpp_style_n.jsonl --careless CARELESS.json \\
        [--mode mark|predict] [--model qwen2.5-coder-1.5b] [--probes 8] [--limit K] [--out FILE.jsonl]

CARELESS.json maps each task id to a list of careless variants' source.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import math
import re
import sys
import time
from pathlib import Path
from typing import Any

from sampler.backends.base import Backend, ChatMessage, GenerationRequest
from sampler.backends.factory import make_backend, prefills_answers
from tasks.examples import example_count, with_example_tests
from tasks.program import reference_program
from tasks.registry import select_tasks
from tasks.types import Task
from verifiers.outputs import Behaviour, Inputs, Kind, Output, OutputCollector
from verifiers.runtime.codec import CodecError, decode
from verifiers.types import Candidate

MARK = """Here is a programming task:

{words}

A function was written for it. Here is what it returned on some calls:

{lines}

Read the task's words carefully. For each numbered result, say whether the task's words make it right or wrong. \
Answer with one line per result, like `1. right` or `1. wrong`."""
PREDICT = """Here is a programming task:

{words}

For each call below, work out from the task's words the value a correct function returns, \
and write it as a Python literal (write `raises` if it must raise an exception). \
Answer with one line per call, like `1. <value>`.

{lines}"""
SHOWN_CHARS = 80
"""A result line longer than this is not shown (too long for a small model to read)."""
CALL_CHARS = 60
"""The same for a call shown alone, to predict."""
_NUMBERED = re.compile(r"(?m)^\s*(\d+)\.\s*(.+?)\s*$")
RAISES = object()
"""A prediction that the call raises."""


def task_words(task: Task) -> str:
    """A prompt that is only a docstring (MBPP's style) as its words; one with code as that code, fenced."""
    words = task.prompt.strip()
    if words.startswith(('"""', "'''")) and words.endswith(('"""', "'''")) and words.count(words[:3]) == 2:
        return words[3:-3].strip()
    return f"```python\n{task.prompt.rstrip()}\n```"


def spread(lines: list[str], probes: int, chars: int = SHOWN_CHARS) -> list[str]:
    """Up to ``probes`` of ``lines`` no longer than ``chars``, by length, from the shortest to the longest."""
    ranked = sorted(dict.fromkeys(line for line in lines if len(line) <= chars), key=len)
    if len(ranked) <= probes:
        return ranked
    return [ranked[round(i * (len(ranked) - 1) / (probes - 1))] for i in range(probes)]


def call_text(entry: str, call: tuple[Any, ...]) -> str:
    return f"{entry}({', '.join(repr(a) for a in call)})"


def result_line(entry: str, call: tuple[Any, ...], output: Output) -> str | None:
    # Output trees are the collector harness's; ``runtime.codec.decode`` reads them alike
    # but for bytes (hex there, base64 here), which no task of these sets returns.
    if output.kind is Kind.RAISED:
        return f"{call_text(entry, call)} raises {output.value}"
    if output.kind is not Kind.VALUE:
        return None
    try:
        return f"{call_text(entry, call)} returns {_rounded(decode(output.value))!r}"
    except CodecError:  # a digest of a value too long to keep
        return None


def _rounded(value: Any) -> Any:
    """Floats to 12 significant digits, in containers too (0.48, not 0.4800000000000004)."""
    if type(value) is float:
        return float(f"{value:.12g}")
    if type(value) in (list, tuple, set, frozenset):
        return type(value)(_rounded(v) for v in value)
    if type(value) is dict:
        return {_rounded(k): _rounded(v) for k, v in value.items()}
    return value


def numbered(text: str, count: int) -> dict[int, str]:
    """Line number -> what follows it, for the first line of each number 1..count."""
    found: dict[int, str] = {}
    for number, rest in _NUMBERED.findall(text):
        if 1 <= int(number) <= count:
            found.setdefault(int(number), rest.strip().strip("`").strip())
    return found


def prediction(text: str) -> object:
    """A predicted value, ``RAISES``, or None when unreadable."""
    if text.lower().startswith("raise"):
        return RAISES
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def matches(predicted: object, output: Output) -> bool:
    if predicted is RAISES:
        return output.kind is Kind.RAISED
    if output.kind is not Kind.VALUE:
        return False
    try:
        return _equal(predicted, decode(output.value))
    except CodecError:
        return True  # a digest: nothing to compare


def _equal(a: object, b: object) -> bool:
    """Looser than ``verifiers.agreement.same_tree`` on purpose: a model writes ``2`` for
    a result of ``2.0``, which is not a wrong prediction."""
    numbers = (int, float)
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) \
            and not isinstance(b, bool) and math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def ask(backend: Backend, task: Task, template: str, lines: list[str], per_line: int, prefill: bool) -> str:
    listed = "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))
    request = GenerationRequest(
        request_id=f"{task.task_id}|judge", completions=1, temperature=0.0, top_p=1.0,
        max_tokens=per_line * len(lines) + 16, seed=0, task_id="",
        messages=(ChatMessage("user", template.format(words=task_words(task), lines=listed)),),
        prefill="1." if prefill else "")
    [generation] = backend.generate([request])
    return str(generation.completions[0].text)


@dataclasses.dataclass
class Case:
    task: Task
    inputs: Inputs
    functions: list[tuple[str, Behaviour]]  # ("reference" | "careless", its outputs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tasks", type=Path, help="a task file with tests and references")
    parser.add_argument("--careless", type=Path, default=None, help="JSON: task id -> careless variants' source")
    parser.add_argument("--mode", choices=("mark", "predict"), default="mark")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--probes", type=int, default=8)
    parser.add_argument("--limit", type=int, default=None, help="only the first K tasks")
    parser.add_argument("--out", type=Path, default=None, help="JSONL of every answer, appended")
    args = parser.parse_args()
    careless: dict[str, list[str]] = json.loads(args.careless.read_text(encoding="utf-8")) if args.careless else {}
    tasks = [t for t in select_tasks(args.tasks) if example_count(t.prompt, t.entry_point) < 2][:args.limit]
    start = time.monotonic()
    cases: list[Case] = []
    with OutputCollector() as collector:
        for task in tasks:
            bare = with_example_tests(dataclasses.replace(task, test="", canonical_solution=""))
            sources = [("reference", reference_program(task) or ""),
                       *(("careless", source) for source in careless.get(task.task_id, []))]
            found = collector.behaviours(bare, [Candidate(task.task_id, f"{task.task_id}#{i}", source)
                                                for i, (_, source) in enumerate(sources)])
            cases.append(Case(bare, collector.inputs(bare), [(kind, b) for (kind, _), b in zip(sources, found)]))
    print(f"{len(cases)} tasks, outputs collected in {time.monotonic() - start:.0f} s", file=sys.stderr)
    backend = make_backend(args.model)
    prefill = prefills_answers(args.model)
    differing: dict[str, list[int]] = {"reference": [], "careless": []}
    out = args.out.open("a", encoding="utf-8") if args.out else None
    try:
        for number, case in enumerate(cases):
            entry, off = case.task.entry_point, case.inputs.examples
            row: dict[str, Any] = {"task_id": case.task.task_id, "mode": args.mode, "functions": []}
            if args.mode == "predict":
                texts = [call_text(entry, call) for call in case.inputs.calls[off:]]
                shown = spread(texts, args.probes, CALL_CHARS)
                answer = ask(backend, case.task, PREDICT, shown, 20, prefill) if shown else ""
                predicted = {i: prediction(text) for i, text in numbered(answer, len(shown)).items()}
                row.update(calls=shown, answer=answer)
                for kind, behaviour in case.functions:
                    if behaviour.error or len(behaviour.outputs) < len(case.inputs.calls):
                        # The sandbox broke on it: no outputs to compare, so no figure either.
                        print(f"{case.task.task_id} {kind}: no outputs ({behaviour.error or 'too few'}); "
                              "left out", file=sys.stderr)
                        row["functions"].append({"kind": kind, "error": behaviour.error or "too few outputs"})
                        continue
                    outputs = dict(zip(texts, behaviour.outputs[off:]))
                    differ = [i for i, p in predicted.items() if p is not None and not matches(p, outputs[shown[i - 1]])]
                    differing[kind].append(len(differ))
                    row["functions"].append({"kind": kind, "differ": differ})
            else:
                for kind, behaviour in case.functions:
                    results = [result_line(entry, call, output)
                               for call, output in zip(case.inputs.calls[off:], behaviour.outputs[off:])]
                    shown = spread([line for line in results if line is not None], args.probes)
                    if not shown:
                        continue
                    answer = ask(backend, case.task, MARK, shown, 8, prefill)
                    wrong = [i for i, verdict in numbered(answer, len(shown)).items()
                             if verdict.lower().startswith("wrong")]
                    differing[kind].append(len(wrong))
                    row["functions"].append({"kind": kind, "lines": shown, "answer": answer, "wrong": wrong})
            if out:
                out.write(json.dumps(row) + "\n")
                out.flush()
            print(f"asked on {number + 1}/{len(cases)} tasks ({time.monotonic() - start:.0f} s)", file=sys.stderr)
    finally:
        backend.close()
        if out:
            out.close()
    for t in ((1,) if args.mode == "mark" else (1, 2, 3, 4)):
        vetoed = {kind: sum(d >= t for d in counts) for kind, counts in differing.items()}
        print(f"{args.mode}, veto at {t}+ results: references vetoed {vetoed['reference']}/"
              f"{len(differing['reference'])}, careless variants vetoed {vetoed['careless']}/"
              f"{len(differing['careless'])}")
    print(f"({args.model}, up to {args.probes} calls a function, {len(cases)} tasks, "
          f"{time.monotonic() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
