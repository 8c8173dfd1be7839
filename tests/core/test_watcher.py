"""The folder watcher: debounced changes, and folders that go away and come back."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from photofind.core import watcher
from photofind.core.watcher import FolderWatcher


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
