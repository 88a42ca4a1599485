"""The mypy verifier: type-checks candidates against their task's annotated signature.

Candidates that pass thin unit tests can still be type-wrong (``-> int`` that can
return ``None``, ``-> List[int]`` that returns a ``str``); this check catches them
statically. Candidate code is never executed: it is written as modules into a
private temporary directory and checked by mypy in the pipeline's guarded worker
process (``verifiers.guarded``), many candidates per run, each as its own module,
its errors mapped back by module file name. A warm fine-grained build checks each
batch (``verifiers.mypy_incremental``: 3x faster per task than ``mypy.api.run``
from the disk cache); a batch it cannot check goes to ``mypy.api.run``.

Policy (the pragmas and tricks that would let a candidate silence the checker;
enforced by the screen in ``verifiers.signature_screen`` before mypy reads the code):

* ``# type: ignore`` comments, at the top of the file (which silences the whole
  module, even under ``--strict``) or on single lines, are *neutralised*: the
  comment is blanked before mypy sees the code, so every line is checked. A
  type-correct candidate that carries a harmless ignore still passes; a
  type-wrong one fails on the error the ignore was hiding.
* Inline mypy configuration comments (any line that starts with ``# mypy:``,
  e.g. ``# mypy: ignore-errors`` or ``# mypy: disable-error-code=...``) make the
  candidate FAILED: mypy reads them line by line, even inside string literals, so
  they cannot be blanked without changing the program.
* ``typing.no_type_check`` (which turns a function into ``Any``) and
  ``TYPE_CHECKING`` (which shows mypy a different program than the one that
  runs) make the candidate FAILED.
* The entry point must be a module-level ``def`` whose annotations match the
  prompt's (``List[int]`` and ``list[int]``, ``Optional[X]`` and ``X | None``
  count as equal), so a candidate cannot dodge the check by dropping or
  loosening the declared types.
* A syntax error is FAILED with its message, found with ``compile()`` before
  mypy runs, so it cannot abort the batch for the others.

Known gaps: ``typing.cast`` and values typed ``Any`` (other than a returned
``Any``, which ``--strict`` reports) are trusted, as are branches mypy considers
unreachable by platform or version checks.

Errors the task's own reference program has (HumanEval/12 and /24 fall off the
end of a loop, HumanEval/20 returns ``tuple[float, ...] | None`` for
``Tuple[float, float]``) are tolerated when ``tolerate_reference_errors`` is on:
a candidate is not held to a stricter standard than the reference (where the
reference breaks its return annotation, every return-value error is: the annotation
is no contract there). No mypy flag
set can pass HumanEval/20 and still reject ``-> int`` returning ``None``.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from tasks.errors import ConfigError
from tasks.program import reference_program
from tasks.types import Task
from verifiers.mypy_incremental import IncrementalMypy
from verifiers.mypy_warm_cache import discard_cache, seed_cache
from verifiers.signature_screen import Screened, prompt_definition, screen, signature_of
from verifiers.types import Candidate, Status, Verdict, truncate

DEFAULT_FLAGS: tuple[str, ...] = (
    "--strict",
    "--allow-untyped-defs",
    "--allow-incomplete-defs",
    "--allow-untyped-calls",
    "--allow-any-generics",
    "--no-check-untyped-defs",
    "--no-warn-return-any",
    "--disable-error-code=var-annotated",
    "--disable-error-code=no-redef",
    "--warn-unreachable",
    "--no-warn-redundant-casts",
)
"""``--strict`` minus what HumanEval's unannotated prompts and helpers trip over, plus
``--warn-unreachable``: a call typed ``NoReturn`` (a no-op annotated so) made mypy skip
the module's every later line, a wrong def included (red team); over 432 answers to
HumanEval that pass its tests and the property check, it rejected none more than before.

Kept: strict Optional, return-value and missing-return checks, ``--strict-equality``,
``--extra-checks``. Missing returns refuse a right loop that always returns on the task's
inputs (HumanEval/13's ``for d in range(min(a, b), 0, -1): if ...: return d``; none of
full20's and full21's 1,487 samples was refused by mypy), but a red team's wrong
``isqrt``, None for 0 and 1 where no input reached, passed every check without them. Dropped: the demands for annotations everywhere (most HumanEval
prompts have none), bare ``list``, the checking of unannotated function bodies
(HumanEval/101, /108, /130 reuse variables across types), and ``--warn-return-any``:
a lint, not a soundness check. On real SmolLM2 samples it rejected 7 correct
``return max(l)`` answers to HumanEval/35, whose prompt declares ``l: list``.
Also dropped: ``--warn-redundant-casts``, a lint (``cast(int, len(s))`` hides nothing);
``var-annotated`` (``result = []`` that mypy cannot infer: correct code,
it rejected Qwen answers to HumanEval/9 and /26) and ``no-redef`` (an answer that
writes a prompt's helper again, as answers to HumanEval/10, /38 and /50 did, runs
fine: the later definition wins).
"""

_MANAGED_FLAGS: tuple[str, ...] = (
    "--config-file",
    "--cache-dir",
    "--sqlite-cache",
    "--no-sqlite-cache",
    "--incremental",
    "--no-incremental",
    "--error-summary",
    "--no-error-summary",
    "--pretty",
    "--output",
    "--show-absolute-path",
    "--show-error-context",
    "--show-column-numbers",
    "--show-error-end",
    "--hide-error-codes",
    "--junit-xml",
    "--install-types",
    "--package",
    "--module",
    "--command",
    "--follow-imports",
    "--python-executable",
    "--no-site-packages",
    "--shadow-file",
    "--exclude",
    "--explicit-package-bases",
    "--namespace-packages",
    "--no-namespace-packages",
    "--scripts-are-modules",
    "--version",
    "--help",
)
"""Flags the verifier sets itself (caching, output format, module discovery)."""

_RUN_FLAGS: tuple[str, ...] = (
    "--no-error-summary",
    "--no-pretty",
    "--show-error-codes",
    "--hide-error-context",
    "--no-color-output",
    "--show-absolute-path",
    # Imports of modules outside the standard library are not followed (their names are
    # Any; typeshed's stubs are always read). ``silent`` read a module found in the
    # working directory (a candidate's ``from verifiers.typecheck import ...`` got its
    # real types), and the warm build cannot do ``silent``: with ``skip`` both read the
    # same program whatever directory the check runs in (red team).
    "--follow-imports=skip",
    # Installed packages are not read: a candidate's ``import torch`` inside a
    # function made mypy analyse torch (758 MB, 45 s). Their names are Any instead.
    "--no-site-packages",
    "--ignore-missing-imports",
)

_MODULE_PREFIX = "bestofn_cand_"
_REFERENCE_CACHE_LIMIT = 4096
_REFERENCE_MODULE = "bestofn_reference"
_OUTPUT_RE = re.compile(
    r"^(?P<path>.+?\.py):(?P<line>\d+):(?:\d+:)? (?P<severity>error|note|warning): "
    r"(?P<message>.*?)(?:  \[(?P<code>[a-z0-9-]+)\])?$"
)
_LINE_REF_RE = re.compile(r"\bline \d+")

# mypy's in-process API shares global state (stdout redirection, the
# recursion limit), so in-process runs are serialised across all instances.
_MYPY_LOCK = threading.Lock()


@dataclass(frozen=True)
class TypeCheckConfig:
    """How strictly the mypy verifier checks.

    ``flags``: mypy strictness flags (defaults: ``DEFAULT_FLAGS``); the flags
    that control caching, output and module discovery are the verifier's own and
    are refused here. ``batch_size``: candidates per mypy run. ``detail_errors``:
    how many mypy errors a verdict's detail quotes. ``tolerate_reference_errors``:
    forgive errors the task's reference program has too. ``enforce_signature``:
    require the entry point's annotations to match the prompt's.
    """

    flags: tuple[str, ...] = DEFAULT_FLAGS
    batch_size: int = 100
    detail_errors: int = 3
    tolerate_reference_errors: bool = True
    enforce_signature: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.flags, tuple):
            raise ConfigError(f"flags must be a tuple of strings, got {self.flags!r}")
        for flag in self.flags:
            if not isinstance(flag, str) or not flag.startswith("-"):
                raise ConfigError(f"mypy flag {flag!r} must be a string starting with '-'")
            name = flag.split("=", 1)[0]
            if name in _MANAGED_FLAGS:
                raise ConfigError(f"mypy flag {flag!r} is set by the verifier itself")
        _check_mypy_flags(self.flags)
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int):
            raise ConfigError(f"batch_size must be an int, got {self.batch_size!r}")
        if not 1 <= self.batch_size <= 1000:
            raise ConfigError(f"batch_size must be in 1..1000, got {self.batch_size!r}")
        if isinstance(self.detail_errors, bool) or not isinstance(self.detail_errors, int):
            raise ConfigError(f"detail_errors must be an int, got {self.detail_errors!r}")
        if not 1 <= self.detail_errors <= 50:
            raise ConfigError(f"detail_errors must be in 1..50, got {self.detail_errors!r}")
        if not isinstance(self.tolerate_reference_errors, bool):
            raise ConfigError(
                f"tolerate_reference_errors must be a bool, got {self.tolerate_reference_errors!r}"
            )
        if not isinstance(self.enforce_signature, bool):
            raise ConfigError(f"enforce_signature must be a bool, got {self.enforce_signature!r}")


def _check_mypy_flags(flags: tuple[str, ...]) -> None:
    """Let mypy's own option parser judge the flags (it exits on a bad one)."""
    from mypy.main import process_options

    out, err = io.StringIO(), io.StringIO()
    try:
        # Never the user's mypy.ini, setup.cfg or pyproject.toml (mypy reads the working
        # directory's and its parents'): the checks never do either (red team).
        process_options([*flags, "--config-file", os.devnull, "x.py"], stdout=out, stderr=err)
    except SystemExit:
        message = (err.getvalue() or out.getvalue()).strip().splitlines()
        reason = message[-1] if message else "rejected by mypy"
        raise ConfigError(f"bad mypy flags {list(flags)!r}: {reason}") from None


@dataclass(frozen=True)
class MypyError:
    """One mypy error, located in a candidate's own source."""

    line: int
    message: str
    code: str

    def key(self) -> str:
        """The error without its place: what the reference baseline compares."""
        return self.code + ":" + _LINE_REF_RE.sub("line ?", self.message)

    def __str__(self) -> str:
        suffix = f" [{self.code}]" if self.code else ""
        return f"line {self.line}: {self.message}{suffix}"


@dataclass(frozen=True)
class _RunResult:
    errors: tuple[MypyError, ...]
    failure: str = ""
    """Set when mypy could not check this module (crash): an infrastructure fault."""


class TypeCheckVerifier:
    """Type-checks each candidate with mypy, many candidates per in-process run."""

    name = "mypy"

    def __init__(self, config: TypeCheckConfig | None = None) -> None:
        self.config = config if config is not None else TypeCheckConfig()
        self._root = Path(tempfile.mkdtemp(prefix="bestofn-mypy-"))
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._root), True)
        self._config_file = self._root / "mypy.ini"
        self._config_file.write_text("[mypy]\n", encoding="utf-8")
        self._cache_dir = self._root / "cache"
        self._batch_ids = itertools.count()
        self._reference_keys: dict[tuple[str, str], frozenset[str]] = {}
        # The standard library's stubs from the machine's shared cache (``verifiers.mypy_warm_cache``):
        # then the warm build loads in milliseconds and takes every batch from the first.
        self._cache_flags: tuple[str, ...] = ()
        with _MYPY_LOCK:  # making the shared cache is an in-process mypy run
            seeded = seed_cache([*self.config.flags, *_RUN_FLAGS], self._cache_dir)
        if seeded:
            self._cache_flags = ("--cache-fine-grained",)
            self._incremental = IncrementalMypy(
                [*self._flags(), "--cache-dir", str(self._cache_dir), "--use-fine-grained-cache"],
                self._root / "dmypy-status.json", classic_first=0)
        else:
            self._incremental = IncrementalMypy(self._flags(), self._root / "dmypy-status.json")

    def close(self) -> None:
        """Removes the private module and cache directory."""
        self._finalizer()

    def __enter__(self) -> TypeCheckVerifier:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def verify(self, task: Task, candidates: Sequence[Candidate]) -> list[Verdict]:
        prompt_def, prompt_imports = prompt_definition(task) if self.config.enforce_signature else (None, [])
        signature = signature_of(prompt_def) if prompt_def is not None else None
        screened: list[Screened] = []
        screen_seconds: list[float] = []
        for candidate in candidates:
            t0 = time.perf_counter()
            screened.append(screen(candidate.source, task.entry_point, signature, prompt_def,
                                    prompt_imports))
            screen_seconds.append(time.perf_counter() - t0)

        todo = [i for i, s in enumerate(screened) if not s.rejection]
        reference = self._pending_reference(task) if todo else None
        results: dict[int, _RunResult] = {}
        run_seconds: dict[int, float] = {}
        for start in range(0, len(todo), self.config.batch_size):
            chunk = todo[start : start + self.config.batch_size]
            sources = [screened[i].text for i in chunk]
            names = [_module_name(i) for i in range(len(chunk))]
            if reference is not None:  # rides along in the first run: one module, not a run
                sources.append(reference[1])
                names.append(_REFERENCE_MODULE)
            t0 = time.perf_counter()
            chunk_results = self._check(sources, names)
            share = (time.perf_counter() - t0) / len(sources)
            if reference is not None:
                self._remember_reference(reference[0], chunk_results[-1])
                reference = None
            for i, result in zip(chunk, chunk_results):
                results[i] = result
                run_seconds[i] = share

        baseline: frozenset[str] = frozenset()
        reference_key = _reference_key(task)
        if self.config.tolerate_reference_errors and reference_key is not None:
            baseline = self._reference_keys.get(reference_key, frozenset())

        verdicts: list[Verdict] = []
        for i, candidate in enumerate(candidates):
            seconds = screen_seconds[i] + run_seconds.get(i, 0.0)
            status, detail = self._judge(i, screened[i], results.get(i), baseline)
            verdicts.append(
                Verdict(
                    task_id=candidate.task_id,
                    candidate_id=candidate.candidate_id,
                    verifier=self.name,
                    status=status,
                    detail=truncate(detail),
                    seconds=seconds,
                )
            )
        return verdicts

    def _judge(
        self,
        index: int,
        screened: Screened,
        result: _RunResult | None,
        baseline: frozenset[str],
    ) -> tuple[Status, str]:
        if screened.rejection:
            return Status.FAILED, screened.rejection
        if result is None:  # pragma: no cover - every unrejected candidate is checked
            return Status.ERROR, "mypy: candidate was not checked"
        if result.failure:
            return Status.ERROR, result.failure
        # A reference that breaks its own return annotation (HumanEval/20) makes it no
        # contract: any return-value error is forgiven there, not only the reference's
        # own text (``tuple(sorted((a, b)))`` failed on its message's wording: red team).
        loose = {key.split(":", 1)[0] for key in baseline} & {"return-value"}
        errors = [e for e in result.errors if e.key() not in baseline and e.code not in loose]
        if not errors:
            return Status.PASSED, ""
        shown = "; ".join(str(e) for e in errors[: self.config.detail_errors])
        more = len(errors) - self.config.detail_errors
        tail = f"; and {more} more" if more > 0 else ""
        plural = "s" if len(errors) > 1 else ""
        return Status.FAILED, f"mypy: {len(errors)} error{plural}: {shown}{tail}"

    def _pending_reference(self, task: Task) -> tuple[tuple[str, str], str] | None:
        """The reference program to check alongside the candidates, if not known yet."""
        if not self.config.tolerate_reference_errors:
            return None
        key = _reference_key(task)
        if key is None or key in self._reference_keys:
            return None
        program = reference_program(task)
        screened = screen(program or "", task.entry_point, None)
        if screened.rejection:
            self._reference_keys[key] = frozenset()
            return None
        return key, screened.text

    def _remember_reference(self, key: tuple[str, str], result: _RunResult) -> None:
        if len(self._reference_keys) >= _REFERENCE_CACHE_LIMIT:
            self._reference_keys.clear()
        self._reference_keys[key] = frozenset(e.key() for e in result.errors)

    def _check(
        self, sources: Sequence[str], module_names: Sequence[str]
    ) -> list[_RunResult]:
        """Runs mypy over the sources as separate modules; one result per source.

        A run that mypy aborts (exit status 2: a blocking error or a crash) tells
        nothing about the others, so it is split in halves until the culprit is
        alone.
        """
        batch = next(self._batch_ids)
        # Names of their own per batch: the incremental build sees new modules, never a
        # module that moved to another file. And unguessable: a candidate that imports
        # the module of another in its batch by name (``bestofn_cand_0001_0``) got that
        # one's types (red team); now the name resolves to nothing it can know.
        salt = secrets.token_hex(6)
        names = [f"{name}_{batch}_{salt}" for name in module_names]
        batch_dir = self._root / f"batch{batch}"
        batch_dir.mkdir()
        try:
            paths = []
            for name, source in zip(names, sources):
                path = batch_dir / f"{name}.py"
                path.write_text(source, encoding="utf-8")
                paths.append(str(path))
            return self._run(paths, names)
        finally:
            shutil.rmtree(batch_dir, ignore_errors=True)

    def _flags(self) -> list[str]:
        return [*self.config.flags, *_RUN_FLAGS, *self._cache_flags, "--config-file", str(self._config_file)]

    def _run(self, paths: list[str], names: list[str]) -> list[_RunResult]:
        with _MYPY_LOCK:
            stdout = self._incremental.check(paths)
        if stdout is not None:
            index = {Path(p).name: i for i, p in enumerate(paths)}
            return [_RunResult(errors=tuple(errors)) for errors in _parse(stdout, index, len(paths))]
        results = self._run_classic(paths, names)
        if self._cache_flags and any(result.failure for result in results):
            # mypy itself failed, from the stub cache perhaps (a damaged file: red team): the
            # machine's copy is dropped (the next checker makes it again), this checker goes
            # on cold, and the batch is checked again.
            self._start_cold()
            results = self._run_classic(paths, names)
        return results

    def _start_cold(self) -> None:
        discard_cache([*self.config.flags, *_RUN_FLAGS])
        shutil.rmtree(self._cache_dir, ignore_errors=True)
        self._cache_flags = ()
        self._incremental = IncrementalMypy(self._flags(), self._root / "dmypy-status.json")

    def _run_classic(self, paths: list[str], names: list[str]) -> list[_RunResult]:
        """One ``mypy.api.run`` from the on-disk cache: what a batch the incremental build
        could not check gets (a blocking error, or a failure inside mypy)."""
        import mypy.api

        args = [*self._flags(), "--cache-dir", str(self._cache_dir), *paths]
        with _MYPY_LOCK:
            try:
                stdout, stderr, status = mypy.api.run(args)
            except Exception as exc:  # noqa: BLE001 - a mypy crash is ours, not the candidate's
                stdout, stderr, status = "", f"{type(exc).__name__}: {exc}", 2
        if status == 2:
            if len(paths) > 1:
                half = len(paths) // 2
                return self._run_classic(paths[:half], names[:half]) + self._run_classic(
                    paths[half:], names[half:]
                )
            errors = _parse(stdout, {Path(paths[0]).name: 0}, 1)[0]
            if errors:  # a blocking error in the candidate's own code
                return [_RunResult(errors=tuple(errors))]
            tail = (stderr or stdout).strip().splitlines()
            reason = tail[-1] if tail else "no output"
            return [_RunResult(errors=(), failure=f"mypy could not check the candidate: {reason}")]
        index = {Path(p).name: i for i, p in enumerate(paths)}
        per_module = _parse(stdout, index, len(paths))
        return [_RunResult(errors=tuple(errors)) for errors in per_module]


def _reference_key(task: Task) -> tuple[str, str] | None:
    program = reference_program(task)
    if program is None:
        return None
    return task.task_id, hashlib.sha256(program.encode("utf-8")).hexdigest()


def _module_name(index: int) -> str:
    return f"{_MODULE_PREFIX}{index:04d}"


def _parse(stdout: str, index: dict[str, int], count: int) -> list[list[MypyError]]:
    """mypy's error lines, per module; lines about other files are dropped."""
    per_module: list[list[MypyError]] = [[] for _ in range(count)]
    for line in stdout.splitlines():
        match = _OUTPUT_RE.match(line)
        if match is None or match["severity"] != "error":
            continue
        filename = Path(match["path"]).name
        position = index.get(filename)
        if position is None:
            continue
        message = match["message"].replace(filename[: -len(".py")], "<module>")
        per_module[position].append(
            MypyError(line=int(match["line"]), message=message, code=match["code"] or "")
        )
    return per_module
