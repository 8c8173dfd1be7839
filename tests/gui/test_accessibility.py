"""Assistive technology can name every control of the main window and every photo in the
grid; dialogs open at the size they were left at; duplicates are sharp on a 2x screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QAccessible, QPixmap
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QListWidgetItem,
    QWidget,
)
from pytestqt.qtbot import QtBot
from window_helpers import OpenWindow

from photofind.core.search.search import Hit
from photofind.gui.dialog_geometry import remember_geometry
from photofind.gui.duplicates_dialog import PATH_ROLE, THUMBNAIL_SIDE, DuplicatesDialog
from photofind.gui.folders_dialog import FoldersDialog
from photofind.gui.main_window import MainWindow
from photofind.gui.results_model import ResultsModel
from photofind.gui.settings import AppSettings

INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QAbstractSlider,
    QAbstractItemView,
    QComboBox,
    QAbstractSpinBox,
)


def unnamed_controls(window: MainWindow) -> list[str]:
    """The visible controls a screen reader would announce without a name."""
    found = []
    for widget in window.findChildren(QWidget):
        if isinstance(widget, INTERACTIVE) and widget.isVisibleTo(window):
            name = QAccessible.queryAccessibleInterface(widget).text(QAccessible.Text.Name)
            if not name.strip():
                found.append(f"{type(widget).__name__} {widget.objectName()}")
    return found


def test_every_visible_control_of_every_page_has_an_accessible_name(
    qtbot: QtBot, open_window: OpenWindow
) -> None:
    window = open_window()
    assert window.search.accessibleName() == "Search photos"
    for page in range(window.pages.count()):
        window.pages.setCurrentIndex(page)
        assert unnamed_controls(window) == [], window.pages.currentWidget()
    # The tag box is named for what it is, not for the tag it happens to show.
    assert window.page.tag_filter.accessibleName() == "Tag"


def test_grid_items_say_their_name_date_and_score() -> None:
    model = ResultsModel()
    model.set_hits(
        [Hit(1, "/photos/beach.jpg", 0.28), Hit(2, "/p/cake.jpg", float("nan"), "2023-08-12T10:00")]
    )
    role = Qt.ItemDataRole.AccessibleTextRole
    assert model.index(0).data(role) == "beach.jpg, match score 0.280"
    assert model.index(1).data(role) == "cake.jpg, taken 12 August 2023"


def test_a_dialog_opens_at_the_size_it_was_closed_at(qtbot: QtBot, tmp_path: Path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    settings = AppSettings(tmp_path)
    first = FoldersDialog(parent)
    remember_geometry(first, settings, "folders_dialog")
    first.show()
    qtbot.waitExposed(first)
    first.resize(733, 511)
    qtbot.waitUntil(lambda: first.size() == QSize(733, 511))
    first.close()

    again = FoldersDialog(parent)
    remember_geometry(again, AppSettings(tmp_path), "folders_dialog")
    again.show()
    qtbot.waitExposed(again)
    assert again.size() == QSize(733, 511)
    again.close()


class _Thumbnails(QObject):
    """Stands in for the loader, noting the sizes asked for."""

    thumbnailReady = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.sides: list[int] = []

    def pixmap(self, path: str, side: int) -> QPixmap:
        self.sides.append(side)
        pixmap = QPixmap(side, side * 2 // 3)
        pixmap.fill(Qt.GlobalColor.red)
        return pixmap


def test_duplicates_ask_for_thumbnails_in_device_pixels(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    thumbnails = _Thumbnails()
    dialog = DuplicatesDialog(tmp_path, "model", thumbnails, parent)  # type: ignore[arg-type]
    try:
        # As on a 2x screen (QT_SCALE_FACTOR=2 gives every widget this ratio).
        monkeypatch.setattr(dialog, "devicePixelRatioF", lambda: 2.0)
        item = QListWidgetItem("beach.jpg")
        item.setData(PATH_ROLE, "/photos/beach.jpg")
        dialog._set_icon(item)
        assert thumbnails.sides == [2 * THUMBNAIL_SIDE]
        # Drawn at its logical size: the icon's pixmap for the cell is the full-resolution one.
        drawn = item.icon().pixmap(QSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE), 2.0)
        assert drawn.width() == 2 * THUMBNAIL_SIDE
    finally:
        dialog.shutdown()
