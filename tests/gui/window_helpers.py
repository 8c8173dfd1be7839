"""Waiting for, and reading, what the main window shows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from helpers import PER_CLASS
from PySide6.QtCore import Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot
from shapes import CLASSES

from photofind.gui.duplicates_dialog import DuplicatesDialog
from photofind.gui.main_window import MainWindow
from photofind.gui.results_page import READY_PLACEHOLDER
from photofind.gui.search_flow import BROWSE
from photofind.gui.status_text import timeline_heading
from photofind.gui.worker import RESULT_LIMIT

# Generous: the first window of a session pays for importing torch and transformers, and the
# machine may be busy. These are limits for "it never happened", not speed requirements.
MODEL_TIMEOUT_MS = 90_000
RESULTS_TIMEOUT_MS = 30_000
INDEX_TIMEOUT_MS = 90_000

# The shared shapes folder (conftest's shapes_dir), as the status bar counts it.
LIBRARY_SIZE = PER_CLASS * len(CLASSES)
LIBRARY_PHOTOS = f"{LIBRARY_SIZE:,} photos in the library"
# What a window opened on it shows before any search: the whole library, newest first.
LIBRARY_TIMELINE = timeline_heading(LIBRARY_SIZE, RESULT_LIMIT, "newest")
# Esc steps back one thing at a time: a selection, each similar search, then the words.
MAX_ESC_STEPS = 20

# open_window(data_dir=None, model=None, index_on_start=True, thumbnail_size=None)
OpenWindow = Callable[..., MainWindow]
# The duplicates dialog over a data dir, its Find clicked at a similarity (conftest).
FindDuplicates = Callable[[Path, str, float], DuplicatesDialog]


def type_query(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Type a query into the search bar, as a person would, and press Return."""
    window.search.clear()
    qtbot.keyClicks(window.search, text)
    qtbot.keyClick(window.search, Qt.Key.Key_Return)


def wait_for_model(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(
        lambda: window.search.placeholderText() == READY_PLACEHOLDER, timeout=MODEL_TIMEOUT_MS
    )


def wait_for_top(
    qtbot: QtBot,
    window: MainWindow,
    prefix: str,
    count: int = 5,
    timeout_ms: int = RESULTS_TIMEOUT_MS,
) -> None:
    """Wait until the grid shows at least `count` photos and the first ones start with
    `prefix` (the class name in the generated file names, e.g. "red_circle")."""

    def shown() -> bool:
        return (
            window.pages.currentWidget() is window.grid
            and window.results.rowCount() >= count
            and all(name.startswith(prefix) for name in grid_names(window, count))
        )

    qtbot.waitUntil(shown, timeout=timeout_ms)


def grid_names(window: MainWindow, count: int) -> list[str]:
    """The file names of the first `count` photos, in the grid's order."""
    grid, model = window.grid, window.results
    indexes = [model.index(row) for row in range(min(count, model.rowCount()))]
    # The order a user sees: top to bottom, then left to right.
    indexes.sort(key=lambda i: (grid.visualRect(i).top(), grid.visualRect(i).left()))
    return [str(i.data()) for i in indexes]


def right_click(window: MainWindow, row: int) -> QMenu:
    """Right-click the grid's photo at `row`, as the mouse does; the menu it opens."""
    index = window.results.index(row)
    pos = window.grid.visualRect(index).center()
    viewport = window.grid.viewport()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, viewport.mapToGlobal(pos))
    QApplication.sendEvent(viewport, event)
    menu = window.context_menu
    assert menu is not None and menu.isVisible()
    return menu


def reset_window(qtbot: QtBot, window: MainWindow) -> None:
    """Put a window on the shared library back as it is once opened and its model loaded:
    nothing open over it, the default filters and tag, the search cleared with Esc as a
    person would, the library shown newest first and the search bar focused."""
    # A context menu deletes itself once it closes: it is closed as the open popup it is.
    while (popup := QApplication.activePopupWidget()) is not None:
        popup.close()
    dialogs = (window.preview, window.folders_dialog, window.duplicates_dialog)
    for shown in (*dialogs, window.search.help, window.page.filters_popup):
        if shown is not None:
            shown.close()
    window.page.filters_popup.reset()
    window.page.tag_filter.setCurrentIndex(0)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    wait_for_model(qtbot, window)

    def searching() -> bool:
        return bool(
            window.grid.selectionModel().hasSelection()
            or window.search.text()
            or window.flow.chip.isVisible()
            or window.flow.query not in (None, BROWSE)
        )

    for _ in range(MAX_ESC_STEPS):
        if not searching():
            break
        qtbot.keyClick(window.search, Qt.Key.Key_Escape)
    assert not searching(), "Esc did not clear the search"
    qtbot.waitUntil(
        lambda: (
            window.pages.currentWidget() is window.grid
            and window.heading.text() == LIBRARY_TIMELINE
        ),
        timeout=RESULTS_TIMEOUT_MS,
    )
    window.focus_search()
