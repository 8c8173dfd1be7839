"""core.model.onnx_tower: photos encoded by onnxruntime on the CPU get torch's vectors, and whatever
goes wrong with the runtime leaves the encoder on torch, never without vectors."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from shapes import CLASSES, make_photo

from photofind.core.model import onnx_tower
from photofind.core.model.encoder import ONNX_MIN_BATCH, Encoder
from photofind.core.model.onnx_tower import image_tower


def photos(encoder: Encoder, count: int = 8) -> np.ndarray:
    rng = np.random.default_rng(5)
    images = [make_photo(*CLASSES[i % len(CLASSES)], rng) for i in range(count)]
    return np.stack([encoder.preprocess(im) for im in images])


def torch_vectors(encoder: Encoder, pixels: np.ndarray) -> np.ndarray:
    import torch

    with torch.inference_mode():
        features = image_tower(encoder.model)(torch.from_numpy(pixels)).numpy()
    return features / np.linalg.norm(features, axis=1, keepdims=True)


@pytest.fixture
def fresh(model_dir: Path, tmp_path: Path) -> Encoder:
    """An encoder of the fixture model with its own, empty export cache."""
    encoder = Encoder.load(str(model_dir), "cpu")
    encoder.onnx_cache = tmp_path / "cache"
    return encoder


@pytest.mark.slow
def test_a_batch_goes_through_onnxruntime_with_torchs_vectors(fresh: Encoder) -> None:
    """The first batch starts the export and goes through torch; once the export is done,
    batches go through onnxruntime, with the same vectors."""
    pixels = photos(fresh)
    want = torch_vectors(fresh, pixels)
    np.testing.assert_allclose(fresh.encode_pixels(pixels), want, atol=1e-5)
    assert fresh.wait_for_onnx() and fresh.uses_onnx
    assert fresh.onnx_cache is not None and len(list(fresh.onnx_cache.glob("*.onnx"))) == 1
    vectors = fresh.encode_pixels(pixels)
    assert (vectors * want).sum(axis=1).min() >= 0.9999
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


def test_a_single_photo_stays_on_torch(fresh: Encoder) -> None:
    fresh.encode_pixels(photos(fresh, ONNX_MIN_BATCH - 1))
    assert not fresh.wait_for_onnx()
    assert not (fresh.onnx_cache and fresh.onnx_cache.exists())


@pytest.mark.slow
def test_a_saved_export_is_used_from_the_first_batch(
    fresh: Encoder, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh.encode_pixels(photos(fresh))
    assert fresh.wait_for_onnx() and fresh.onnx_cache is not None
    (export,) = fresh.onnx_cache.glob("*.onnx")
    written = export.stat().st_mtime_ns
    # The same folder, spelled relative to the working directory this time.
    monkeypatch.chdir(model_dir.parent)
    again = Encoder.load(model_dir.name, "cpu")
    again.onnx_cache = fresh.onnx_cache
    again.encode_pixels(photos(again))
    assert again.uses_onnx and export.stat().st_mtime_ns == written
    assert list(fresh.onnx_cache.glob("*.onnx")) == [export]


def test_another_checkpoint_gets_its_own_export(
    fresh: Encoder, model_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(model_dir, copy)
    other = Encoder.load(str(copy), "cpu")
    cache = tmp_path / "cache"
    assert onnx_tower.export_path(other, cache) != onnx_tower.export_path(fresh, cache)
    weights = copy / "model.safetensors"
    before = onnx_tower.export_path(other, cache)
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    assert onnx_tower.export_path(other, cache) != before  # rewritten weights: exported again


@pytest.mark.slow
def test_a_new_export_removes_the_models_older_ones(fresh: Encoder) -> None:
    cache = fresh.onnx_cache
    assert cache is not None
    cache.mkdir(parents=True)
    path = onnx_tower.export_path(fresh, cache)
    prefix = path.name[: -len(".onnx") - 20]
    older = cache / f"{prefix}{'0' * 20}.onnx"  # the same model, other weights or versions
    someone_elses = cache / "image-tower-00000000-11111111111111111111.onnx"
    abandoned, exporting = cache / f"{prefix}a.tmp", cache / f"{prefix}b.tmp"
    for file in (older, someone_elses, abandoned, exporting):
        file.write_bytes(b"old")
    os.utime(abandoned, (1, 1))
    assert onnx_tower.load(fresh, cache) is not None
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [path.name, someone_elses.name, exporting.name]
    )


@pytest.mark.slow
def test_a_damaged_export_is_made_again(fresh: Encoder) -> None:
    cache = fresh.onnx_cache
    assert cache is not None
    cache.mkdir(parents=True)
    damaged = onnx_tower.export_path(fresh, cache)
    damaged.write_bytes(b"half a file")
    pixels = photos(fresh)
    np.testing.assert_allclose(fresh.encode_pixels(pixels), torch_vectors(fresh, pixels), atol=1e-5)
    assert fresh.wait_for_onnx()
    assert damaged.stat().st_size > 1000


def test_without_onnxruntime_photos_are_encoded_by_torch(
    fresh: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails, as when missing
    pixels = photos(fresh)
    vectors = fresh.encode_pixels(pixels)
    assert not fresh.wait_for_onnx()
    np.testing.assert_allclose(vectors, torch_vectors(fresh, pixels), atol=1e-5)


@pytest.mark.slow
def test_a_runtime_that_disagrees_with_torch_is_not_used_again(
    fresh: Encoder, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_tower, "PROBE_MIN_COSINE", 1.5)  # nothing can agree this well
    fresh.encode_pixels(photos(fresh))
    assert not fresh.wait_for_onnx()
    cache = fresh.onnx_cache
    assert cache is not None and not list(cache.glob("*.onnx"))
    assert len(list(cache.glob("*.failed"))) == 1
    again = Encoder.load(str(model_dir), "cpu")
    again.onnx_cache = cache
    again.encode_pixels(photos(again))
    assert onnx_tower.start_export(again, cache) is None  # marked failed: not made again
    assert not again.wait_for_onnx()
    assert not list(cache.glob("*.onnx"))


def test_a_failed_export_is_recorded_not_retried(
    fresh: Encoder, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(ref: str, path: Path) -> None:
        raise RuntimeError("the exporter does not know this operator")

    monkeypatch.setattr(onnx_tower, "export_in_a_child", fails)
    pixels = photos(fresh)
    np.testing.assert_allclose(fresh.encode_pixels(pixels), torch_vectors(fresh, pixels), atol=1e-5)
    assert not fresh.wait_for_onnx()
    assert fresh.onnx_cache is not None
    (marker,) = fresh.onnx_cache.glob("*.failed")
    assert "does not know this operator" in marker.read_text()
    assert onnx_tower.start_export(fresh, fresh.onnx_cache) is None


@pytest.mark.slow
def test_a_runtime_failing_mid_run_hands_over_to_torch(
    fresh: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    pixels = photos(fresh)
    fresh.encode_pixels(pixels)
    assert fresh.wait_for_onnx()

    def broken(self: onnx_tower.OnnxImageTower, pixels: np.ndarray) -> np.ndarray:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(onnx_tower.OnnxImageTower, "__call__", broken)
    vectors = fresh.encode_pixels(pixels)
    assert not fresh.uses_onnx
    np.testing.assert_allclose(vectors, torch_vectors(fresh, pixels), atol=1e-5)
    fresh.encode_pixels(pixels)
    assert not fresh.uses_onnx  # not tried again this run


def test_text_only_encoders_have_no_image_tower_to_export(model_dir: Path) -> None:
    assert Encoder.load(str(model_dir), "cpu", text_only=True).onnx_cache is None


def test_photofind_onnx_0_keeps_torch(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Encoder.load(str(model_dir), "cpu").onnx_cache is not None
    monkeypatch.setenv("PHOTOFIND_ONNX", "0")
    assert Encoder.load(str(model_dir), "cpu").onnx_cache is None
