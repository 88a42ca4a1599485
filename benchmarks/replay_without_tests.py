"""Replays a finished run on tasks without tests with this code's selection, no model called.

A fresh run's picks rest on one draw of samples; comparing two rules over two fresh
runs mixes the rules' difference with the draws' (llama.cpp's CPU sampling is not
bit-exact, and one wrong call of 17 is 6 points). This replays the same draw: the
run's ``samples.jsonl`` and ``written_tests.jsonl`` are copied to ``--out`` and
``solve`` runs there with the run's settings, reading every sample back from disk and
recomputing each task's inputs, groups, second reader and call with the code as it
is now (``--careful FILE``: with the careful reader's answers drawn for the run by
``careful_answers.py``; ``--reader-tests FILE``: with the strong model's tests drawn for
the run, in ``reader_tests.jsonl``'s form or as ``{"task_id", "text"}`` lines; a run that
kept its own is replayed with them, and without either that step is off, as in runs made
before it; ``--previous-edges``: the edge inputs as they were before the ones made
inside an argument, of another kind, and of a list twice over). Score the result with
``score_without_tests.py``.

A task whose stopping rule, under the replayed code, wants more samples than the run
drew is answered from the run's own samples again (the scripts cycle); the count of
such samples is printed, and a paired comparison is exact only when it is 0.

    .venv/bin/python benchmarks/replay_without_tests.py runs/mbppf /tmp/mbppf_notests.jsonl --out /tmp/replay-f
    .venv/bin/python benchmarks/score_without_tests.py /tmp/replay-f --tasks benchmarks/data/mbpp_style_f.jsonl
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sampler.backends.replay import ReplayBackend  # noqa: E402
from sampler.config import EscalationConfig, SampleConfig  # noqa: E402
from sampler.core.escalation import CAREFUL_READER_INDEX, READER_SAMPLES_INDEX  # noqa: E402
from sampler.core.api import solve  # noqa: E402
from sampler.core.reader_tests import READER_TESTS  # noqa: E402
from sampler.core.written_tests import append_written  # noqa: E402
from sampler.storage.records import CHEAP, STRONG  # noqa: E402
from tasks.examples import example_count  # noqa: E402
from tasks.registry import select_tasks  # noqa: E402
from verifiers import agreement, edge_inputs, outputs  # noqa: E402


UNDRAWN = "```python\ndef (\n```"
"""What a replay answers for a strong index the run never drew: code that fails the
syntax check (an empty answer would be the prompt's stub, which returns None and fits
a task with no examples)."""


def _served_at_one(drawn: list[str]) -> list[str]:
    """What a script of the greedy reader's answer alone serves at strong index 1 (a
    careful reading the run never drew: the script wraps around to that answer), to put
    there before answers at later indices; nothing when index 1 holds an answer."""
    return drawn[:1] if len(drawn) == 1 else []


def _scripts(samples: list[dict[str, object]]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Each tier's samples per task, in sample order, as fenced answers."""
    tiers: dict[str, dict[str, list[tuple[int, str]]]] = {CHEAP: {}, STRONG: {}}
    for s in samples:
        tiers[str(s["tier"])].setdefault(str(s["task_id"]), []).append(
            (int(str(s["sample_index"])), f"```python\n{s.get('solution') or ''}\n```"))
    cheap = {task: [text for _, text in sorted(drawn)] for task, drawn in tiers[CHEAP].items()}
    # A strong sample is served by its index (``ReplayBackend``): the samples drawn after a
    # disagreeing greedy reader start at ``READER_SAMPLES_INDEX``, past an index not drawn.
    strong = {task: [dict(drawn).get(i, UNDRAWN) for i in range(max(i for i, _ in drawn) + 1)]
              for task, drawn in tiers[STRONG].items()}
    return cheap, strong


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="a finished solve run on tasks without tests")
    parser.add_argument("tasks", type=Path, help="the task file that run solved")
    parser.add_argument("--out", type=Path, required=True, help="a new directory for the replay")
    parser.add_argument("--careful", type=Path,
                        help="the careful reader's answers (benchmarks/careful_answers.py), replayed as "
                             "strong sample 1; without it the careful reader is off, as in runs made "
                             "before it")
    parser.add_argument("--reader-tests", type=Path,
                        help="the strong model's tests for the run's tasks, replayed as its answers to "
                             "the reader-tests request")
    parser.add_argument("--greedy", type=Path,
                        help="the strong model's greedy answers ({\"task_id\", \"completion\"} lines) for "
                             "tasks the run drew no strong sample for, replayed as strong sample 0: the "
                             "greedy reader of an uncalled pick, which runs made before it did not ask")
    parser.add_argument("--reader-samples", type=Path,
                        help="the strong model's samples at temperature for tasks whose greedy reader "
                             "disagreed ({\"task_id\", \"completions\"} lines), replayed as strong samples 2 "
                             "on: runs made before they were drawn lack them")
    parser.add_argument("--previous-edges", action="store_true",
                        help="the edge inputs without those made inside an argument, of another kind, "
                             "and of a list twice over")
    args = parser.parse_args()
    if args.out.exists():
        parser.error(f"{args.out} exists: the replay needs a new directory")
    settings = json.loads((args.run / "run.json").read_text(encoding="utf-8"))
    lines = (args.run / "samples.jsonl").read_text(encoding="utf-8").splitlines()
    samples = [json.loads(line) for line in lines]
    # The careful reader off, or not asked where the prompt states enough examples
    # (``agreement.PINNING_EXAMPLES``): a run made with it loses those careful answers
    # (strong sample 1 of a task whose only strong samples are its two readers').
    strong_indices: dict[str, set[int]] = {}
    for s in samples:
        if s["tier"] == STRONG:
            strong_indices.setdefault(str(s["task_id"]), set()).add(int(str(s["sample_index"])))
    readers = {task for task, indices in strong_indices.items() if indices == {0, CAREFUL_READER_INDEX}}
    if args.careful:
        examples = {t.task_id: example_count(t.prompt, t.entry_point) for t in select_tasks(args.tasks)}
        readers = {task for task in readers if examples.get(task, 0) >= agreement.PINNING_EXAMPLES}
    if readers:
        kept = [(line, s) for line, s in zip(lines, samples)
                if not (s["tier"] == STRONG and s["task_id"] in readers and s["sample_index"] == CAREFUL_READER_INDEX)]
        lines, samples = [line for line, _ in kept], [s for _, s in kept]
    args.out.mkdir(parents=True)
    shutil.copy(args.run / "run.json", args.out / "run.json")
    (args.out / "samples.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    if (args.run / "written_tests.jsonl").exists():
        shutil.copy(args.run / "written_tests.jsonl", args.out / "written_tests.jsonl")
    reader_tests = args.reader_tests is not None or (args.run / READER_TESTS).exists()
    if args.reader_tests is not None:
        answers = [json.loads(line) for line in args.reader_tests.read_text(encoding="utf-8").splitlines() if line]
        append_written(args.out / READER_TESTS, str(settings["strong"]),
                       {str(a["task_id"]): str(a["text"]) for a in answers})
    elif reader_tests:
        shutil.copy(args.run / READER_TESTS, args.out / READER_TESTS)
    if args.previous_edges:
        setattr(outputs, "edge_calls", functools.partial(edge_inputs.edge_calls, inner_limit=0))
        current = edge_inputs._sequence_variants
        setattr(edge_inputs, "_sequence_variants", lambda items: (
            v for v in current(items) if not (items and v == items + items)))
    cheap, strong = _scripts(samples)
    greedy = 0
    if args.greedy:
        for line in args.greedy.read_text(encoding="utf-8").splitlines():
            answer = json.loads(line)
            if answer["task_id"] not in strong:
                strong[answer["task_id"]] = [str(answer["completion"])]
                greedy += 1
    careful = 0
    if args.careful:
        for line in args.careful.read_text(encoding="utf-8").splitlines():
            answer = json.loads(line)
            drawn = strong.get(answer["task_id"], [])
            if len(drawn) == 1:  # the greedy reader's answer alone: the careful one follows it
                drawn.append(str(answer["completion"]))
                careful += 1
    sampled = 0
    if args.reader_samples:
        for line in args.reader_samples.read_text(encoding="utf-8").splitlines():
            answer = json.loads(line)
            drawn = strong.get(answer["task_id"], [])
            if drawn and len(drawn) <= READER_SAMPLES_INDEX:  # the readers' answers alone: these follow them
                drawn.extend(_served_at_one(drawn) + [str(text) for text in answer["completions"]])
                sampled += 1
    # A task whose greedy reader disagrees asks for samples at temperature: a run made
    # before them drew none, and an answer served for them by wrapping around the
    # script (``ReplayBackend``) would be a reader's answer counted again. They get no
    # code that compiles instead (a red team), so such a replay guesses as the run's code did.
    wanted = READER_SAMPLES_INDEX + EscalationConfig().reader_samples
    for drawn in strong.values():
        if len(drawn) <= READER_SAMPLES_INDEX:
            drawn.extend(_served_at_one(drawn))
            drawn.extend([UNDRAWN] * (wanted - len(drawn)))
    # As the run's llama.cpp engines, which prefill: the same prompts and waves.
    cheap_backend = ReplayBackend(cheap, model=str(settings["model"]), supports_prefill=True)
    strong_backend = ReplayBackend(strong, model=str(settings["strong"]), supports_prefill=True)
    report = solve(args.tasks, out=args.out, model=str(settings["model"]), backend=cheap_backend,
                   strong=str(settings["strong"]), strong_backend=strong_backend,
                   sample=SampleConfig(n=int(settings["n"]), seed=int(settings["seed"])),
                   escalation=EscalationConfig(careful_reader=args.careful is not None,
                                               reader_tests=reader_tests))
    tests_asked = [r for r in strong_backend.requests_seen if r.request_id.endswith("|reader-tests")]
    asked = [r for r in strong_backend.requests_seen
             if r.first_index == CAREFUL_READER_INDEX and r not in tests_asked]
    unanswered = [r for r in asked if len(strong.get(r.key, [])) < 2]
    extra = len(cheap_backend.requests_seen) + len(strong_backend.requests_seen) - len(asked) + len(unanswered)
    print(f"replayed {len(report.results)} tasks from {len(samples)} samples; greedy answers given {greedy}; "
          f"reader samples given for {sampled} tasks; "
          f"careful answers given "
          f"{careful}, asked for {len(asked)}; requests the run had not answered: {extra} "
          f"(the strong model's tests among them: {len(tests_asked)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
