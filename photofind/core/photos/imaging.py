"""Reading photo files into upright RGB images, whatever their format and pixel mode."""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import stat
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from photofind.core.errors import FileChangedError, FileVanishedError, PhotoLoadError
from photofind.core.photos.gps import exif_gps
from photofind.core.photos.photo import MAX_PIXELS, LoadedPhoto, PhotoInfo
from photofind.core.photos.raw import RAW_EXTENSIONS, load_raw, raw_kind

# Pillow decodes AVIF itself (>= 11.2); HEIC/HEIF needs the pillow-heif plugin.
try:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - pillow-heif is a declared dependency
    HEIF_AVAILABLE = False

PHOTO_EXTENSIONS = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".png",
        ".webp",
        ".gif",
        ".bmp",
        ".dib",
        ".tif",
        ".tiff",
        ".heic",
        ".heif",
        ".avif",
        *RAW_EXTENSIONS,  # through their embedded previews (core/photos/raw.py)
    }
)

# The only decoders ever run. Pillow would otherwise try every format it knows, by content:
# PostScript renamed to .jpg would be handed to Ghostscript (a hang with `{} loop`, or worse),
# and random bytes could decode as a headerless TGA. (Camera JPEGs holding several pictures,
# MPO, open through the JPEG plugin.)
DECODED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "DIB", "TIFF", "HEIF", "AVIF")

# Files this large are not photos a person keeps; reading them whole would spike memory.
MAX_FILE_BYTES = 512 * 1024 * 1024
# No photo is this narrow, and the model scales a photo's shorter side up to its input size:
# a 1 × 60,000 strip (a few hundred bytes as PNG) would become gigabytes of pixels.
MAX_ASPECT_RATIO = 100
# libjpeg makes one pass over the whole image per scan. Photos have at most a dozen or so;
# a few kilobytes of near-empty scans would otherwise keep a large JPEG decoding for minutes.
MAX_JPEG_SCANS = 100

# Transparent areas are flattened onto mid grey so they read as "background" to CLIP,
# rather than as black or white content.
NEUTRAL_BACKGROUND = (128, 128, 128)

_ORIENTATION_TAG = 0x0112
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_DATETIME = 0x0132
_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# Pillow's own bomb check raises for > 2x its limit and warns above it; ours runs first,
# so silence the warning and keep Pillow's hard limit as a second line of defence.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.simplefilter("ignore", Image.DecompressionBombWarning)


def is_photo_name(name: str) -> bool:
    """True for a file name photofind indexes: a photo extension, not hidden, not AppleDouble."""
    if name.startswith("."):
        return False
    return os.path.splitext(name)[1].lower() in PHOTO_EXTENSIONS


# Reasons recorded for files that could not be read at all, as opposed to read and found not
# to be photos. Fixing them (chmod, a network drive back) changes neither size nor modification
# time, so the indexer tries such files again once they are readable.
ACCESS_FAILURES = ("permission denied", "cannot read file", "file vanished")


def is_access_failure(reason: str | None) -> bool:
    return reason is not None and reason.startswith(ACCESS_FAILURES)


@dataclass(frozen=True)
class FileContent:
    """A file's bytes with the size and modification time of exactly those bytes."""

    data: bytes
    size: int
    mtime: float


def read_file(path: Path) -> FileContent:
    """Read a whole photo file, refusing ones too large to be photos.

    The file is stat'ed through the open handle before and after reading, so the size and
    modification time returned belong to the bytes returned; a file that changed meanwhile
    (still being copied or saved) raises FileChangedError, one deleted since it was found
    FileVanishedError. Only regular files are read: a name replaced by a FIFO since the scan
    would otherwise block forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as f:
            before = os.fstat(fd)
            if not stat.S_ISREG(before.st_mode):
                raise PhotoLoadError("not a regular file")
            if before.st_size == 0:
                raise PhotoLoadError("empty file")
            if before.st_size > MAX_FILE_BYTES:
                raise PhotoLoadError(
                    f"file too large to be a photo ({before.st_size // 2**20} MiB)"
                )
            data = f.read(MAX_FILE_BYTES + 1)
            after = os.fstat(fd)
    except PhotoLoadError:
        raise
    except FileNotFoundError as exc:
        raise FileVanishedError("file vanished before it could be read") from exc
    except PermissionError as exc:
        raise PhotoLoadError("permission denied") from exc
    except OSError as exc:
        raise PhotoLoadError(f"cannot read file: {exc.strerror or exc}") from exc
    changed = (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns)
    if changed or len(data) != after.st_size:
        raise FileChangedError("file changed while it was read")
    return FileContent(data, after.st_size, after.st_mtime)


def read_bytes(path: Path) -> bytes:
    """Read a whole photo file, refusing ones too large to be photos (see `read_file`)."""
    return read_file(path).data


def load_photo(data: bytes, min_side: int | None = None) -> LoadedPhoto:
    """Decode photo bytes into an upright RGB image.

    `min_side` lets JPEGs decode at a reduced scale (DCT draft mode) when the consumer needs
    far fewer pixels than the file holds; the result's shorter side stays >= `min_side`.
    Raises PhotoLoadError with a short reason for anything that is not a readable photo.
    """
    if not data:
        raise PhotoLoadError("empty file")
    kind = raw_kind(data)
    if kind is not None:
        raw = load_raw(data, kind, min_side, load_photo)
        if raw is not None:
            return raw
    with _decoder_errors(), Image.open(io.BytesIO(data), formats=DECODED_FORMATS) as im:
        info, orientation = _checked_header(im, data)
        if min_side and im.format == "JPEG":
            width, height = im.size
            scale = min_side / min(width, height)
            if scale < 1:
                im.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
        im.seek(0)  # first frame of animations
        im.load()
        rgb = to_rgb(im)
    # Orientation is applied after decoding so draft mode can work on the stored layout.
    method = _ORIENTATION_TRANSPOSE.get(orientation)
    if method is not None:
        rgb = rgb.transpose(method)
    return LoadedPhoto(rgb, info)


@dataclass(frozen=True)
class JpegHeader:
    """A plain JPEG's header, for a decoder other than Pillow's (the GPU's, see gpu_jpeg)."""

    info: PhotoInfo
    orientation: int  # EXIF orientation, 1-8: how the stored pixels must be turned upright


def plain_jpeg_header(data: bytes) -> JpegHeader | None:
    """The header of a single-image, baseline RGB or greyscale JPEG (what cameras and phones
    write), checked as `load_photo` checks it (raising PhotoLoadError for the same files);
    None for anything else (other formats, CMYK, progressive JPEGs, camera JPEGs holding
    several pictures), which `load_photo` should decode."""
    if not data.startswith(b"\xff\xd8\xff"):
        return None
    with _decoder_errors(), Image.open(io.BytesIO(data), formats=("JPEG",)) as im:
        if im.format != "JPEG" or im.mode not in ("RGB", "L") or im.info.get("progressive"):
            return None
        if im.info.get("adobe_transform") == 0:
            return None  # RGB stored as such, not as YCbCr: not every decoder honours it
        if not _ends_after_its_scan(data):
            return None  # truncated, maybe: Pillow refuses it, another decoder might not
        if count_scan_markers(data) > MAX_JPEG_SCANS:
            return None  # maybe a flood of scans: load_photo counts them exactly, and decides
        info, orientation = _checked_header(im, data, count_scans=False)
    return JpegHeader(info, orientation if orientation in range(1, 9) else 1)


def count_scan_markers(data: bytes, window: int = 1 << 22) -> int:
    """How many FF DA byte pairs a JPEG holds, stopping once past MAX_JPEG_SCANS:
    at least its number of scans (entropy-coded data never holds one; metadata may). numpy
    does this in ~1 ms of a 12 MP photo, mostly without the GIL (_jpeg_scans's exact count
    holds it for ~3 ms, which would limit the GPU path to a few hundred photos/s), and a
    window at a time, so that a file of hundreds of MB of 0xFF needs tens of MB, not GBs."""
    arr = np.frombuffer(data, np.uint8)
    found = 0
    for start in range(0, max(len(arr) - 1, 0), window):
        part = arr[start : start + window + 1]  # one byte more: a pair across the boundary
        after_ff = np.flatnonzero(part[:-1] == 0xFF) + 1
        found += int(np.count_nonzero(part[after_ff] == 0xDA))
        if found > MAX_JPEG_SCANS:
            break
    return found


def _ends_after_its_scan(data: bytes) -> bool:
    """Whether an end-of-image marker follows the first scan's header, as it does in a
    whole file (an embedded thumbnail's comes before: it sits in a segment that is skipped)."""
    first_scan = next((pos for marker, pos in _markers(data) if marker == 0xDA), None)
    return first_scan is not None and data.rfind(b"\xff\xd9") > first_scan


def _checked_header(
    im: Image.Image, data: bytes, count_scans: bool = True
) -> tuple[PhotoInfo, int]:
    """What the header says (upright size, date taken, position, EXIF orientation), after
    refusing what no photo has: no pixels, bomb sizes, absurd shapes, pathological scans."""
    width, height = im.size
    if width <= 0 or height <= 0:
        raise PhotoLoadError("image has no pixels")
    if width * height > MAX_PIXELS:
        raise PhotoLoadError(f"image too large ({width} × {height} pixels; limit {MAX_PIXELS:,})")
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise PhotoLoadError(f"image too narrow to be a photo ({width} × {height} pixels)")
    if count_scans and im.format in ("JPEG", "MPO") and _jpeg_scans(data) > MAX_JPEG_SCANS:
        raise PhotoLoadError(f"JPEG has too many scans (over {MAX_JPEG_SCANS})")
    exif = im.getexif()
    orientation = exif.get(_ORIENTATION_TAG, 1)
    info = PhotoInfo(
        *((height, width) if orientation in (5, 6, 7, 8) else (width, height)),
        taken_at=_date_taken(exif),
        gps=exif_gps(exif),
    )
    return info, orientation


@contextlib.contextmanager
def _decoder_errors() -> Iterator[None]:
    """Turn whatever a decoder raises for bad bytes into PhotoLoadError with a short reason."""
    try:
        yield
    except PhotoLoadError:
        raise
    except Image.DecompressionBombError as exc:
        raise PhotoLoadError(f"image too large: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise PhotoLoadError("not a recognised image format") from exc
    except (
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        IndexError,
        TypeError,
        RuntimeError,  # pillow-heif and the AVIF plugin: "Failed to decode image: ..."
        struct.error,
    ) as exc:
        # Pillow signals truncated or corrupt data with a spread of exception types.
        raise PhotoLoadError(f"corrupt or truncated image ({_short(exc)})") from exc
    except MemoryError as exc:
        raise PhotoLoadError("image needs too much memory to decode") from exc
    except Exception as exc:
        # Decoders are third-party code fed hostile bytes; whatever else one raises, the file
        # is recorded as failed rather than stopping the whole indexing run.
        raise PhotoLoadError(f"cannot decode image ({type(exc).__name__}: {_short(exc)})") from exc


def load_photo_file(path: Path, min_side: int | None = None) -> LoadedPhoto:
    return load_photo(read_bytes(path), min_side)


def to_rgb(im: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB; transparency is flattened onto neutral grey."""
    mode = im.mode
    if mode == "RGB":
        return im.copy()
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode in ("P", "L", "RGB") and "transparency" in im.info
    ):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*NEUTRAL_BACKGROUND, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode.startswith("I;16") or mode in ("I", "F"):
        return Image.fromarray(_wide_to_uint8(im), "L").convert("RGB")
    return im.convert("RGB")


def _wide_to_uint8(im: Image.Image) -> np.ndarray:
    """Scale 16-bit, 32-bit integer and float greyscale to 0..255 without wrapping around."""
    arr = np.asarray(im)
    if im.mode.startswith("I;16"):
        return (arr.astype(np.uint32) >> 8).astype(np.uint8)
    arr = arr.astype(np.float64)
    if im.mode == "F" and arr.size and np.nanmax(arr) <= 1.0:
        arr = arr * 255.0
    elif arr.size and np.nanmax(arr) > 255:
        # 32-bit "I" images are in practice 16-bit data (e.g. PNG I;16 promoted on load).
        arr = arr / 257.0
    return np.nan_to_num(np.clip(arr, 0, 255)).astype(np.uint8)


def _date_taken(exif: Image.Exif) -> str | None:
    raw = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return None


# A marker ends entropy-coded data: 0xFF followed by anything but a stuffed zero, a restart
# marker or another 0xFF (fill).
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _jpeg_scans(data: bytes) -> int:
    """How many scans (SOS segments) the first image of a JPEG has, counting no further than
    MAX_JPEG_SCANS + 1. This costs next to nothing beside decoding (see `_markers`)."""
    scans = 0
    for marker, _pos in _markers(data):
        if marker == 0xDA:
            scans += 1
            if scans > MAX_JPEG_SCANS:
                break
    return scans


def _markers(data: bytes) -> Iterator[tuple[int, int]]:
    """(marker, offset) of each marker of a JPEG's first image, in order, up to its end.
    Segments are skipped by their lengths, entropy-coded data by searching for the next
    marker, and so is junk between segments, as libjpeg skips it."""
    pos, end = 2, len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            found = _JPEG_MARKER.search(data, pos)
            if found is None:
                return
            pos = found.start()
            continue
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        yield marker, pos
        if marker == 0xD9:  # end of image
            return
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length field
            pos += 2
            continue
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:
            found = _JPEG_MARKER.search(data, pos)
            if found is None:
                return
            pos = found.start()


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]
