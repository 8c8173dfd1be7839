"""The search results as a Qt list model: one row per photo, best match first."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
)

from photofind.core.api import Hit
from photofind.gui.status_text import day_label, long_date
from photofind.gui.style import plain_tooltip

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
SCORE_ROLE = Qt.ItemDataRole.UserRole + 2
PHOTO_ID_ROLE = Qt.ItemDataRole.UserRole + 3
# Marks photos dragged out of the grid, with the id of the process whose grid it is: dropped
# back onto that window they are no query (another Photofind's window takes them as one).
_GRID_FORMAT = "application/x-photofind-grid"

_Index = QModelIndex | QPersistentModelIndex


class DaySpan(NamedTuple):
    """The rows of one day of the timeline, and its header ("Today", "Saturday 12 August…")."""

    label: str
    first: int
    last: int


class ResultsModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self._hits: list[Hit] = []
        self._rows: dict[str, int] = {}
        self._days: list[DaySpan] = []  # by row; empty unless the hits say when (browsing)

    def set_hits(self, hits: Sequence[Hit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self._rows = {hit.path: row for row, hit in enumerate(self._hits)}
        self._days = day_spans(self._hits, date.today())
        self.endResetModel()

    def has_days(self) -> bool:
        """Whether the rows are a timeline, grouped by day under headers."""
        return bool(self._days)

    def day(self, row: int) -> DaySpan:
        return self._days[row]

    def clear(self) -> None:
        self.set_hits([])

    def hit(self, row: int) -> Hit:
        return self._hits[row]

    def hits(self) -> list[Hit]:
        return list(self._hits)

    def row_of(self, path: str) -> int | None:
        return self._rows.get(path)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(hit.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(hit)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return accessible_text(hit)
        if role == PATH_ROLE:
            return hit.path
        if role == SCORE_ROLE:
            return None if math.isnan(hit.score) else hit.score
        if role == PHOTO_ID_ROLE:
            return hit.photo_id
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        )

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list", "text/plain"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime = paths_mime([self._hits[r].path for r in rows])
        mime.setData(_GRID_FORMAT, _this_process())
        return mime


def from_this_grid(mime: QMimeData) -> bool:
    """Whether `mime` holds photos dragged out of this process's results."""
    return bytes(mime.data(_GRID_FORMAT).data()) == _this_process()


def _this_process() -> bytes:
    return str(os.getpid()).encode()


def paths_mime(paths: Sequence[str]) -> QMimeData:
    """Files as a file manager expects them (URLs) and as a text editor does (one path a line)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
    mime.setText("\n".join(paths))
    return mime


def tooltip(hit: Hit) -> str:
    if math.isnan(hit.score):  # browsing: no query to match
        return plain_tooltip(os.path.basename(hit.path), hit.path)
    return plain_tooltip(os.path.basename(hit.path), f"Match score {hit.score:.3f}", hit.path)


def accessible_text(hit: Hit) -> str:
    """What a screen reader says for a cell: the name, then the date and score it has."""
    parts = [os.path.basename(hit.path)]
    if hit.taken:
        parts.append(f"taken {long_date(date.fromisoformat(hit.taken[:10]))}")
    if not math.isnan(hit.score):
        parts.append(f"match score {hit.score:.3f}")
    return ", ".join(parts)


def day_spans(hits: Sequence[Hit], today: date) -> list[DaySpan]:
    """Each row's day, for hits that say when they were taken, in date order; else none."""
    if not hits or not all(hit.taken for hit in hits):
        return []
    spans: list[DaySpan] = []
    first = 0
    for row in range(1, len(hits) + 1):
        if row == len(hits) or hits[row].taken[:10] != hits[first].taken[:10]:
            label = day_label(date.fromisoformat(hits[first].taken[:10]), today)
            spans.extend([DaySpan(label, first, row - 1)] * (row - first))
            first = row
    return spans
