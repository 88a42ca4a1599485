"""The records bestofn writes: one per sample (samples.jsonl) and one per task (results.jsonl)."""

from __future__ import annotations

import types
import typing
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from tasks.errors import TaskFormatError
from verifiers.types import Status, truncate

ADVISORY_STAGES = ("properties",)
"""Checks whose failure, after the task's own tests passed, ranks an answer below the
ones that pass everything instead of rejecting it: their inputs are generated, and the
task's words may rule some of them out (an unbalanced string for a parser of balanced
groups, a tie the task leaves open), so a disagreement there is evidence, not proof."""
_DISPUTABLE = {Status.FAILED, Status.TIMEOUT, Status.MEMORY}


class Tier(StrEnum):
    """Which model drew a sample: the cheap one, or the strong one a task is escalated to."""

    CHEAP = "cheap"
    STRONG = "strong"


CHEAP = Tier.CHEAP
STRONG = Tier.STRONG


def _enum_field(record: object, name: str, kind: type[StrEnum]) -> None:
    """Records read back from JSON carry plain strings: hold them as the enum, so an
    unknown value is refused where it is read, not compared as a literal later."""
    value = getattr(record, name)
    if type(value) is not kind:
        object.__setattr__(record, name, kind(value))


@dataclass(frozen=True)
class SampleRecord:
    """One generated sample and its verdict."""

    task_id: str
    sample_index: int
    candidate_id: str
    model: str
    passed: bool
    status: Status
    tokens: int
    """Generated tokens for this sample."""
    solution: str
    """The self-contained program that was verified."""
    detail: str = ""
    verify_seconds: float = 0.0
    finish_reason: str = ""
    verifier: str = ""
    """The check that decided: the first failing stage, or the last one passed."""
    stage_seconds: dict[str, float] = field(default_factory=dict)
    """Seconds in each check that ran on this sample (0 for a cached verdict)."""
    tier: Tier = Tier.CHEAP
    """Which tier's model drew it."""
    prompt_tokens: int = 0
    """Prompt tokens of the request that drew it."""

    def __post_init__(self) -> None:
        _enum_field(self, "status", Status)
        _enum_field(self, "tier", Tier)
        if self.passed != (self.status is Status.PASSED):
            raise ValueError(f"passed={self.passed} contradicts status={self.status!r}")

    @property
    def passed_tests_only(self) -> bool:
        """Passed the task's own tests (and every gate before them), then failed an
        advisory check: a fallback answer, disputed by that check."""
        return passed_tests_only(self.verifier, self.status, self.stage_seconds)


def passed_tests_only(verifier: str, status: Status, stages: Collection[str]) -> bool:
    """``SampleRecord.passed_tests_only`` from a verdict's parts (``stages``: the checks that ran)."""
    return verifier in ADVISORY_STAGES and status in _DISPUTABLE and "tests" in stages


SELECTION = {"given": "tests", "examples": "examples", "none": "checks"}
"""``TaskResult.selection`` by the task's ``test_origin``, when the pick is the first that passes."""
AGREEMENT = "agreement"
"""``TaskResult.selection`` of a task without tests picked by agreement between candidates."""
READER_AGREES, READER_DISAGREES = "agrees", "disagrees"
"""``TaskResult.second_reader`` and ``careful_reader``: what the strong model's own answer
did on the pick's inputs."""


@dataclass(frozen=True)
class TaskResult:
    """The outcome for one task; ``solution`` is set only for a verified pass."""

    task_id: str
    solved: bool
    solution: str | None
    model: str
    samples_drawn: int
    tokens_generated: int
    seconds: float
    passed_samples: int = 0
    candidate_id: str | None = None
    prompt_tokens: int = 0
    tier: Tier | None = None
    """The tier whose sample was chosen; None when unsolved."""
    escalated: bool = False
    stop_reason: str = ""
    """Why sampling ended: ``passed``, ``budget`` (the policy's reason follows), ..."""
    tokens_in: dict[str, int] = field(default_factory=dict)
    """Prompt tokens per tier."""
    tokens_out: dict[str, int] = field(default_factory=dict)
    """Generated tokens per tier, including those of requests aborted after a pass."""
    aborted_requests: int = 0
    cost: float = 0.0
    """Tokens in and out at each tier's configured prices."""
    disputed_by: str = ""
    """Empty when the solution passed every check. Else the advisory check it failed
    after passing the task's own tests (``properties``: it disagreed with the
    reference on a generated input, which may lie outside what the task allows);
    such a solution is chosen only when no sample passed every check."""
    selection: str = "tests"
    """What the pick rests on: ``tests`` (the task's own), ``examples`` (the task came
    without tests; its prompt's examples, run as tests), ``checks`` (no tests and no
    examples: only the static checks and, with a reference, the property check), or
    ``agreement`` (no tests; two or more candidates passed those checks and the pick is
    from the largest group of them that agree on every input, ``verifiers.agreement``)."""
    finished_at: float = 0.0
    """When the result was decided (Unix time, seconds): solved-against-time curves,
    and the comparison of tiers at equal wall time, come from it."""
    agreement_group: int = 0
    """Selection ``agreement``: candidates in the chosen group (the pick included); else 0."""
    agreement_candidates: int = 0
    """Selection ``agreement``: candidates grouped."""
    agreement_share: float = 0.0
    """Selection ``agreement``: ``agreement_group / agreement_candidates``."""
    agreement_groups: int = 0
    """Selection ``agreement``: distinct behaviours among the candidates grouped."""
    agreement_inputs: int = 0
    """Selection ``agreement``: inputs every grouped candidate ran on ..."""
    agreement_examples: int = 0
    """... of which the prompt's own example calls."""
    agreement_tests: int = 0
    """Selection ``agreement``: tests the model wrote for the task, with an expected
    value (``sampler.core.written_tests``); the pick was scored by them (``dual_pick``)."""
    agreement_tests_passed: int = 0
    """... of which the chosen group passes."""
    agreement_answered: int = 0
    """Selection ``agreement``: inputs on which the pick returned a value (not an exception)."""
    guess: str | None = None
    """A task without tests whose pick lacks the evidence to be called solved
    (``sampler.core.selection.called_solved``): the pick's code, for whoever wants a
    guess. Such a task is unsolved; ``solution`` stays empty."""
    second_reader: str = ""
    """A task without tests picked among the cheap samples: ``agrees`` or ``disagrees``,
    what the strong model's own answer did on the pick's inputs
    (``sampler.core.second_reader``). On ``disagrees`` the task is unsolved and its guess
    is that answer where it fits the examples; on ``agrees`` a pick too weakly supported
    to call stays the guess. Empty when no reader was asked (no strong tier, or an
    escalated task)."""
    careful_reader: str = ""
    """The same for the careful reader, asked only after the second reader agreed: the
    strong model's answer once it has listed the edge cases the task states. On
    ``disagrees`` the pick is a guess. Empty when not asked."""
    reader_tests: str = ""
    """The same for the strong model's tests, asked after the readers agreed: what the
    greedy reader's answer did on their calls (``sampler.core.reader_tests``). Empty when
    not asked, or when the answer held no usable test."""
    spare_samples: int = 0
    """Strong samples verified in spare time before a time limit, this call's and earlier
    ones' (``sampler.core.spare_time``); a task whose ``stop_reason`` is ``passed`` with
    spare samples was solved by one."""

    def __post_init__(self) -> None:
        if self.tier == "":  # how results written before the enum say "unsolved"
            object.__setattr__(self, "tier", None)
        if self.tier is not None:
            _enum_field(self, "tier", Tier)
        if self.solved != (self.solution is not None):
            raise ValueError("a task is solved exactly when it has a solution")
        if self.disputed_by and not self.solved:
            raise ValueError("only a solution can be disputed")
        if self.guess is not None and self.solved:
            raise ValueError("a solved task has a solution, not a guess")
        if (self.selection == AGREEMENT) != (self.agreement_group > 0) \
                or self.agreement_group > self.agreement_candidates:
            raise ValueError("agreement counts are set exactly for a pick by agreement, "
                             "and a group is no larger than the candidates grouped")


def to_json_dict(record: SampleRecord | TaskResult) -> dict[str, Any]:
    return asdict(record)


def check_field_types(cls: type[Any], obj: dict[str, Any], where: str) -> dict[str, Any]:
    """``obj``'s entries that are fields of the dataclass ``cls``, each checked to be of
    its field's type (as JSON gives them); a wrong one is bad input at ``where``."""
    hints = _field_types(cls)
    given = {k: v for k, v in obj.items() if k in hints}
    for name, value in given.items():
        if not _holds(hints[name], value):
            raise TaskFormatError(f"{where}: not a {cls.__name__} record ({name} is {type(value).__name__}: "
                                  f"{truncate(repr(value), 60)})")
    return given


def _from_dict(cls: type[Any], obj: dict[str, Any], where: str) -> Any:
    given = check_field_types(cls, obj, where)
    try:
        return cls(**given)
    except (TypeError, ValueError) as exc:
        raise TaskFormatError(f"{where}: not a {cls.__name__} record ({exc})") from None


_FIELD_TYPES: dict[type[Any], dict[str, Any]] = {}


def _field_types(cls: type[Any]) -> dict[str, Any]:
    if cls not in _FIELD_TYPES:
        hints = typing.get_type_hints(cls)
        _FIELD_TYPES[cls] = {f.name: hints[f.name] for f in fields(cls)}
    return _FIELD_TYPES[cls]


def _holds(kind: Any, value: Any) -> bool:
    """Whether a value read from JSON is of a record field's type: a line edited by hand
    (a list for an id, a string for a count) was taken in, and crashed a rerun or the
    report far from where it was read, or put its text in the report's page unescaped
    (red team)."""
    if kind is Any:
        return True
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        return any(_holds(member, value) for member in typing.get_args(kind))
    if kind is type(None):
        return value is None
    if kind is bool:
        return type(value) is bool
    if kind is int:
        return type(value) is int
    if kind is float:
        return type(value) in (int, float)
    if isinstance(kind, type) and issubclass(kind, str):  # str and the StrEnums (checked by value later)
        return isinstance(value, str)
    if typing.get_origin(kind) is dict:
        key, item = typing.get_args(kind)
        return type(value) is dict and all(_holds(key, k) and _holds(item, v) for k, v in value.items())
    return False


def sample_from_dict(obj: dict[str, Any], where: str) -> SampleRecord:
    record: SampleRecord = _from_dict(SampleRecord, obj, where)
    return record


def result_from_dict(obj: dict[str, Any], where: str) -> TaskResult:
    record: TaskResult = _from_dict(TaskResult, obj, where)
    return record
