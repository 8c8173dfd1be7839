"""Doing things with found photos: open, show in folder, copy image, on one or several."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot
from window_helpers import OpenWindow, type_query, wait_for_model, wait_for_top

from photofind.gui import desktop
from photofind.gui.main_window import MainWindow
from photofind.gui.shortcuts_dialog import ShortcutsDialog


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the desktop was asked to open; nothing really opens during tests."""
    urls: list[str] = []

    def open_url(url: QUrl) -> bool:
        urls.append(url.toLocalFile())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    return urls


def _results(qtbot: QtBot, open_window: OpenWindow, data_dir: Path, text: str) -> MainWindow:
    window = open_window(data_dir)
    wait_for_model(qtbot, window)
    type_query(qtbot, window, text)
    wait_for_top(qtbot, window, text.replace(" ", "_"))
    return window


def test_open_acts_on_every_selected_photo(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path, opened: list[str]
) -> None:
    window = _results(qtbot, open_window, indexed_data_dir, "yellow square")
    grid, actions = window.grid, window.photo_actions
    assert not actions.open.isEnabled()  # nothing selected yet
    grid.setFocus()
    grid.setCurrentIndex(window.results.index(0))
    qtbot.keyClick(grid, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(grid, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert actions.open.text() == "Open 3 Photos"
    assert actions.copy_path.text() == "Copy 3 Paths"
    actions.open.trigger()
    assert opened == [window.results.hit(r).path for r in range(3)]


def test_show_in_folder_opens_the_folder_without_a_file_manager_service(
    qtbot: QtBot,
    open_window: OpenWindow,
    indexed_data_dir: Path,
    shapes_dir: Path,
    opened: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(desktop, "show_items_over_dbus", lambda _path, _parent: False)
    window = _results(qtbot, open_window, indexed_data_dir, "green circle")
    window.grid.setCurrentIndex(window.results.index(0))
    window.photo_actions.show_in_folder.trigger()
    assert opened == [str(shapes_dir)]


def test_copy_image_puts_the_photo_on_the_clipboard(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path
) -> None:
    window = _results(qtbot, open_window, indexed_data_dir, "blue square")
    QGuiApplication.clipboard().clear()
    window.grid.setFocus()
    window.grid.setCurrentIndex(window.results.index(0))
    qtbot.keyClick(
        window.grid,
        Qt.Key.Key_C,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: not QGuiApplication.clipboard().image().isNull())
    image = QGuiApplication.clipboard().image()
    assert min(image.width(), image.height()) >= 96  # the photo itself, not a thumbnail


def test_space_previews_the_current_photo(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path
) -> None:
    window = _results(qtbot, open_window, indexed_data_dir, "red triangle")
    window.grid.setFocus()
    window.grid.setCurrentIndex(window.results.index(0))
    qtbot.keyClick(window.grid, Qt.Key.Key_Space)
    assert window.preview is not None
    qtbot.waitUntil(window.preview.isVisible)
    assert window.preview.name.text() == str(window.results.index(0).data())


def test_keys_open_show_and_find_similar_the_selection_is_counted_and_listed(
    qtbot: QtBot,
    open_window: OpenWindow,
    indexed_data_dir: Path,
    shapes_dir: Path,
    opened: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(desktop, "show_items_over_dbus", lambda _path, _parent: False)
    window = _results(qtbot, open_window, indexed_data_dir, "yellow square")
    window.grid.setCurrentIndex(window.results.index(0))
    window.grid.setFocus()
    focused = QApplication.focusWidget()
    assert focused is window.grid
    shift, ctrl = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier
    qtbot.keyClick(focused, Qt.Key.Key_Right, shift)
    qtbot.keyClick(focused, Qt.Key.Key_Right, shift)
    assert window.photo_actions.selected.text() == "· 3 selected"

    qtbot.keyClick(focused, Qt.Key.Key_O, ctrl)
    assert opened == [window.results.hit(r).path for r in range(3)]
    opened.clear()
    qtbot.keyClick(focused, Qt.Key.Key_R, ctrl | shift)
    assert opened == [str(shapes_dir)]
    with qtbot.waitSignal(window.photo_actions.similarRequested) as similar:
        qtbot.keyClick(focused, Qt.Key.Key_F, ctrl | shift)
    assert similar.args == [window.photo_actions.current_path()]  # the current of the three

    # Help → Keyboard Shortcuts lists the keys the actions have, by the actions' names.
    window.shortcuts_action.trigger()
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    for row in [("Open", "Ctrl+O"), ("Show in Folder", "Ctrl+Shift+R"), ("Move to Trash", "Del")]:
        assert row in dialog.rows
    assert ("Find Similar", "Ctrl+Shift+F") in dialog.rows
    # The viewer's keys are listed before the viewer was ever opened.
    assert ("Full Screen", "F11") in dialog.rows and ("Close", "Space, Esc") in dialog.rows
    dialog.close()


def test_copy_to_folder_copies_the_selected_photos_and_says_how_many(
    qtbot: QtBot,
    open_window: OpenWindow,
    indexed_data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(out))
    window = _results(qtbot, open_window, indexed_data_dir, "green circle")
    window.grid.setCurrentIndex(window.results.index(0))
    window.grid.setFocus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    chosen = window.photo_actions.selected_paths()
    window.photo_actions.copy_to_folder.trigger()
    qtbot.waitUntil(lambda: "copied" in window.statusBar().currentMessage())
    assert window.statusBar().currentMessage() == f"2 photos copied to {out}"
    assert sorted(p.name for p in out.iterdir()) == sorted(Path(p).name for p in chosen)
