"""Noticing changes in the library's folders (watchdog), debounced into "time to re-index"."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
from collections.abc import Iterable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

# How often folders that are not there (an unplugged drive, an unmounted share) are looked
# for, and watched folders checked for having been replaced by another (re-mounted) one.
RECHECK_SECONDS = 2.0


class FolderWatcher(FileSystemEventHandler):
    """Collects filesystem events under some folders. `wait_for_change` returns once events
    arrived and then `debounce` seconds passed without more, so a burst (a folder renamed,
    a camera card copied) becomes one re-index instead of thousands.

    A library folder that is missing when watching starts, or goes away later, is watched
    from the moment it is back (a drive plugged in again), and that counts as a change."""

    def __init__(self, folders: Iterable[str], debounce: float = 1.0) -> None:
        self.debounce = debounce
        self._folders = list(folders)
        self._observer = Observer()
        self._dirty = threading.Event()
        self._last_event = 0.0
        # folder -> (its watch, the (device, inode) it was watching)
        self._watches: dict[str, tuple[ObservedWatch, tuple[int, int]]] = {}
        self._checked = 0.0
        self._lock = threading.Lock()

    def start(self) -> None:
        self._observer.start()
        self._check_folders(initial=True)

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
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._check_folders()
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            step = RECHECK_SECONDS if left is None else min(left, RECHECK_SECONDS)
            if self._dirty.wait(step):
                break
        while (quiet := time.monotonic() - self._last_event) < self.debounce:
            time.sleep(self.debounce - quiet)
        self._dirty.clear()
        return True

    def poke(self) -> None:
        """Ask for a re-index as if something changed (e.g. files deferred while being copied)."""
        self._last_event = time.monotonic()
        self._dirty.set()

    def _check_folders(self, initial: bool = False) -> None:
        """Watch folders that appeared, stop watching ones that went, and re-watch ones that
        are now another directory (unmounted and mounted again), at most every
        RECHECK_SECONDS. A folder that (re)appears after the start counts as a change."""
        now = time.monotonic()
        with self._lock:
            if not initial and now - self._checked < RECHECK_SECONDS:
                return
            self._checked = now
            for folder in self._folders:
                identity = _identity(folder)
                watched = self._watches.get(folder)
                if watched is not None and watched[1] == identity:
                    continue
                if watched is not None:
                    with contextlib.suppress(KeyError, OSError):
                        self._observer.unschedule(watched[0])
                    del self._watches[folder]
                if identity is None:
                    continue  # not there: its photos stay indexed meanwhile
                try:
                    watch = self._observer.schedule(self, folder, recursive=True)
                except OSError:
                    continue  # e.g. out of inotify watches; looked at again next time
                self._watches[folder] = (watch, identity)
                if not initial:
                    self.poke()


def _identity(folder: str) -> tuple[int, int] | None:
    try:
        st = os.stat(folder)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None
