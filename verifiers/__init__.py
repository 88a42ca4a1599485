"""Soundness checks on candidates: the sandbox and the verifiers that use it."""
