"""Dialogs that open at the size (and place) they were last closed at."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from photofind.gui.settings import AppSettings


class _GeometryKeeper(QObject):
    """Saves the window's geometry whenever it is hidden: closing, Esc and the main window
    closing it all hide it first."""

    def __init__(self, window: QWidget, settings: AppSettings, name: str) -> None:
        super().__init__(window)
        self._settings = settings
        self._name = name
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Hide and isinstance(watched, QWidget):
            self._settings.save_window_geometry(watched.saveGeometry(), self._name)
        return False


def remember_geometry(window: QWidget, settings: AppSettings, name: str) -> None:
    """Restores `window`'s saved geometry, before it is first shown, and keeps it saved."""
    geometry = settings.window_geometry(name)
    if geometry is not None:
        window.restoreGeometry(geometry)
    _GeometryKeeper(window, settings, name)
