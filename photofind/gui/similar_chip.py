"""The chip a similar-photo search shows in the search field, "Similar to [thumbnail] name ×",
instead of the photo's path: a path says little and is long; the chip says what the results
are and, with ×, how to leave them."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QToolButton

from photofind.gui.thumbnail_loader import ThumbnailLoader

MARGIN = 3  # between the chip and the field's edges
NAME_WIDTH = 220  # the most a long file name takes, elided in the middle


class SimilarChip(QFrame):
    closed = Signal()  # × clicked: back to the query before the similar search
    shownChanged = Signal(bool)  # the field holds a photo now, or words again

    def __init__(self, field: QLineEdit, thumbnails: ThumbnailLoader) -> None:
        super().__init__(field)
        self._field = field
        self._thumbnails = thumbnails
        self.path: str | None = None
        self.setObjectName("similarChip")
        self.setStyleSheet(
            "#similarChip { background: palette(alternate-base);"
            " border: 1px solid palette(mid); border-radius: 4px; }"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.setSpacing(4)
        self.caption = QLabel("Similar to")
        self.thumbnail = QLabel()
        self.name = QLabel()
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        self.close_button = QToolButton()
        self.close_button.setText("×")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Back to the previous search (Esc)")
        self.close_button.setAccessibleName("Leave the similar search")
        self.close_button.clicked.connect(self.closed)
        for widget in (self.caption, self.thumbnail, self.name, self.close_button):
            layout.addWidget(widget)
        thumbnails.thumbnailReady.connect(self._thumbnail_arrived)
        self.hide()

    def show_photo(self, path: str) -> None:
        self.path = path
        name = os.path.basename(path)
        metrics = self.name.fontMetrics()
        self.name.setText(metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, NAME_WIDTH))
        self.setToolTip(path)
        self.setAccessibleName(f"Similar to {name}")
        self.refresh()
        self.show()
        self.shownChanged.emit(True)

    def clear(self) -> None:
        self.path = None
        self.hide()
        self._field.setTextMargins(0, 0, 0, 0)
        self.shownChanged.emit(False)

    def refresh(self) -> None:
        """Place the chip in the field (its size may have changed) and ask for the thumbnail
        again: replacing the results drops the thumbnails still queued."""
        if self.path is None:
            return
        side = self._field.height() - 2 * MARGIN - 4
        self.thumbnail.setFixedSize(side, side)
        self._set_thumbnail()
        self.adjustSize()
        self.setGeometry(MARGIN, MARGIN, self.sizeHint().width(), self._field.height() - 2 * MARGIN)
        self._field.setTextMargins(self.width() + MARGIN, 0, 0, 0)

    def _set_thumbnail(self) -> None:
        assert self.path is not None
        side = self.thumbnail.width()
        ratio = self.devicePixelRatioF()
        pixmap = self._thumbnails.pixmap(self.path, round(side * ratio))
        if pixmap is None or pixmap.isNull():
            self.thumbnail.clear()
            return
        scaled = pixmap.scaled(
            round(side * ratio),
            round(side * ratio),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        scaled.setDevicePixelRatio(ratio)
        self.thumbnail.setPixmap(scaled)

    def _thumbnail_arrived(self, path: str) -> None:
        if path == self.path:
            self._set_thumbnail()
