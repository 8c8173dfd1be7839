"""The library worker's watching of the library's folders: a watcher thread forwards what
changed on disk to the worker, which indexes where it changed once the current run ends."""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING

from photofind.core.api import FolderWatcher, describe_unwatched

if TYPE_CHECKING:
    from photofind.gui.worker import LibraryWorker

WATCH_DEBOUNCE_SECONDS = 1.0


class Watching:
    """Part of LibraryWorker: it runs on the worker thread, but `_forward_changes`, which
    runs on the watcher's thread and only queues commands and emits signals."""

    def _watch(self: LibraryWorker) -> None:
        assert self._library is not None
        self._unwatch()
        folders = [f for f in self._library.folders() if os.path.isdir(f)]
        if not folders:
            return
        watcher = FolderWatcher(folders, debounce=WATCH_DEBOUNCE_SECONDS)
        watcher.start()
        self._watcher = watcher
        self._watch_stop = threading.Event()
        self._watch_thread = threading.Thread(
            target=self._forward_changes,
            args=(watcher, self._watch_stop),
            name="photofind-watch",
            daemon=True,
        )
        self._watch_thread.start()

    def _forward_changes(
        self: LibraryWorker, watcher: FolderWatcher, stop: threading.Event
    ) -> None:
        told: dict[str, str] = {}
        while not stop.is_set():
            unwatched = watcher.unwatched()
            for line in describe_unwatched(unwatched, told):
                self.problem.emit(line)
            told = unwatched
            if watcher.wait_for_change(timeout=0.5) and not stop.is_set():
                self._commands.put(self._changed_on_disk)

    def _changed_on_disk(self: LibraryWorker) -> None:
        # A run in progress finishes first; the next one looks where the changes were.
        only = self._watcher.take() if self._watcher is not None else None
        if only is None:
            self._index_wanted = True
        else:
            self._scopes += only

    def _look_again(self: LibraryWorker, seconds: float) -> None:
        """Run again in `seconds` over what the last run looked at."""
        self._poke_at = time.monotonic() + seconds
        self._poke_only = self._run_only

    def _unwatch(self: LibraryWorker) -> None:
        if self._watcher is None:
            return
        self._watch_stop.set()
        self._watcher.stop()
        if self._watch_thread is not None:
            self._watch_thread.join(timeout=2)
        self._watcher = None
        self._watch_thread = None

    def _poke_if_due(self: LibraryWorker) -> None:
        """A run asked for later (files settling, another process indexing) is due."""
        if self._poke_at is None or time.monotonic() < self._poke_at:
            return
        self._poke_at = None
        if self._watcher is not None:
            self._watcher.poke(self._poke_only)
        else:
            self._index_wanted = True
