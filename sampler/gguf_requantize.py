"""A packaged GGUF re-encoded, once, into a weight format this CPU computes faster.

Qwen's Q4_K_M file of Qwen2.5-Coder-0.5B holds most of its matrices as Q5_0: its
width (896) is not a multiple of the 256-value blocks Q4_K needs, so the quantizer
fell back. On AVX2, llama.cpp's Q5_0 kernels are its slow path (the fifth bit is
unpacked on every dot product). The same values in Q8_0 lose nothing that matters
(every Q5_0 value is ``d * k`` with ``k`` in -16..15; Q8_0 stores it with 127 levels
per block instead of 32), and ran here, on 2 AVX2 cores, with 16 requests in
flight: prompts at 166 tokens/s against 138 and generation at 91.5 against 76.7
(docs/ENGINES.md). Matrices already in Q8_0 are copied as they are; the norms and
biases (F32) too. The 1.5B is real Q4_K and is served as published (its Q8_0 was
slower here: prompts 45 against 58 tokens/s).

The derived file lives in its own cache directory, written privately and renamed
into place, with a ``model.json`` naming the published file it came from (by
SHA-256), the converter version and its own SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from sampler.model_packages import ChunkedGguf, build_atomically, gguf_path
from tasks.errors import BackendError

CONVERTER_VERSION = "1"
"""Part of the cache directory's name: a change to the conversion builds a new file."""

FILE_TYPES = {"Q8_0": 7, "Q4_0": 2}
"""The formats a model may be served as, with the ``general.file_type`` of a file whose
matrices are in it (llama.cpp's LLAMA_FTYPE_MOSTLY_*)."""


def served_gguf(model: ChunkedGguf, cache: Path) -> Path:
    """The file llama-server loads for ``model``: the verified published file, or its
    re-encoding into ``model.serve_as`` (derived once from that verified file)."""
    source = gguf_path(model, cache)
    if model.serve_as is None:
        return source
    if model.serve_as not in FILE_TYPES:
        raise BackendError(f"{model.name}: no conversion to {model.serve_as} (only {', '.join(FILE_TYPES)})")
    target = cache / f"{model.name}-{model.sha256[:12]}-{model.serve_as.lower()}-v{CONVERTER_VERSION}"
    served = target / "model.gguf"
    if _finished(target, served):
        return served
    shutil.rmtree(target, ignore_errors=True)  # damaged after it was built: built again
    print(f"bestofn: re-encoding {model.title} as {model.serve_as} into {target} "
          f"(once, about 30 s: this CPU computes it faster)", file=sys.stderr)
    build_atomically(target, "model.json", lambda staging: _derive(model, model.serve_as or "", source, staging))
    return served


def _finished(target: Path, served: Path) -> bool:
    try:
        meta = json.loads((target / "model.json").read_text())
        return served.is_file() and served.stat().st_size == int(meta["size"])
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _derive(model: ChunkedGguf, kind: str, source: Path, staging: Path) -> None:
    out = staging / "model.gguf"
    requantize(source, out, kind)
    digest = hashlib.sha256()
    with open(out, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 22), b""):
            digest.update(block)
    meta = {"name": model.name, "title": f"{model.title}, matrices re-encoded as {kind}",
            "licence": model.licence, "derived_from": {"sha256": model.sha256, "title": model.title},
            "converter": f"bestofn.gguf_requantize v{CONVERTER_VERSION}, gguf {_gguf_version()}",
            "format": kind, "sha256": digest.hexdigest(), "size": out.stat().st_size}
    (staging / "model.json").write_text(json.dumps(meta, indent=1) + "\n")


def _gguf_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gguf")
    except PackageNotFoundError:
        return "unknown"


def requantize(source: Path, out: Path, kind: str) -> None:
    """Write ``source`` to ``out`` with every quantized matrix not already Q8_0 as
    ``kind`` (a key of ``FILE_TYPES``): the same metadata (``general.file_type``
    updated), the same tensors in the same order. Q8_0 matrices (the output layer in
    Qwen's files) are copied: nothing is made coarser than it was published."""
    try:
        from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter
        from gguf.quants import dequantize, quantize
    except ImportError:
        raise BackendError("re-encoding the packaged model needs the gguf package: "
                           "pip install 'gguf>=0.10'") from None
    target = GGMLQuantizationType[kind]
    reader = GGUFReader(source)
    architecture = reader.fields["general.architecture"].contents()
    writer = GGUFWriter(out, str(architecture))
    for name, field in reader.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue  # the writer sets these itself
        value_type = field.types[0]
        value = FILE_TYPES[kind] if name == "general.file_type" else field.contents()
        if value_type == GGUFValueType.ARRAY:
            writer.add_key_value(name, value, value_type, sub_type=field.types[-1])
        else:
            writer.add_key_value(name, value, value_type)
    for tensor in reader.tensors:
        stored = tensor.tensor_type
        if stored in (GGMLQuantizationType.F32, GGMLQuantizationType.F16):
            writer.add_tensor(tensor.name, np.asarray(tensor.data))  # norms and biases, as they are
            continue
        if stored == GGMLQuantizationType.Q8_0:
            writer.add_tensor(tensor.name, np.asarray(tensor.data), raw_dtype=stored)  # bytes as they are
            continue
        shape = tuple(int(n) for n in reversed(tensor.shape.tolist()))  # numpy's order
        values = dequantize(tensor.data, stored).reshape(shape)
        writer.add_tensor(tensor.name, quantize(values, target), raw_dtype=target)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with open(out, "rb+") as stream:
        os.fsync(stream.fileno())
