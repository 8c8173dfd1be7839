"""The search field: runs the query on Enter, or by itself once typing pauses and the words
typed so far make a query."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlparse

from PySide6.QtCore import QEvent, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QIcon, QKeyEvent, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QLineEdit, QStyle, QWidget

from photofind.core.api import is_photo_name, parse_query
from photofind.core.errors import QueryError
from photofind.gui.query_help import QueryHelp
from photofind.gui.style import secondary_text, sentence

TYPING_PAUSE_MS = 400


class SearchBar(QLineEdit):
    querySubmitted = Signal(str)
    # Down arrow: the user wants to move into the results.
    leaveDown = Signal()
    # Why the words typed so far cannot be searched yet; "" once they can, or on Enter.
    problemChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setClearButtonEnabled(True)
        self.setAccessibleName("Search photos")
        self.setAccessibleDescription("Describe what is in the photos to find, in a few words")
        self.setMinimumWidth(240)
        # Files dropped here go to the window, which searches for similar photos.
        self.setAcceptDrops(False)
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(TYPING_PAUSE_MS)
        self._pause.timeout.connect(self._typing_paused)
        self.textEdited.connect(lambda _text: self._pause.start())
        self.returnPressed.connect(self.submit)
        self.help_action = QAction("How to Search", self)
        self._draw_help_icon()
        self.help_action.setToolTip("How to search: adding, taking away, photos")
        self.help_action.triggered.connect(self.show_help)
        self.addAction(self.help_action, QLineEdit.ActionPosition.TrailingPosition)
        self.help: QueryHelp | None = None

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._draw_help_icon()

    def _draw_help_icon(self) -> None:
        side = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.help_action.setIcon(help_icon(self.palette(), side))

    def show_help(self) -> None:
        if self.help is None:
            self.help = QueryHelp(self)
        self.help.show_under(self)

    def submit(self) -> None:
        self._pause.stop()
        self.problemChanged.emit("")
        self.querySubmitted.emit(self.text())

    def set_text_quietly(self, text: str) -> None:
        """Show `text` (e.g. the photo a similar search started from) without searching."""
        self._pause.stop()
        self.problemChanged.emit("")
        self.setText(text)

    def _typing_paused(self) -> None:
        # Half-typed words ("beach +") are no reason to take the results away: the problem
        # is said beside them, and only Enter searches such words all the same.
        problem = typing_problem(self.text())
        if problem:
            self.problemChanged.emit(problem)
        else:
            self.submit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Down and not event.modifiers():
            self.leaveDown.emit()
            return
        super().keyPressEvent(event)


def help_icon(palette: QPalette, side: int) -> QIcon:
    """A question mark in a ring, in the colour of secondary text on the field. Drawn here:
    styles' own help icons are made for title bars and stay black on a dark field."""
    colour = secondary_text(palette, QPalette.ColorGroup.Active, QPalette.ColorRole.Base)
    scale = 2  # sharp on a screen at twice the scale, smoothly shrunk on others
    pixmap = QPixmap(side * scale, side * scale)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(scale, scale)
    stroke = side / 10
    painter.setPen(QPen(colour, stroke))
    painter.drawEllipse(QRectF(0, 0, side, side).adjusted(stroke, stroke, -stroke, -stroke))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(round(side * 0.7))
    painter.setFont(font)
    painter.drawText(QRectF(0, 0, side, side), Qt.AlignmentFlag.AlignCenter, "?")
    painter.end()
    return QIcon(pixmap)


def typing_problem(text: str) -> str:
    """Why `text` cannot be searched as it stands (a malformed query, or a path that names
    no photo, e.g. one still being typed); "" when it can."""
    if not text.strip() or photo_path_in(text) is not None:
        return ""
    try:
        query = parse_query(text)
    except QueryError as exc:
        return sentence(str(exc))
    for term in query.terms:
        if term.kind == "photo" and not os.path.isfile(term.value):
            return f"No photo at {term.value}."
    return ""


def photo_path_in(text: str) -> str | None:
    """The photo file a pasted text names (a path, quoted or not, or a file:// URL), if any."""
    candidate = text.strip().strip("'\"")
    if candidate.startswith("file://"):
        candidate = unquote(urlparse(candidate).path)
    if not candidate or not is_photo_name(os.path.basename(candidate)):
        return None
    candidate = os.path.expanduser(candidate)
    return os.path.abspath(candidate) if os.path.isfile(candidate) else None
