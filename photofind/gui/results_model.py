"""The search results as a Qt list model: one row per photo, best match first."""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
)

from photofind.core.search import Hit
from photofind.gui.style import plain_tooltip

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
SCORE_ROLE = Qt.ItemDataRole.UserRole + 2
PHOTO_ID_ROLE = Qt.ItemDataRole.UserRole + 3
# Marks photos dragged out of the grid, with the id of the process whose grid it is: dropped
# back onto that window they are no query (another Photofind's window takes them as one).
_GRID_FORMAT = "application/x-photofind-grid"

_Index = QModelIndex | QPersistentModelIndex


class ResultsModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self._hits: list[Hit] = []
        self._rows: dict[str, int] = {}

    def set_hits(self, hits: Sequence[Hit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self._rows = {hit.path: row for row, hit in enumerate(self._hits)}
        self.endResetModel()

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
        if role == PATH_ROLE:
            return hit.path
        if role == SCORE_ROLE:
            return hit.score
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
    return plain_tooltip(os.path.basename(hit.path), f"Match score {hit.score:.3f}", hit.path)
