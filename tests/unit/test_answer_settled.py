"""Stopping a sample once its verified program is settled: its first python block
closed, or its code can no longer parse whatever would follow."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sampler.backends.answer import (
    FINISH_CODE_END,
    FINISH_UNPARSABLE,
    can_still_parse,
    settled,
    settled_streamed,
)
from sampler.backends.base import GenerationRequest
from sampler.backends.replay import ReplayBackend
from sampler.config import PromptStyle, SampleConfig
from sampler.core.prompting import build_request, program_from_output
from tasks.program import reference_program
from tasks.registry import load_suite
from tests.unit.fakes import make_task


@pytest.mark.parametrize("code", [
    "", "\n", "# note\n", "def f():\n", "@decorator\n", "class A:\n", "if x:\n    pass\n",
    "if x:\n    pass\nelif y:\n", "try:\n    pass\n", "x = (1,\n", "x = [i for i in\n",
    "x = 1 + \\\n", "def f(a,\n      b):\n", 'def f():\n    """Docs\n', "def f():\n    '''Docs\n\n  more\n",
    "match x:\n    case 1:\n", "return 1\n", "async def f():\n    await g()\n",
    # Legal once a later line binds x: the symbol table must not be asked about a prefix.
    "def f():\n    def g():\n        nonlocal x\n",
])
def test_a_prefix_some_program_continues_can_still_parse(code: str) -> None:
    assert can_still_parse(code)


@pytest.mark.parametrize("code", [
    "def f():\n    return 1\nelse:\n", "x = 1 +\n", "def f()\n", "def f():\n    x = 1\n  y = 2\n",
    "def f():\nreturn 1\n", "    x = 1\n", "x = 'abc\n", "print 'x'\n", "x = 0777\n", "lambda:\n",
    "def f():\n    return [1, 2)\n",
])
def test_a_prefix_no_program_continues_cannot(code: str) -> None:
    assert not can_still_parse(code)


def _line_prefixes(source: str, limit: int) -> list[str]:
    lines = source.splitlines(keepends=True)[:limit]
    return ["".join(lines[:k]) for k in range(1, len(lines) + 1) if lines[k - 1].endswith("\n")]


def test_every_line_prefix_of_every_humaneval_reference_can_still_parse() -> None:
    checked = 0
    for task in load_suite("humaneval"):
        program = reference_program(task)
        assert program is not None
        for prefix in _line_prefixes(program, 10_000):
            assert can_still_parse(prefix), (task.task_id, prefix)
            checked += 1
    assert checked > 3000


def test_every_line_prefix_of_standard_library_modules_can_still_parse() -> None:
    """A wrong "cannot parse" cuts a sample that could have passed: try real code in bulk.
    (Run over the whole standard library, 1,800 modules up to 400 lines each, before
    this shipped: no false cut.)"""
    stdlib = Path(ast.__file__).parent
    modules = sorted(stdlib.glob("*.py"))[::6]
    checked = 0
    for module in modules:
        source = module.read_text(encoding="utf-8", errors="replace")
        try:
            ast.parse(source)
        except SyntaxError:
            continue
        for prefix in _line_prefixes(source, 150):
            assert can_still_parse(prefix), (module.name, prefix[-200:])
            checked += 1
    assert len(modules) > 20 and checked > 2000, (sys.version, checked)


# --------------------------------------------------------------------------- settled()


def test_settled_at_the_code_end_or_where_the_code_can_no_longer_parse() -> None:
    closed = "Sure:\n```python\ndef f3(x):\n    return x\n```\nIt returns x."
    assert settled([closed]) == ("Sure:\n```python\ndef f3(x):\n    return x\n```", FINISH_CODE_END)
    broken = "```python\ndef f3(x):\n    return x\nelse:\n    return 0\n"
    assert settled([broken], "f3") == (broken, FINISH_UNPARSABLE)  # cut after the lines it has
    assert settled_streamed(broken, "f3") == ("```python\ndef f3(x):\n    return x\nelse:\n", FINISH_UNPARSABLE)
    assert settled([broken]) is None  # no entry point given: only the code end stops
    # The program's shape is not known until the entry point is defined: a body-only
    # answer continues the prompt, where an indented first line is right.
    assert settled(["```python\n    return x\nelse:\n"], "f3") is None
    assert settled(["```python\ndef f3(x):\n    return (x\n"], "f3") is None  # still open
    assert settled(["```python\ndef f3(x):\n    return x\nelse"], "f3") is None  # line not complete
    assert settled(["```\ndef f3(x):\nelse:\n"], "f3") is None  # an untagged block is not verified
    assert settled(["Intro\n"], "f3") is None


_pieces = st.sampled_from([
    "```python\n", "```", "Sure!\n", "\n", "def f3(x: int) -> int:\n", "def helper(y):\n",
    "    return x + 3\n", "    if x:\n", "        return 1\n", "    else:\n", "else:\n", "    x = (1,\n",
    "    2)\n", '    """Docs\n', '    """\n', "x = 1 +\n", "  y = 2\n", "@dec\n", "    pass\n",
    "    return [1, 2)\n", "]\n", "    nonlocal z\n",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(_pieces, max_size=16))
def test_a_settled_stream_is_verified_as_the_whole_answer_would_be(parts: list[str]) -> None:
    """Fed piece by piece, the first cut never changes the verdict: at the code end the
    program is the same; where the code can no longer parse, the whole answer's program
    is a syntax error too (and so is the cut one)."""
    task = make_task(3)
    whole = "".join(parts)
    for k in range(1, len(parts) + 1):
        cut = settled(parts[:k], task.entry_point)
        if cut is None:
            continue
        text, reason = cut
        full_program = program_from_output(task, whole, PromptStyle.CHAT)
        cut_program = program_from_output(task, text, PromptStyle.CHAT)
        if reason == FINISH_CODE_END:
            assert cut_program == full_program
        else:
            assert reason == FINISH_UNPARSABLE
            for program in (full_program, cut_program):
                with pytest.raises(SyntaxError):
                    compile(program, "<candidate>", "exec", dont_inherit=True)
        break


def test_requests_carry_the_entry_point() -> None:
    task = make_task(2)
    assert build_request(task, SampleConfig(), index=0).entry_point == "f2"


def test_replay_backend_stops_an_unparsable_answer_like_an_engine() -> None:
    answer = ("```python\ndef f3(x: int) -> int:\n    return x + 3\nelse:\n"
              + "    return x\n" * 60 + "```\n")
    cut_text, reason = settled_streamed(answer, "f3") or ("", "")
    assert reason == FINISH_UNPARSABLE and cut_text.endswith("else:\n")
    backend = ReplayBackend({"t": [answer]})

    def request(**extra: object) -> GenerationRequest:
        return GenerationRequest("r", 1, 0.7, 0.95, 512, 0, prompt="p", task_id="t", **extra)  # type: ignore[arg-type]

    [whole] = backend.generate([request(stop_at_code_end=True)])
    [cut] = backend.generate([request(stop_at_code_end=True, entry_point="f3")])
    assert whole.completions[0].finish_reason == FINISH_CODE_END
    assert cut.completions[0].finish_reason == FINISH_UNPARSABLE
    assert cut.completions[0].text == cut_text
    assert cut.completions[0].tokens * 5 < whole.completions[0].tokens


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=16))
def test_settled_streamed_cuts_where_a_line_by_line_stream_would(parts: list[str]) -> None:
    text = "".join(parts)
    expected = None
    for end in [k + 1 for k, char in enumerate(text) if char == "\n"]:
        expected = settled([text[:end]], "f3")
        if expected is not None:
            break
    if expected is None:
        expected = settled([text], "f3")
    assert settled_streamed(text, "f3") == expected


def test_a_vllm_stream_is_settled_where_its_code_can_no_longer_parse() -> None:
    """The vLLM backend's per-request stream, fed delta outputs as the engine gives them."""
    from types import SimpleNamespace

    from sampler.backends.vllm import _Stream

    def delta(text: str) -> SimpleNamespace:
        return SimpleNamespace(prompt_token_ids=[1, 2, 3], outputs=[
            SimpleNamespace(index=0, text=text, token_ids=[0], finish_reason=None)])

    stream = _Stream(1, settle=True, entry_point="f3")
    pieces = ["```python\n", "def f3(x):\n", "    return x\n", "else", ":\n", "    return 0\n"]
    settled_after = None
    for k, piece in enumerate(pieces):
        stream.add(delta(piece))
        if stream.settled():
            settled_after = k
            break
    assert settled_after == 4  # the line "else:" completed
    [completion] = stream.generation("r").completions
    assert completion.text == "```python\ndef f3(x):\n    return x\nelse:\n"
    assert completion.finish_reason == FINISH_UNPARSABLE and completion.tokens == 5
    unsettled = _Stream(1, settle=False, entry_point="f3")
    for piece in pieces:
        unsettled.add(delta(piece))
        assert not unsettled.settled()
