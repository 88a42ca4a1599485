"""Experiments over the solve core, each a run of ``sampler.core.api.solve`` per model
with every sample verified and kept: ``bestofn scale`` (pass@k tables with bootstrap
intervals in ``scaling``, the power-law fit in ``powerlaw``, the figure in ``plot``) and
``bestofn generate`` (verified-solution datasets, ``dataset``). Nothing in the solve
core depends on this package."""
