"""The prior on a task's cheap pass rate, before any of its samples is verified.

A beta-binomial regression: task ``i``'s pass rate is ``Beta(mean_i * kappa,
(1 - mean_i) * kappa)`` with ``mean_i = sigmoid(alpha + slope * z_i)``, where
``z_i`` is a covariate known before sampling (the log of the prompt's word count)
standardised over the tasks. The budget fits it to the run's own verdicts
(``fit_prior``); ``train_prior`` fits it to earlier runs' verdicts, so a run can
start from what they learned (``bestofn prior``, then ``solve --prior-from``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sampler.config import DEFAULT_PRIOR, Prior
from sampler.storage.records import CHEAP
from sampler.storage.store import load_samples
from tasks.errors import ConfigError
from tasks.paths import is_special_file
from tasks.types import Task
from verifiers.types import Status

def prompt_length_covariate(prompt: str) -> float:
    """What the prior reads off a task before sampling it: the log of its prompt's
    length in words. Longer specifications are harder for a small model."""
    return math.log(max(1, len(prompt.split())))


# Where the fit may go: pass-rate means from about 1e-5 to 0.9997, concentrations
# from "every task all or nothing" (0.007) to "every task the same rate" (1100).
_BOUNDS = np.array([[-12.0, 8.0], [-5.0, 7.0], [-6.0, 6.0]])
_OFFSETS = np.array([(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)],
                    dtype=float)


def fit_prior(outcomes: Sequence[tuple[int, int]], default: tuple[float, float] | Prior,
              spread: float, covariates: Sequence[float] | None = None,
              slope_spread: float = 1.0) -> Prior:
    """MAP prior of a beta-binomial regression over ``(passes, failures)`` per task.

    Gaussian hyperpriors keep a run with few finished tasks near ``default`` (a Beta
    ``(a, b)`` for every task, or a ``Prior`` trained on earlier runs): on the
    logit of the mean and the log concentration (standard deviation ``spread``), and,
    given ``covariates`` (one per outcome), on the slope (``slope_spread``, centred on
    the default's slope: no effect unless trained, so the run's own verdicts decide
    whether and which way the covariate matters). Without covariates the slope is 0:
    one Beta prior for every task.

    The log posterior is smooth in its three parameters; a pattern search (every
    neighbour on a cube, halving the step when none is better) finds its maximum
    to 0.01 from the hyperprior's centre, deterministically.
    """
    home = default if isinstance(default, Prior) else Prior.from_beta(*default)
    if not outcomes:
        return home
    z = np.zeros(len(outcomes))
    centre, scale = home.centre, home.scale
    if covariates is not None:
        x = np.asarray(covariates, dtype=float)
        centre, scale = float(x.mean()), float(x.std())
        if scale < 1e-9:
            scale = 1.0
        z = (x - centre) / scale
    home = home.restandardised(centre, scale)
    # log B(a + s, b + f) - log B(a, b) as finite sums (s, f are small counts):
    # sum_{k<s} log(a + k) + sum_{k<f} log(b + k) - sum_{k<s+f} log(a + b + k).
    a_task: list[int] = []
    a_k: list[int] = []
    b_task: list[int] = []
    b_k: list[int] = []
    n_task: list[int] = []
    n_k: list[int] = []
    for i, (passes, failures) in enumerate(outcomes):
        a_task += [i] * passes
        a_k += range(passes)
        b_task += [i] * failures
        b_k += range(failures)
        n_task += [i] * (passes + failures)
        n_k += range(passes + failures)
    a_ix, b_ix, n_ix = (np.asarray(v, dtype=int) for v in (a_task, b_task, n_task))
    a_off, b_off, n_off = (np.asarray(v, dtype=float) for v in (a_k, b_k, n_k))
    home_theta = np.array([home.alpha, home.log_kappa,
                           home.slope if covariates is not None else 0.0])
    widths = np.array([spread, spread, slope_spread])
    free = np.array([1.0, 1.0, 1.0 if covariates is not None else 0.0])

    def log_posterior(theta: np.ndarray) -> np.ndarray:
        alpha, log_kappa, slope = theta[:, 0:1], theta[:, 1:2], theta[:, 2:3]
        mean = 1.0 / (1.0 + np.exp(-(alpha + slope * z[None, :])))
        kappa = np.exp(log_kappa)
        a, b = mean * kappa, (1.0 - mean) * kappa
        log_lik = (np.log(a[:, a_ix] + a_off).sum(axis=1) + np.log(b[:, b_ix] + b_off).sum(axis=1)
                   - np.log(kappa + n_off[None, :]).sum(axis=1))
        log_hyper = -(((theta - home_theta) * free / widths) ** 2).sum(axis=1) / 2
        return np.asarray(log_lik + log_hyper, dtype=float)

    offsets = _OFFSETS[(_OFFSETS[:, 2] == 0) | (free[2] > 0)]
    stay = int(np.flatnonzero((offsets == 0).all(axis=1))[0])
    theta, step = home_theta.copy(), 1.0
    for _ in range(1000):
        candidates = np.clip(theta + step * offsets, _BOUNDS[:, 0], _BOUNDS[:, 1])
        values = log_posterior(candidates)
        best = int(np.argmax(values))
        if values[best] > values[stay] + 1e-12:
            theta = candidates[best]
        elif step > 0.01:
            step /= 2
        else:
            break
    return Prior(alpha=float(theta[0]), log_kappa=float(theta[1]), slope=float(theta[2]),
                 centre=centre, scale=scale)


def train_prior(run_dirs: Sequence[Path], tasks: Mapping[str, Task], *,
                default: tuple[float, float] = DEFAULT_PRIOR, spread: float = 1.0,
                slope_spread: float = 1.0) -> tuple[Prior, int, str]:
    """The prior fitted to earlier runs' cheap verdicts, how many tasks it saw, and
    the model whose verdicts they are.

    A task's samples in several runs count as one record (its pass rate is one
    number); the runs must be of one model. ``tasks`` must hold every task the runs
    sampled, for its prompt. Any stopping rule the runs used leaves the likelihood
    of what they saw unchanged, so adaptive and stopped runs count as they are.
    """
    counts: dict[str, list[int]] = {}
    models: set[str] = set()
    for run_dir in run_dirs:
        path = Path(run_dir) / "samples.jsonl"
        if not path.is_file():
            raise ConfigError(f"{run_dir}: no samples.jsonl (not a run directory)")
        # A sample drawn again by a rerun (after an error, or without a length cap) has a
        # later line that supersedes the earlier one: count each sample once.
        for task_id, by_candidate in load_samples(path).items():
            if task_id not in tasks:
                raise ConfigError(f"{path}: task {task_id!r} is not among the given tasks")
            for record in by_candidate.values():
                if record.tier is not CHEAP or record.status is Status.ERROR:
                    continue
                models.add(record.model)
                count = counts.setdefault(task_id, [0, 0])
                count[0 if record.passed else 1] += 1
    if not counts:
        raise ConfigError("the runs hold no verified cheap samples to train on")
    if len(models) > 1:
        raise ConfigError(f"the runs are of different models ({', '.join(sorted(models))}); "
                          "a prior is one model's")
    ids = sorted(counts)
    prior = fit_prior([(counts[t][0], counts[t][1]) for t in ids], default, spread,
                      covariates=[prompt_length_covariate(tasks[t].prompt) for t in ids],
                      slope_spread=slope_spread)
    return prior, len(ids), models.pop()


def save_prior(path: Path, prior: Prior, **about: Any) -> None:
    """The prior as JSON, with what it was trained on."""
    target = Path(path)
    try:
        if is_special_file(target):
            raise ConfigError(f"{path}: --out must be a regular file")
        if target.exists() and not _is_prior_file(target):
            # `--out run/samples.jsonl` replaced a run's samples with the prior (red team).
            raise ConfigError(f"{path} exists and is not a prior file; choose another --out")
        target.write_text(json.dumps({"prior": prior.to_dict(), **about}, indent=2) + "\n")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be written ({exc.strerror or exc})") from None


def _is_prior_file(path: Path) -> bool:
    try:
        if path.stat().st_size > 1 << 20:  # a prior is a few hundred bytes
            return False
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(obj, dict) and isinstance(obj.get("prior"), dict)


def load_prior(path: Path, model: str | None = None) -> Prior:
    """A saved prior; given ``model``, refuses one trained on another model's runs."""
    try:
        if is_special_file(Path(path)):
            raise ConfigError(f"{path}: not a prior file (not a regular file)")
        obj = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a prior file ({exc})") from None
    if not isinstance(obj, dict):
        raise ConfigError(f"{path}: not a prior file")
    trained_on = obj.get("model")
    if model is not None and trained_on is not None and trained_on != model:
        raise ConfigError(f"{path}: trained on {trained_on}'s runs, not {model}'s")
    return Prior.from_dict(obj.get("prior"), str(path))
