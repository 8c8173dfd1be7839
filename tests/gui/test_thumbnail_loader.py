"""Thumbnails for the grid: made off the GUI thread, cached, and dropped when stale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from pytestqt.qtbot import QtBot

from photofind.core.photos.thumbnails import ThumbnailCache
from photofind.gui.background import Background
from photofind.gui.thumbnail_loader import ThumbnailLoader


def _photo(path: Path, size: tuple[int, int] = (600, 400)) -> str:
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, "JPEG")
    return str(path)


def _loader(tmp_path: Path, budget: int = 64 * 2**20) -> tuple[ThumbnailLoader, Background]:
    background = Background(threads=2)
    return ThumbnailLoader(ThumbnailCache(tmp_path / "data"), background, budget), background


def test_a_thumbnail_arrives_on_the_gui_thread_and_is_then_cached(
    qtbot: QtBot, tmp_path: Path
) -> None:
    loader, background = _loader(tmp_path)
    photo = _photo(tmp_path / "a.jpg")
    try:
        with qtbot.waitSignal(loader.thumbnailReady) as ready:
            assert loader.pixmap(photo, 150) is None  # a placeholder is drawn meanwhile
        assert ready.args == [photo]
        pixmap = loader.pixmap(photo, 150)
        assert pixmap is not None and (pixmap.width(), pixmap.height()) == (150, 100)
        # Another size: the old pixmap stands in (scaled) until the new one arrives.
        with qtbot.waitSignal(loader.thumbnailReady):
            stand_in = loader.pixmap(photo, 300)
            assert stand_in is not None and stand_in.width() == 150
        assert loader.pixmap(photo, 300).width() == 300  # type: ignore[union-attr]
        assert (tmp_path / "data" / "thumbnails").is_dir()
    finally:
        background.shutdown()


def test_unreadable_photos_are_marked_broken(qtbot: QtBot, tmp_path: Path) -> None:
    loader, background = _loader(tmp_path)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"nope")
    try:
        with qtbot.waitSignal(loader.thumbnailReady):
            loader.pixmap(str(bad), 128)
        assert loader.is_broken(str(bad))
        assert loader.pixmap(str(bad), 128) is None
    finally:
        background.shutdown()


def test_results_for_a_previous_generation_are_dropped(qtbot: QtBot, tmp_path: Path) -> None:
    loader, background = _loader(tmp_path)
    photos = [_photo(tmp_path / f"p{i}.jpg") for i in range(6)]
    arrived: list[str] = []
    loader.thumbnailReady.connect(arrived.append)
    try:
        for photo in photos:
            loader.pixmap(photo, 128)
        loader.new_generation()  # the user typed a new query
        background.pool.waitForDone(10_000)
        qtbot.wait(100)  # let any queued deliveries run
        assert arrived == []
        assert all(loader.pixmap(p, 128) is None for p in photos)  # and asked again
        qtbot.waitUntil(lambda: len(arrived) == len(photos))
    finally:
        background.shutdown()


def test_memory_cache_is_bounded(qtbot: QtBot, tmp_path: Path) -> None:
    one = 128 * 86 * 4  # about the bytes of one 128 px thumbnail of a 600 x 400 photo
    loader, background = _loader(tmp_path, budget=int(3.5 * one))
    photos = [_photo(tmp_path / f"p{i}.jpg") for i in range(5)]
    try:
        for photo in photos:
            with qtbot.waitSignal(loader.thumbnailReady):
                loader.pixmap(photo, 128)
        cached = [p for p in photos if loader.pixmap(p, 128) is not None]
        assert cached == photos[2:]  # the least recently used went first
    finally:
        background.shutdown()
