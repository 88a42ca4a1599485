"""Where a task stands when a rerun takes it up: what an earlier call verified is reused,
and the strong round it had reached is worked out from the samples alone
(``sampler.core.loop.BestOfN._begin``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sampler.policy.length_cap import FINISH_LENGTH_CAP
from sampler.storage.records import STRONG, SampleRecord
from verifiers.types import Status


def reusable_samples(verified: Mapping[str, SampleRecord], length_capped: bool) -> dict[str, SampleRecord]:
    """The samples a rerun keeps: not those with an ``error`` verdict (drawn and verified
    again), nor those cut short by a learned length cap when this run learns none
    (``length_capped`` false): they would count as failures of a shorter request."""
    return {cid: s for cid, s in verified.items()
            if s.status is not Status.ERROR and (length_capped or s.finish_reason != FINISH_LENGTH_CAP)}


def rounds_reached(samples: Iterable[SampleRecord], round_size: int, spare_from: int | None) -> int:
    """How many strong rounds the samples reach: the highest round any strong sample is
    in (a round whose samples all had infrastructure errors, dropped, still came before
    the ones after it). Spare-time samples (from index ``spare_from``) are no round."""
    return max((s.sample_index // round_size + 1 for s in samples
                if s.tier == STRONG and (spare_from is None or s.sample_index < spare_from)), default=0)


def round_cut_short(strong_indices: set[int], round_size: int, rounds: int) -> bool:
    """True when the last strong round the indices reach, one of the ``rounds`` a task may
    have, is missing some of its samples: it stopped before it was done (a time limit, a
    crash), and it is the round the task is still in. Call it only for a task with nothing
    passed (readers are asked only of a task that passed: theirs are no round)."""
    if not strong_indices:
        return False
    last = max(strong_indices) // round_size
    return last < rounds and not set(range(last * round_size, (last + 1) * round_size)) <= strong_indices
