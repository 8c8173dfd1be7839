"""Assistive technology can name every control of the main window and every photo in the
grid; dialogs open at the size they were left at; duplicates are sharp on a 2x screen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
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
from photofind.gui.results_model import ResultsModel
from photofind.gui.settings import AppSettings
from photofind.gui.settings_dialog import SettingsDialog
from photofind.gui.shortcuts_dialog import ShortcutsDialog
from photofind.gui.status_text import long_date
from photofind.gui.worker import LibraryWorker

INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QAbstractSlider,
    QAbstractItemView,
    QComboBox,
    QAbstractSpinBox,
)


def unnamed_controls(window: QWidget) -> list[str]:
    """The visible controls a screen reader would announce without a name."""
    found = []
    for widget in window.findChildren(QWidget):
        # A spin box's own editor is announced as part of the spin box, by its name.
        inner = widget.objectName() == "qt_spinbox_lineedit"
        if isinstance(widget, INTERACTIVE) and widget.isVisibleTo(window) and not inner:
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
    assert model.index(1).data(role) == f"cake.jpg, taken {long_date(date(2023, 8, 12))}"


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


def test_every_dialog_names_its_controls_and_reopens_at_the_size_it_was_closed_at(
    qtbot: QtBot, open_window: OpenWindow, indexed_data_dir: Path
) -> None:
    window = open_window(indexed_data_dir)
    qtbot.waitUntil(window.page.filters_button.isEnabled)
    qtbot.mouseClick(window.page.filters_button, Qt.MouseButton.LeftButton)
    popup = window.page.filters_popup
    qtbot.waitUntil(popup.isVisible)
    assert unnamed_controls(popup) == []
    popup.close()

    openers: dict[str, tuple[Callable[[], None], type[QWidget]]] = {
        "Settings": (window.show_settings, SettingsDialog),
        "Folders": (window.show_folders, FoldersDialog),
        "Duplicates": (window.show_duplicates, DuplicatesDialog),
        "Keyboard Shortcuts": (window.show_shortcuts, ShortcutsDialog),
    }
    for name, (show, kind) in openers.items():
        show()
        dialog = _shown(qtbot, window, kind)
        assert unnamed_controls(dialog) == [], name
        dialog.resize(760, 560)
        qtbot.waitUntil(lambda d=dialog: d.size() == QSize(760, 560))
        dialog.close()
        show()
        again = _shown(qtbot, window, kind)
        assert again.size() == QSize(760, 560), name
        again.close()


def _shown(qtbot: QtBot, window: QWidget, kind: type[QWidget]) -> QWidget:
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(kind)))
    dialog = next(d for d in window.findChildren(kind) if d.isVisible())
    qtbot.waitExposed(dialog)
    return dialog


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
    worker = LibraryWorker(tmp_path, "model", "cpu", index_on_start=False)  # never started
    dialog = DuplicatesDialog(worker, thumbnails, parent)  # type: ignore[arg-type]
    try:
        # As on a 2x screen (QT_SCALE_FACTOR=2 gives every widget this ratio).
        monkeypatch.setattr(dialog, "devicePixelRatioF", lambda: 2.0)
        item = QListWidgetItem("beach.jpg")
        item.setData(PATH_ROLE, "/photos/beach.jpg")
        dialog.photos.addItem(item)
        thumbnails.thumbnailReady.emit("/photos/beach.jpg")
        assert thumbnails.sides == [2 * THUMBNAIL_SIDE]
        # Drawn at its logical size: the icon's pixmap for the cell is the full-resolution one.
        drawn = item.icon().pixmap(QSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE), 2.0)
        assert drawn.width() == 2 * THUMBNAIL_SIDE
    finally:
        dialog.shutdown()
