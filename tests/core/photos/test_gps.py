"""Where a photo was taken, read from the GPS EXIF of real files (tests/geotagged.py) through
the public loaders: every format that carries EXIF, RAW included, and damaged positions that
must cost nothing but the position."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from geotagged import (
    LATITUDE,
    LATITUDE_REF,
    LONGITUDE,
    LONGITUDE_REF,
    dng_with_gps,
    gps_fields,
    photo_with_gps,
)
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from photofind.core.photos.imaging import load_photo, load_photo_file, plain_jpeg_header
from photofind.core.photos.raw import load_raw, raw_kind

LISBON = (38.7223, -9.1393)
SYDNEY = (-33.8688, 151.2093)
NEW_YORK = (40.7128, -74.006)


def _near(gps: tuple[float, float] | None, expected: tuple[float, float]) -> bool:
    return gps is not None and gps == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
@pytest.mark.parametrize("where", [LISBON, SYDNEY, NEW_YORK], ids=["NW", "SE", "NW-US"])
def test_each_format_gives_the_position_with_its_hemisphere(
    fmt: str, where: tuple[float, float]
) -> None:
    loaded = load_photo(photo_with_gps(fmt, gps_fields(*where)))
    assert _near(loaded.info.gps, where)
    assert loaded.image.size == (64, 48)


def test_a_photo_file_on_disk_gives_its_position(tmp_path: Path) -> None:
    path = tmp_path / "lisbon.jpg"
    path.write_bytes(photo_with_gps("JPEG", gps_fields(*LISBON)))
    assert _near(load_photo_file(path).info.gps, LISBON)


def test_the_gpu_path_reads_the_same_position() -> None:
    header = plain_jpeg_header(photo_with_gps("JPEG", gps_fields(*SYDNEY)))
    assert header is not None and _near(header.info.gps, SYDNEY)


def test_a_photo_without_gps_has_no_position() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24)).save(buffer, "JPEG")
    assert load_photo(buffer.getvalue()).info.gps is None


def test_a_raw_file_gives_the_position_in_its_own_exif() -> None:
    data = dng_with_gps(*SYDNEY)
    kind = raw_kind(data)
    assert kind == "DNG"
    loaded = load_raw(data, kind, None, load_photo)
    assert loaded is not None and _near(loaded.info.gps, SYDNEY)
    assert _near(load_photo(data).info.gps, SYDNEY)
    assert (loaded.info.width, loaded.info.height) == (640, 480)


_R = IFDRational
_GOOD = gps_fields(*LISBON)
_DAMAGED = {
    "no-fix-zero": gps_fields(0.0, 0.0),
    "latitude-over-90": {**_GOOD, LATITUDE: (_R(95), _R(0), _R(0))},
    "longitude-over-180": {**_GOOD, LONGITUDE: (_R(200), _R(0), _R(0))},
    "zero-denominator": {**_GOOD, LATITUDE: (_R(38, 0), _R(43), _R(20))},
    "no-hemisphere": {k: v for k, v in _GOOD.items() if k != LATITUDE_REF},
    "unknown-hemisphere": {**_GOOD, LONGITUDE_REF: "Q"},
    "no-longitude": {k: v for k, v in _GOOD.items() if k != LONGITUDE},
    "four-parts": {**_GOOD, LATITUDE: (_R(38), _R(43), _R(20), _R(1))},
}


@pytest.mark.parametrize("fields", list(_DAMAGED.values()), ids=list(_DAMAGED))
def test_a_damaged_or_absurd_position_is_none_and_the_photo_loads(
    fields: dict[int, object],
) -> None:
    loaded = load_photo(photo_with_gps("JPEG", fields))
    assert loaded.info.gps is None
    assert loaded.image.size == (64, 48)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow's word for what is tested
def test_a_gps_directory_pointing_outside_the_file_is_ignored() -> None:
    data = bytearray(photo_with_gps("JPEG", gps_fields(*LISBON)))
    # The first directory's GPS entry (tag 0x8825, LONG, count 1; Pillow writes big-endian
    # EXIF) and the offset after it.
    entry = data.find(bytes.fromhex("8825 0004 00000001"))
    assert entry > 0
    data[entry + 8 : entry + 12] = (0x7FFFFFF0).to_bytes(4, "big")
    loaded = load_photo(bytes(data))
    assert loaded.info.gps is None and loaded.image.size == (64, 48)


def test_positions_east_and_south_are_signed() -> None:
    fields = {
        LATITUDE_REF: b"S",
        LATITUDE: (_R(22), _R(54), _R(30)),
        LONGITUDE_REF: "W",
        LONGITUDE: (_R(43), _R(10), _R(21)),
    }
    gps = load_photo(photo_with_gps("JPEG", fields)).info.gps
    assert _near(gps, (-(22 + 54 / 60 + 30 / 3600), -(43 + 10 / 60 + 21 / 3600)))
