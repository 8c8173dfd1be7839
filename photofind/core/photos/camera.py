"""The camera a photo was taken with, as its EXIF Make and Model tags name it."""

from __future__ import annotations

import io

from PIL import Image

from photofind.core.photos.imaging import DECODED_FORMATS

_MAKE = 0x010F
_MODEL = 0x0110


def camera_name(data: bytes) -> str | None:
    """The camera as people say it ("Canon EOS R6", "Apple iPhone 12"), from a photo file's
    bytes; None when the photo does not record it. Only the header is parsed: no pixels."""
    try:
        with Image.open(io.BytesIO(data), formats=DECODED_FORMATS) as im:
            exif = im.getexif()
    except Exception:  # hostile bytes may raise anything, and the camera is optional
        return None
    return camera_text(exif.get(_MAKE), exif.get(_MODEL))


def camera_text(make: object, model: object) -> str | None:
    """Make and model joined, without the maker twice: cameras often repeat it in the model
    ("Canon" + "Canon EOS R6"), phones seldom do ("Apple" + "iPhone 12")."""
    maker, name = _tag_text(make), _tag_text(model)
    if not name:
        return maker or None
    if not maker or name.lower().startswith(maker.split()[0].lower()):
        return name
    return f"{maker} {name}"


def _tag_text(value: object) -> str:
    # EXIF strings are NUL-padded, and a damaged file may hold bytes or numbers instead.
    return " ".join(value.strip("\x00 ").split()) if isinstance(value, str) else ""
