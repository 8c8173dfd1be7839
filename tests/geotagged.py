"""Geotagged test photos: GPS EXIF written as cameras and phones write it (degrees, minutes
and seconds as rationals, with N/S and E/W references) into real JPEG, PNG, WebP, HEIC and
DNG files."""

from __future__ import annotations

import io
import struct

from PIL import Image
from PIL.TiffImagePlugin import IFDRational
from rawfiles import make_dng

GPS_IFD = 0x8825
LATITUDE_REF, LATITUDE, LONGITUDE_REF, LONGITUDE = 1, 2, 3, 4
_ASCII, _LONG, _RATIONAL = 2, 4, 5


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Degrees, minutes and seconds (to a thousandth) of an unsigned coordinate."""
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600 * 1000)
    return IFDRational(degrees), IFDRational(minutes), IFDRational(seconds, 1000)


def gps_fields(latitude: float, longitude: float) -> dict[int, object]:
    """The GPS directory a camera writes for a position."""
    return {
        LATITUDE_REF: "N" if latitude >= 0 else "S",
        LATITUDE: _dms(latitude),
        LONGITUDE_REF: "E" if longitude >= 0 else "W",
        LONGITUDE: _dms(longitude),
    }


def photo_with_gps(fmt: str, fields: dict[int, object], size: tuple[int, int] = (64, 48)) -> bytes:
    """A photo in `fmt` ("JPEG", "PNG", "WEBP", "HEIF") whose EXIF GPS directory is `fields`
    (they may be damaged on purpose)."""
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD).update(fields)
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(buffer, fmt, exif=exif.tobytes())
    return buffer.getvalue()


def dng_with_gps(latitude: float, longitude: float) -> bytes:
    """A DNG (tests/rawfiles.py, with a preview) whose own TIFF directory holds a position."""
    return add_gps_directory(
        make_dng(Image.new("RGB", (320, 240), (200, 160, 90))), latitude, longitude
    )


def add_gps_directory(tiff: bytes, latitude: float, longitude: float) -> bytes:
    """A little-endian TIFF (a DNG) with a GPS directory added to its first directory: the new
    directories go at the end, and the header points at the extended copy of the first."""
    out = bytearray(tiff)

    def blob(data: bytes) -> int:
        if len(out) % 2:
            out.append(0)
        out.extend(data)
        return len(out) - len(data)

    def rationals(value: float) -> int:
        return blob(b"".join(struct.pack("<II", r.numerator, r.denominator) for r in _dms(value)))

    gps = [
        (LATITUDE_REF, _ASCII, 2, ("N" if latitude >= 0 else "S").encode().ljust(4, b"\0")),
        (LATITUDE, _RATIONAL, 3, struct.pack("<I", rationals(latitude))),
        (LONGITUDE_REF, _ASCII, 2, ("E" if longitude >= 0 else "W").encode().ljust(4, b"\0")),
        (LONGITUDE, _RATIONAL, 3, struct.pack("<I", rationals(longitude))),
    ]
    gps_at = blob(_directory(gps))
    (first,) = struct.unpack_from("<I", out, 4)
    (count,) = struct.unpack_from("<H", out, first)
    entries = [struct.unpack_from("<HHI4s", out, first + 2 + 12 * i) for i in range(count)] + [
        (0x8825, _LONG, 1, struct.pack("<I", gps_at))
    ]
    out[4:8] = struct.pack("<I", blob(_directory(sorted(entries))))
    return bytes(out)


def _directory(entries: list[tuple[int, int, int, bytes]]) -> bytes:
    """A TIFF directory of (tag, type, count, 4 bytes of value or offset) entries."""
    packed = b"".join(struct.pack("<HHI4s", *entry) for entry in entries)
    return struct.pack("<H", len(entries)) + packed + struct.pack("<I", 0)
