"""A library folder that disappears (an unplugged drive) keeps its photos indexed: they are
hidden from results, with a note saying why, and come back without re-encoding."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from shapes import generate_folder
from window_helpers import INDEX_TIMEOUT_MS, OpenWindow, wait_for_model, wait_for_top

from photofind.core.index.indexer import IndexProgress


def test_photos_of_an_unplugged_folder_are_hidden_then_come_back(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    drive = tmp_path / "usb" / "Photos"
    generate_folder(drive, per_class=2, seed=7)
    window = open_window(tmp_path / "data")
    wait_for_model(qtbot, window)
    finished: list[IndexProgress] = []
    window.worker.indexFinished.connect(finished.append)
    window.add_folder(str(drive))
    # All of it: files written in the last seconds wait for a later run (a copy in progress).
    qtbot.waitUntil(
        lambda: window.index_status.library.text() == "24 photos in the library",
        timeout=INDEX_TIMEOUT_MS,
    )
    qtbot.keyClicks(window.search, "a photo of a red circle")
    qtbot.keyClick(window.search, "\r")
    wait_for_top(qtbot, window, "red_circle", count=2)
    shown = window.results.rowCount()

    unplugged = tmp_path / "usb-away"
    drive.parent.rename(unplugged)
    window.go_back()
    qtbot.keyClicks(window.search, "a photo of a red circle")
    qtbot.keyClick(window.search, "\r")
    qtbot.waitUntil(lambda: "cannot be reached" in window.notices.text())
    assert str(drive) in window.notices.text()
    # It stays, past a status-bar message's 15 s, until dismissed.
    window.statusBar().showMessage("something else", 1)
    qtbot.wait(50)
    assert "cannot be reached" in window.notices.text()
    qtbot.mouseClick(window.notices.dismiss, Qt.MouseButton.LeftButton)
    assert window.notices.text() == ""
    assert window.results.rowCount() == 0

    unplugged.rename(drive.parent)
    finished.clear()
    window.reindex_action.trigger()
    qtbot.waitUntil(lambda: bool(finished), timeout=INDEX_TIMEOUT_MS)
    assert finished[-1].counts.encoded == 0 and finished[-1].counts.removed == 0
    window.go_back()
    qtbot.keyClicks(window.search, "a photo of a red circle")
    qtbot.keyClick(window.search, "\r")
    wait_for_top(qtbot, window, "red_circle", count=2)
    assert window.results.rowCount() == shown
