"""Removing a folder asks first, saying what is forgotten; a folder removed by mistake and
added back is not indexed again. A long index says the app may be closed meanwhile, and the
desktop hears when it is done."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot
from shapes import CLASSES, generate_folder
from window_helpers import INDEX_TIMEOUT_MS, LIBRARY_PHOTOS, LIBRARY_SIZE, OpenWindow

from photofind.core.index.indexer import IndexProgress
from photofind.gui import long_index
from photofind.gui.folders_dialog import FoldersDialog
from photofind.gui.main_window import MainWindow


def _answer(monkeypatch: pytest.MonkeyPatch, button: str) -> list[tuple[str, str]]:
    """Every question box is answered with `button`; returns what each one asked."""
    asked: list[tuple[str, str]] = []

    def answer(box: QMessageBox) -> int:
        asked.append((box.text(), box.informativeText()))
        next(b for b in box.buttons() if b.text().replace("&", "") == button).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", answer)
    return asked


def _open_folders(qtbot: QtBot, window: MainWindow) -> FoldersDialog:
    window.folders_action.trigger()
    dialog = window.folders_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.folder_list.count() == 1)
    return dialog


def _runs(window: MainWindow) -> list[IndexProgress]:
    finished: list[IndexProgress] = []
    window.worker.indexFinished.connect(finished.append)
    return finished


def test_removing_a_folder_asks_first_and_cancel_keeps_it(
    qtbot: QtBot,
    open_window: OpenWindow,
    indexed_data_dir: Path,
    shapes_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(indexed_data_dir, index_on_start=False)
    qtbot.waitUntil(lambda: window.index_status.library.text() == LIBRARY_PHOTOS)
    dialog = _open_folders(qtbot, window)
    dialog.folder_list.item(0).setSelected(True)

    asked = _answer(monkeypatch, "Cancel")
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    question, details = asked[-1]
    assert question == f"Remove {shapes_dir} from the library?"
    assert f"Its {LIBRARY_SIZE} photos will be forgotten" in details
    assert "the files themselves stay" in details and "nothing is indexed again" in details
    qtbot.wait(500)  # time for a removal to reach the library, were one sent
    assert dialog.folder_list.count() == 1
    assert window.index_status.library.text() == LIBRARY_PHOTOS

    _answer(monkeypatch, "Remove")
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.folder_list.count() == 0)
    qtbot.waitUntil(lambda: window.index_status.library.text() == "No folders yet")


def test_a_folder_removed_by_mistake_and_added_back_is_not_indexed_again(
    qtbot: QtBot,
    open_window: OpenWindow,
    indexed_data_dir: Path,
    shapes_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(indexed_data_dir, index_on_start=False)
    qtbot.waitUntil(lambda: window.index_status.library.text() == LIBRARY_PHOTOS)
    runs = _runs(window)
    dialog = _open_folders(qtbot, window)
    dialog.folder_list.item(0).setSelected(True)
    _answer(monkeypatch, "Remove")
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.index_status.library.text() == "No folders yet")

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a: str(shapes_dir))
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(runs), timeout=INDEX_TIMEOUT_MS)
    assert runs[-1].counts.encoded == 0 and runs[-1].counts.unchanged == LIBRARY_SIZE
    assert window.index_status.library.text() == LIBRARY_PHOTOS

    # Removed again, the next run over the whole library (F5 here) forgets its photos.
    dialog.folder_list.item(0).setSelected(True)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.index_status.library.text() == "No folders yet")
    window.reindex_action.trigger()
    qtbot.waitUntil(lambda: len(runs) == 2, timeout=INDEX_TIMEOUT_MS)
    with sqlite3.connect(indexed_data_dir / "library.db") as db:
        assert db.execute("SELECT COUNT(*) FROM photos").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM vectors").fetchone() == (0,)


def test_a_long_index_says_the_app_may_be_closed_and_notifies_when_done(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(long_index, "LONG_INDEX_PHOTOS", 20)
    notified: list[tuple[str, str]] = []
    monkeypatch.setattr(long_index, "notify", lambda title, text: notified.append((title, text)))
    photos = tmp_path / "photos"
    generate_folder(photos, per_class=2, seed=41, age_seconds=3600)
    window = open_window(tmp_path / "data")
    runs = _runs(window)
    # Said where it stays until read, not squeezed beside the progress in the status bar.
    noticed: list[str] = []
    show_notice = window.notices.show_notice
    monkeypatch.setattr(
        window.notices, "show_notice", lambda text: (noticed.append(text), show_notice(text))
    )

    window.add_folder(str(photos))
    qtbot.waitUntil(lambda: bool(notified), timeout=INDEX_TIMEOUT_MS)
    total = 2 * len(CLASSES)
    assert noticed == [
        f"Indexing {total} photos takes a while. You can close Photofind: what is indexed is "
        "kept, and it carries on from there when it next starts."
    ]
    assert notified == [
        ("Photofind has finished indexing", f"{total} new photos can be found by describing them.")
    ]
    assert window.notices.text() == ""  # the note goes once the run is done

    # A short run (nothing new here) tells the desktop nothing.
    before = len(runs)
    window.reindex_action.trigger()
    qtbot.waitUntil(lambda: len(runs) > before, timeout=INDEX_TIMEOUT_MS)
    assert len(notified) == 1
