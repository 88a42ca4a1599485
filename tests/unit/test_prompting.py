from sampler.config import PromptStyle
from sampler.core.prompting import extract_code, program_from_output, task_seed
from tasks.program import prompt_preamble
from tests.unit.fakes import make_task


def test_extract_prefers_python_block_and_handles_unclosed_fence() -> None:
    text = "```text\nnope\n```\n```python\ndef f():\n    return 1\n```"
    assert extract_code(text) == "def f():\n    return 1\n"
    assert extract_code("```python\ndef f():\n    return 2\n") == "def f():\n    return 2\n"
    assert extract_code("def g(): pass") == "def g(): pass"


def test_program_keeps_prompt_imports_and_drops_the_stub() -> None:
    task = make_task(3)
    pre = prompt_preamble(task)
    assert "from typing import List" in pre and "def f3" not in pre
    program = program_from_output(task, "```python\ndef f3(x: int) -> int:\n    return x + 3\n```",
                                  PromptStyle.CHAT)
    assert program.startswith("from typing import List")
    assert program.count("def f3") == 1


def test_an_answers_future_imports_go_above_the_prompts_preamble() -> None:
    """Python takes ``from __future__`` imports only at a module's top: behind the
    prompt's ``from typing import List`` a right answer was a SyntaxError (red team)."""
    task = make_task(3)
    answer = ("# annotations as strings\nfrom __future__ import annotations\n\n"
              "def f3(x: int) -> int:\n    return x + 3\n")
    program = program_from_output(task, f"```python\n{answer}```", PromptStyle.CHAT)
    assert program.startswith("from __future__ import annotations\nfrom typing import List")
    compile(program, "<answer>", "exec")
    assert program.count("from __future__") == 1 and program.count("def f3") == 1
    # Lines end where Python ends them: a form feed inside the import's comment does not
    # end it, so what follows stays a comment (red team: it became a statement).
    sly = "from __future__ import annotations  # note\x0cRIGHT = True\ndef f3(x: int) -> int:\n    return x + 3\n"
    program = program_from_output(task, f"```python\n{sly}```", PromptStyle.CHAT)
    namespace: dict[str, object] = {}
    exec(compile(program, "<answer>", "exec"), namespace)  # noqa: S102 - our own test text
    assert "RIGHT" not in namespace
    late = "def f3(x: int) -> int:\n    return x + 3\nfrom __future__ import annotations\n"
    assert program_from_output(task, f"```python\n{late}```", PromptStyle.CHAT).endswith(late)  # its own error


def test_a_module_docstring_may_stand_above_an_answers_future_import() -> None:
    """Python lets a module docstring precede ``from __future__``; an answer opening
    with one was left a SyntaxError behind the preamble."""
    task = make_task(3)
    for doc in ('"""Adds three."""\n', "r'''Adds\nthree: \\''' still inside.'''  # note\n\n"):
        answer = doc + "from __future__ import annotations\ndef f3(x: int) -> int:\n    return x + 3\n"
        program = program_from_output(task, f"```python\n{answer}```", PromptStyle.CHAT)
        assert program.startswith("from __future__ import annotations\nfrom typing import List")
        compile(program, "<answer>", "exec")
    # Not a docstring alone on its line: nothing moves, the answer keeps its own error.
    shared = '"a"; from __future__ import annotations\ndef f3(x: int) -> int:\n    return x + 3\n'
    assert program_from_output(task, f"```python\n{shared}```", PromptStyle.CHAT).endswith(shared)


def test_text_inside_a_string_never_moves_and_a_future_line_is_read_in_linear_time() -> None:
    """The docstring ends where Python ends it: a lazy match ran on to a later closing
    quote, so a future import inside a string was moved and the string changed (a
    right answer failed, a wrong one passed: red team). And a future line that does not
    match fails fast (20,000 spaces took 12 s)."""
    import time

    task = make_task(3)
    for answer in ('"""Doc.""";TEMPLATE = """\nfrom __future__ import annotations\n"""\ndef f3(x: int) -> int:\n'
                   '    return x + 3 if "annotations" in TEMPLATE else 0\n',
                   '"""a""" + """\nfrom __future__ import braces\n"""\ndef f3(x: int) -> int:\n    return x + 3\n'):
        program = program_from_output(task, f"```python\n{answer}```", PromptStyle.CHAT)
        assert program.endswith(answer)
    parenthesised = "from __future__ import (annotations)\ndef f3(x: int) -> int:\n    return x + 3\n"
    program = program_from_output(task, f"```python\n{parenthesised}```", PromptStyle.CHAT)
    assert program.startswith("from __future__ import (annotations)\nfrom typing import List")
    compile(program, "<answer>", "exec")
    start = time.monotonic()
    program_from_output(task, "```python\nfrom __future__ import" + " " * 200_000 + ")\n```", PromptStyle.CHAT)
    assert time.monotonic() - start < 1.0


def test_body_only_answer_continues_the_prompt() -> None:
    task = make_task(1)
    program = program_from_output(task, "```python\n    return x + 1\n```", PromptStyle.CHAT)
    assert program == task.prompt + "    return x + 1\n"


def test_prefilled_answer_is_the_prompt_plus_the_body() -> None:
    """With a prefill the model writes only the body; the answer (prefill + continuation)
    is the whole function."""
    from sampler.config import SampleConfig
    from sampler.core.prompting import build_request, template_id

    task = make_task(2)
    request = build_request(task, SampleConfig(), index=0, prefill=True)
    assert request.prefill == "```python\n" + task.prompt
    assert request.messages is not None and task.prompt in request.messages[0].content
    program = program_from_output(task, request.prefill + "    return x + 2\n```", PromptStyle.CHAT)
    assert program.count("def f2") == 1 and program.rstrip().endswith("return x + 2")
    plain = build_request(task, SampleConfig(), index=0)
    assert plain.prefill == "" and plain.messages is not None and task.prompt in plain.messages[0].content
    assert template_id(PromptStyle.CHAT, True) != template_id(PromptStyle.CHAT)
    assert template_id(PromptStyle.COMPLETION, True) == template_id(PromptStyle.COMPLETION)


def test_prefilled_answer_defines_the_prompts_helpers_once() -> None:
    """The prefill holds the whole prompt, helpers included (HumanEval/10's
    is_palindrome): the program is that answer, not the preamble plus it again."""
    from dataclasses import replace

    task = replace(make_task(4), prompt="def helper(x: int) -> int:\n    return x\n\n\n" + make_task(4).prompt)
    program = program_from_output(task, "```python\n" + task.prompt + "    return helper(x) + 4\n```",
                                  PromptStyle.CHAT)
    assert program == task.prompt + "    return helper(x) + 4\n"
    assert program.count("def helper") == 1


def test_task_seed_is_stable_and_order_free() -> None:
    assert task_seed(0, "HumanEval/1") == task_seed(0, "HumanEval/1")
    assert task_seed(0, "HumanEval/1") != task_seed(0, "HumanEval/2")
    assert task_seed(1, "HumanEval/1") != task_seed(0, "HumanEval/1")


# --------------------------------------------------------------------------- stopping at the code's end

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sampler.backends.answer import FINISH_CODE_END, code_end  # noqa: E402
from sampler.backends.base import GenerationRequest  # noqa: E402
from sampler.backends.replay import ReplayBackend  # noqa: E402
from sampler.config import SampleConfig  # noqa: E402
from sampler.core.prompting import build_request  # noqa: E402


def test_code_end_is_just_past_the_first_closed_python_block() -> None:
    answer = "Here:\n```python\ndef f():\n    return 1\n```\nThis returns 1.\n```python\nx = 2\n```"
    assert answer[:code_end(answer)] == "Here:\n```python\ndef f():\n    return 1\n```"
    assert code_end("```python\ndef f():\n    return 1\n") is None  # still open
    assert code_end("Intro only") is None
    # An untagged first block never stops a sample: a later python block would be the one verified.
    assert code_end("```\nprint(1)\n```\n```python\ndef f(): pass\n```") is not None
    assert code_end("```\nprint(1)\n```\nmore") is None
    assert code_end("```py\nx = 1```") == len("```py\nx = 1```")


_pieces = st.sampled_from(["```python\n", "```py\n", "```\n", "```", "```text\n", "def f():\n", "    return 1\n",
                           "Sure!\n", "x = '```'\n", "\n", " ", "`", "``"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_pieces, max_size=14))
def test_cutting_at_code_end_never_changes_the_verified_code(parts: list[str]) -> None:
    text = "".join(parts)
    end = code_end(text)
    if end is not None:
        assert extract_code(text[:end]) == extract_code(text)
        # Streaming: every longer prefix cuts at the same place.
        for k in range(end, len(text) + 1):
            assert code_end(text[:k]) == end


def test_requests_ask_for_it_only_in_chat_style() -> None:
    task = make_task(1)
    assert build_request(task, SampleConfig(), index=0).stop_at_code_end
    assert not build_request(task, SampleConfig(stop_at_code_end=False), index=0).stop_at_code_end
    assert not build_request(task, SampleConfig(prompt_style=PromptStyle.COMPLETION), index=0).stop_at_code_end


def test_replay_backend_stops_at_code_end_like_an_engine() -> None:
    answer = "```python\ndef f():\n    return 1\n```\n" + "Explanation. " * 40
    backend = ReplayBackend({"t": [answer]})
    base = GenerationRequest("r", 1, 0.7, 0.95, 512, 0, prompt="p", task_id="t")
    [full] = backend.generate([base])
    [cut] = backend.generate([GenerationRequest("r", 1, 0.7, 0.95, 512, 0, prompt="p", task_id="t",
                                                stop_at_code_end=True)])
    assert cut.completions[0].finish_reason == FINISH_CODE_END
    assert extract_code(cut.completions[0].text) == extract_code(full.completions[0].text)
    assert cut.completions[0].tokens * 4 < full.completions[0].tokens


def test_first_sample_is_greedy_and_the_rest_are_drawn_at_temperature() -> None:
    from sampler.config import SampleConfig
    from sampler.core.prompting import build_request

    task = make_task(2)
    config = SampleConfig(temperature=0.8)
    assert [build_request(task, config, index=i).temperature for i in range(3)] == [0.0, 0.8, 0.8]
    alike = SampleConfig(temperature=0.8, greedy_first=False)
    assert [build_request(task, alike, index=i).temperature for i in range(2)] == [0.8, 0.8]


def test_a_prefilled_answer_stops_where_top_level_test_code_starts() -> None:
    from sampler.config import SampleConfig
    from sampler.core.prompting import build_request, template_id

    task = make_task(2)
    prefilled = build_request(task, SampleConfig(), index=0, prefill=True)
    # What the models were seen to append to the function in the same block.
    for junk in ("\n# Test cases", "\nprint(f2(1))", "\nassert f2(1) == 3", "\ncheck_function(f2)",
                 "\nif __name__ == '__main__':"):
        assert any(junk.startswith(stop) for stop in prefilled.stop), junk
    # Never a helper that follows the function, nor the body's own comments.
    assert not any(line.startswith(stop) for stop in prefilled.stop
                   for line in ("\ndef helper(x):", "\n    # a comment", "\nclass Node:"))
    assert build_request(task, SampleConfig(), index=0, prefill=False).stop == ()
    assert template_id(PromptStyle.CHAT, True) != template_id(PromptStyle.CHAT, False)


def test_code_a_reasoning_model_writes_while_thinking_is_never_the_answer() -> None:
    from sampler.backends.answer import code_end, settled

    thinking = "<think>\nMaybe:\n```python\ndef f(x):\n    return 0\n```\nNo, wrong.\n</think>\n"
    answer = "```python\ndef f(x):\n    return x\n```\nDone."
    assert extract_code(thinking + answer) == "def f(x):\n    return x\n"
    assert extract_code(thinking[:40]) == ""  # cut while thinking: no code
    # A stream is not cut at a block closed inside the thinking.
    assert code_end(thinking) is None and settled([thinking]) is None
    end = code_end(thinking + answer)
    assert end is not None and (thinking + answer)[:end].endswith("return x\n```")
    assert extract_code("no thinking\n```python\nx = 1\n```") == "x = 1\n"
