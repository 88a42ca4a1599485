"""Re-encoding a packaged GGUF's matrices as Q8_0: same tensors, same values, once."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from gguf import GGMLQuantizationType, GGUFReader, GGUFWriter
from gguf.quants import dequantize, quantize

from sampler import gguf_requantize
from sampler.gguf_requantize import requantize, served_gguf
from sampler.model_packages import QWEN_05B, QWEN_15B, ChunkedGguf

Q = GGMLQuantizationType


def _small_gguf(path: Path) -> dict[str, np.ndarray]:
    """A GGUF laid out as Qwen's 0.5B file is: Q5_0 matrices (and another quantized kind),
    a Q8_0 one, F32 norms. (gguf-py cannot write Q4_K; the conversion reads any kind
    gguf-py can dequantize, Q4_K and Q6_K included, as the real file shows.)"""
    rng = np.random.default_rng(7)
    writer = GGUFWriter(path, "qwen2")
    writer.add_name("tiny")
    writer.add_file_type(15)  # Q4_K_M
    writer.add_context_length(64)
    writer.add_token_list(["a", "b", "c"])
    tensors = {
        "blk.0.ffn_up.weight": (quantize(rng.normal(size=(8, 64)).astype(np.float32), Q.Q5_0), Q.Q5_0),
        "blk.0.ffn_down.weight": (quantize(rng.normal(size=(4, 256)).astype(np.float32), Q.Q4_0), Q.Q4_0),
        "output.weight": (quantize(rng.normal(size=(6, 32)).astype(np.float32), Q.Q8_0), Q.Q8_0),
    }
    for name, (data, kind) in tensors.items():
        writer.add_tensor(name, data, raw_dtype=kind)
    writer.add_tensor("blk.0.attn_norm.weight", rng.normal(size=64).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {t.name: dequantize(t.data, t.tensor_type) for t in GGUFReader(path).tensors}


def test_matrices_become_q8_0_with_their_values_and_the_rest_is_kept(tmp_path: Path) -> None:
    source, out = tmp_path / "in.gguf", tmp_path / "out.gguf"
    before = _small_gguf(source)
    requantize(source, out, "Q8_0")
    reader = GGUFReader(out)
    kinds = {t.name: t.tensor_type for t in reader.tensors}
    assert kinds == {"blk.0.ffn_up.weight": Q.Q8_0, "blk.0.ffn_down.weight": Q.Q8_0,
                     "output.weight": Q.Q8_0, "blk.0.attn_norm.weight": Q.F32}
    assert [t.name for t in reader.tensors] == list(before)  # same order
    for tensor in reader.tensors:
        old, new = before[tensor.name], dequantize(tensor.data, tensor.tensor_type)
        assert new.shape == old.shape
        # Q8_0 keeps 127 levels per block of 32: within about half a level (its scale is
        # stored as float16, which moves the levels slightly)
        blocks_old, blocks_new = old.reshape(-1, 32), new.reshape(-1, 32)
        level = np.abs(blocks_old).max(axis=1, keepdims=True) / 127
        assert np.all(np.abs(blocks_new - blocks_old) <= level * 0.55 + 1e-6), tensor.name
    source_q8 = next(t for t in GGUFReader(source).tensors if t.name == "output.weight")
    kept = next(t for t in reader.tensors if t.name == "output.weight")
    assert bytes(np.asarray(kept.data)) == bytes(np.asarray(source_q8.data))  # copied, not re-rounded
    assert reader.fields["general.file_type"].contents() == 7
    assert reader.fields["general.name"].contents() == "tiny"
    assert reader.fields["tokenizer.ggml.tokens"].contents() == ["a", "b", "c"]


def test_served_file_is_derived_once_from_the_verified_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    published = cache / "tiny-abc" / "model.gguf"
    published.parent.mkdir(parents=True)
    _small_gguf(published)
    asked: list[str] = []

    def verified(model: ChunkedGguf, where: Path) -> Path:
        asked.append(model.name)
        return published

    monkeypatch.setattr(gguf_requantize, "gguf_path", verified)
    model = ChunkedGguf("tiny", "Tiny", "1.0", "Apache-2.0 (test)", 1, "ab" * 32, (), serve_as="Q8_0")
    served = served_gguf(model, cache)
    assert served != published and served.parent.parent == cache
    meta = json.loads((served.parent / "model.json").read_text())
    assert meta["derived_from"]["sha256"] == model.sha256 and meta["format"] == "Q8_0"
    assert meta["size"] == served.stat().st_size and meta["licence"] == "Apache-2.0 (test)"
    stamp = served.stat().st_mtime_ns
    assert served_gguf(model, cache) == served and served.stat().st_mtime_ns == stamp  # not redone
    assert asked == ["tiny", "tiny"]  # the published file is verified before every use
    served.write_bytes(b"truncated")  # a damaged cache entry is rebuilt, not loaded
    assert served_gguf(model, cache).stat().st_size == meta["size"]
    assert sorted(p.name for p in cache.iterdir()) == sorted(["tiny-abc", served.parent.name])  # no staging left


def test_as_published_when_the_model_asks_for_no_conversion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    published = tmp_path / "model.gguf"
    monkeypatch.setattr(gguf_requantize, "gguf_path", lambda model, cache: published)
    model = ChunkedGguf("tiny", "Tiny", "1.0", "Apache-2.0 (test)", 1, "ab" * 32, ())
    assert served_gguf(model, tmp_path) == published


def test_the_packaged_models_are_served_as_measured() -> None:
    assert QWEN_05B.serve_as == "Q8_0"  # Q5_0 matrices: slow on AVX2
    assert QWEN_15B.serve_as is None  # real Q4_K: its Q8_0 was slower here
