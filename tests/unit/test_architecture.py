"""The layering rules hold: imports point downward only, no cycles, heavy deps at the edge, mypy --strict."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {"tasks": 0, "verifiers": 1, "sampler": 2, "cluster": 3, "bestofn": 4}


def modules() -> dict[str, Path]:
    out = {}
    for package in LAYERS:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            out[name.removesuffix(".__init__")] = path
    return out


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_imports_point_downward_only() -> None:
    bad = []
    for name, path in modules().items():
        own = LAYERS[name.split(".")[0]]
        for imported in imports_of(path):
            top = imported.split(".")[0]
            if top in LAYERS and LAYERS[top] > own:
                bad.append(f"{name} imports {imported}")
    assert not bad, bad


def test_the_sandbox_runtime_stands_alone() -> None:
    """verifiers/runtime runs inside the sandbox with nothing of ours beside it: it may
    import the stdlib and, by relative import, its own modules, and the packages the
    sandbox holds besides (numpy) only where a value of them arrives, never as the
    module loads (every server would load it), nothing else."""
    from verifiers.sandbox_root import THIRD_PARTY

    runtime = ROOT / "verifiers" / "runtime"
    own = {path.stem for path in runtime.glob("*.py")}
    bad = []
    for path in sorted(runtime.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        at_load = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import) and id(node) not in at_load \
                    and all(alias.name.split(".")[0] in THIRD_PARTY for alias in node.names):
                continue
            if isinstance(node, ast.ImportFrom) and node.level:
                names = [node.module] if node.module else [alias.name for alias in node.names]
                if node.level != 1 or any(name.split(".")[0] not in own for name in names):
                    bad.append(f"{path.name} imports {'.' * node.level}{node.module or ''}")
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            bad += [f"{path.name} imports {name}" for name in names if name.split(".")[0] not in sys.stdlib_module_names]
    assert not bad, bad


def test_config_is_a_leaf() -> None:
    """Configuration is plain validated data: building one imports no store, no
    fitting code, nothing of the sampler beside it (it used to pull in the prior's
    numpy fit and the JSONL store)."""
    own = {i for i in imports_of(modules()["sampler.config"]) if i.split(".")[0] in LAYERS}
    assert all(i.startswith("tasks.errors") for i in own), own


SAMPLER_LAYERS = (
    {"config", "models", "model_packages", "gguf_requantize", "passk"},  # leaves, shared by everything above
    {"backends"},
    {"storage"},
    {"terminal"},
    {"policy"},
    {"core"},
    {"experiments"},
    {"cli", "cli_parser"},
)
"""``sampler``'s second level, bottom first: each module imports from its own layer or
those before it, so the package reads bottom up the way data flows (records, then what
is shown of them, how much a task gets, the loop, the experiments over it)."""


def sampler_layer(name: str) -> int | None:
    parts = name.split(".")
    if parts[0] != "sampler" or len(parts) < 2:
        return None
    for rank, layer in enumerate(SAMPLER_LAYERS):
        if parts[1] in layer:
            return rank
    raise AssertionError(f"{name}: in no layer of SAMPLER_LAYERS; place it there")


def test_sampler_subpackages_import_downward_only() -> None:
    bad = []
    for name, path in modules().items():
        own = sampler_layer(name)
        if own is None:
            continue
        for imported in imports_of(path):
            theirs = sampler_layer(imported)
            if theirs is not None and theirs > own:
                bad.append(f"{name} imports {imported}")
    assert not bad, bad


def test_heavy_dependencies_stay_at_the_edge() -> None:
    for name, path in modules().items():
        tops = {i.split(".")[0] for i in imports_of(path)}
        if "vllm" in tops:
            assert name == "sampler.backends.vllm", name
        if "ray" in tops:
            assert name.startswith("cluster"), name


def test_no_import_cycles() -> None:
    mods = modules()
    graph = {
        name: {i for i in imports_of(path) if i in mods and i != name}
        for name, path in mods.items()
    }
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])


def test_core_imports_without_vllm_or_ray() -> None:
    import subprocess
    import sys

    code = ("import sys; sys.modules['vllm'] = None; sys.modules['ray'] = None\n"
            "import sampler.core.api, sampler.cli, sampler.core.loop, verifiers.unit_tests, tasks.registry\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_mypy_strict_is_clean() -> None:
    from mypy import api

    stdout, stderr, status = api.run(["--strict", "--no-error-summary", *LAYERS])
    assert status == 0, stdout + stderr


def test_the_public_package_exposes_the_api_and_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    code = ("import sys, bestofn\n"
            "assert callable(bestofn.solve) and callable(bestofn.verify) and bestofn.__version__\n"
            "assert all(hasattr(bestofn, name) for name in bestofn.__all__)\n"
            "print(sorted(m for m in ('vllm', 'ray', 'torch') if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_verify_loads_nothing_of_the_solve_loop() -> None:
    """``bestofn verify`` imports what verifying takes: the solve loop, its escalation
    prompts and numpy cost about 0.1 s of a 1.4 s run (328 HumanEval candidates,
    ``--verifiers tests``), and had crept back in through ``sampler.core.api``."""
    import subprocess
    import sys

    code = ("import sys, sampler.cli\n"
            "from sampler.core.verify_run import default_verifier, verify\n"
            "default_verifier(['tests']).close()\n"
            "print(sorted(m for m in ('numpy', 'hypothesis', 'sampler.core.loop', 'sampler.core.escalation',\n"
            "                         'sampler.core.selection', 'verifiers.outputs') if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
