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
