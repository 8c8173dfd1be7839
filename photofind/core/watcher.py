"""Noticing changes in the library's folders (watchdog), debounced into "time to re-index"."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer


class FolderWatcher(FileSystemEventHandler):
    """Collects filesystem events under some folders. `wait_for_change` returns once events
    arrived and then `debounce` seconds passed without more, so a burst (a folder renamed,
    a camera card copied) becomes one re-index instead of thousands."""

    def __init__(self, folders: Iterable[str], debounce: float = 1.0) -> None:
        self.debounce = debounce
        self._folders = list(folders)
        self._observer = Observer()
        self._dirty = threading.Event()
        self._last_event = 0.0

    def start(self) -> None:
        for folder in self._folders:
            # An unplugged drive cannot be watched; its photos stay indexed meanwhile.
            if os.path.isdir(folder):
                self._observer.schedule(self, folder, recursive=True)
        self._observer.start()

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=5)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reads change nothing
        self._last_event = time.monotonic()
        self._dirty.set()

    def wait_for_change(self, timeout: float | None = None) -> bool:
        """True after a debounced burst of changes; False if `timeout` passed without any."""
        if not self._dirty.wait(timeout):
            return False
        while (quiet := time.monotonic() - self._last_event) < self.debounce:
            time.sleep(self.debounce - quiet)
        self._dirty.clear()
        return True

    def poke(self) -> None:
        """Ask for a re-index as if something changed (e.g. files deferred while being copied)."""
        self._last_event = time.monotonic()
        self._dirty.set()
