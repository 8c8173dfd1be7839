"""Thumbnails for the grid: made on a pool (via the disk cache), kept as pixmaps in an LRU."""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QPixmap

from photofind.core.api import ThumbnailCache, cache_size_for
from photofind.core.errors import PhotoLoadError
from photofind.gui.background import Background
from photofind.gui.photo_images import to_qimage

# About 500 thumbnails of 256 x 192 pixels: several screens' worth in both scroll directions.
MEMORY_BUDGET_BYTES = 96 * 2**20

log = logging.getLogger(__name__)


class ThumbnailLoader(QObject):
    """Hands the delegate a pixmap when there is one and asks the pool for it when not.

    Requests come only from painting, so only visible items are ever loaded. A new result set
    starts a new generation: queued jobs of the old one are dropped, and results still in
    flight from it are ignored. The newest request runs first, so after a fast scroll the
    items now on screen load before the ones scrolled past.
    """

    thumbnailReady = Signal(str)

    def __init__(
        self,
        cache: ThumbnailCache,
        background: Background,
        budget_bytes: int = MEMORY_BUDGET_BYTES,
    ) -> None:
        super().__init__()
        self._cache = cache
        self._background = background
        self._budget = budget_bytes
        self._pixmaps: OrderedDict[tuple[str, int], QPixmap] = OrderedDict()
        self._bytes = 0
        self._sizes: dict[str, int] = {}  # path -> side of its most recent pixmap
        self._pending: set[tuple[str, int]] = set()
        self._broken: set[str] = set()
        self._generation = 0
        self._order = itertools.count()

    def pixmap(self, path: str, side: int) -> QPixmap | None:
        """The thumbnail of `path` scaled to fit `side` device pixels, or a cached one of
        another size while that loads (the painter scales it), or None."""
        key = (path, side)
        pixmap = self._pixmaps.get(key)
        if pixmap is not None:
            self._pixmaps.move_to_end(key)
            return pixmap
        if path not in self._broken:
            self._request(key)
        return self.cached(path)

    def cached(self, path: str) -> QPixmap | None:
        """The most recent thumbnail of `path` in memory, of whatever size; nothing is
        requested."""
        side = self._sizes.get(path)
        return self._pixmaps.get((path, side)) if side is not None else None

    def is_broken(self, path: str) -> bool:
        return path in self._broken

    def new_generation(self) -> None:
        """The results changed: what was queued for the old ones is no longer wanted."""
        self._generation += 1
        self._background.drop_queued()
        self._pending.clear()
        self._broken.clear()

    def _request(self, key: tuple[str, int]) -> None:
        if key in self._pending:
            return
        self._pending.add(key)
        generation = self._generation
        path, side = key

        def job() -> QImage | None:
            if generation != self._generation:
                return None  # superseded while it waited in the queue
            return _thumbnail(self._cache, path, side)

        def done(result: object) -> None:
            if generation != self._generation:
                return
            self._pending.discard(key)
            if isinstance(result, QImage):
                self._store(key, QPixmap.fromImage(result))
            else:
                if isinstance(result, Exception) and not isinstance(result, PhotoLoadError):
                    log.warning("thumbnail of %s failed: %r", path, result)
                self._broken.add(path)
            self.thumbnailReady.emit(path)

        self._background.submit(job, done, priority=next(self._order))

    def _store(self, key: tuple[str, int], pixmap: QPixmap) -> None:
        old = self._pixmaps.pop(key, None)
        if old is not None:
            self._bytes -= _cost(old)
        self._pixmaps[key] = pixmap
        self._sizes[key[0]] = key[1]
        self._bytes += _cost(pixmap)
        while self._bytes > self._budget and len(self._pixmaps) > 1:
            (path, side), evicted = self._pixmaps.popitem(last=False)
            self._bytes -= _cost(evicted)
            if self._sizes.get(path) == side:
                del self._sizes[path]


def _thumbnail(cache: ThumbnailCache, path: str, side: int) -> QImage:
    image = cache.get(Path(path), cache_size_for(side))
    if max(image.size) > side:
        image.thumbnail((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return to_qimage(image)


def _cost(pixmap: QPixmap) -> int:
    return pixmap.width() * pixmap.height() * 4
