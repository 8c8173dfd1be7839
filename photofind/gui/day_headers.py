"""Day headers over the timeline (the library browsed without a query): every cell gets a band
above its photo, and each day's header is written across the bands of its photos' cells in
the grid row where the day begins, as photo apps' timelines do.

Each cell paints only its own slice of the header (clipped to the cell), so repainting one
cell (hover, a thumbnail arriving) never leaves half a header, and a day's header ends where
the next day's begins."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QListView, QStyleOptionViewItem, QWidget

from photofind.gui.results_model import ResultsModel
from photofind.gui.thumbnail_delegate import PADDING, ThumbnailDelegate
from photofind.gui.thumbnail_loader import ThumbnailLoader

HEADER_SCALE = 1.15  # of the font size

_Index = QModelIndex | QPersistentModelIndex


class DayDelegate(ThumbnailDelegate):
    def __init__(
        self,
        results: ResultsModel,
        loader: ThumbnailLoader,
        side: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(loader, side, parent)
        self._results = results

    def cell_size(self, font_metrics: QFontMetrics) -> QSize:
        size = super().cell_size(font_metrics)
        if self._results.has_days():
            size.setHeight(size.height() + band_height(font_metrics))
        return size

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        view = option.widget
        if not self._results.has_days() or not isinstance(view, QListView):
            super().paint(painter, option, index)
            return
        band = band_height(option.fontMetrics)
        rect: QRect = option.rect
        # The whole grid cell, not only the item centred in it, so a header has no gaps.
        cell = QRect(0, rect.y(), max(rect.width(), view.gridSize().width()), band)
        cell.moveCenter(QPoint(rect.center().x(), cell.center().y()))
        self._paint_header(painter, option, view, index.row(), cell)
        photo = QStyleOptionViewItem(option)
        photo.rect = rect.adjusted(0, band, 0, 0)
        super().paint(painter, photo, index)

    def _paint_header(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        view: QListView,
        row: int,
        band: QRect,
    ) -> None:
        """This cell's slice of its day's header, if the day begins in this cell's grid row."""
        day = self._results.day(row)
        start = view.visualRect(self._results.index(day.first))
        if start.top() != option.rect.top():
            return  # the day began in a row above: its header is there
        end = view.visualRect(self._results.index(day.last))
        right = end.right() if end.top() == start.top() else view.viewport().width()
        font = QFont(option.font)
        font.setPointSizeF(font.pointSizeF() * HEADER_SCALE)
        font.setBold(True)
        left = start.left() + PADDING
        text = QFontMetrics(font).elidedText(day.label, Qt.TextElideMode.ElideRight, right - left)
        painter.save()
        painter.setClipRect(band)
        painter.setFont(font)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        header = QRect(left, band.top(), right - left, band.height())
        painter.drawText(header, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, text)
        painter.restore()


def band_height(font_metrics: QFontMetrics) -> int:
    """Room for a header a little larger than the text, with a gap above it."""
    return round(font_metrics.height() * HEADER_SCALE * 2)
