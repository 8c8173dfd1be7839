"""JPEGs decoded on the GPU: the tensor preprocessing must give the model what Pillow's does,
and the indexer must route, batch and fall back correctly.

nvJPEG itself needs CUDA and torchvision (tests/core/test_cuda.py runs it on a GPU). Here the
GPU decoder's decode step is Pillow's full-size decode into a tensor on the CPU; everything
after it (resize, orientation, crop, normalisation, batching, fallback) is the real code.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import PER_CLASS
from hostile import many_scans_jpeg
from PIL import Image, ImageOps
from shapes import CLASSES, make_photo

from photofind.core.errors import PhotoLoadError
from photofind.core.index import indexer
from photofind.core.index.store import Store
from photofind.core.model import gpu_jpeg
from photofind.core.model.encoder import Encoder
from photofind.core.model.preprocess import Preprocessing
from photofind.core.photos.imaging import load_photo, plain_jpeg_header

# One 8-bit level of the model's input, for the fixture's mean/std of 0.5.
LEVEL = 2 / 255
# A 5 × 7 photo's pixels as they are, only turned upright: no resize, crop or scaling.
_AS_IS = Preprocessing(
    shortest_edge=5,
    resize_to=None,
    crop=None,
    mean=np.zeros((3, 1, 1), np.float32),
    std=np.ones((3, 1, 1), np.float32),
    rescale=1.0,
    resample=Image.Resampling.BICUBIC,
)


def _stored_pixels(data: bytes) -> torch.Tensor:
    """What a JPEG decoder gives: the stored pixels, full size, not turned upright."""
    with Image.open(io.BytesIO(data)) as im:
        arr = np.asarray(im.convert("RGB") if im.mode != "L" else im)
    t = torch.from_numpy(arr.copy())
    return t.unsqueeze(0) if t.ndim == 2 else t.permute(2, 0, 1).contiguous()


class _PillowOnCpu:
    """The GPU decoder's decode step, done by Pillow; refuses names in `refuse`."""

    def __init__(self, refuse: Sequence[bytes] = ()) -> None:
        self.refuse = list(refuse)
        self.decoded = 0

    def __call__(self, datas: Sequence[bytes], device: str) -> list[torch.Tensor]:
        if any(d in self.refuse for d in datas):
            raise RuntimeError("nvjpeg: unsupported")  # one bad file fails the whole call
        self.decoded += len(datas)
        return [_stored_pixels(d) for d in datas]


def _jpeg(image: Image.Image, orientation: int = 1, quality: int = 90) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_turns_pixels_as_pillow_does(orientation: int) -> None:
    arr = np.random.default_rng(orientation).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    image = Image.fromarray(arr)
    image.getexif()[0x0112] = orientation
    expected = np.asarray(ImageOps.exif_transpose(image))
    turned = gpu_jpeg.prepare(torch.from_numpy(arr).permute(2, 0, 1), orientation, _AS_IS)
    np.testing.assert_array_equal(turned.permute(1, 2, 0).numpy(), expected)


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_model_input_matches_pillows_from_the_same_pixels(
    encoder: Encoder, orientation: int
) -> None:
    prep = encoder.preprocess
    photo = make_photo("red", "circle", np.random.default_rng(7), size=(300, 200))
    data = _jpeg(photo, orientation)
    upright = load_photo(data).image  # full size: no draft without min_side
    expected = prep(upright)
    got = gpu_jpeg.prepare(_stored_pixels(data), orientation, prep).numpy()
    assert got.shape == expected.shape == (3, 64, 64)
    diff = np.abs(got - expected)
    # Same filter and support as Pillow; only Pillow's fixed-point rounding differs.
    assert diff.mean() < 0.5 * LEVEL, diff.mean() / LEVEL
    assert diff.max() <= 3 * LEVEL + 1e-6, diff.max() / LEVEL


def test_greyscale_jpegs_become_three_channels(encoder: Encoder) -> None:
    grey = make_photo("blue", "square", np.random.default_rng(3), size=(160, 120)).convert("L")
    data = _jpeg(grey)
    header = plain_jpeg_header(data)
    assert header is not None and header.info.width == 160
    got = gpu_jpeg.prepare(_stored_pixels(data), 1, encoder.preprocess)
    expected = encoder.preprocess(load_photo(data).image)
    assert got.shape == (3, 64, 64)
    assert np.abs(got.numpy() - expected).mean() < 0.5 * LEVEL


def _full_decode_vectors(encoder: Encoder, datas: Sequence[bytes]) -> np.ndarray:
    # No min_side: Pillow decodes every pixel, as the GPU does (the CPU path drafts).
    return encoder.encode_images([load_photo(d).image for d in datas])


@pytest.mark.slow
def test_gpu_path_vectors_are_the_full_decodes_vectors(encoder: Encoder, shapes_dir: Path) -> None:
    datas = [p.read_bytes() for p in sorted(shapes_dir.glob("*.jpg"))]
    decoder = gpu_jpeg.GpuJpegDecoder(encoder.preprocess, "cpu", _PillowOnCpu())
    headers = [plain_jpeg_header(d) for d in datas]
    orientations = [h.orientation if h else 0 for h in headers]
    assert all(orientations)
    gpu = encoder.encode_pixels(gpu_jpeg.stack(decoder.pixels(datas, orientations), "cpu"))
    full = _full_decode_vectors(encoder, datas)
    assert np.min(np.sum(gpu * full, axis=1)) >= 0.999


def test_a_decoder_that_cannot_decode_is_not_used(encoder: Encoder) -> None:
    def broken(datas: Sequence[bytes], device: str) -> list[torch.Tensor]:
        raise RuntimeError("nvjpeg: not available in this build")

    assert not gpu_jpeg.GpuJpegDecoder(encoder.preprocess, "cpu", broken).works()
    assert gpu_jpeg.GpuJpegDecoder(encoder.preprocess, "cpu", _PillowOnCpu()).works()
    # Without CUDA there is no GPU decoder at all, whatever is installed.
    assert gpu_jpeg.decoder_for(encoder) is None


def test_only_plain_jpegs_go_to_the_gpu() -> None:
    photo = make_photo("green", "triangle", np.random.default_rng(1), size=(120, 100))
    png = io.BytesIO()
    photo.save(png, "PNG")
    cmyk = io.BytesIO()
    photo.convert("CMYK").save(cmyk, "JPEG")
    progressive = io.BytesIO()
    photo.save(progressive, "JPEG", progressive=True)
    assert plain_jpeg_header(png.getvalue()) is None
    assert plain_jpeg_header(cmyk.getvalue()) is None
    assert plain_jpeg_header(progressive.getvalue()) is None
    # Colours stored as RGB rather than YCbCr (Adobe transform 0): not every decoder agrees.
    rgb_coded = io.BytesIO()
    photo.save(rgb_coded, "JPEG", keep_rgb=True)
    assert plain_jpeg_header(rgb_coded.getvalue()) is None
    # A truncated file: Pillow refuses it; a GPU decoder might fill in the rest instead.
    whole = _jpeg(photo)
    assert plain_jpeg_header(whole) is not None
    assert plain_jpeg_header(whole[: len(whole) * 2 // 3]) is None
    # A flood of scans is left to load_photo, which counts them exactly and refuses the file.
    for flood in (many_scans_jpeg(200), many_scans_jpeg(200, progressive=False)):
        assert plain_jpeg_header(flood) is None
        with pytest.raises(PhotoLoadError, match="too many scans"):
            load_photo(flood)
    header = plain_jpeg_header(_jpeg(photo, orientation=6))
    assert header is not None and header.orientation == 6
    assert (header.info.width, header.info.height) == (100, 120)  # upright


def test_scan_markers_are_counted_across_windows_and_no_further_than_needed() -> None:
    from photofind.core.photos.imaging import MAX_JPEG_SCANS, count_scan_markers

    data = b"\x00" * 5 + b"\xff\xda" + b"\x00" * 6 + b"\xff" + b"\xda" + b"\xff\x00" * 3
    # Windows of 8 bytes: the second pair straddles a boundary.
    assert count_scan_markers(data, window=8) == count_scan_markers(data) == 2
    # It stops once past the limit: the window that crosses it is the last one counted.
    flood = count_scan_markers(b"\xff\xda" * 10_000, window=64)
    assert MAX_JPEG_SCANS < flood <= MAX_JPEG_SCANS + 32


def _vectors(store: Store, name: str) -> dict[str, np.ndarray]:
    model_id = store.find_model(name)
    assert model_id is not None
    ids, matrix = store.vectors(model_id)
    paths = {row.id: path for path, row in store.photos(model_id).items()}
    return {paths[int(i)]: v for i, v in zip(ids, matrix, strict=True)}


@pytest.mark.slow
def test_indexing_with_the_gpu_decoder_finds_what_the_cpu_finds(
    encoder: Encoder, shapes_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "photos"
    shutil.copytree(shapes_dir, folder)
    refused = folder / "red_circle_refused.jpg"
    refused.write_bytes(
        _jpeg(make_photo("red", "circle", np.random.default_rng(11), size=(200, 150)))
    )
    turned = folder / "turned.jpg"
    turned.write_bytes(
        _jpeg(make_photo("blue", "square", np.random.default_rng(12), size=(180, 120)), 6)
    )
    (folder / "broken.jpg").write_bytes(turned.read_bytes()[:400])
    decode = _PillowOnCpu(refuse=[refused.read_bytes()])
    monkeypatch.setattr(
        gpu_jpeg,
        "decoder_for",
        lambda enc: gpu_jpeg.GpuJpegDecoder(enc.preprocess, "cpu", decode),
    )

    store = Store.open(tmp_path / "data")
    store.add_folder(str(folder))
    steps = list(indexer.index_library(store, encoder.name, lambda: encoder, [str(folder)]))
    counts = steps[-1].counts
    jpegs = len(list(shapes_dir.glob("*.jpg")))
    assert counts.encoded == PER_CLASS * len(CLASSES) + 2
    assert counts.failed == 1
    assert decode.decoded >= jpegs  # the plain JPEGs went through the GPU decoder
    rows = store.photos(store.find_model(encoder.name))
    assert "corrupt or truncated" in (rows[str(folder / "broken.jpg")].error or "")
    gpu = _vectors(store, encoder.name)
    store.close()

    # The refused JPEG was decoded on the CPU instead; the turned one stands upright.
    assert str(refused) in gpu
    info = Store.open(tmp_path / "data")
    row = info.conn.execute(
        "SELECT width, height FROM photos WHERE path = ?", (str(turned),)
    ).fetchone()
    info.close()
    assert tuple(row) == (120, 180)

    decoded_on_gpu = sorted(p for p in gpu if p != str(refused))
    full = _full_decode_vectors(encoder, [Path(p).read_bytes() for p in decoded_on_gpu])
    assert min(float(gpu[p] @ v) for p, v in zip(decoded_on_gpu, full, strict=True)) >= 0.999

    query = encoder.encode_texts(["a photo of a red circle"])[0]
    ranked = sorted(gpu, key=lambda p: -float(gpu[p] @ query))[:PER_CLASS]
    assert sum(Path(p).name.startswith("red_circle") for p in ranked) >= 0.9 * PER_CLASS
