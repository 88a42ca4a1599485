"""Validated run configuration. Every value is checked when the config is built."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from tasks.errors import ConfigError

DEFAULT_PRIOR = (0.2, 1.0)
"""Beta(a, b) for every task before any evidence (mean 17%, most mass near 0):
small models solve some tasks often and most never."""


@dataclass(frozen=True)
class Prior:
    """A Beta prior on each task's cheap pass rate: mean ``sigmoid(alpha + slope * z)``
    and concentration ``kappa = exp(log_kappa)`` (a = mean * kappa, b = (1 - mean) *
    kappa), with ``z`` the task's covariate standardised over the run's tasks."""

    alpha: float
    log_kappa: float
    slope: float = 0.0
    centre: float = 0.0
    scale: float = 1.0

    @classmethod
    def from_beta(cls, a: float, b: float) -> Prior:
        return cls(alpha=math.log(a / b), log_kappa=math.log(a + b))

    def restandardised(self, centre: float, scale: float) -> Prior:
        """The same prior over raw covariates, with ``z`` measured from ``centre`` in
        units of ``scale`` (another run's tasks)."""
        return Prior(alpha=self.alpha + self.slope * (centre - self.centre) / self.scale,
                     log_kappa=self.log_kappa, slope=self.slope * scale / self.scale,
                     centre=centre, scale=scale)

    def to_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, obj: Any, where: str) -> Prior:
        names = [f.name for f in fields(cls)]
        if not isinstance(obj, dict) or any(not isinstance(obj.get(n), (int, float))
                                            or isinstance(obj.get(n), bool) for n in names):
            raise ConfigError(f"{where}: a prior needs numbers {', '.join(names)}")
        prior = cls(**{n: float(obj[n]) for n in names})
        if not all(math.isfinite(getattr(prior, n)) for n in names) or prior.scale <= 0:
            raise ConfigError(f"{where}: a prior needs finite numbers and scale > 0")
        return prior

    def at(self, covariate: float = 0.0) -> tuple[float, float]:
        """``(a, b)`` for a task with this covariate."""
        z = (covariate - self.centre) / self.scale
        mean = 1.0 / (1.0 + math.exp(-(self.alpha + self.slope * z)))
        kappa = math.exp(self.log_kappa)
        return mean * kappa, (1.0 - mean) * kappa


class PromptStyle(StrEnum):
    """How a task becomes model input, and how code comes back out.

    ``chat``: the model's chat template with an instruction; code is taken from the
    first fenced block. ``completion``: the raw prompt; the output continues it.
    Instruct models (the packaged SmolLM2) need ``chat``: completion-style prompts
    solved 0 of 40 HumanEval tasks on it.
    """

    CHAT = "chat"
    COMPLETION = "completion"


SOLVE_SAMPLES = 7
"""``solve``'s cheap samples per task at most (the adaptive budget may stop sooner).
Measured on all of HumanEval with the packaged 0.5B and 1.5B (2 CPU cores,
docs/ENGINES.md): 8 solved 137 in 29 minutes where 3 solved 133 in 25. The 4th to
7th samples pass the tests on 2-9% of the tasks that reach them, and a cheap sample
costs about a third of the machine time of a strong one. The 8th passed on 1 of the
132 tasks it was drawn for over three full runs (full7 to full9): at that rate a
strong sample at temperature (about 8%) buys more per second, so 7 is the cap."""


MAX_SAMPLES = 100_000
"""Samples per task at most (``SampleConfig.n``)."""


@dataclass(frozen=True)
class SampleConfig:
    n: int = 3
    """Candidates per task from the cheap model (``solve`` asks for ``SOLVE_SAMPLES``;
    ``scale`` and ``generate`` draw every one of them, so their default stays small)."""
    temperature: float = 0.7
    top_p: float = 0.95
    greedy_first: bool = True
    """Sample 0 at temperature 0 (the rest at ``temperature``). Off for scaling runs,
    whose pass@k estimates need samples drawn alike."""
    max_tokens: int = 512
    """Generated tokens per sample at most."""
    seed: int = 0
    """Base seed; each task's seed derives from it and the task id, so reruns repeat."""
    prompt_style: PromptStyle = PromptStyle.CHAT
    stop_at_code_end: bool = True
    """Chat answers: stop a sample when its first ```python block closes (nothing
    after it is verified), instead of letting the model explain it, or once its
    code can no longer parse (a syntax error whatever would follow)."""

    def __post_init__(self) -> None:
        if not 1 <= self.n <= MAX_SAMPLES:
            # Per task: a red team's -n 10**20 filled 24 GiB before the first sample.
            raise ConfigError(f"n must be in [1, {MAX_SAMPLES}], got {self.n}")
        if not 0.0 <= self.temperature <= 5.0:
            raise ConfigError(f"temperature must be in [0, 5], got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if not 0 <= self.seed < 1 << 63:  # a dataset's seed column is int64 (red team: an overflow at the end)
            raise ConfigError(f"seed must be in [0, 2**63), got {self.seed}")


@dataclass(frozen=True)
class EngineConfig:
    """Settings of an in-process vLLM engine."""

    max_model_len: int = 2048
    dtype: str = "auto"
    """``auto``: float32 on CPU, the checkpoint's dtype on GPU."""
    enforce_eager: bool | None = None
    """Skip torch.compile / CUDA graphs. ``None``: on for CPU engines (measured here:
    52 s start vs 170 s compiled, even with a warm compile cache, at the same
    decode rate), off on GPU where CUDA graphs pay off."""
    kv_cache_gib: int = 4
    """CPU KV cache (VLLM_CPU_KVCACHE_SPACE). Sized so a batch of 8 tasks x 10 samples
    never preempts: see ``max_num_batched_tokens``."""
    max_num_batched_tokens: int = 16384
    """Prefill budget per engine step. On vLLM's CPU build a seeded request whose
    prompt is prefilled in chunks, or recomputed after preemption, kills the engine
    ("CPU Generator does not use offset": the rewind after a partial prefill relies on
    CUDA generator internals). A budget far above a batch's prompt tokens avoids it."""
    max_num_seqs: int | None = None
    """Sequences decoded at once. ``None``: 64 on CPU (64 x ~900 tokens stays far inside
    the 4 GiB KV cache, so nothing is ever preempted: see ``max_num_batched_tokens``),
    vLLM's default on GPU."""
    gpu_memory_utilization: float = 0.85
    tensor_parallel_size: int = 1
    extra: dict[str, Any] = field(default_factory=dict)
    """Further keyword arguments for ``vllm.LLM``."""

    def __post_init__(self) -> None:
        if self.max_model_len < 64:
            raise ConfigError(f"max_model_len must be >= 64, got {self.max_model_len}")
        if self.max_num_seqs is not None and self.max_num_seqs < 1:
            raise ConfigError(f"max_num_seqs must be >= 1, got {self.max_num_seqs}")
        if self.kv_cache_gib < 1:
            raise ConfigError(f"kv_cache_gib must be >= 1, got {self.kv_cache_gib}")
        if not 0.0 < self.gpu_memory_utilization <= 1.0:
            raise ConfigError(
                f"gpu_memory_utilization must be in (0, 1], got {self.gpu_memory_utilization}"
            )
        if self.tensor_parallel_size < 1:
            raise ConfigError(f"tensor_parallel_size must be >= 1, got {self.tensor_parallel_size}")


class BudgetPolicy(StrEnum):
    """``fixed``: n cheap samples per task (in waves when stopping on first pass).
    ``adaptive``: waves while the expected cost per solve is worth it (sampler.policy.budget)."""

    FIXED = "fixed"
    ADAPTIVE = "adaptive"


@dataclass(frozen=True)
class TierPrice:
    """Token prices of a tier, per million tokens (any currency; results use it as is)."""

    input_per_mtok: float
    output_per_mtok: float

    def __post_init__(self) -> None:
        if not all(math.isfinite(x) and x >= 0 for x in (self.input_per_mtok, self.output_per_mtok)):
            raise ConfigError(f"token prices must be finite and >= 0, got {self}")

    def cost(self, prompt_tokens: int, output_tokens: int) -> float:
        return (prompt_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6

    @classmethod
    def parse(cls, text: str) -> TierPrice:
        """``IN,OUT`` per million tokens, or one number for both."""
        parts = [x.strip() for x in text.split(",")]
        try:
            values = [float(x) for x in parts]
        except ValueError:
            raise ConfigError(f"price {text!r}: expected IN,OUT per million tokens") from None
        if len(values) == 1:
            values *= 2
        if len(values) != 2:
            raise ConfigError(f"price {text!r}: expected IN,OUT per million tokens")
        return cls(values[0], values[1])


# Prices of a small model on a self-hosted engine vs a hosted frontier-class model
# (USD per million tokens, late-2026 list prices of that order). Override per run.
CHEAP_PRICE = TierPrice(0.02, 0.05)
STRONG_PRICE = TierPrice(1.25, 10.0)


@dataclass(frozen=True)
class BudgetConfig:
    policy: BudgetPolicy = BudgetPolicy.FIXED
    wave: int = 2
    """Cheap samples per task per wave, when samples come in waves."""
    prior: tuple[float, float] = DEFAULT_PRIOR
    """Default Beta(a, b) prior on a task's cheap pass rate (mean 17%, most mass near 0:
    small models solve some tasks often and most never). The run refits it to its
    tasks' passes and failures so far; this is where it starts and what it is shrunk
    toward."""
    trained_prior: Prior | None = None
    """A prior trained on earlier runs of the same model (``bestofn prior``): where the
    run starts and what it is shrunk toward instead of ``prior``. Before a task's
    first verdict it says how likely the task is to pass, so with a strong tier the
    policy may send a task straight to it (a pre-generation router)."""
    prior_spread: float = 1.0
    """Hyperprior standard deviation on the logit of the prior's mean and the log of
    its concentration: how fast the data take over."""
    by_prompt_length: bool = True
    """Let the prior's mean depend on the task's prompt length (a beta-binomial
    regression on the log word count, fitted to this run's verdicts with a slope
    centred on no effect): tasks are not alike, and how long their specification is
    is known before a sample is drawn. ``False``: one prior for every task."""
    slope_spread: float = 1.0
    """Hyperprior standard deviation on the regression's slope, per standard
    deviation of log prompt length over the run's tasks."""
    strong_prior: tuple[float, float] = (1.0, 3.0)
    """Beta prior on an escalation round solving a task; updated by the run's rounds."""
    solve_value: float | None = None
    """What one solved task is worth; a wave or round whose expected cost per solve is
    higher is not bought. ``None``: the cost of ``solve_value_samples`` cheap samples."""
    solve_value_samples: float = 100.0
    length_cap_miss: float | None = 0.01
    """Adaptive policy only: cap each new cheap request's ``max_tokens`` at the length
    that, by a model of this run's verified passes, cuts this fraction of would-be
    passes (sampler.policy.length_cap). ``None``: every sample may take ``max_tokens``."""

    def __post_init__(self) -> None:
        if self.wave < 1:
            raise ConfigError(f"wave must be >= 1, got {self.wave}")
        for name, (a, b) in (("prior", self.prior), ("strong_prior", self.strong_prior)):
            if a <= 0 or b <= 0:
                raise ConfigError(f"{name} must have a, b > 0, got {(a, b)}")
        if self.prior_spread <= 0:
            raise ConfigError(f"prior_spread must be > 0, got {self.prior_spread}")
        if self.slope_spread <= 0:
            raise ConfigError(f"slope_spread must be > 0, got {self.slope_spread}")
        if self.solve_value is not None and not self.solve_value > 0:  # NaN too (red team: it acted as infinite)
            raise ConfigError(f"solve_value must be > 0, got {self.solve_value}")
        if self.solve_value_samples <= 0:
            raise ConfigError(f"solve_value_samples must be > 0, got {self.solve_value_samples}")
        if self.length_cap_miss is not None and not 0.0 < self.length_cap_miss < 0.5:
            raise ConfigError(f"length_cap_miss must be in (0, 0.5), got {self.length_cap_miss}")


MAX_READER_SAMPLES = 32
"""``EscalationConfig.reader_samples`` at most: they go as one request (a red team asked
for 2,000)."""


@dataclass(frozen=True)
class EscalationConfig:
    """The strong tier's budget for a task no cheap sample solved."""

    samples: int = 8
    """Samples per round. Round 0 (with ``greedy_first``): the greedy answer to the task
    alone, then ``plain_samples`` more of it at temperature, then drafts from the task
    and the cheap failures; each later round repairs the best failing draft. Samples
    that share a prompt go as one request (the 1.5B reads a prompt at about 50 tokens/s
    on 2 cores; llama.cpp reads it once and copies it to each completion's slot)."""
    rounds: int = 1
    """1: on 2 CPU cores the packaged 1.5B decodes about 11 tokens/s; a repair round
    (``rounds=2``) doubles the strong tier's cost on the tasks it cannot solve."""
    max_tokens: int = 1024
    temperature: float = 0.7
    failures_shown: int = 2
    """Distinct cheap failures handed to the strong model, most informative first."""
    greedy_first: bool = True
    """Round 0's first sample is the strong model's greedy answer to the task alone (its
    own request); the rest of the round follows only if it failed. Measured on the
    full HumanEval run (docs/ENGINES.md)."""
    plain_samples: int = 3
    """With ``greedy_first``: of round 0's other samples, how many are drawn at
    temperature from the task alone (one request, after the greedy answer failed); the
    rest see the cheap failures (after those failed too). 3 of the default 4, so no
    sample sees the failures by default: on two full HumanEval runs a draft shown the
    failures solved 2 of 35 and 2 of 30 tasks the greedy answer had failed, and its
    ~800-token prompt made it the strong tier's dearest sample; a sample of the bare
    task reuses the greedy answer's prompt (plain samples solved 9 of 31)."""
    more_plain_samples: int = 4
    """With ``greedy_first``: after the plain samples failed too, this many more of the
    bare task at temperature (one more request, the prompt still cached; sent only
    then). On the full HumanEval run whose strong tier stopped at 1 + 3 samples
    (full14), 25 escalated tasks were left without an answer passing every check while
    the 1.5B's plain samples passed 5-6 times in 36 each (docs/ENGINES.md)."""
    spare_samples: int = 32
    """With a time limit: more strong samples a task may get in spare time, at most
    (``sampler.core.spare_time``). On the full HumanEval run with a 30-minute limit
    (full23) no task got more than 20; the cap bounds what an instant or hosted strong
    tier, whose tokens are priced as a frontier model's, can spend on one task."""
    second_reader: bool = True
    """A task without tests picked among the cheap samples is called solved only if the
    strong model's greedy answer to the bare task agrees with the pick on every input
    (``sampler.core.second_reader``): a misreading that every cheap sample shares is one
    agreement among them cannot see. Where it disagrees, its answer is the guess, for a
    pick too weakly supported to call too (docs/SOLVING.md). One greedy request per such
    task."""
    reader_samples: int = 3
    """With ``second_reader``: where the greedy reader disagrees with a cheap pick, this
    many more samples of the bare task at temperature (one request); the guess is then
    the first of the largest group among the strong answers that fit the examples
    (``sampler.core.second_reader.vetoed_guess``), not the greedy answer alone. Never a
    call: the task stays unsolved. 0 turns them off (docs/SOLVING.md)."""
    careful_reader: bool = True
    """With ``second_reader``: a pick the strong model's greedy answer agreed with is
    called solved only if its answer agrees too when it is first asked to list every
    requirement and edge case the task states (``sampler.core.second_reader``): one more
    greedy request, only for tasks about to be called solved whose pick rests on fewer
    than two of the prompt's examples (``verifiers.agreement.PINNING_EXAMPLES``;
    docs/SOLVING.md)."""
    reader_tests: bool = True
    """With ``second_reader``: a pick the readers back is called solved only if the greedy
    reader's answer agrees with it on the calls of tests the strong model writes for the
    task (``sampler.core.reader_tests``): one more greedy request, only for tasks about
    to be called solved; it reaches cases the task's words state and its one example
    does not show (docs/SOLVING.md)."""

    def __post_init__(self) -> None:
        if self.samples < 1 or self.rounds < 1:
            raise ConfigError(f"escalation needs samples >= 1 and rounds >= 1, got {self}")
        if self.max_tokens < 1:
            raise ConfigError(f"escalation max_tokens must be >= 1, got {self.max_tokens}")
        if not 0.0 <= self.temperature <= 5.0:
            raise ConfigError(f"escalation temperature must be in [0, 5], got {self.temperature}")
        if self.failures_shown < 0:
            raise ConfigError(f"failures_shown must be >= 0, got {self.failures_shown}")
        if self.spare_samples < 0:
            raise ConfigError(f"spare_samples must be >= 0, got {self.spare_samples}")
        if not 0 <= self.reader_samples <= MAX_READER_SAMPLES:  # one request's completions, each a slot
            raise ConfigError(f"reader_samples must be in [0, {MAX_READER_SAMPLES}], got {self.reader_samples}")
        if self.plain_samples < 0 or self.more_plain_samples < 0:
            raise ConfigError(f"plain samples must be >= 0, got {self.plain_samples}, {self.more_plain_samples}")

    @property
    def plain_after_greedy(self) -> int:
        """Round 0's samples of the bare task at temperature (``plain_samples``, at most the
        rest of the round); 0 without ``greedy_first``."""
        return min(self.plain_samples, self.samples - 1) if self.greedy_first else 0

    @property
    def more_plain_after_greedy(self) -> int:
        """Round 0's second request of the bare task at temperature (``more_plain_samples``,
        at most what the round has left); 0 without ``greedy_first``."""
        left = self.samples - 1 - self.plain_after_greedy
        return min(self.more_plain_samples, left) if self.greedy_first else 0


@dataclass(frozen=True)
class SolveConfig:
    sample: SampleConfig = SampleConfig()
    batch_tasks: int = 8
    """Tasks in flight at once (their samples share the engine's batch)."""
    stop_on_first_pass: bool = True
    """Stop a task at its first verified pass and abort its requests still in the
    engine. Off for scaling and dataset runs, which want every sample."""
    budget: BudgetConfig = BudgetConfig()
    escalation: EscalationConfig | None = None
    """The strong tier's budget; ``None``: no escalation."""
    cheap_price: TierPrice = CHEAP_PRICE
    strong_price: TierPrice = STRONG_PRICE
    verify_threads: int = 2
    """Verification calls in flight at once (each fans out over the sandbox pool)."""
    answer_prefill: bool = False
    """Chat prompts: start each cheap answer with the task's code so the model writes only
    the body (``sampler.core.prompting.ANSWER_PREFILL``); set where the backend can prefill."""
    strong_prefill: bool = False
    """The same for the strong tier's answers, where its backend can prefill."""
    time_limit_s: float | None = None
    """Seconds the call may take, engine start included (``None``: no limit). At the limit
    the run stops: verdicts in flight are recorded, tasks not yet decided get no result
    line (a rerun goes on with them). Before it, the strong tier's spare time goes to
    the escalated tasks still unsolved: more samples of the bare task, one request at a
    time, while the next one is expected to finish in time (``sampler.core.spare_time``)."""

    def __post_init__(self) -> None:
        if self.batch_tasks < 1:
            raise ConfigError(f"batch_tasks must be >= 1, got {self.batch_tasks}")
        if self.time_limit_s is not None and not (math.isfinite(self.time_limit_s) and self.time_limit_s > 0):
            raise ConfigError(f"time limit must be a positive number of seconds, got {self.time_limit_s}")
        if self.verify_threads < 1:
            raise ConfigError(f"verify_threads must be >= 1, got {self.verify_threads}")

    def fingerprint(self) -> dict[str, Any]:
        """The settings a resumed run must share with the run it continues: the ones
        that decide what sample ``i`` of a task is. Budget and escalation settings
        only decide how many samples are drawn, so a rerun may change them."""
        out: dict[str, Any] = {key: (str(value) if isinstance(value, StrEnum) else value)
                               for key, value in asdict(self.sample).items()}
        # Stopping at the code's end changes a sample's length, never its verdict: the
        # program is the same, or (cut where it could no longer parse) a syntax error
        # either way.
        del out["stop_at_code_end"]
        # Samples per task decide how many samples there are, never what sample i is:
        # a rerun may raise n (the run is extended) or lower it (a subset is read).
        del out["n"]
        out["seeding"] = SEEDING
        return out


SEEDING = "per-sample-v2"
"""Each sample is its own request with its own seed (task seed + index), so sample
``i`` is the same whether drawn in one batch, in waves, or after a resume."""
