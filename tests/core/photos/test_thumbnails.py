"""Thumbnails: upright, small, cached on disk by file identity, and robust to a bad cache."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photofind.core.errors import PhotoLoadError
from photofind.core.photos import thumbnails
from photofind.core.photos.thumbnails import ThumbnailCache, cache_size_for, make_thumbnail

ORIENTATION = 0x0112


def _photo(path: Path, size: tuple[int, int] = (800, 400), orientation: int | None = None) -> Path:
    """A photo whose left half is red and right half blue, so orientation can be checked."""
    width, height = size
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, : width // 2] = (220, 20, 20)
    pixels[:, width // 2 :] = (20, 20, 220)
    image = Image.fromarray(pixels)
    exif = Image.Exif()
    if orientation is not None:
        exif[ORIENTATION] = orientation
    image.save(path, "JPEG", quality=92, exif=exif)
    return path


def _entries(cache: ThumbnailCache) -> list[Path]:
    return sorted(p for p in cache.folder.rglob("*") if p.is_file())


def test_thumbnail_fits_the_size_and_keeps_the_aspect_ratio(tmp_path: Path) -> None:
    thumb = make_thumbnail(_photo(tmp_path / "wide.jpg"), 256)
    assert thumb.size == (256, 128)
    assert thumb.mode == "RGB"


def test_exif_orientation_is_honoured(tmp_path: Path) -> None:
    # Orientation 6: stored landscape, shown rotated 90° clockwise, so it is portrait and the
    # stored left half (red) ends up at the top.
    thumb = make_thumbnail(_photo(tmp_path / "rotated.jpg", orientation=6), 256)
    assert thumb.size == (128, 256)
    top = np.asarray(thumb)[10, 64]
    bottom = np.asarray(thumb)[-10, 64]
    assert top[0] > 150 > top[2]
    assert bottom[2] > 150 > bottom[0]


def test_small_photos_are_not_enlarged(tmp_path: Path) -> None:
    assert make_thumbnail(_photo(tmp_path / "small.jpg", size=(120, 90)), 256).size == (120, 90)


def test_second_request_comes_from_the_disk_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = _photo(tmp_path / "a.jpg")
    cache = ThumbnailCache(tmp_path / "data")
    first = cache.get(photo, 256)
    assert cache.folder == tmp_path / "data" / "thumbnails"
    assert len(_entries(cache)) == 1

    def no_decoding(*_args: object) -> Image.Image:
        raise AssertionError("the photo was decoded again")

    monkeypatch.setattr(thumbnails, "make_thumbnail", no_decoding)
    second = ThumbnailCache(tmp_path / "data").get(photo, 256)  # a new session, same disk
    assert second.size == first.size


def test_sizes_are_cached_separately(tmp_path: Path) -> None:
    photo = _photo(tmp_path / "a.jpg", size=(1200, 900))
    cache = ThumbnailCache(tmp_path / "data")
    assert cache.get(photo, 256).size == (256, 192)
    assert cache.get(photo, 512).size == (512, 384)
    assert len(_entries(cache)) == 2


def test_an_edited_photo_gets_a_fresh_thumbnail(tmp_path: Path) -> None:
    photo = _photo(tmp_path / "a.jpg", size=(800, 400))
    cache = ThumbnailCache(tmp_path / "data")
    assert cache.get(photo, 256).size == (256, 128)
    old_entry = cache.entry_path(photo, 256)
    _photo(photo, size=(400, 800))  # same path, new content, size and time
    stat = photo.stat()
    os.utime(photo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert cache.entry_path(photo, 256) != old_entry
    assert cache.get(photo, 256).size == (128, 256)


def test_a_corrupt_cache_entry_is_regenerated(tmp_path: Path) -> None:
    photo = _photo(tmp_path / "a.jpg")
    cache = ThumbnailCache(tmp_path / "data")
    cache.get(photo, 256)
    entry = cache.entry_path(photo, 256)
    entry.write_bytes(b"\xff\xd8 not really a jpeg")
    assert cache.get(photo, 256).size == (256, 128)
    with Image.open(entry) as im:  # and the entry on disk is whole again
        im.load()
        assert im.size == (256, 128)


def test_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "data")
    for i in range(3):
        cache.get(_photo(tmp_path / f"p{i}.jpg"), 256)
    names = [p.name for p in _entries(cache)]
    assert len(names) == 3
    assert all(n.endswith(".thumb") and not n.startswith(".") for n in names)


def test_cache_entries_are_not_photo_files(tmp_path: Path) -> None:
    # A data dir inside a library folder must not get its own thumbnails indexed.
    from photofind.core.photos.imaging import is_photo_name

    cache = ThumbnailCache(tmp_path / "data")
    cache.get(_photo(tmp_path / "a.jpg"), 256)
    assert not any(is_photo_name(p.name) for p in _entries(cache))


def test_an_unwritable_cache_still_gives_thumbnails(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "thumbnails").write_text("a file where the cache folder should be")
    photo = _photo(tmp_path / "a.jpg")
    assert ThumbnailCache(data).get(photo, 256).size == (256, 128)


def test_unreadable_photos_raise_photo_load_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"definitely not an image")
    cache = ThumbnailCache(tmp_path / "data")
    with pytest.raises(PhotoLoadError):
        cache.get(broken, 256)
    with pytest.raises(PhotoLoadError):
        cache.get(tmp_path / "missing.jpg", 256)
    assert _entries(cache) == []


@pytest.mark.parametrize(("side", "expected"), [(1, 256), (200, 256), (256, 256), (300, 512)])
def test_cache_size_for(side: int, expected: int) -> None:
    assert cache_size_for(side) == expected
    assert cache_size_for(5000) == thumbnails.SIZES[-1]


def test_thumbnails_of_photos_that_left_the_library_are_pruned(tmp_path: Path) -> None:
    kept, removed = _photo(tmp_path / "kept.jpg"), _photo(tmp_path / "removed.jpg")
    cache = ThumbnailCache(tmp_path / "data")
    for photo in (kept, removed):
        cache.get(photo, 256)
        cache.get(photo, 512)
    stray = cache.folder / "ab" / "not-of-any-photo.thumb"
    abandoned = cache.folder / "ab" / ".tmp-abandoned"  # a write that never finished
    writing = cache.folder / "ab" / ".tmp-writing"  # one going on right now
    stray.parent.mkdir(exist_ok=True)
    for f in (stray, abandoned, writing):
        f.write_bytes(b"x" * 10)
    os.utime(abandoned, (1, 1))
    ours = {cache.entry_path(kept, 256), cache.entry_path(kept, 512)}

    pruned = cache.prune([str(kept)], cap_bytes=2**30)

    assert set(_entries(cache)) == ours | {writing}
    assert (pruned.gone, pruned.evicted) == (4, 0)
    assert pruned.kept_bytes == sum(e.stat().st_size for e in ours)
    assert cache.get(removed, 256).size == (256, 128)  # asked for again, it is made again


def test_pruning_brings_the_cache_under_the_cap_least_recently_used_first(
    tmp_path: Path,
) -> None:
    photos = [_photo(tmp_path / f"p{i}.jpg") for i in range(4)]
    cache = ThumbnailCache(tmp_path / "data")
    for photo in photos:
        cache.get(photo, 256)
    entries = [cache.entry_path(p, 256) for p in photos]
    for i, entry in enumerate(entries):  # p0 made longest ago, p3 last
        os.utime(entry, (1_000_000 + i, 1_000_000 + i))
    cache.get(photos[0], 256)  # ... but seen just now, from the cache
    sizes = [e.stat().st_size for e in entries]
    cap = sizes[0] + sizes[3] + max(sizes) // 2  # room for two and a half

    pruned = cache.prune([str(p) for p in photos], cap)

    assert set(_entries(cache)) == {entries[0], entries[3]}  # p1, then p2, went
    assert (pruned.gone, pruned.evicted) == (0, 2)
    assert pruned.freed_bytes == sizes[1] + sizes[2]
    assert pruned.kept_bytes == sizes[0] + sizes[3] <= cap
