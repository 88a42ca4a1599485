"""The tmpfs copy the sandbox reads: where it is made, when it is not, and cleaning up after killed runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from verifiers import owners, sandbox_root


def test_no_copy_where_the_place_is_not_a_tmpfs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_root, "SHM", tmp_path)  # a directory on disk
    assert not sandbox_root._is_tmpfs(tmp_path)
    assert sandbox_root.python_root.__wrapped__(sys.base_prefix, sys.executable) is None
    assert list(tmp_path.iterdir()) == []


def test_runtime_copies_of_dead_processes_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only those of processes surely gone: named by this /proc's mount, whose pid is not
    in it. A copy another mount of procfs names (another PID namespace, where a pid
    alone named a live process's: a red team) is left, as is one without a key."""
    monkeypatch.setattr(sandbox_root, "SHM", tmp_path)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    here = os.stat("/proc").st_dev
    kept = [f"bestofn-runtime-{owners.our_key()}-def", f"bestofn-runtime-{here + 1}-{dead}-ghi",
            f"bestofn-runtime-{dead}-jkl", "bestofn-runtime-notapid"]
    for name in [f"bestofn-runtime-{here}-{dead}-abc", *kept]:
        (tmp_path / name).mkdir()
    sandbox_root._prune_runtime_dirs()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)


def test_the_runtime_copy_holds_its_bytecode_read_without_the_sources(tmp_path: Path) -> None:
    """Every server the run starts read the runtime's modules from bytecode compiled here
    (each compiled them all from source at its start before: about 30 ms of a 1 s
    ``verify --verifiers tests``). Unchecked against the sources: a changed copy's old
    bytecode is still what loads, so the copy is never changed once made."""
    from verifiers.sandbox_servers import _RUNTIME_FILES

    for source in _RUNTIME_FILES:
        (tmp_path / source.name).write_bytes(source.read_bytes())
    sandbox_root._compile_beside(tmp_path, _RUNTIME_FILES)
    compiled = sorted(p.name.split(".")[0] for p in (tmp_path / "__pycache__").iterdir())
    assert compiled == sorted(source.stem for source in _RUNTIME_FILES)
    (tmp_path / "wire_errors.py").write_text("raise SystemExit('the source was read')\n")
    probe = ("import importlib.util, sys; sys.dont_write_bytecode = True\n"
             f"spec = importlib.util.spec_from_file_location('wire_errors', {str(tmp_path / 'wire_errors.py')!r})\n"
             "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
             "print(module.CodecError.__name__)\n")
    done = subprocess.run([sys.executable, "-B", "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "CodecError"


def test_a_copy_unused_for_a_day_is_pruned_unless_a_live_process_holds_it(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that started more than a day ago touched the ready mark once; another
    process's prune removed the copy its servers ran from (a red team). Now each
    process holds a shared lock on the mark of the copy it uses."""
    monkeypatch.setattr(sandbox_root, "SHM", tmp_path)
    roots = []
    for name in ("bestofn-root-keep", "bestofn-root-held", "bestofn-root-stale"):
        root = tmp_path / name
        root.mkdir(mode=0o755)
        (root / sandbox_root._READY).write_text("")
        os.utime(root / sandbox_root._READY, (0, 0))  # long unused
        roots.append(root)
    keep, held, stale = roots
    monkeypatch.setattr(sandbox_root, "_held", [])
    sandbox_root._hold(held)
    try:
        sandbox_root._prune(keep)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bestofn-root-held", "bestofn-root-keep"]
    finally:
        for mark in sandbox_root._held:
            os.close(mark)
