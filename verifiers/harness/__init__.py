"""Trusted test code that runs in the sandbox's test server, kept as real modules.

The property check and the output collector send the test server a generated
``check(candidate)``. That code used to live in Python strings, which mypy never
read. Each generated test is now a module here: stdlib only, type-checked like the
rest, with a parameter block the generator replaces by the task's values
(``verifiers.harness.source.harness_source``). Nothing here is imported in the sandbox:
the test server receives the module's text, compiled as the task's test.
"""
