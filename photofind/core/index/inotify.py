"""watchdog's inotify observer (Linux), made to say what it otherwise keeps to itself: the
folders it could not watch, and the events the kernel dropped.

When the system's inotify watch limit (fs.inotify.max_user_watches) is reached, watchdog
leaves the subfolders it cannot watch unwatched without a word, and when the kernel's event
queue overflows it rebuilds its watches but tells no handler that events were lost. Both go
through one InotifyFD per observer, which is where this listens. Written against watchdog
7.1 (pyproject pins the series).
"""

from __future__ import annotations

import os
from typing import Protocol

from watchdog.observers.api import DEFAULT_OBSERVER_TIMEOUT, BaseObserver
from watchdog.observers.inotify import InotifyEmitter, InotifyObserver
from watchdog.observers.inotify_c import (
    CallbackId,
    InotifyEvent,
    InotifyFD,
    Mask,
    WatchCallback,
    WatchDescriptor,
)


class Listener(Protocol):
    """Told, on watchdog's threads, what the observer does with each folder."""

    def watching(self, folder: str) -> None: ...

    def not_watching(self, folder: str, error: OSError) -> None: ...

    def events_lost(self) -> None: ...


class _ListenedInotifyFD(InotifyFD):
    def __init__(self, listener: Listener) -> None:
        super().__init__()
        self._listener = listener

    def add_callback(
        self, path: bytes, mask: Mask, callback: WatchCallback, id_: CallbackId
    ) -> WatchDescriptor:
        try:
            wd = super().add_callback(path, mask, callback, id_)
        except OSError as exc:
            self._listener.not_watching(os.fsdecode(path), exc)
            raise  # watchdog skips a subfolder it cannot watch, and fails a watch's own root
        self._listener.watching(os.fsdecode(path))
        return wd

    def handle_event(self, event: InotifyEvent) -> None:
        if event.is_queue_overflow:
            self._listener.events_lost()
        super().handle_event(event)


class ListenedObserver(InotifyObserver):
    """An InotifyObserver whose inotify instance reports to `listener`."""

    def __init__(self, listener: Listener) -> None:
        # InotifyObserver.__init__ would open an inotify instance of its own, and takes no
        # other: this is that method with the listened one in its place.
        self._inotify_fd = _ListenedInotifyFD(listener)
        self._inotify_fd.start()
        BaseObserver.__init__(
            self, InotifyEmitter, timeout=DEFAULT_OBSERVER_TIMEOUT, inotify_fd=self._inotify_fd
        )
