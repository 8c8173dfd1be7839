"""A larger look at one result: the photo, where it is, when it was taken, its size."""

from __future__ import annotations

import os
from collections import OrderedDict
from datetime import datetime

from PySide6.QtCore import QDate, QLocale, QSize, Qt, QTime, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPixmap, QResizeEvent, QShowEvent
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
from photofind.core.tags import TagScore
from photofind.gui.background import Background
from photofind.gui.photo_images import PREVIEW_MAX_SIDE, PreviewImage, load_scaled
from photofind.gui.results_model import ResultsModel
from photofind.gui.style import bold, home_relative, mute, plain_label

MAX_UPSCALE = 3
HEATMAPS_KEPT = 24


class PreviewDialog(QDialog):
    """Shows one row of the results; Left and Right step through them."""

    findSimilar = Signal(str)
    openRequested = Signal(str)
    showInFolderRequested = Signal(str)
    rowChanged = Signal(int)
    locateRequested = Signal(str, str)  # photo, query: where in the photo the query matches
    describeRequested = Signal(str)  # photo: which tags describe it

    def __init__(self, model: ResultsModel, background: Background, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preview")
        self._model = model
        self._background = background
        self._row = -1
        self._pixmap: QPixmap | None = None
        self._query: str | None = None  # the text query the results answer, if any
        self._heatmaps: OrderedDict[tuple[str, str], QPixmap] = OrderedDict()

        self.image = plain_label()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(320, 240)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)

        self.name = bold(plain_label(wrap=True, selectable=True), scale=1.2)
        self.folder = plain_label(wrap=True, selectable=True)
        self.taken = plain_label()
        self.dimensions = plain_label()
        self.score = plain_label()
        self.tags = plain_label(wrap=True)
        details = QFormLayout()
        details.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        details.addRow("Folder", self.folder)
        details.addRow("Taken", self.taken)
        details.addRow("Size", self.dimensions)
        details.addRow("Match score", self.score)
        details.addRow("Looks like", self.tags)
        self.where_status = plain_label()
        mute(self.where_status)

        buttons = QDialogButtonBox()
        self.where_button = QPushButton("Show Where")
        self.where_button.setCheckable(True)
        self.where_button.setToolTip("Colour the photo by how well each part matches the search")
        self.where_button.toggled.connect(self._where_toggled)
        buttons.addButton(self.where_button, QDialogButtonBox.ButtonRole.ActionRole)
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
        layout.addWidget(self.where_status)
        layout.addWidget(buttons)
        self.resize(900, 720)

    @property
    def path(self) -> str:
        return self._model.hit(self._row).path if 0 <= self._row < self._model.rowCount() else ""

    def set_query(self, query: str | None) -> None:
        """The text query the results answer (None for a similar-photo search): Show Where
        colours the photo by it."""
        self._query = query
        self.where_button.setEnabled(query is not None)
        if query is None:
            self.where_button.setChecked(False)
        self.where_status.setText("")

    def show_heatmap(self, photo: str, query: str, image: QImage) -> None:
        self._heatmaps[(photo, query)] = QPixmap.fromImage(image)
        while len(self._heatmaps) > HEATMAPS_KEPT:
            self._heatmaps.popitem(last=False)
        self._show_where()

    def show_tags(self, photo: str, scores: list[TagScore]) -> None:
        if photo != self.path:
            return
        shown = [f"{t.tag} {t.probability:.0%}" for t in scores if t.probability >= 0.01]
        self.tags.setText(" · ".join(shown[:5]) or "nothing in the tag list")

    def heatmap_failed(self, photo: str, query: str, why: str) -> None:
        if (photo, query) == (self.path, self._query):
            self.where_status.setText(f"Cannot show where it matches: {why}")

    def _show_where(self) -> None:
        """The photo, or, with Show Where on, the photo coloured by the query."""
        self.where_status.setText("")
        if not self.where_button.isChecked() or self._query is None or not self.path:
            self._fit()
            return
        heat = self._heatmaps.get((self.path, self._query))
        if heat is None:
            self.where_status.setText(f"Finding where “{self._query}” matches…")
            self.locateRequested.emit(self.path, self._query)
            self._fit()
            return
        self._heatmaps.move_to_end((self.path, self._query))
        self.where_status.setText(
            f"Yellow: where the photo matches “{self._query}” best; dark purple: least."
        )
        self._fit(heat)

    def show_row(self, row: int) -> None:
        if not 0 <= row < self._model.rowCount():
            return
        self._row = row
        hit = self._model.hit(row)
        self.setWindowTitle(f"{os.path.basename(hit.path)} – Preview")
        self.name.setText(os.path.basename(hit.path))
        self.folder.setText(home_relative(os.path.dirname(hit.path)))
        self.score.setText(f"{hit.score:.2f}")  # as on the thumbnail's badge
        self.taken.setText("…")
        self.dimensions.setText("…")
        self.tags.setText("…")
        self.describeRequested.emit(hit.path)
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
        self._show_where()
        self.taken.setText(_date_text(result.info, path))
        self.dimensions.setText(f"{result.info.width:,} × {result.info.height:,} pixels")

    def _fit(self, shown: QPixmap | None = None) -> None:
        """Scale the photo (or `shown`, its heatmap) to the space there is: down to fit, and
        small photos up a little (not so far that they turn to mush)."""
        pixmap = shown or self._current_heatmap() or self._pixmap
        if pixmap is None:
            return
        ratio = self.devicePixelRatioF()
        area = self.image.size() * ratio
        limit = pixmap.size() * MAX_UPSCALE
        target = QSize(min(area.width(), limit.width()), min(area.height(), limit.height()))
        scaled = pixmap.scaled(
            target, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        scaled.setDevicePixelRatio(ratio)
        self.image.setPixmap(scaled)

    def _where_toggled(self, on: bool) -> None:
        # The button says what a click will do: the heatmap hides the photo's own colours.
        self.where_button.setText("Hide Where" if on else "Show Where")
        self._show_where()

    def _current_heatmap(self) -> QPixmap | None:
        if not self.where_button.isChecked() or self._query is None:
            return None
        return self._heatmaps.get((self.path, self._query))

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


def _date_text(info: PhotoInfo, path: str) -> str:
    if not info.taken_at:
        # The date that date filters and ordering use instead (core.filters).
        try:
            modified = datetime.fromtimestamp(os.stat(path).st_mtime)
        except OSError:
            return "not recorded in the photo"
        return f"not recorded; file date {_when(modified)}"
    try:
        taken = datetime.fromisoformat(info.taken_at)
    except ValueError:
        return info.taken_at
    return _when(taken)


def _when(taken: datetime) -> str:
    locale = QLocale()
    day = locale.toString(QDate(taken.year, taken.month, taken.day), QLocale.FormatType.LongFormat)
    time = locale.toString(QTime(taken.hour, taken.minute), QLocale.FormatType.ShortFormat)
    return f"{day}, {time}"
