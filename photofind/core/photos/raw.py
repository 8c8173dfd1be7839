"""Camera RAW files (CR2, CR3, NEF, ARW, DNG, RAF, ORF, RW2) through their embedded previews.

Every camera writes a JPEG preview into its RAW files, usually at full or near-full size:
decoding it is as quick as any JPEG, and it is what the camera showed on its screen. Only a
RAW without a usable preview is developed from its sensor data (LibRaw, at half size). LibRaw
comes with the rawpy package.

RAW files are recognised by their content, not their names, since the indexer hands over
bytes: most formats have a signature of their own; NEF, ARW and DNG are TIFF files, told
from an ordinary TIFF by a DNG version tag or a camera maker's name, and handed back to the
ordinary TIFF decoder if LibRaw does not take them.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Callable
from datetime import datetime

import numpy as np
from PIL import Image

from photofind.core.errors import PhotoLoadError
from photofind.core.photos.gps import tiff_gps
from photofind.core.photos.photo import MAX_PIXELS, LoadedPhoto, PhotoInfo

RAW_EXTENSIONS = frozenset({".cr2", ".cr3", ".nef", ".arw", ".dng", ".raf", ".orf", ".rw2"})
# A preview whose shorter side is smaller than this (some RAWs hold only a 160 × 120
# thumbnail) is too coarse to describe the photo: the sensor data is developed instead.
MIN_PREVIEW_SIDE = 224
# Makers whose RAW files are plain TIFF structures (TIFF tag 271, Make).
_TIFF_RAW_MAKERS = (b"NIKON", b"SONY", b"PENTAX", b"RICOH", b"SAMSUNG", b"LEICA", b"HASSELBLAD")
_DNG_VERSION = 50706
_MAKE = 271
# LibRaw's `flip` (after dcraw): how to turn the stored picture upright.
_FLIP = {
    3: Image.Transpose.ROTATE_180,
    5: Image.Transpose.ROTATE_90,
    6: Image.Transpose.ROTATE_270,
}
_EXIF_ORIENTATION = 0x0112


def is_raw_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in RAW_EXTENSIONS


def raw_kind(data: bytes) -> str | None:
    """The RAW format of some bytes ("CR2", "DNG", …), or None for anything else. "TIFF-RAW"
    names a TIFF that may be a RAW (a camera maker's tag): LibRaw decides."""
    head = data[:16]
    if head[4:12] == b"ftypcrx ":
        return "CR3"
    if head.startswith(b"FUJIFILMCCD-RAW"):
        return "RAF"
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return "ORF"
    if head[:4] == b"IIU\0":
        return "RW2"
    if head[:4] in (b"II*\0", b"MM\0*"):
        if head[8:10] == b"CR":
            return "CR2"
        tags = _ifd0_tags(data)
        if _DNG_VERSION in tags:
            return "DNG"
        if tags.get(_MAKE, b"").upper().startswith(_TIFF_RAW_MAKERS):
            return "TIFF-RAW"
    return None


def _ifd0_tags(data: bytes) -> dict[int, bytes]:
    """The tags of a TIFF's first directory that matter here (DNG version, Make), with the
    Make's text; anything malformed gives what was read so far."""
    order = "<" if data[:2] == b"II" else ">"
    found: dict[int, bytes] = {}
    try:
        (offset,) = struct.unpack_from(order + "I", data, 4)
        (count,) = struct.unpack_from(order + "H", data, offset)
        for i in range(min(count, 512)):
            tag, kind, n, value = struct.unpack_from(order + "HHII", data, offset + 2 + 12 * i)
            if tag == _DNG_VERSION:
                found[tag] = b""
            elif tag == _MAKE and kind == 2:  # ASCII
                start = offset + 2 + 12 * i + 8 if n <= 4 else value
                found[tag] = data[start : start + min(n, 64)].rstrip(b"\0 ")
    except struct.error:
        pass
    return found


def load_raw(
    data: bytes,
    kind: str,
    min_side: int | None,
    load_jpeg: Callable[[bytes, int | None], LoadedPhoto],
) -> LoadedPhoto | None:
    """Decode a RAW file into an upright RGB image: its embedded preview (decoded by
    `load_jpeg`, imaging.load_photo) or, lacking a usable one, its sensor data at half size.
    None for a "TIFF-RAW" that LibRaw does not take (an ordinary TIFF after all)."""
    try:
        import rawpy
    except ImportError as exc:  # pragma: no cover - rawpy is a declared dependency
        raise PhotoLoadError("RAW files need the rawpy package (pip install rawpy)") from exc
    try:
        with rawpy.imread(io.BytesIO(data)) as raw:
            sizes = raw.sizes
            flip = int(sizes.flip)
            width, height = int(sizes.width), int(sizes.height)
            if width * height > MAX_PIXELS * 4:
                raise PhotoLoadError(f"RAW image too large ({width} × {height} pixels)")
            upright = (height, width) if flip in (5, 6) else (width, height)
            taken_at = _timestamp(raw)
            gps = tiff_gps(data)
            preview = _preview(raw, min_side, load_jpeg)
            if preview is not None:
                image, oriented, jpeg = preview
                if not oriented and flip in _FLIP:
                    image = image.transpose(_FLIP[flip])
                # LibRaw writes its own EXIF into a preview it extracts, with its date (the
                # epoch when it has none): the preview's date is only a fallback.
                jpeg_taken_at = jpeg.taken_at if jpeg else None
                if not taken_at and not (jpeg_taken_at or "1970").startswith("1970"):
                    taken_at = jpeg_taken_at
                gps = gps or (jpeg.gps if jpeg else None)
            else:
                # Developed with the camera's white balance; LibRaw applies `flip` itself.
                pixels = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
                image = Image.fromarray(np.ascontiguousarray(pixels[..., :3]), "RGB")
    except PhotoLoadError:
        raise
    except rawpy.LibRawFileUnsupportedError as exc:
        if kind == "TIFF-RAW":
            return None
        raise PhotoLoadError(f"unsupported or damaged {kind} RAW file") from exc
    except MemoryError as exc:
        raise PhotoLoadError("RAW image needs too much memory to decode") from exc
    except Exception as exc:
        # LibRaw is third-party code fed whatever is on disk: any failure is recorded.
        raise PhotoLoadError(f"cannot decode {kind} RAW file ({_reason(exc)})") from exc
    return LoadedPhoto(image, PhotoInfo(*upright, taken_at=taken_at, gps=gps))


def _preview(
    raw: object, min_side: int | None, load_jpeg: Callable[[bytes, int | None], LoadedPhoto]
) -> tuple[Image.Image, bool, PhotoInfo | None] | None:
    """(the embedded preview, whether it was turned upright already by its own EXIF, what
    its header says if it is a JPEG), or None when there is no usable one."""
    import rawpy

    try:
        thumb = raw.extract_thumb()  # type: ignore[attr-defined]
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    if thumb.format == rawpy.ThumbFormat.JPEG:
        try:
            loaded = load_jpeg(bytes(thumb.data), min_side)
            with Image.open(io.BytesIO(thumb.data)) as im:
                oriented = im.getexif().get(_EXIF_ORIENTATION, 1) != 1
        except (PhotoLoadError, OSError):
            return None  # a damaged preview: develop the sensor data instead
        image, info = loaded.image, loaded.info
        side = min(loaded.info.width, loaded.info.height)  # as stored, not as decoded
    else:
        pixels = np.asarray(thumb.data)
        if pixels.ndim != 3 or pixels.shape[2] < 3:
            return None
        image, oriented, info = Image.fromarray(pixels[..., :3].astype(np.uint8)), False, None
        side = min(image.size)
    if side < MIN_PREVIEW_SIDE:
        return None
    return image, oriented, info


def _timestamp(raw: object) -> str | None:
    """The date taken LibRaw read from the RAW's own metadata, if any."""
    other = getattr(raw, "other", None)
    stamp = getattr(other, "timestamp", None)
    if isinstance(stamp, datetime) and stamp.year > 1970:
        return stamp.replace(tzinfo=None, microsecond=0).isoformat()
    return None


def _reason(exc: BaseException) -> str:
    """An exception's message as one short line (LibRaw's come as bytes)."""
    arg = exc.args[0] if exc.args else None
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(exc)
    return text.splitlines()[0][:120] if text.strip() else type(exc).__name__
