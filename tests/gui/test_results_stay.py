"""The results stay where they are unless the user asks for others: a thumbnail dropped back
onto the window, Esc over a selection, a pause after half a query and indexing in the
background all leave the grid as it was."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from shapes import CLASSES, generate_folder
from window_helpers import (
    INDEX_TIMEOUT_MS,
    LIBRARY_SIZE,
    RESULTS_TIMEOUT_MS,
    OpenWindow,
    grid_names,
    type_query,
    wait_for_model,
    wait_for_top,
)

from photofind.gui.main_window import MainWindow
from photofind.gui.search_bar import TYPING_PAUSE_MS
from photofind.gui.search_flow import BROWSE, Query

# Time enough for the worker to have answered a search it was sent, had one been sent.
ANSWER_MS = 1500


def _focused() -> QWidget:
    """Where a key pressed now goes: into an open popup (as Qt sends it there), else to the
    focused widget."""
    popup = QApplication.activePopupWidget()
    widget = (popup.focusWidget() or popup) if popup is not None else QApplication.focusWidget()
    assert widget is not None
    return widget


def _results_for(qtbot: QtBot, open_window: OpenWindow, data_dir: Path, text: str) -> MainWindow:
    window = open_window(data_dir)
    wait_for_model(qtbot, window)
    type_query(qtbot, window, text)
    wait_for_top(qtbot, window, text.replace(" ", "_"))
    return window


def _drop(window: MainWindow, mime: QMimeData) -> bool:
    """Drag `mime` over the grid and let go, as a drag does; whether it was taken."""
    pos = window.grid.geometry().center()
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, actions, mime, buttons, keys)
    enter.setAccepted(False)
    QApplication.sendEvent(window, enter)
    drop = QDropEvent(QPointF(pos), actions, mime, buttons, keys)
    drop.setAccepted(False)
    QApplication.sendEvent(window, drop)
    return enter.isAccepted() or drop.isAccepted()


def test_a_thumbnail_dropped_back_onto_the_window_is_not_a_query(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path
) -> None:
    window = _results_for(qtbot, open_window, indexed_data_dir, "red circle")
    shown = grid_names(window, LIBRARY_SIZE)
    index = window.results.index(2)
    name, path = str(index.data()), window.results.hit(2).path
    # What the grid hands a drag of this thumbnail.
    dragged = window.grid.model().mimeData([index])
    assert not _drop(window, dragged)
    qtbot.wait(ANSWER_MS)
    assert window.flow.query == Query(text="red circle")
    assert window.search.text() == "red circle"
    assert grid_names(window, LIBRARY_SIZE) == shown

    # The same photo dragged in from a file manager is a query.
    from_elsewhere = QMimeData()
    from_elsewhere.setUrls([QUrl.fromLocalFile(path)])
    assert _drop(window, from_elsewhere)
    qtbot.waitUntil(lambda: name in window.heading.text(), timeout=RESULTS_TIMEOUT_MS)


def test_esc_closes_the_popup_then_deselects_then_goes_back_then_clears(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path
) -> None:
    window = _results_for(qtbot, open_window, indexed_data_dir, "green triangle")
    rows = window.results.rowCount()
    qtbot.keyClick(_focused(), Qt.Key.Key_Down)  # from the search bar into the grid
    assert _focused() is window.grid
    qtbot.mouseClick(window.page.filters_button, Qt.MouseButton.LeftButton)
    popup = window.page.filters_popup
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(_focused(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not popup.isVisible())
    assert window.flow.query == Query(text="green triangle")

    # A photo picked for Find Similar, from the Photo menu.
    first = window.grid.visualRect(window.results.index(0)).center()
    qtbot.mouseClick(window.grid.viewport(), Qt.MouseButton.LeftButton, pos=first)
    picked = window.results.hit(0).path
    window.photo_actions.similar.trigger()
    qtbot.waitUntil(lambda: window.flow.query == Query(photo=picked))
    wait_for_top(qtbot, window, "green_triangle")
    similar_rows = window.results.rowCount()

    # Ctrl+A then Esc: the selection goes, the results stay.
    window.grid.setFocus()
    qtbot.keyClick(_focused(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(window.grid.selectionModel().selectedIndexes()) == similar_rows
    qtbot.keyClick(_focused(), Qt.Key.Key_Escape)
    assert not window.grid.selectionModel().hasSelection()
    assert window.flow.query == Query(photo=picked)
    assert window.results.rowCount() == similar_rows

    # Then back to the words searched before Find Similar, and then the search is cleared:
    # the library shows, newest first.
    qtbot.keyClick(_focused(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.search.text() == "green triangle")
    qtbot.waitUntil(lambda: window.results.rowCount() == rows, timeout=RESULTS_TIMEOUT_MS)
    qtbot.keyClick(_focused(), Qt.Key.Key_Escape)
    assert window.search.text() == "" and window.flow.query == BROWSE
    qtbot.waitUntil(lambda: window.results.has_days(), timeout=RESULTS_TIMEOUT_MS)


def test_a_pause_after_half_a_query_keeps_the_results_and_says_what_is_missing(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path
) -> None:
    window = _results_for(qtbot, open_window, indexed_data_dir, "red circle")
    shown = grid_names(window, LIBRARY_SIZE)
    search = _focused()
    assert search is window.search
    qtbot.keyClick(search, Qt.Key.Key_End)
    qtbot.keyClicks(search, " +")
    qtbot.wait(TYPING_PAUSE_MS + ANSWER_MS)
    assert window.pages.currentWidget() is window.grid
    assert grid_names(window, LIBRARY_SIZE) == shown
    assert window.flow.query == Query(text="red circle")
    problem = window.page.search_problem
    assert problem.isVisible()
    assert problem.text.text() == "Nothing after '+' at position 12."

    # A photo's path still being typed is not a photo yet.
    qtbot.keyClicks(search, " /home/no")
    qtbot.waitUntil(lambda: problem.text.text() == "No photo at /home/no.")
    assert grid_names(window, LIBRARY_SIZE) == shown

    # Enter searches it all the same, and the page says why that did not work.
    qtbot.keyClick(search, Qt.Key.Key_Backspace)
    qtbot.keyClick(search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.message.title.text() == "This search did not work")
    assert not problem.isVisible()


def test_indexing_offers_new_matches_instead_of_moving_the_grid(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path, tmp_path: Path
) -> None:
    window = _results_for(qtbot, open_window, indexed_data_dir, "red circle")
    shown = grid_names(window, LIBRARY_SIZE)
    replaced: list[bool] = []
    window.results.modelReset.connect(lambda: replaced.append(True))

    more = tmp_path / "more"
    generate_folder(more, per_class=4, seed=77, age_seconds=3600)
    window.add_folder(str(more))
    total = f"{LIBRARY_SIZE + 4 * len(CLASSES):,} photos in the library"
    qtbot.waitUntil(lambda: window.index_status.library.text() == total, timeout=INDEX_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.index_status.label.isVisible())
    qtbot.wait(ANSWER_MS)
    assert not replaced and grid_names(window, LIBRARY_SIZE) == shown
    offer = window.page.new_matches
    qtbot.waitUntil(offer.isVisible, timeout=RESULTS_TIMEOUT_MS)
    assert re.fullmatch(r"Show \d+ new match(es)?", offer.text())
    assert not window.heading.text().count("so far")

    qtbot.mouseClick(offer, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(h.path.startswith(str(more)) for h in window.results.hits()),
        timeout=RESULTS_TIMEOUT_MS,
    )
    wait_for_top(qtbot, window, "red_circle")
    assert not offer.isVisible()
