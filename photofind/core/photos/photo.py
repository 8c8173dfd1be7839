"""A decoded photo and what its header says: the values every decoder hands back."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

# A 100-megapixel guard: above any phone or DSLR photo, below what would exhaust memory
# when a hostile header claims gigapixels. Checked from the header, before any decoding.
MAX_PIXELS = 100_000_000


@dataclass(frozen=True)
class PhotoInfo:
    """What a photo's header says: upright size in pixels, EXIF date taken and GPS position
    (latitude, longitude in degrees), if any."""

    width: int
    height: int
    taken_at: str | None
    gps: tuple[float, float] | None = None


@dataclass(frozen=True)
class LoadedPhoto:
    image: Image.Image
    info: PhotoInfo
