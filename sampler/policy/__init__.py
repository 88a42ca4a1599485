"""How much a task gets: the budget that decides another cheap wave, an escalation
round or a stop (``budget``), the prior on a task's cheap pass rate it prices those
choices with (``prior``), and the length cap on cheap samples learned from verified
passes (``length_cap``). Pure decisions over counts and lengths: no engine, no
verifier, no prompt text (what the strong tier is asked lives in ``sampler.core``)."""
