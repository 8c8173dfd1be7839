"""The folder watcher: debounced changes, the folders they were in, folders that go away
and come back, and folders the system's inotify limits leave unwatched."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from photofind.core.index import watcher
from photofind.core.index.watcher import FolderWatcher, describe_unwatched
from photofind.core.photos.scanning import Scope

if sys.platform.startswith("linux"):
    from watchdog.observers import inotify_c


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watcher, "RECHECK_SECONDS", 0.2)


@pytest.fixture
def watch(tmp_path: Path, quick: None) -> Iterator[FolderWatcher]:
    w = FolderWatcher([str(tmp_path / "drive")], debounce=0.2)
    w.start()
    yield w
    w.stop()


def _changed(w: FolderWatcher, timeout: float = 5.0) -> bool:
    return w.wait_for_change(timeout=timeout)


def test_a_folder_missing_at_the_start_is_watched_once_it_appears(
    tmp_path: Path, watch: FolderWatcher
) -> None:
    assert not _changed(watch, 0.5)
    (tmp_path / "drive").mkdir()
    assert _changed(watch)  # its appearance is a change: time to look at it
    (tmp_path / "drive" / "a.jpg").write_bytes(b"x")
    assert _changed(watch)
    assert not _changed(watch, 0.5)


def test_a_folder_that_goes_and_comes_back_as_another_directory_is_watched_again(
    tmp_path: Path, quick: None
) -> None:
    drive = tmp_path / "drive"
    drive.mkdir()
    w = FolderWatcher([str(drive)], debounce=0.2)
    w.start()
    try:
        (drive / "a.jpg").write_bytes(b"x")
        assert _changed(w)
        shutil.rmtree(drive)  # unplugged
        _changed(w, 1.0)
        drive.mkdir()  # plugged in again: a new directory
        assert _changed(w)
        (drive / "b.jpg").write_bytes(b"x")
        assert _changed(w)  # events from the new directory arrive
    finally:
        w.stop()


# -- where to look again (issue #15, point 9) -----------------------------------------------


def _looked_at(w: FolderWatcher) -> set[Scope]:
    assert _changed(w)
    only = w.take()
    assert only is not None, "everything"
    return set(only)


def _until_looked_at(w: FolderWatcher, scopes: set[Scope]) -> set[Scope]:
    """Where to look, taken until it holds `scopes` (a slow machine may split a burst)."""
    looked: set[Scope] = set()
    while not scopes <= looked:
        looked |= _looked_at(w)
    return looked


def _drain(w: FolderWatcher) -> None:
    """Take what is left of the last burst."""
    while _changed(w, 0.5):
        w.take()


def test_each_change_names_only_the_folders_it_touched(tmp_path: Path, quick: None) -> None:
    a, b, outside = tmp_path / "A", tmp_path / "B", tmp_path / "elsewhere"
    for folder in (a / "sub", b, outside / "trip"):
        folder.mkdir(parents=True)
    w = FolderWatcher([str(a), str(b)], debounce=0.2)
    w.start()
    try:
        assert w.take() is None  # at first, everything: nothing is known of what came before
        (a / "sub" / "x.jpg").write_bytes(b"x")
        assert _until_looked_at(w, {Scope(str(a / "sub"))}) == {Scope(str(a / "sub"))}
        _drain(w)
        (outside / "trip").rename(b / "trip")  # a folder moved in: all of it
        _until_looked_at(w, {Scope(str(b / "trip"), recursive=True)})
        (b / "trip").rename(outside / "back")  # and out again
        _until_looked_at(w, {Scope(str(b / "trip"), recursive=True)})
        (a / "sub" / "x.jpg").rename(b / "x.jpg")  # a file moved: both ends
        looked = _until_looked_at(w, {Scope(str(a / "sub")), Scope(str(b))})
        assert not [s for s in looked if s.recursive and s.path in (str(a), str(b))]
    finally:
        w.stop()


def test_after_events_were_lost_everything_is_looked_at(
    tmp_path: Path, quick: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "A").mkdir()
    opened = _inotify_instances(monkeypatch)
    w = FolderWatcher([str(tmp_path / "A")], debounce=0.2)
    w.start()
    try:
        w.take()
        (tmp_path / "A" / "x.jpg").write_bytes(b"x")
        assert _until_looked_at(w, {Scope(str(tmp_path / "A"))}) == {Scope(str(tmp_path / "A"))}
        _drain(w)
        _overflow(opened[-1])
        assert _changed(w) and w.take() is None
    finally:
        w.stop()


def _inotify_instances(monkeypatch: pytest.MonkeyPatch) -> list[inotify_c.InotifyFD]:
    """Every inotify instance watchdog opens from now on, in order."""
    opened: list[inotify_c.InotifyFD] = []
    init = inotify_c.InotifyFD.__init__

    def recorded(self: inotify_c.InotifyFD) -> None:
        init(self)
        opened.append(self)

    monkeypatch.setattr(inotify_c.InotifyFD, "__init__", recorded)
    return opened


def _overflow(inotify: inotify_c.InotifyFD) -> None:
    """What the kernel sends when its inotify event queue overflowed, as it sends it."""
    overflow = inotify_c.InotifyConstants.IN_Q_OVERFLOW
    inotify.handle_event(inotify_c.InotifyEvent(-1, overflow, 0, b""))


# -- the inotify limits (issue #15, point 6) ------------------------------------------------


def _refuse_watches(
    monkeypatch: pytest.MonkeyPatch, refused: Callable[[bytes], bool]
) -> list[bytes]:
    """inotify refuses to watch the paths `refused`, as it does once the system's watch limit
    (fs.inotify.max_user_watches) is reached; returns every path a watch was asked for."""
    add_watch = inotify_c.inotify_add_watch
    asked: list[bytes] = []

    def limited(fd: int, path: bytes, mask: int) -> int:
        asked.append(path)
        if refused(path):
            ctypes.set_errno(errno.ENOSPC)
            return -1
        return add_watch(fd, path, mask)

    monkeypatch.setattr(inotify_c, "inotify_add_watch", limited)
    return asked


def _inotify_fds() -> int:
    """This process's inotify instances: what a failed watch leaked (with two pipes), and
    what other tests' threads do not open or close meanwhile, as they do other files."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:inotify"
    return count


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify")
def test_a_folder_past_the_watch_limit_leaks_nothing_however_often_it_is_tried(
    tmp_path: Path, quick: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = _refuse_watches(monkeypatch, lambda path: True)
    (tmp_path / "A").mkdir()
    w = FolderWatcher([str(tmp_path / "A")], debounce=0.2)
    w.start()
    try:
        before = _inotify_fds()
        while len(asked) < 6:  # each check tries to watch it again
            w.wait_for_change(timeout=watcher.RECHECK_SECONDS)
        assert _inotify_fds() <= before
    finally:
        w.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify")
def test_subfolders_past_the_watch_limit_are_named_and_scanned_every_few_minutes(
    tmp_path: Path, quick: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    a = tmp_path / "A"
    for sub in ("early", "late/deeper"):
        (a / sub).mkdir(parents=True)
    _refuse_watches(monkeypatch, lambda path: b"/late" in path)  # the limit is reached there
    w = FolderWatcher([str(a)], debounce=0.2)
    w.start()
    try:
        unwatched = w.unwatched()
        limit = Path("/proc/sys/fs/inotify/max_user_watches").read_text().strip()
        why = f"inotify watch limit reached (fs.inotify.max_user_watches = {limit})"
        assert unwatched == {str(a / "late"): why}
        assert f"not watching {a / 'late'}: {why}" in caplog.text
        assert describe_unwatched(unwatched, {}) == [
            f"{a / 'late'} is not watched live: {why}; it is checked every 5 minutes instead"
        ]
        assert describe_unwatched(w.unwatched(), unwatched) == []  # told once is enough
        w.take()
        (a / "early" / "x.jpg").write_bytes(b"x")
        assert _until_looked_at(w, {Scope(str(a / "early"))}) == {Scope(str(a / "early"))}
        _drain(w)  # the rest is watched as ever
        (a / "late" / "y.jpg").write_bytes(b"y")
        assert not _changed(w, 1.0)  # not seen as it happens
        monkeypatch.setattr(watcher, "UNWATCHED_RESCAN_SECONDS", 0.5)
        assert _looked_at(w) == {Scope(str(a / "late"), recursive=True)}
    finally:
        w.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify")
def test_without_an_inotify_instance_every_folder_is_scanned_every_few_minutes(
    tmp_path: Path, quick: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_instance() -> int:  # as at the system's limit (fs.inotify.max_user_instances)
        ctypes.set_errno(errno.EMFILE)
        return -1

    monkeypatch.setattr(inotify_c, "inotify_init", no_instance)
    a, b = tmp_path / "A", tmp_path / "B"
    a.mkdir(), b.mkdir()
    w = FolderWatcher([str(a), str(b)], debounce=0.2)
    w.start()
    try:
        unwatched = w.unwatched()
        assert sorted(unwatched) == [str(a), str(b)]
        assert all(why.startswith("inotify instance limit reached") for why in unwatched.values())
        assert w.take() is None
        monkeypatch.setattr(watcher, "UNWATCHED_RESCAN_SECONDS", 0.5)
        assert _looked_at(w) == {Scope(str(a), recursive=True), Scope(str(b), recursive=True)}
    finally:
        w.stop()


def test_links_to_folders_are_scanned_every_few_minutes_and_when_they_change(
    tmp_path: Path, quick: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """watchdog does not follow a link to a folder, so nothing inside is seen as it happens
    (nor inside a drive mounted below a library folder after watching began)."""
    a, trips, other = tmp_path / "A", tmp_path / "trips", tmp_path / "other trips"
    for folder in (a, trips, other):
        folder.mkdir()
    link = a / "trips"
    link.symlink_to(trips)
    w = FolderWatcher([str(a)], debounce=0.2)
    w.start()
    try:
        w.set_places([str(a), str(link)])  # as core.index.places records them
        w.take()
        (trips / "x.jpg").write_bytes(b"x")
        assert not _changed(w, 1.0)
        link.unlink()
        link.symlink_to(other)  # another folder there now
        _until_looked_at(w, {Scope(str(link), recursive=True)})
        _drain(w)
        monkeypatch.setattr(watcher, "UNWATCHED_RESCAN_SECONDS", 0.5)
        assert _looked_at(w) == {Scope(str(link), recursive=True)}
        assert w.unwatched() == {}  # by design: nothing to tell
    finally:
        w.stop()
