"""Noticing changes in the library's folders (watchdog), debounced into "time to look again
at what changed"."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import sys
import threading
import time
from collections.abc import Iterable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from photofind.core.photos.scanning import Scope, is_within, scopes_within

log = logging.getLogger(__name__)

# How often folders that are not there (an unplugged drive, an unmounted share) are looked
# for, and watched folders checked for having been replaced by another (re-mounted) one.
RECHECK_SECONDS = 2.0
# How often folders whose changes are not seen as they happen are scanned instead: those
# the system's inotify limit left unwatched, and links to folders and mount points below a
# library folder (watchdog does not follow links, nor see a drive mounted after it began).
UNWATCHED_RESCAN_SECONDS = 300.0
# Folders named in the line that tells which are not watched live; the rest are counted.
NAMED_UNWATCHED = 3


class FolderWatcher(FileSystemEventHandler):
    """Collects filesystem events under some folders. `wait_for_change` returns once events
    arrived and then `debounce` seconds passed without more, so a burst (a folder renamed,
    a camera card copied) becomes one look instead of thousands; `take` then says where to
    look: the folders the events were in, not the whole library.

    A library folder that is missing when watching starts, or goes away later, is watched
    from the moment it is back (a drive plugged in again), and that counts as a change of
    everything in it. Folders that cannot be watched (`unwatched`) are scanned every
    UNWATCHED_RESCAN_SECONDS instead."""

    def __init__(self, folders: Iterable[str], debounce: float = 1.0) -> None:
        self.debounce = debounce
        self._folders = [os.path.abspath(f) for f in folders]
        self._observer: BaseObserver | None = None
        self._dirty = threading.Event()
        self._last_event = 0.0
        # folder -> (its watch, the (device, inode) it was watching)
        self._watches: dict[str, tuple[ObservedWatch, tuple[int, int]]] = {}
        # place -> the (device, inode) it had when last looked at (see set_places)
        self._places: dict[str, tuple[int, int] | None] = {}
        self._checked = 0.0
        self._rescanned = 0.0
        self._lock = threading.Lock()  # the folder checks
        # What follows is also written by watchdog's threads.
        self._changes = threading.Lock()
        self._scopes: set[Scope] = set()
        self._everything = True  # nothing is known of what changed before watching began
        self._unwatched: dict[str, str] = {}  # folder -> why it is not watched

    def start(self) -> None:
        self._rescanned = time.monotonic()
        self._check_folders(initial=True)

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reads change nothing
        self._note(_scopes_of(event), event=True)

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

    def take(self) -> list[Scope] | None:
        """Where to look for what changed since the last `take`: the parts of the library
        events touched, or None for everything (at first, since nothing is known of what
        changed before watching began, and after events were lost)."""
        with self._changes:
            everything, scopes = self._everything, self._scopes
            self._everything, self._scopes = False, set()
        return None if everything else list(scopes)

    def poke(self, only: Iterable[Scope] | None = None) -> None:
        """Ask for a look at `only` (everything if None) as if it changed, without waiting
        out the debounce (e.g. at files deferred while being copied, once they settled)."""
        self._note(only, event=False)

    def unwatched(self) -> dict[str, str]:
        """The folders whose changes are not seen as they happen, each with why; the
        folders below one are not named. They are scanned every UNWATCHED_RESCAN_SECONDS."""
        with self._changes:
            unwatched = dict(self._unwatched)
        scopes = scopes_within((Scope(f, recursive=True) for f in unwatched), self._folders)
        return {s.path: unwatched[s.path] for s in scopes}

    def set_places(self, places: Iterable[str]) -> None:
        """Folders below the library folders whose changes events may miss (see core.index.places:
        links to folders, mount points). Each is checked every RECHECK_SECONDS for being
        another folder now (a drive mounted or unmounted there), and scanned every
        UNWATCHED_RESCAN_SECONDS."""
        with self._lock:
            self._places = {
                p: self._places[p] if p in self._places else _identity(p)
                for p in places
                if p not in self._folders
            }

    # -- told by core.index.inotify (its Listener), on watchdog's threads -------------

    def watching(self, folder: str) -> None:
        with self._changes:
            self._unwatched.pop(folder, None)

    def not_watching(self, folder: str, error: OSError) -> None:
        why = _why(error)
        with self._changes:
            first = why not in self._unwatched.values()
            self._unwatched[folder] = why
        if first:
            minutes = UNWATCHED_RESCAN_SECONDS / 60
            log.warning("not watching %s: %s; scanning it every %g minutes", folder, why, minutes)
        else:
            log.debug("not watching %s either: %s", folder, why)

    def events_lost(self) -> None:
        log.warning("the inotify event queue overflowed; looking at every folder again")
        self._note(None, event=True)

    # -- the folder checks ------------------------------------------------------

    def _note(self, scopes: Iterable[Scope] | None, event: bool) -> None:
        with self._changes:
            if scopes is None:
                self._everything = True
            else:
                self._scopes.update(scopes)
            if event:
                self._last_event = time.monotonic()
        self._dirty.set()

    def _check_folders(self, initial: bool = False) -> None:
        """Watch folders that appeared, stop watching ones that went, and re-watch ones that
        are now another directory (unmounted and mounted again), at most every
        RECHECK_SECONDS; scan what is not watched live every UNWATCHED_RESCAN_SECONDS."""
        now = time.monotonic()
        with self._lock:
            if not initial and now - self._checked < RECHECK_SECONDS:
                return
            self._checked = now
            if self._observer is not None or self._open_observer():
                for folder in self._folders:
                    self._check_folder(folder, initial)
            self._check_places()
            if now - self._rescanned >= UNWATCHED_RESCAN_SECONDS:
                self._rescanned = now
                self._rescan_unwatched()

    def _open_observer(self) -> bool:
        try:
            observer = _new_observer(self)
            observer.start()
        except OSError as exc:  # e.g. the system's inotify instance limit
            for folder in self._folders:
                self.not_watching(folder, exc)
            return False
        self._observer = observer
        return True

    def _check_folder(self, folder: str, initial: bool) -> None:
        assert self._observer is not None
        identity = _identity(folder)
        watched = self._watches.get(folder)
        if watched is not None and watched[1] == identity:
            return
        if watched is not None:
            with contextlib.suppress(KeyError, OSError):
                self._observer.unschedule(watched[0])
            del self._watches[folder]
        if watched is not None or identity is None:
            self._forget_unwatched(folder)  # what was said of the folder that was there
        if identity is None:
            return  # not there: its photos stay indexed meanwhile
        try:
            watch = self._observer.schedule(self, folder, recursive=True)
        except OSError as exc:
            self.not_watching(folder, exc)  # tried again at the next check
            return
        self.watching(folder)  # where core.index.inotify does not say so
        self._watches[folder] = (watch, identity)
        if not initial:
            # Back (a drive plugged in, a share mounted), or watched at last: what changed
            # in it meanwhile is not known.
            self._note([Scope(folder, recursive=True)], event=False)

    def _forget_unwatched(self, folder: str) -> None:
        with self._changes:
            for below in [f for f in self._unwatched if is_within(f, folder)]:
                del self._unwatched[below]

    def _check_places(self) -> None:
        for place, known in self._places.items():
            identity = _identity(place)
            if identity != known:
                self._places[place] = identity
                self._note([Scope(place, recursive=True)], event=False)

    def _rescan_unwatched(self) -> None:
        with self._changes:
            for folder in [f for f in self._unwatched if not os.path.isdir(f)]:
                del self._unwatched[folder]  # gone, or a library folder away
        folders = [*self.unwatched(), *self._places]
        if folders:
            log.debug("scanning %d folders not watched live", len(folders))
            self._note([Scope(f, recursive=True) for f in folders], event=False)


def describe_unwatched(unwatched: dict[str, str], told: dict[str, str]) -> list[str]:
    """What to tell the user of `FolderWatcher.unwatched()` when `told` was told before:
    nothing, unless a folder is not watched now that was not then (or for another reason);
    then one line for each reason, naming the folders."""
    if all(told.get(folder) == why for folder, why in unwatched.items()):
        return []
    folders_by_reason: dict[str, list[str]] = {}
    for folder, why in sorted(unwatched.items()):
        folders_by_reason.setdefault(why, []).append(folder)
    every = f"every {UNWATCHED_RESCAN_SECONDS / 60:g} minutes"
    lines = []
    for why, folders in folders_by_reason.items():
        if len(folders) == 1:
            lines.append(f"{folders[0]} is not watched live: {why}; it is checked {every} instead")
            continue
        named = ", ".join(folders[:NAMED_UNWATCHED])
        if len(folders) > NAMED_UNWATCHED:
            named += f" and {len(folders) - NAMED_UNWATCHED} more"
        lines.append(
            f"{len(folders)} folders are not watched live ({named}): {why}; "
            f"these folders are checked {every} instead"
        )
    return lines


def _scopes_of(event: FileSystemEvent) -> list[Scope]:
    """The parts of the library an event may have changed: the folder a file is in, and all
    of a folder that appeared, went, moved (both ends) or changed permissions."""
    src = os.fsdecode(event.src_path)
    paths = [src, os.fsdecode(event.dest_path)] if event.dest_path else [src]
    if event.is_directory:
        if event.event_type == "modified":  # its entries changed, each with its own event
            return [Scope(src)]
        return [Scope(p, recursive=True) for p in paths]
    scopes = [Scope(os.path.dirname(p)) for p in paths]
    if event.event_type in ("deleted", "moved"):
        # Some platforms (Windows) report a folder deleted as a file: whatever was there.
        scopes.append(Scope(src, recursive=True))
    return scopes


def _new_observer(watcher: FolderWatcher) -> BaseObserver:
    """On Linux, an inotify observer that tells `watcher` which folders it cannot watch and
    when events were lost (see core.index.inotify); elsewhere watchdog's own."""
    if sys.platform.startswith("linux"):
        from photofind.core.index.inotify import ListenedObserver

        return ListenedObserver(watcher)
    return Observer()


def _why(error: OSError) -> str:
    # Linux: these errors are inotify's limits, named with the setting that raises them.
    # Elsewhere (FSEvents on macOS, ReadDirectoryChangesW on Windows, kqueue on the BSDs)
    # they mean what the system says they mean.
    if sys.platform.startswith("linux"):
        if error.errno == errno.ENOSPC:
            limit = _inotify_limit("max_user_watches")
            return f"inotify watch limit reached (fs.inotify.max_user_watches = {limit})"
        if error.errno == errno.EMFILE:
            limit = _inotify_limit("max_user_instances")
            return f"inotify instance limit reached (fs.inotify.max_user_instances = {limit})"
    return error.strerror or str(error)


def _inotify_limit(name: str) -> str:
    try:
        with open(f"/proc/sys/fs/inotify/{name}", encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return "?"


def _identity(folder: str) -> tuple[int, int] | None:
    try:
        st = os.stat(folder)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None
