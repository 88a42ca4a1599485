"""The solve core: ``api`` (``solve`` and ``verify``, what the CLI and ``bestofn`` call),
the streaming best-of-N ``loop`` it runs, what a model is asked (``prompting`` for a
task, ``escalation`` for the strong tier's draft and repair rounds) and how its output
becomes a program, and which verified sample answers a task (``selection``). How much
each task gets is asked of ``sampler.policy``; what is kept goes to ``sampler.storage``."""
