"""The camera named in a photo's EXIF, as the viewer's details show it."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from photofind.core.photos.camera import camera_name, camera_text


def _jpeg(make: str | None, model: str | None) -> bytes:
    exif = Image.Exif()
    if make is not None:
        exif[0x010F] = make
    if model is not None:
        exif[0x0110] = model
    out = io.BytesIO()
    Image.new("RGB", (8, 6), "red").save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "model", "shown"),
    [
        ("Canon", "Canon EOS R6", "Canon EOS R6"),  # the maker once, not twice
        ("NIKON CORPORATION", "NIKON D750", "NIKON D750"),
        ("Apple", "iPhone 12", "Apple iPhone 12"),
        ("FUJIFILM", "X-T4\x00\x00", "FUJIFILM X-T4"),  # NUL padding goes
        (None, "iPhone 12", "iPhone 12"),
        ("Apple", None, "Apple"),
        (None, None, None),
    ],
)
def test_the_camera_from_make_and_model(
    make: str | None, model: str | None, shown: str | None
) -> None:
    assert camera_name(_jpeg(make, model)) == shown


def test_no_camera_for_a_photo_without_exif_or_for_junk() -> None:
    out = io.BytesIO()
    Image.new("RGB", (8, 6)).save(out, "PNG")
    assert camera_name(out.getvalue()) is None
    assert camera_name(b"not a photo at all") is None
    assert camera_text(b"Canon", 42) is None  # damaged tags: not text
