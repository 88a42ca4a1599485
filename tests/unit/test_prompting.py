from sampler.config import PromptStyle
from sampler.prompting import extract_code, program_from_output, task_seed
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


def test_body_only_answer_continues_the_prompt() -> None:
    task = make_task(1)
    program = program_from_output(task, "```python\n    return x + 1\n```", PromptStyle.CHAT)
    assert program == task.prompt + "    return x + 1\n"


def test_task_seed_is_stable_and_order_free() -> None:
    assert task_seed(0, "HumanEval/1") == task_seed(0, "HumanEval/1")
    assert task_seed(0, "HumanEval/1") != task_seed(0, "HumanEval/2")
    assert task_seed(1, "HumanEval/1") != task_seed(0, "HumanEval/1")
