"""A larger look at one result: the photo, where it is, when it was taken, its size."""

from __future__ import annotations

import os
from datetime import datetime

from PySide6.QtCore import QDate, QLocale, QSize, Qt, QTime, Signal
from PySide6.QtGui import QKeyEvent, QPixmap, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from photofind.core.imaging import PhotoInfo
from photofind.gui.background import Background
from photofind.gui.photo_images import PREVIEW_MAX_SIDE, PreviewImage, load_scaled
from photofind.gui.results_model import ResultsModel
from photofind.gui.style import bold, home_relative, plain_label

MAX_UPSCALE = 3


class PreviewDialog(QDialog):
    """Shows one row of the results; Left and Right step through them."""

    findSimilar = Signal(str)
    openRequested = Signal(str)
    showInFolderRequested = Signal(str)
    rowChanged = Signal(int)

    def __init__(self, model: ResultsModel, background: Background, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preview")
        self._model = model
        self._background = background
        self._row = -1
        self._pixmap: QPixmap | None = None

        self.image = plain_label()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(320, 240)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)

        self.name = bold(plain_label(wrap=True, selectable=True), scale=1.2)
        self.folder = plain_label(wrap=True, selectable=True)
        self.taken = plain_label()
        self.dimensions = plain_label()
        self.score = plain_label()
        details = QFormLayout()
        details.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        details.addRow("Folder", self.folder)
        details.addRow("Taken", self.taken)
        details.addRow("Size", self.dimensions)
        details.addRow("Match score", self.score)

        buttons = QDialogButtonBox()
        self.similar_button = QPushButton("Find Similar")
        self.open_button = QPushButton("Open")
        self.folder_button = QPushButton("Show in Folder")
        buttons.addButton(self.similar_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.folder_button, QDialogButtonBox.ButtonRole.ActionRole)
        # A plain button: the standard Close would carry an icon the other buttons lack.
        buttons.addButton(QPushButton("Close"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.rejected.connect(self.reject)
        self.similar_button.clicked.connect(lambda: self.findSimilar.emit(self.path))
        self.open_button.clicked.connect(lambda: self.openRequested.emit(self.path))
        self.folder_button.clicked.connect(lambda: self.showInFolderRequested.emit(self.path))

        layout = QVBoxLayout(self)
        layout.addWidget(self.image, 1)
        layout.addWidget(self.name)
        layout.addLayout(details)
        layout.addWidget(buttons)
        self.resize(900, 720)

    @property
    def path(self) -> str:
        return self._model.hit(self._row).path if 0 <= self._row < self._model.rowCount() else ""

    def show_row(self, row: int) -> None:
        if not 0 <= row < self._model.rowCount():
            return
        self._row = row
        hit = self._model.hit(row)
        self.setWindowTitle(f"{os.path.basename(hit.path)} – Preview")
        self.name.setText(os.path.basename(hit.path))
        self.folder.setText(home_relative(os.path.dirname(hit.path)))
        self.score.setText(f"{hit.score:.3f}")
        self.taken.setText("…")
        self.dimensions.setText("…")
        self._pixmap = None
        self.image.setPixmap(QPixmap())
        self.image.setText("Loading…")
        path = hit.path
        self._background.submit(
            lambda: load_scaled(path, PREVIEW_MAX_SIDE), lambda result: self._loaded(path, result)
        )
        self.rowChanged.emit(row)

    def _loaded(self, path: str, result: object) -> None:
        if path != self.path:
            return  # the user already stepped on
        if not isinstance(result, PreviewImage):
            self.image.setText(f"This photo cannot be shown: {result}")
            self.taken.setText("unknown")
            self.dimensions.setText("unknown")
            return
        self._pixmap = QPixmap.fromImage(result.image)
        self._fit()
        self.taken.setText(_date_text(result.info))
        self.dimensions.setText(f"{result.info.width:,} × {result.info.height:,} pixels")

    def _fit(self) -> None:
        """Scale the photo to the space there is: down to fit, and small photos up a little
        (not so far that they turn to mush)."""
        if self._pixmap is None:
            return
        ratio = self.devicePixelRatioF()
        area = self.image.size() * ratio
        limit = self._pixmap.size() * MAX_UPSCALE
        target = QSize(min(area.width(), limit.width()), min(area.height(), limit.height()))
        scaled = self._pixmap.scaled(
            target, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        scaled.setDevicePixelRatio(ratio)
        self.image.setPixmap(scaled)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}.get(Qt.Key(event.key()))
        if step is not None and not event.modifiers():
            self.show_row(self._row + step)
            return
        super().keyPressEvent(event)


def _date_text(info: PhotoInfo) -> str:
    if not info.taken_at:
        return "unknown (no date in the file)"
    try:
        taken = datetime.fromisoformat(info.taken_at)
    except ValueError:
        return info.taken_at
    locale = QLocale()
    day = locale.toString(QDate(taken.year, taken.month, taken.day), QLocale.FormatType.LongFormat)
    time = locale.toString(QTime(taken.hour, taken.minute), QLocale.FormatType.ShortFormat)
    return f"{day}, {time}"
