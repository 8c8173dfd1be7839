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

from photofind.gui.main_window import MainWindow
from photofind.gui.results_page import READY_PLACEHOLDER
from photofind.gui.worker import LibraryWorker

# Generous: the first window of a session pays for importing torch and transformers, and the
# machine may be busy. These are limits for "it never happened", not speed requirements.
MODEL_TIMEOUT_MS = 90_000
RESULTS_TIMEOUT_MS = 30_000
INDEX_TIMEOUT_MS = 90_000

# The shared shapes folder (conftest's shapes_dir), as the status bar counts it.
LIBRARY_SIZE = PER_CLASS * len(CLASSES)
LIBRARY_PHOTOS = f"{LIBRARY_SIZE:,} photos in the library"

# open_window(data_dir=None, model=None, index_on_start=True, thumbnail_size=None)
OpenWindow = Callable[..., MainWindow]
StartWorker = Callable[[Path, str], LibraryWorker]


def type_query(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Type a query into the search bar, as a person would, and press Return."""
    window.search.clear()
    qtbot.keyClicks(window.search, text)
    qtbot.keyClick(window.search, Qt.Key.Key_Return)


def wait_for_model(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(
        lambda: window.search.placeholderText() == READY_PLACEHOLDER, timeout=MODEL_TIMEOUT_MS
    )


def wait_for_top(qtbot: QtBot, window: MainWindow, prefix: str, count: int = 5) -> None:
    """Wait until the grid shows at least `count` photos and the first ones start with
    `prefix` (the class name in the generated file names, e.g. "red_circle")."""

    def shown() -> bool:
        return (
            window.pages.currentWidget() is window.grid
            and window.results.rowCount() >= count
            and all(name.startswith(prefix) for name in grid_names(window, count))
        )

    qtbot.waitUntil(shown, timeout=RESULTS_TIMEOUT_MS)


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
