"""Settings' list of suggested models (core.model.catalog): download size, the speed measured
on this computer in the background, languages and published search quality."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from photofind.core.api import (
    DEFAULT_MODEL,
    QUALITY_SOURCE,
    QUALITY_URL,
    CatalogModel,
    Speed,
    speeds_here,
)
from photofind.gui.background import Background
from photofind.gui.style import mute, plain_label

log = logging.getLogger(__name__)

COLUMNS = ("Model", "Download", "Speed here", "Languages", "Search quality (XM3600)")
SPEED_COLUMN = COLUMNS.index("Speed here")
CENTRED = (COLUMNS.index("Download"), SPEED_COLUMN)
MEASURING, NOT_MEASURED = "measuring…", "not measured"
HUB_ID_ROLE = Qt.ItemDataRole.UserRole


class ModelTable(QTableWidget):
    """The models offered, one a row; `picked` says the hub id of a row the user selects.
    Speeds are measured only with a `data_dir` to remember them in."""

    picked = Signal(str)

    def __init__(
        self, models: Sequence[CatalogModel], data_dir: Path | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(len(models), len(COLUMNS), parent)
        self._models, self._data_dir = list(models), data_dir
        self._cancel = threading.Event()
        self._measuring = 0  # counts the measurings started, the last one being shown
        self.setAccessibleName("Suggested models")
        self.setHorizontalHeaderLabels(COLUMNS)
        self.verticalHeader().hide()
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        for row, model in enumerate(self._models):
            for column, text in enumerate(_cells(model, data_dir is not None)):
                item = QTableWidgetItem(text)
                item.setData(HUB_ID_ROLE, model.hub_id)
                item.setToolTip(_tooltip(model, column))
                if column in CENTRED:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.setItem(row, column, item)
        self._size_columns()
        header = self.horizontalHeader()
        header.setAccessibleName("Columns of the suggested models")
        self.resizeRowsToContents()
        rows = sum(self.rowHeight(r) for r in range(self.rowCount()))
        self.setFixedHeight(header.sizeHint().height() + rows + 2 * self.frameWidth())
        self.itemSelectionChanged.connect(self._model_picked)
        self.destroyed.connect(self._cancel.set)

    def _size_columns(self) -> None:
        """Wide enough for their text with room around it, and for any speed to come; the
        languages take what is left (elided in a narrow window, whole in their tooltip)."""
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.resizeColumnsToContents()
        metrics = self.fontMetrics()
        room = metrics.horizontalAdvance("00")
        for column in range(len(COLUMNS)):
            width = self.columnWidth(column)
            if column == SPEED_COLUMN:
                width = max(width, metrics.horizontalAdvance("0000 photos/s"))
            self.setColumnWidth(column, width + room)
        self.horizontalHeader().setSectionResizeMode(
            COLUMNS.index("Languages"), QHeaderView.ResizeMode.Stretch
        )

    def _model_picked(self) -> None:
        chosen = self.selectedItems()
        if chosen:
            self.picked.emit(str(chosen[0].data(HUB_ID_ROLE)))

    def show_chosen(self, ref: str) -> None:
        """Select the curated model `ref` names; none when it names another."""
        ids = [model.hub_id for model in self._models]
        self.blockSignals(True)
        if ref.strip() in ids:
            self.selectRow(ids.index(ref.strip()))
        else:
            self.clearSelection()
        self.blockSignals(False)

    def stop_measuring(self) -> None:
        self._cancel.set()  # a measurement nobody will see

    def measure_speeds(self, device: str) -> None:
        """Measure each model's speed on `device`, in the background; speeds measured before
        are remembered in the data dir."""
        if self._data_dir is None:
            return
        self._cancel.set()
        self._cancel = cancel = threading.Event()
        # Speeds for a device no longer chosen may still be on their way: they are ignored.
        self._measuring += 1
        measuring = self._measuring
        for row in range(len(self._models)):
            self._show_speed(row, None, MEASURING)
        shapes = [model.shape for model in self._models]
        data_dir = self._data_dir
        feed = _SpeedFeed()
        feed.measured.connect(self._speed_known)
        feed.ended.connect(self._speeds_ended)
        self.destroyed.connect(cancel.set)

        def job() -> None:
            try:
                for row, speed in speeds_here(shapes, device, data_dir, cancel):
                    feed.measured.emit(measuring, row, speed)
            finally:
                feed.ended.emit(measuring)

        _measuring_pool().submit(job, _log_failure)

    def _speed_known(self, measuring: int, row: int, speed: Speed | None) -> None:
        if measuring != self._measuring:
            return
        if speed is None:
            self._show_speed(row, None, NOT_MEASURED, "It could not be measured: the log says why")
        else:
            self._show_speed(row, speed, _speed_text(speed.photos_per_second))

    def _speeds_ended(self, measuring: int) -> None:
        if measuring != self._measuring:
            return
        for row in range(len(self._models)):
            if self.item(row, SPEED_COLUMN).text() == MEASURING:
                self._show_speed(
                    row, None, NOT_MEASURED, "It could not be measured: the log says why"
                )

    def _show_speed(self, row: int, speed: Speed | None, text: str, tip: str = "") -> None:
        item = self.item(row, SPEED_COLUMN)
        item.setText(text)
        if speed is not None:
            where = "CPU" if speed.device == "cpu" else f"GPU ({speed.device})"
            tip = f"Photos a second this computer's {where} encodes with this model"
        item.setToolTip(tip or _tooltip(self._models[row], SPEED_COLUMN))


class _SpeedFeed(QObject):
    """Carries speeds from the measuring thread to a table; it has no parent, so a dialog
    closing never deletes it under a running measurement."""

    measured = Signal(int, int, object)  # which measuring, the row, its Speed or None
    ended = Signal(int)


@cache
def _measuring_pool() -> Background:
    """One thread measures, for every Settings dialog: two measurements at once would slow
    each other down. Kept for the app's life, so closing a dialog never waits on one."""
    measuring = Background(threads=1)
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(measuring.shutdown)
    return measuring


def _log_failure(result: object) -> None:
    if isinstance(result, Exception):
        log.warning("measuring model speeds failed: %s", result)


def _cells(model: CatalogModel, measured: bool) -> list[str]:
    name = f"{model.name} (default)" if model.hub_id == DEFAULT_MODEL else model.name
    speed = MEASURING if measured else NOT_MEASURED
    return [name, model.download, speed, model.languages, model.quality]


def _tooltip(model: CatalogModel, column: int) -> str:
    if COLUMNS[column] == "Search quality (XM3600)":
        listed = f", where it is {model.published_as}" if model.published_as else ""
        return f"{QUALITY_SOURCE}{listed}. {QUALITY_URL}"
    if COLUMNS[column] == "Download":
        return "The size of its weights, downloaded once"
    if column == SPEED_COLUMN:
        return "Measured on this computer with the model's shape, no download needed"
    if COLUMNS[column] == "Languages":
        return model.languages
    return model.hub_id


def _speed_text(photos_per_second: float) -> str:
    """Two significant figures, enough to compare by and no more than a measure holds."""
    decimals = 0 if photos_per_second >= 10 else 1 if photos_per_second >= 1 else 2
    return f"{photos_per_second:.{decimals}f} photos/s"


def model_notes() -> QLabel:
    note = plain_label(
        "Search quality is the average recall on the Crossmodal-3600 benchmark, as published "
        "in Immich's model table: higher finds more of the right photos. Speed is measured "
        "here, for the model alone. For searching in a language other than English, choose "
        "a multilingual model.",
        wrap=True,
    )
    mute(note)
    return note
