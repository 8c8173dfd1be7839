"""Synthetic camera RAW files for tests: a minimal but real DNG that LibRaw opens.

A DNG is a TIFF: here its first directory holds a JPEG preview (as cameras write one), and a
sub-directory holds the sensor data, a small 16-bit Bayer mosaic (RGGB) that LibRaw can
develop. No camera file is needed, and the preview's content is chosen by the test.
"""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image

_BYTE, _ASCII, _SHORT, _LONG, _SRATIONAL = 1, 2, 3, 4, 10


def _values(kind: int, values: object) -> tuple[int, bytes]:
    """(count, packed little-endian bytes) of one TIFF field."""
    if kind == _ASCII:
        text = str(values).encode() + b"\0"
        return len(text), text
    items = list(values)  # type: ignore[call-overload]
    if kind == _BYTE:
        return len(items), bytes(items)
    if kind == _SHORT:
        return len(items), struct.pack(f"<{len(items)}H", *items)
    if kind == _LONG:
        return len(items), struct.pack(f"<{len(items)}I", *items)
    if kind == _SRATIONAL:
        return len(items), b"".join(struct.pack("<ii", n, d) for n, d in items)
    raise ValueError(kind)


class _Tiff:
    def __init__(self) -> None:
        self.out = bytearray(b"II*\0\0\0\0\0")

    def blob(self, data: bytes) -> int:
        if len(self.out) % 2:
            self.out.append(0)
        offset = len(self.out)
        self.out.extend(data)
        return offset

    def directory(self, fields: list[tuple[int, int, object]]) -> int:
        packed = [(tag, kind, *_values(kind, values)) for tag, kind, values in sorted(fields)]
        outside = {tag: self.blob(data) for tag, _, _, data in packed if len(data) > 4}
        offset = self.blob(struct.pack("<H", len(packed)))
        for tag, kind, count, data in packed:
            value = struct.pack("<I", outside[tag]) if tag in outside else data.ljust(4, b"\0")
            self.out.extend(struct.pack("<HHI", tag, kind, count) + value)
        self.out.extend(struct.pack("<I", 0))
        return offset


def make_dng(
    preview: Image.Image | None,
    sensor: tuple[int, int] = (640, 480),
    orientation: int = 1,
    taken: str | None = None,
) -> bytes:
    """A DNG whose embedded preview is `preview` (JPEG; None: no preview), with a `sensor`
    (width, height) mosaic of grey noise, an EXIF `orientation` and a date `taken`
    ("YYYY:MM:DD HH:MM:SS")."""
    tiff = _Tiff()
    width, height = sensor
    mosaic = np.random.default_rng(0).integers(800, 3000, (height, width)).astype("<u2")
    mosaic_at = tiff.blob(mosaic.tobytes())
    raw_ifd = tiff.directory(
        [
            (254, _LONG, [0]),  # the full-resolution image
            (256, _LONG, [width]),
            (257, _LONG, [height]),
            (258, _SHORT, [16]),
            (259, _SHORT, [1]),  # uncompressed
            (262, _SHORT, [32803]),  # colour filter array
            (273, _LONG, [mosaic_at]),
            (277, _SHORT, [1]),
            (278, _LONG, [height]),
            (279, _LONG, [mosaic.nbytes]),
            (33421, _SHORT, [2, 2]),  # CFA repeat pattern
            (33422, _BYTE, [0, 1, 1, 2]),  # RGGB
            (50717, _LONG, [4095]),  # white level
        ]
    )
    fields: list[tuple[int, int, object]] = [
        (271, _ASCII, "Photofind"),
        (272, _ASCII, "Test Camera"),
        (274, _SHORT, [orientation]),
        (330, _LONG, [raw_ifd]),  # sub-directories
        (50706, _BYTE, [1, 4, 0, 0]),  # DNG version
        (50708, _ASCII, "Photofind Test Camera"),
        (
            50721,
            _SRATIONAL,
            [(1, 1), (0, 1), (0, 1), (0, 1), (1, 1), (0, 1), (0, 1), (0, 1), (1, 1)],
        ),
        (50778, _SHORT, [21]),  # D65
    ]
    if taken:
        fields.append((306, _ASCII, taken))
    if preview is not None:
        buffer = io.BytesIO()
        preview.save(buffer, "JPEG", quality=92)
        jpeg = buffer.getvalue()
        fields += [
            (254, _LONG, [1]),  # a reduced-resolution image: the preview
            (256, _LONG, [preview.width]),
            (257, _LONG, [preview.height]),
            (258, _SHORT, [8, 8, 8]),
            (259, _SHORT, [7]),  # JPEG
            (262, _SHORT, [6]),  # YCbCr
            (273, _LONG, [tiff.blob(jpeg)]),
            (277, _SHORT, [3]),
            (278, _LONG, [preview.height]),
            (279, _LONG, [len(jpeg)]),
        ]
    tiff.out[4:8] = struct.pack("<I", tiff.directory(fields))
    return bytes(tiff.out)
