"""Keeping the disk cache of thumbnails to the library's photos and under its size cap."""

from __future__ import annotations

import logging
from pathlib import Path

from photofind.core.index.store import Store
from photofind.core.photos.thumbnails import Pruned, ThumbnailCache
from photofind.gui.background import Background

log = logging.getLogger(__name__)


class ThumbnailPruner:
    """Prunes on a pool thread, never the GUI's: walking a large cache takes a while. Asked
    again while a pruning runs, it prunes once more afterwards, so the latest library and
    cap are the ones the cache ends up fitting."""

    def __init__(
        self, cache: ThumbnailCache, data_dir: Path, jobs: Background, cap_bytes: int
    ) -> None:
        self._cache = cache
        self._data_dir = data_dir
        self._jobs = jobs
        self._cap = cap_bytes
        self._running = False
        self._again = False

    def set_cap(self, cap_bytes: int) -> None:
        if cap_bytes != self._cap:
            self._cap = cap_bytes
            self.prune()

    def prune(self) -> None:
        if self._running:
            self._again = True
            return
        self._running = True
        cache, data_dir, cap = self._cache, self._data_dir, self._cap

        def job() -> Pruned:
            # Its own connection: the library worker's belongs to the worker's thread.
            store = Store.open(data_dir)
            try:
                paths = store.all_paths()
            finally:
                store.close()
            return cache.prune(paths, cap)

        self._jobs.submit(job, self._done)

    def _done(self, result: object) -> None:
        self._running = False
        if isinstance(result, Exception):
            log.warning("cannot prune the thumbnail cache: %s", result)
        if self._again:
            self._again = False
            self.prune()
