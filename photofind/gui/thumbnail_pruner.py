"""Keeping the disk cache of thumbnails to the library's photos and under its size cap."""

from __future__ import annotations

import logging

from photofind.core.api import ThumbnailCache
from photofind.gui.background import Background
from photofind.gui.worker import LibraryWorker

log = logging.getLogger(__name__)


class ThumbnailPruner:
    """Prunes on a pool thread, never the GUI's: walking a large cache takes a while. Asked
    again while a pruning runs, it prunes once more afterwards, so the latest library and
    cap are the ones the cache ends up fitting."""

    def __init__(
        self, cache: ThumbnailCache, worker: LibraryWorker, jobs: Background, cap_bytes: int
    ) -> None:
        self._cache = cache
        self._worker = worker
        self._jobs = jobs
        self._cap = cap_bytes
        self._running = False
        self._again = False
        # The worker, which alone reads the library, says which photos it holds.
        worker.photoPaths.connect(self._prune_to)

    def set_cap(self, cap_bytes: int) -> None:
        if cap_bytes != self._cap:
            self._cap = cap_bytes
            self.prune()

    def prune(self) -> None:
        if self._running:
            self._again = True
            return
        self._running = True
        self._worker.send_photo_paths()

    def _prune_to(self, paths: list[str]) -> None:
        if not self._running:
            return  # asked by someone else
        cache, cap = self._cache, self._cap
        self._jobs.submit(lambda: cache.prune(paths, cap), self._done)

    def _done(self, result: object) -> None:
        self._running = False
        if isinstance(result, Exception):
            log.warning("cannot prune the thumbnail cache: %s", result)
        if self._again:
            self._again = False
            self.prune()
