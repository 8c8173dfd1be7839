"""Photo decoding: formats, orientation, pixel modes, reduced-scale JPEG decoding, hostile files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hostile import decompression_bomb_png, png_with_header
from PIL import Image

from photofind.core.errors import PhotoLoadError
from photofind.core.photos.imaging import (
    NEUTRAL_BACKGROUND,
    is_photo_name,
    load_photo,
    load_photo_file,
    read_bytes,
)

RED = (220, 20, 20)


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def _quadrants(width: int = 64, height: int = 48) -> Image.Image:
    """Red top-left, green top-right, blue bottom-left, white bottom-right: any rotation shows."""
    arr = np.zeros((height, width, 3), np.uint8)
    arr[: height // 2, : width // 2] = (255, 0, 0)
    arr[: height // 2, width // 2 :] = (0, 255, 0)
    arr[height // 2 :, : width // 2] = (0, 0, 255)
    arr[height // 2 :, width // 2 :] = (255, 255, 255)
    return Image.fromarray(arr)


def _mean_rgb(image: Image.Image) -> np.ndarray:
    return np.asarray(image, np.float32).reshape(-1, 3).mean(axis=0)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "HEIF", "AVIF"])
def test_every_supported_format_decodes_to_rgb(fmt: str) -> None:
    data = _encode(Image.new("RGB", (40, 30), RED), fmt)
    photo = load_photo(data)
    assert photo.image.mode == "RGB"
    assert photo.image.size == (40, 30)
    assert (photo.info.width, photo.info.height) == (40, 30)
    r, g, b = _mean_rgb(photo.image)
    assert r > 150 and g < 80 and b < 80, f"{fmt} lost its colour: {(r, g, b)}"


def test_animated_gif_gives_its_first_frame() -> None:
    frames = [Image.new("RGB", (20, 20), RED), Image.new("RGB", (20, 20), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    r, _, b = _mean_rgb(load_photo(buf.getvalue()).image)
    assert r > 150 and b < 80


@pytest.mark.parametrize(
    ("orientation", "transpose"),
    [
        (2, Image.Transpose.FLIP_LEFT_RIGHT),
        (3, Image.Transpose.ROTATE_180),
        (4, Image.Transpose.FLIP_TOP_BOTTOM),
        (5, Image.Transpose.TRANSPOSE),
        (6, Image.Transpose.ROTATE_90),
        (7, Image.Transpose.TRANSVERSE),
        (8, Image.Transpose.ROTATE_270),
    ],
)
def test_exif_orientation_is_applied(orientation: int, transpose: Image.Transpose) -> None:
    upright = _quadrants()
    # Store the pixels the way a camera held sideways would, with the tag that undoes it.
    stored = upright.transpose(transpose)
    exif = Image.Exif()
    exif[0x0112] = orientation
    photo = load_photo(_encode(stored, "PNG", exif=exif))
    assert photo.image.size == upright.size
    assert (photo.info.width, photo.info.height) == upright.size
    diff = np.abs(np.asarray(photo.image, int) - np.asarray(upright, int))
    assert diff.mean() < 1


def test_date_taken_comes_from_exif() -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2021:07:14 18:30:05"
    photo = load_photo(_encode(Image.new("RGB", (8, 8)), "JPEG", exif=exif))
    assert photo.info.taken_at == "2021-07-14T18:30:05"


def test_no_exif_date_is_none() -> None:
    assert load_photo(_encode(Image.new("RGB", (8, 8)), "PNG")).info.taken_at is None


def test_transparent_areas_become_neutral_grey() -> None:
    image = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    for fmt in ("PNG", "WEBP"):
        px = load_photo(_encode(image, fmt)).image.getpixel((5, 5))
        assert px == NEUTRAL_BACKGROUND, fmt


def test_palette_with_transparency_and_la_are_flattened() -> None:
    p = Image.new("P", (10, 10), 0)
    p.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    p.info["transparency"] = 0
    assert (
        load_photo(_encode(p, "PNG", transparency=0)).image.getpixel((1, 1)) == NEUTRAL_BACKGROUND
    )
    la = Image.new("LA", (10, 10), (200, 255))
    assert load_photo(_encode(la, "PNG")).image.getpixel((1, 1)) == (200, 200, 200)


def test_cmyk_jpeg_converts_to_rgb() -> None:
    cmyk = Image.new("RGB", (16, 16), RED).convert("CMYK")
    r, g, b = _mean_rgb(load_photo(_encode(cmyk, "JPEG")).image)
    assert r > 150 and g < 90 and b < 90


def test_sixteen_bit_greyscale_scales_instead_of_clipping() -> None:
    arr = np.full((8, 8), 32768, dtype=np.uint16)
    data = _encode(Image.fromarray(arr), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    value = load_photo(data).image.getpixel((0, 0))
    assert value[0] == value[1] == value[2]
    assert 120 <= value[0] <= 135  # half of full scale, not saturated white


def test_one_bit_images_convert() -> None:
    image = Image.new("1", (8, 8), 1)
    assert load_photo(_encode(image, "PNG")).image.getpixel((0, 0)) == (255, 255, 255)


def test_large_jpeg_decodes_at_reduced_scale_but_keeps_enough_pixels() -> None:
    rng = np.random.default_rng(0)
    big = Image.fromarray(rng.integers(0, 255, (1500, 2000, 3), dtype=np.uint8))
    data = _encode(big, "JPEG", quality=90)
    reduced = load_photo(data, min_side=224)
    assert min(reduced.image.size) >= 224
    assert reduced.image.size[0] < 2000  # draft mode did not decode every pixel
    assert (reduced.info.width, reduced.info.height) == (2000, 1500)  # the original size


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"this is a text file, not a photo\n",
        bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)),
    ],
    ids=["empty", "text", "random-bytes"],
)
def test_non_photos_raise_a_reason(data: bytes) -> None:
    with pytest.raises(PhotoLoadError) as err:
        load_photo(data)
    assert str(err.value)


def test_truncated_jpeg_is_a_failure_not_a_crash() -> None:
    rng = np.random.default_rng(2)
    data = _encode(Image.fromarray(rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)), "JPEG")
    with pytest.raises(PhotoLoadError, match=r"truncated|corrupt"):
        load_photo(data[: len(data) // 3])


@pytest.mark.parametrize(
    "data",
    [png_with_header(2**31, 2**31), png_with_header(100_000, 100_000), decompression_bomb_png()],
    ids=["2^31-square-header", "10-gigapixel-header", "real-bomb"],
)
def test_huge_images_are_refused_before_decoding(data: bytes) -> None:
    with pytest.raises(PhotoLoadError):
        load_photo(data)


def test_read_bytes_reasons(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.touch()
    with pytest.raises(PhotoLoadError, match="empty"):
        read_bytes(empty)
    with pytest.raises(PhotoLoadError, match="vanished"):
        read_bytes(tmp_path / "gone.jpg")


def test_load_photo_file_reads_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    Image.new("RGB", (5, 7), RED).save(path)
    assert load_photo_file(path).image.size == (5, 7)


@pytest.mark.parametrize(
    ("name", "indexed"),
    [
        ("holiday.JPG", True),
        ("scan.tiff", True),
        ("phone.heic", True),
        ("new.avif", True),
        (".hidden.jpg", False),
        ("._holiday.jpg", False),
        ("notes.txt", False),
        ("movie.mp4", False),
    ],
)
def test_which_names_are_photos(name: str, indexed: bool) -> None:
    assert is_photo_name(name) is indexed
