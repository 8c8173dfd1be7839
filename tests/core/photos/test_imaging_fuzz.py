"""Hostile bytes through the photo loader: each input ends as an image or a PhotoLoadError,
quickly and in bounded memory; never another exception, a hang or an external program.

The suite runs a fixed, derandomized sample (CI gets the same inputs every time). A longer,
random run:

    PHOTOFIND_FUZZ_EXAMPLES=20000 python -m pytest tests/core/test_imaging_fuzz.py -q
"""

from __future__ import annotations

import faulthandler
import io
import os
import resource
import struct
import time

import numpy as np
import pytest
from hostile import (
    decompression_bomb_png,
    header_claims,
    many_scans_jpeg,
    narrow_png,
    postscript_named_like_a_photo,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from photofind.core.errors import PhotoLoadError
from photofind.core.photos.imaging import load_photo
from photofind.core.photos.photo import MAX_PIXELS

pytestmark = [
    pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning:PIL"),  # "Corrupt EXIF data" and the like
]

EXAMPLES = int(os.environ.get("PHOTOFIND_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # time is bounded below, per input, with a margin for a busy machine
    derandomize="PHOTOFIND_FUZZ_EXAMPLES" not in os.environ,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Every input here is at most a few hundred kilobytes; decoding any of them takes
# milliseconds. A limit this far above that only catches real hangs and pathological cases.
SECONDS_PER_INPUT = 10.0
# No input here may make the process grow by more than this (a 100-megapixel photo, the
# largest one decoded, needs about 300 MiB as RGB).
MAX_GROWTH_MIB = 1024


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def _seeds() -> dict[str, bytes]:
    """Small real files of every decoded format and the variants that take other code paths."""
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8769)[0x9003] = "2021:07:14 18:30:05"
    frames = [Image.new("RGB", (16, 16), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    wide = Image.fromarray(np.full((8, 8), 30000, np.uint16))
    return {
        "jpeg": _encode(rgb, "JPEG", exif=exif),
        "jpeg-progressive": _encode(rgb, "JPEG", progressive=True),
        "jpeg-cmyk": _encode(rgb.convert("CMYK"), "JPEG"),
        "png": _encode(rgb, "PNG", exif=exif),
        "png-palette": _encode(rgb.convert("P"), "PNG", transparency=0),
        "png-16bit": _encode(wide, "PNG"),
        "png-la": _encode(rgb.convert("LA"), "PNG"),
        "png-interlaced": _encode(rgb, "PNG", interlace=1),
        "webp": _encode(rgb, "WEBP"),
        "webp-lossless": _encode(rgb.convert("RGBA"), "WEBP", lossless=True),
        "webp-animated": _encode(frames[0], "WEBP", save_all=True, append_images=frames[1:]),
        "gif": _encode(rgb, "GIF"),
        "gif-animated": _encode(frames[0], "GIF", save_all=True, append_images=frames[1:]),
        "bmp": _encode(rgb, "BMP"),
        "bmp-palette": _encode(rgb.convert("P"), "BMP"),
        "tiff": _encode(rgb, "TIFF", exif=exif),
        "tiff-lzw": _encode(rgb, "TIFF", compression="tiff_lzw"),
        "tiff-deflate": _encode(rgb, "TIFF", compression="tiff_adobe_deflate"),
        "tiff-jpeg": _encode(rgb, "TIFF", compression="jpeg"),
        "tiff-packbits": _encode(rgb, "TIFF", compression="packbits"),
        "tiff-pages": _encode(frames[0], "TIFF", save_all=True, append_images=frames[1:]),
        "tiff-16bit": _encode(wide, "TIFF"),
        "heif": _encode(rgb, "HEIF"),
        "avif": _encode(rgb, "AVIF"),
    }


SEEDS = _seeds()
# Values that overflow, sign-flip or claim gigapixels when they land in a header field.
NASTY_NUMBERS = [
    b"\x00\x00\x00\x00",
    b"\xff\xff\xff\xff",
    b"\x7f\xff\xff\xff",
    b"\x80\x00\x00\x00",
    b"\x00\x01\x00\x00",
    b"\xff\xff",
    b"\x40\x00",
    b"\x00\x00",
]


@st.composite
def mutated_photos(draw: st.DrawFn) -> bytes:
    """A real small photo with a few bit flips, overwritten header-sized fields, truncation,
    inserted, deleted or repeated runs of bytes."""
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "number", "truncate", "insert", "delete", "repeat"]))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "number":
            number = draw(st.sampled_from(NASTY_NUMBERS))
            data[at : at + len(number)] = number
        elif op == "truncate":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 32))]
        else:
            run = data[at : at + draw(st.integers(1, 256))]
            data[at:at] = run * draw(st.integers(1, 64))
    return bytes(data)


HEADER_FORMATS = ("PNG", "GIF", "BMP", "JPEG", "TIFF", "WEBP")


@st.composite
def lying_headers(draw: st.DrawFn) -> bytes:
    """A tiny image whose header claims any size, from nothing to gigapixels."""
    side = st.sampled_from([1, 2, 255, 4096, 10_000, 10_001, 16_383, 32_767, 65_535])
    side = side | st.integers(1, 70_000)
    fmt = draw(st.sampled_from(HEADER_FORMATS))
    width, height = draw(side), draw(side)
    if fmt in ("GIF", "JPEG"):  # 16-bit fields
        width, height = min(width, 65_535), min(height, 65_535)
    if fmt == "WEBP":  # 14-bit fields
        width, height = min(width, 16_384), min(height, 16_384)
    return header_claims(fmt, width, height)


MAGICS = [
    b"\xff\xd8\xff\xe0",
    b"\xff\xd8\xff\xc2",
    b"\x89PNG\r\n\x1a\n",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"RIFF\x00\x01\x00\x00WEBPVP8 ",
    b"\x00\x00\x00\x18ftypheic",
    b"\x00\x00\x00\x1cftypavif",
    b"%!PS-Adobe-3.0 EPSF-3.0\n",
    b"",
]


def _outcome(data: bytes, min_side: int | None) -> str:
    """Decode with the time and memory bounds checked; returns "image" or "failed"."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    # A hang inside a decoder's C code cannot be interrupted; dump where it hangs and end the
    # run instead of blocking CI until its own timeout.
    faulthandler.dump_traceback_later(120, exit=True)
    try:
        photo = load_photo(data, min_side=min_side)
    except PhotoLoadError as exc:
        assert str(exc), "a failure must say why"
        outcome = "failed"
    else:
        assert photo.image.mode == "RGB"
        assert photo.image.width > 0 and photo.image.height > 0
        assert photo.image.width * photo.image.height <= MAX_PIXELS
        outcome = "image"
    finally:
        faulthandler.cancel_dump_traceback_later()
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS_PER_INPUT, f"{len(data)} bytes took {elapsed:.1f} s to decode"
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert growth < MAX_GROWTH_MIB, f"{len(data)} bytes grew the process by {growth:.0f} MiB"
    return outcome


@FUZZ
@given(data=mutated_photos(), min_side=st.sampled_from([None, 224]))
def test_mutated_photos_load_or_fail_cleanly(data: bytes, min_side: int | None) -> None:
    _outcome(data, min_side)


# A header may honestly claim up to MAX_PIXELS, and a few bytes of lossless WebP really do
# decode to 100 megapixels (about 3 s on a 2-core laptop): fewer examples keep the suite quick.
@settings(FUZZ, max_examples=max(EXAMPLES // 4, 1))
@given(data=lying_headers(), min_side=st.sampled_from([None, 224]))
@pytest.mark.slow
def test_headers_claiming_any_size_load_or_fail_cleanly(data: bytes, min_side: int | None) -> None:
    _outcome(data, min_side)


@FUZZ
@given(magic=st.sampled_from(MAGICS), body=st.binary(max_size=4096))
def test_random_bytes_behind_any_magic_number_fail_cleanly(magic: bytes, body: bytes) -> None:
    _outcome(magic + body, None)


def test_every_seed_is_a_real_photo() -> None:
    """The fuzzer mutates valid files of every format, so it reaches past the headers."""
    for name, data in SEEDS.items():
        assert _outcome(data, None) == "image", name


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (postscript_named_like_a_photo(), "not a recognised image format"),
        (narrow_png(), "too narrow"),
        (many_scans_jpeg(), "too many scans"),
        (decompression_bomb_png(), "too large"),
        *[(header_claims(fmt, 12_000, 12_000), "too large") for fmt in HEADER_FORMATS],
    ],
    ids=[
        "postscript-loop",
        "1x60000-strip",
        "1000-scan-jpeg",
        "png-bomb",
        *[f"{fmt.lower()}-144-megapixel-header" for fmt in HEADER_FORMATS],
    ],
)
def test_slow_or_huge_inputs_are_refused_before_decoding(data: bytes, reason: str) -> None:
    started = time.perf_counter()
    with pytest.raises(PhotoLoadError, match=reason):
        load_photo(data, min_side=224)
    assert time.perf_counter() - started < 2.0


def test_only_the_first_frame_or_page_is_read() -> None:
    """A GIF or TIFF with thousands of frames or pages costs what its first one costs."""
    frame = _encode(Image.new("L", (8, 8), 90), "TIFF")
    # 5,000 pages sharing one image: IFD 0 links to IFD 1 ... (built by hand; Pillow takes
    # seconds to write this many pages).
    ifd_at = struct.unpack("<I", frame[4:8])[0]
    entries = struct.unpack("<H", frame[ifd_at : ifd_at + 2])[0]
    ifd = frame[ifd_at : ifd_at + 2 + 12 * entries]
    pages = bytearray(frame[:ifd_at])
    for i in range(5000):
        here = len(pages)
        nxt = here + len(ifd) + 4 if i < 4999 else 0
        pages += ifd + struct.pack("<I", nxt)
        if i == 0:
            pages[4:8] = struct.pack("<I", here)
    gif = _encode(
        Image.new("P", (8, 8)),
        "GIF",
        save_all=True,
        append_images=[Image.new("P", (8, 8), i % 256) for i in range(1, 3000)],
    )
    for data in (bytes(pages), gif):
        started = time.perf_counter()
        assert load_photo(data).image.size == (8, 8)
        assert time.perf_counter() - started < 1.0
