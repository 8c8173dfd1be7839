"""Where a photo was taken, from the GPS directory of its EXIF (latitude, longitude)."""

from __future__ import annotations

import io
import math
import warnings

from PIL import Image

_GPS_IFD = 0x8825
_LATITUDE_REF, _LATITUDE, _LONGITUDE_REF, _LONGITUDE = 1, 2, 3, 4
# Pillow warns about a damaged EXIF directory and reads on: the position is then missing,
# which is all there is to say, and the core never prints.
warnings.filterwarnings("ignore", "Corrupt EXIF data", UserWarning)

_SIGNS = {
    _LATITUDE_REF: {"N": 1.0, "S": -1.0},
    _LONGITUDE_REF: {"E": 1.0, "W": -1.0},
}


def exif_gps(exif: Image.Exif) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees from EXIF, or None when there is none or it makes no
    sense: out of range, not numbers, a hemisphere missing, or (0, 0), which is what cameras
    write while they have no fix."""
    try:
        gps = exif.get_ifd(_GPS_IFD)
        latitude = _degrees(gps, _LATITUDE_REF, _LATITUDE)
        longitude = _degrees(gps, _LONGITUDE_REF, _LONGITUDE)
    except Exception:
        # EXIF is whatever bytes a file holds and Pillow parses its directories lazily, so any
        # error may come from here: a damaged position never costs the photo.
        return None
    if latitude is None or longitude is None:
        return None
    if abs(latitude) > 90 or abs(longitude) > 180 or (latitude == 0 and longitude == 0):
        return None
    return latitude, longitude


def tiff_gps(data: bytes) -> tuple[float, float] | None:
    """The position in a TIFF-structured file's own EXIF (DNG, CR2, NEF, ARW…), read from its
    header alone; None when Pillow cannot parse the header or it holds none."""
    try:
        with Image.open(io.BytesIO(data), formats=("TIFF",)) as im:
            return exif_gps(im.getexif())
    except Exception:
        # A RAW's header may be more than Pillow's TIFF reader takes: then there is no position
        # from here, and the caller looks in the preview.
        return None


def _degrees(gps: dict[int, object], ref_tag: int, value_tag: int) -> float | None:
    """One coordinate: degrees, minutes and seconds (rationals) signed by its hemisphere."""
    ref = gps.get(ref_tag)
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    sign = _SIGNS[ref_tag].get(ref.strip("\0 ").upper()) if isinstance(ref, str) else None
    value = gps.get(value_tag)
    parts = list(value) if isinstance(value, tuple | list) else [value]
    if sign is None or not 1 <= len(parts) <= 3:
        return None
    numbers = [float(part) for part in parts]  # type: ignore[arg-type]
    if not all(math.isfinite(n) and n >= 0 for n in numbers):
        return None
    return sign * sum(n / 60**i for i, n in enumerate(numbers))
