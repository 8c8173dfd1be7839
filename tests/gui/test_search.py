"""Searching from the window: by text, by a dropped or pasted photo, from the context menu
and the preview, and moving around with the keyboard."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from helpers import PER_CLASS
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from shapes import make_photo
from window_helpers import (
    LIBRARY_SIZE,
    RESULTS_TIMEOUT_MS,
    OpenWindow,
    grid_names,
    right_click,
    type_query,
    wait_for_model,
    wait_for_top,
)

from photofind.gui.main_window import MainWindow


def test_typing_a_description_and_enter_shows_matching_photos_first(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path
) -> None:
    window = open_window(indexed_data_dir)
    assert window.windowTitle() == "Photofind"
    # Nothing clicked: the search bar has the keyboard from the start.
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.search)
    typed_into = QApplication.focusWidget()
    qtbot.keyClicks(typed_into, "red circle")
    qtbot.keyClick(typed_into, Qt.Key.Key_Return)
    wait_for_top(qtbot, window, "red_circle", count=5)
    assert "best match first" in window.heading.text()
    # Only the close matches (the Filters popup shows them all on request): every red circle.
    names = grid_names(window, window.results.rowCount())
    assert sum(name.startswith("red_circle") for name in names) == PER_CLASS
    assert window.results.rowCount() < LIBRARY_SIZE
    # Scores are there on hover.
    tooltip = str(window.results.index(0).data(Qt.ItemDataRole.ToolTipRole))
    assert "Match score" in tooltip and "red_circle" in tooltip


def test_typing_alone_runs_the_query_after_a_pause(qtbot: QtBot, shared_window: MainWindow) -> None:
    window = shared_window
    qtbot.keyClicks(window.search, "blue square")
    wait_for_top(qtbot, window, "blue_square", count=5)
    # Changing the words replaces the results.
    window.search.selectAll()
    qtbot.keyClicks(window.search, "yellow triangle")
    wait_for_top(qtbot, window, "yellow_triangle", count=5)


def test_a_query_typed_while_the_model_loads_is_answered_once_it_has(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path
) -> None:
    window = open_window(indexed_data_dir)
    type_query(qtbot, window, "green circle")
    wait_for_top(qtbot, window, "green_circle", count=5)


def test_context_menu_find_similar_shows_similar_photos_first(
    qtbot: QtBot, shared_window: MainWindow
) -> None:
    window = shared_window
    type_query(qtbot, window, "green triangle")
    wait_for_top(qtbot, window, "green_triangle")
    # Right-click the third photo.
    clicked = str(window.results.index(2).data())
    menu = right_click(window, 2)
    labels = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert labels[0] == "Find Similar"  # the app's own action, where the pointer is
    for expected in ("Preview", "Open", "Show in Folder", "Copy Path", "Copy Image"):
        assert expected in labels
    next(a for a in menu.actions() if a.text() == "Find Similar").trigger()
    menu.close()
    # A window manager hands the keyboard back to the window once the popup closes.
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)

    qtbot.waitUntil(lambda: clicked in window.heading.text(), timeout=RESULTS_TIMEOUT_MS)
    wait_for_top(qtbot, window, "green_triangle", count=5)
    # The photo searched from is not its own result.
    names = [str(window.results.index(r).data()) for r in range(window.results.rowCount())]
    assert clicked not in names
    # The field shows a chip for the photo, not its path.
    assert window.search.text() == ""
    assert window.flow.chip.isVisible() and window.flow.chip.name.text() == clicked

    # Esc goes back to the text query.
    qtbot.keyClick(window.grid, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.search.text() == "green triangle")
    qtbot.waitUntil(lambda: clicked in grid_names(window, LIBRARY_SIZE), timeout=RESULTS_TIMEOUT_MS)


def _outside_photo(folder: Path, colour: str, shape: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"query {colour} {shape}.jpg"
    make_photo(colour, shape, np.random.default_rng(99)).save(path, quality=90)
    return path


def test_dropping_a_photo_shows_similar_photos_first(
    qtbot: QtBot, shared_window: MainWindow, tmp_path: Path
) -> None:
    window = shared_window
    dropped = _outside_photo(tmp_path / "downloads", "yellow", "square")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(dropped))])
    actions = Qt.DropAction.CopyAction
    pos = window.grid.geometry().center()
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, actions, mime, buttons, keys)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, QDropEvent(QPointF(pos), actions, mime, buttons, keys))
    wait_for_top(qtbot, window, "yellow_square", count=5)
    assert dropped.name in window.heading.text()


def test_dropping_something_that_is_not_a_photo_is_refused(
    qtbot: QtBot, shared_window: MainWindow, tmp_path: Path
) -> None:
    window = shared_window
    note = tmp_path / "notes.txt"
    note.write_text("not a photo")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(note))])
    enter = QDragEnterEvent(
        QPoint(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter.setAccepted(False)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_pasting_a_photo_path_into_the_bar_searches_similar_photos(
    qtbot: QtBot, shared_window: MainWindow, tmp_path: Path
) -> None:
    window = shared_window
    photo = _outside_photo(tmp_path / "elsewhere", "blue", "triangle")
    QGuiApplication.clipboard().setText(f"'{photo}'")  # as a file manager's "copy path" may
    window.search.setFocus()
    qtbot.keyClick(window.search, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    wait_for_top(qtbot, window, "blue_triangle", count=5)
    assert photo.name in window.heading.text()


def test_enter_opens_a_preview_with_details_and_find_similar(
    qtbot: QtBot, shared_window: MainWindow, shapes_dir: Path
) -> None:
    window = shared_window
    type_query(qtbot, window, "red square")
    wait_for_top(qtbot, window, "red_square")

    # Down from the search bar moves into the grid; Right moves along it; Enter previews.
    qtbot.keyClick(window.search, Qt.Key.Key_Down)
    assert window.grid.hasFocus() or QApplication.focusWidget() is window.grid
    qtbot.keyClick(window.grid, Qt.Key.Key_Right)
    assert window.grid.currentIndex().row() == 1
    second = str(window.results.index(1).data())
    qtbot.keyClick(window.grid, Qt.Key.Key_Return)

    preview = window.preview
    assert preview is not None
    qtbot.waitUntil(preview.isVisible)
    assert preview.name.text() == second
    assert preview.location.text() == str(shapes_dir / second)
    assert preview.score.text() == f"{window.results.hit(1).score:.2f}"
    qtbot.waitUntil(lambda: preview.dimensions.text().endswith("pixels"))
    # Generated photos carry no date: the file's, which date filters use, is shown instead.
    assert preview.taken.text().startswith("not recorded; file date ")
    assert not preview.view.pixmap().isNull()

    # Left steps back to the first result.
    qtbot.keyClick(QApplication.focusWidget() or preview, Qt.Key.Key_Left)
    assert preview.name.text() == str(window.results.index(0).data())

    qtbot.mouseClick(preview.similar_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not preview.isVisible())
    qtbot.waitUntil(
        lambda: preview.name.text() in window.heading.text(), timeout=RESULTS_TIMEOUT_MS
    )
    wait_for_top(qtbot, window, "red_square", count=5)


def test_keyboard_copy_and_escape(
    qtbot: QtBot, shared_window: MainWindow, shapes_dir: Path
) -> None:
    window = shared_window
    type_query(qtbot, window, "blue circle")
    wait_for_top(qtbot, window, "blue_circle")

    window.grid.setFocus()
    window.grid.setCurrentIndex(window.results.index(0))
    # Shift+Right extends the selection; Ctrl+C copies both paths, as files and as text.
    qtbot.keyClick(window.grid, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(window.grid, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    first, second = (window.results.hit(r).path for r in (0, 1))
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.text().splitlines() == [first, second]
    assert [u.toLocalFile() for u in mime.urls()] == [first, second]
    assert all(os.path.dirname(p) == str(shapes_dir) for p in (first, second))

    # Ctrl+F goes back to the search bar; Esc deselects the photos, and then clears the search:
    # the library shows, newest first.
    qtbot.keyClick(window.grid, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.search
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)
    assert not window.grid.selectionModel().hasSelection()
    assert window.search.text() == "blue circle"
    qtbot.keyClick(window.search, Qt.Key.Key_Escape)
    assert window.search.text() == ""
    qtbot.waitUntil(lambda: window.results.has_days(), timeout=RESULTS_TIMEOUT_MS)
    assert window.pages.currentWidget() is window.grid


def test_file_names_are_shown_as_plain_text(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    library = tmp_path / "photos"
    _outside_photo(library, "red", "circle").rename(library / "<b>bold &amp; <i>.jpg")
    window = open_window(tmp_path / "data")
    window.add_folder(str(library))
    wait_for_model(qtbot, window)
    qtbot.waitUntil(
        lambda: window.index_status.library.text() == "1 photo in the library",
        timeout=RESULTS_TIMEOUT_MS,
    )
    type_query(qtbot, window, "red circle")
    qtbot.waitUntil(lambda: window.results.rowCount() == 1, timeout=RESULTS_TIMEOUT_MS)
    assert window.results.index(0).data() == "<b>bold &amp; <i>.jpg"
    assert "&lt;b&gt;bold &amp;amp; &lt;i&gt;.jpg" in str(
        window.results.index(0).data(Qt.ItemDataRole.ToolTipRole)
    )
    window.grid.setCurrentIndex(window.results.index(0))
    qtbot.keyClick(window.grid, Qt.Key.Key_Return)
    assert window.preview is not None
    assert window.preview.name.textFormat() == Qt.TextFormat.PlainText
    assert window.preview.name.text() == "<b>bold &amp; <i>.jpg"
