"""Hostile image files for tests: headers that lie about their size, real decompression bombs."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def png_with_header(width: int, height: int) -> bytes:
    """A PNG whose header claims any size, followed by a tiny (far too short) image body."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def decompression_bomb_png() -> bytes:
    """A real, valid 20000 × 20000 PNG that compresses to a few kilobytes."""
    buf = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def postscript_named_like_a_photo() -> bytes:
    """PostScript that never ends: Pillow hands EPS to Ghostscript, which would run forever."""
    return b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n{ } loop\nshowpage\n%%EOF\n"


def narrow_png(length: int = 60_000) -> bytes:
    """A valid 1 × `length` PNG of a few hundred bytes. Scaled up so its shorter side fits the
    model (224 pixels for CLIP), it would need `length` × 224² × 3 bytes."""
    buf = io.BytesIO()
    Image.new("RGB", (1, length)).save(buf, "PNG")
    return buf.getvalue()


def _jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, bytes) of each segment of a JPEG written by Pillow; a scan includes its data."""
    pos, out = 2, []
    while pos < len(data):
        marker = data[pos + 1]
        if marker == 0xD9:
            out.append((marker, data[pos : pos + 2]))
            break
        end = pos + 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if marker == 0xDA:
            while not (data[end] == 0xFF and data[end + 1] not in (0x00, *range(0xD0, 0xD8))):
                end += 1
        out.append((marker, data[pos:end]))
        pos = end
    return out


def many_scans_jpeg(side: int = 2000, extra_scans: int = 1000, progressive: bool = True) -> bytes:
    """A progressive JPEG with thousands of tiny repeated scans: a few tens of kilobytes, and
    libjpeg makes one pass over all its pixels per scan (minutes for a large image). With
    `progressive=False`, a baseline JPEG whose one scan is repeated."""
    buf = io.BytesIO()
    Image.new("L", (side, side), 128).save(buf, "JPEG", progressive=progressive, quality=50)
    segments = _jpeg_segments(buf.getvalue())
    scans = [s for m, s in segments if m == 0xDA]
    out = bytearray(b"\xff\xd8")
    for marker, segment in segments:
        if marker == 0xD9:
            out += scans[-1] * extra_scans
        out += segment
    return bytes(out)


def header_claims(fmt: str, width: int, height: int) -> bytes:
    """A tiny real image in `fmt` whose header was edited to claim `width` × `height`."""
    buf = io.BytesIO()
    params = {"lossless": True} if fmt == "WEBP" else {}
    Image.new("RGB" if fmt != "GIF" else "P", (4, 4)).save(buf, fmt, **params)
    data = bytearray(buf.getvalue())
    if fmt == "PNG":
        return png_with_header(width, height)
    if fmt == "GIF":  # the logical screen and the first image's descriptor
        data[6:10] = struct.pack("<HH", width, height)
        at = data.index(b",", 13)
        data[at + 5 : at + 9] = struct.pack("<HH", width, height)
    elif fmt == "BMP":
        data[18:26] = struct.pack("<ii", width, height)
    elif fmt == "JPEG":  # the baseline frame header: precision, then height, width
        at = data.index(b"\xff\xc0")
        data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    elif fmt == "TIFF":  # little-endian: the ImageWidth and ImageLength entries of IFD 0
        ifd = struct.unpack("<I", data[4:8])[0]
        for i in range(struct.unpack("<H", data[ifd : ifd + 2])[0]):
            entry = ifd + 2 + 12 * i
            tag = struct.unpack("<H", data[entry : entry + 2])[0]
            if tag in (256, 257):
                value = width if tag == 256 else height
                data[entry + 2 : entry + 12] = struct.pack("<HII", 4, 1, value)  # LONG
    elif fmt == "WEBP":  # lossless bitstream: 14-bit width - 1 and height - 1
        at = data.index(b"VP8L") + 9
        bits = int.from_bytes(data[at : at + 4], "little")
        bits = (bits & ~0xFFFFFFF) | ((width - 1) & 0x3FFF) | (((height - 1) & 0x3FFF) << 14)
        data[at : at + 4] = bits.to_bytes(4, "little")
    else:
        raise ValueError(fmt)
    return bytes(data)
