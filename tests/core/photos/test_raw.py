"""Camera RAW files through their embedded previews (rawpy / LibRaw), with synthetic DNGs
(tests/rawfiles.py): no camera file is needed."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from rawfiles import make_dng
from shapes import make_photo

from photofind.core.errors import PhotoLoadError
from photofind.core.photos.imaging import is_photo_name, load_photo, load_photo_file
from photofind.core.photos.raw import MIN_PREVIEW_SIDE, raw_kind
from photofind.core.photos.scanning import scan_folders


@pytest.fixture(scope="module")
def preview() -> Image.Image:
    return make_photo("blue", "triangle", np.random.default_rng(1), size=(400, 300))


def _close(a: Image.Image, b: Image.Image) -> bool:
    """Same picture, give or take JPEG re-compression (which redraws the grain: compared
    at a tenth of the size)."""
    small = (max(a.width // 10, 1), max(a.height // 10, 1))
    a_small, b_small = (np.asarray(im.resize(small, Image.Resampling.BOX), float) for im in (a, b))
    return a.size == b.size and float(np.abs(a_small - b_small).mean()) < 3.0


def test_a_dng_reads_as_its_embedded_preview(preview: Image.Image) -> None:
    loaded = load_photo(make_dng(preview, sensor=(640, 480)))
    assert _close(loaded.image, preview)
    # the size recorded is the photo's own (the sensor's), not the preview's
    assert (loaded.info.width, loaded.info.height) == (640, 480)
    assert loaded.info.taken_at is None


def test_a_turned_camera_is_turned_upright_with_its_date(preview: Image.Image) -> None:
    data = make_dng(preview, sensor=(640, 480), orientation=6, taken="2021:07:04 10:20:30")
    loaded = load_photo(data)
    assert _close(loaded.image, preview.transpose(Image.Transpose.ROTATE_270))
    assert (loaded.info.width, loaded.info.height) == (480, 640)
    assert loaded.info.taken_at == "2021-07-04T10:20:30"


@pytest.mark.parametrize("preview_size", [None, (160, 120)], ids=["no-preview", "tiny-preview"])
def test_without_a_usable_preview_the_sensor_data_is_developed(
    preview: Image.Image, preview_size: tuple[int, int] | None
) -> None:
    small = preview.resize(preview_size) if preview_size else None
    assert preview_size is None or min(preview_size) < MIN_PREVIEW_SIDE
    loaded = load_photo(make_dng(small, sensor=(640, 480)))
    assert loaded.image.mode == "RGB" and loaded.image.size == (320, 240)  # half size
    assert (loaded.info.width, loaded.info.height) == (640, 480)


@pytest.mark.slow
def test_draft_decoding_still_applies_to_the_preview() -> None:
    big = make_photo("red", "circle", np.random.default_rng(2), size=(2000, 1500))
    loaded = load_photo(make_dng(big), min_side=224)
    assert 224 <= min(loaded.image.size) < 1500


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"II*\0\x10\0\0\0CR\x02\0", "CR2"),
        (b"\0\0\0\x18ftypcrx ", "CR3"),
        (b"FUJIFILMCCD-RAW 0201", "RAF"),
        (b"IIRO\x08\0\0\0", "ORF"),
        (b"IIU\0\x08\0\0\0", "RW2"),
    ],
)
def test_a_damaged_raw_is_a_failure_with_its_kind(head: bytes, kind: str) -> None:
    data = head + bytes(range(256)) * 4
    assert raw_kind(data) == kind
    with pytest.raises(PhotoLoadError, match=f"(unsupported or damaged|cannot decode) {kind} RAW"):
        load_photo(data)


def test_a_truncated_dng_is_a_failure_not_a_crash(preview: Image.Image) -> None:
    data = make_dng(preview)
    with pytest.raises(PhotoLoadError):
        load_photo(data[: len(data) // 3])


def test_ordinary_tiffs_are_not_raws(preview: Image.Image) -> None:
    plain = io.BytesIO()
    preview.save(plain, "TIFF")
    assert raw_kind(plain.getvalue()) is None
    # A TIFF from a maker's scanner looks like a NEF at first sight; LibRaw turns it down and
    # the TIFF decoder reads it.
    exif = Image.Exif()
    exif[271] = "NIKON CORPORATION"
    scanned = io.BytesIO()
    preview.save(scanned, "TIFF", exif=exif)
    assert raw_kind(scanned.getvalue()) == "TIFF-RAW"
    assert np.array_equal(np.asarray(load_photo(scanned.getvalue()).image), np.asarray(preview))


def test_raw_extensions_are_photos(tmp_path: Path, preview: Image.Image) -> None:
    for name in ("a.CR2", "a.cr3", "a.NEF", "a.arw", "a.DNG", "a.raf", "a.orf", "a.RW2"):
        assert is_photo_name(name), name
    (tmp_path / "shot.dng").write_bytes(make_dng(preview))
    assert _close(load_photo_file(tmp_path / "shot.dng").image, preview)


def test_a_raw_beside_a_photo_of_its_name_is_skipped(tmp_path: Path) -> None:
    names = [
        "IMG_0001.CR2",  # + IMG_0001.JPG: skipped
        "IMG_0001.JPG",
        "IMG_0002.NEF",  # alone: kept
        "img_0003.dng",  # + IMG_0003.HEIC, another case: skipped
        "IMG_0003.HEIC",
        "IMG_0004.ARW",  # + a sidecar that is not a photo: kept
        "IMG_0004.xmp",
        "IMG_0005.RAF",  # + a JPEG in another folder: kept
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "jpegs").mkdir()
    (tmp_path / "jpegs" / "IMG_0005.jpg").write_bytes(b"x")
    found = sorted(Path(f.path).relative_to(tmp_path).as_posix() for f in scan_folders([tmp_path]))
    assert found == [
        "IMG_0001.JPG",
        "IMG_0002.NEF",
        "IMG_0003.HEIC",
        "IMG_0004.ARW",
        "IMG_0005.RAF",
        "jpegs/IMG_0005.jpg",
    ]
