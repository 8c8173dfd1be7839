"""The search field: runs the query on Enter, or by itself once typing pauses."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlparse

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QLineEdit, QStyle, QWidget

from photofind.core.imaging import is_photo_name
from photofind.gui.query_help import QueryHelp

TYPING_PAUSE_MS = 400


class SearchBar(QLineEdit):
    querySubmitted = Signal(str)
    # Down arrow: the user wants to move into the results.
    leaveDown = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(240)
        # Files dropped here go to the window, which searches for similar photos.
        self.setAcceptDrops(False)
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(TYPING_PAUSE_MS)
        self._pause.timeout.connect(self.submit)
        self.textEdited.connect(lambda _text: self._pause.start())
        self.returnPressed.connect(self.submit)
        self.help_action = QAction(
            self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarContextHelpButton),
            "How to Search",
            self,
        )
        self.help_action.setToolTip("How to search: adding, taking away, photos")
        self.help_action.triggered.connect(self.show_help)
        self.addAction(self.help_action, QLineEdit.ActionPosition.TrailingPosition)
        self.help: QueryHelp | None = None

    def show_help(self) -> None:
        if self.help is None:
            self.help = QueryHelp(self)
        self.help.show_under(self)

    def submit(self) -> None:
        self._pause.stop()
        self.querySubmitted.emit(self.text())

    def set_text_quietly(self, text: str) -> None:
        """Show `text` (e.g. the photo a similar search started from) without searching."""
        self._pause.stop()
        self.setText(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down and not event.modifiers():
            self.leaveDown.emit()
            return
        super().keyPressEvent(event)


def photo_path_in(text: str) -> str | None:
    """The photo file a pasted text names (a path, quoted or not, or a file:// URL), if any."""
    candidate = text.strip().strip("'\"")
    if candidate.startswith("file://"):
        candidate = unquote(urlparse(candidate).path)
    if not candidate or not is_photo_name(os.path.basename(candidate)):
        return None
    candidate = os.path.expanduser(candidate)
    return os.path.abspath(candidate) if os.path.isfile(candidate) else None
