"""The viewer's photos, decoded on a pool: the one shown and one on either side, so that
stepping to a neighbour shows it at once; and the shown one at full resolution once it is
zoomed in past what the decode for the screen holds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QPixmap

from photofind.gui.background import Background
from photofind.gui.photo_images import (
    PREVIEW_MAX_SIDE,
    PhotoFacts,
    PreviewImage,
    ViewerImage,
    load_for_viewer,
    load_scaled,
)

SHOWN_FIRST = 2  # pool priorities: the photo on screen before its neighbours
NEIGHBOUR = 1


@dataclass(frozen=True)
class ViewerPhoto:
    pixmap: QPixmap
    facts: PhotoFacts


class ViewerPhotos(QObject):
    """Holds only the photos wanted now (at most three), and drops jobs for ones stepped past
    before they started."""

    ready = Signal(str)  # path: its photo, its full resolution, or why it cannot be shown

    def __init__(self, background: Background) -> None:
        super().__init__()
        self._background = background
        self._photos: dict[str, ViewerPhoto | str] = {}  # str: why it cannot be shown
        self._pending: set[str] = set()
        self._wanted: frozenset[str] = frozenset()  # read by pool threads, replaced whole
        self._shown = ""
        self._full: tuple[str, QPixmap] | None = None
        self._full_pending = ""

    def photo(self, path: str) -> ViewerPhoto | None:
        found = self._photos.get(path)
        return found if isinstance(found, ViewerPhoto) else None

    def failure(self, path: str) -> str | None:
        found = self._photos.get(path)
        return found if isinstance(found, str) else None

    def full(self, path: str) -> QPixmap | None:
        return self._full[1] if self._full is not None and self._full[0] == path else None

    def want(self, shown: str, neighbours: Iterable[str]) -> None:
        """Show `shown`: decode it first, then `neighbours`; forget every other photo."""
        others = [path for path in neighbours if path != shown]
        self._shown = shown
        self._wanted = frozenset([shown, *others])
        self._photos = {p: photo for p, photo in self._photos.items() if p in self._wanted}
        if self._full is not None and self._full[0] != shown:
            self._full = None
        self._load(shown, SHOWN_FIRST)
        for path in others:
            self._load(path, NEIGHBOUR)

    def forget(self) -> None:
        """Nothing is shown: let go of the photos and of jobs not started yet."""
        self._shown = ""
        self._wanted = frozenset()
        self._photos = {}
        self._full = None

    def want_full(self, path: str, side: int) -> None:
        """Decode the shown photo again, up to `side` pixels: what zooming in needs."""
        if path != self._shown or self.full(path) is not None or self._full_pending == path:
            return
        self._full_pending = path

        def done(result: object) -> None:
            if self._full_pending == path:
                self._full_pending = ""
            # Should this fail (the file changed since), the photo as decoded stays shown.
            if path == self._shown and isinstance(result, PreviewImage):
                self._full = (path, QPixmap.fromImage(result.image))
                self.ready.emit(path)

        self._background.submit(lambda: load_scaled(path, side), done, SHOWN_FIRST + 1)

    def _load(self, path: str, priority: int) -> None:
        if path in self._photos or path in self._pending:
            return
        self._pending.add(path)

        def job() -> ViewerImage | None:
            if path not in self._wanted:
                return None  # stepped past while it waited
            return load_for_viewer(path, PREVIEW_MAX_SIDE)

        def done(result: object) -> None:
            self._pending.discard(path)
            if path not in self._wanted:
                return
            if result is None:  # wanted again since the job gave up on it
                self._load(path, priority)
                return
            if isinstance(result, ViewerImage):
                self._photos[path] = ViewerPhoto(QPixmap.fromImage(result.image), result.facts)
            else:
                self._photos[path] = str(result)
            self.ready.emit(path)

        self._background.submit(job, done, priority)
