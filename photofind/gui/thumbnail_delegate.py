"""Painting one grid cell: the thumbnail (or a placeholder while it loads) and the file name."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from photofind.gui.results_model import PATH_ROLE
from photofind.gui.thumbnail_loader import ThumbnailLoader

PADDING = 6
RADIUS = 6.0

_Index = QModelIndex | QPersistentModelIndex


class ThumbnailDelegate(QStyledItemDelegate):
    def __init__(self, loader: ThumbnailLoader, side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self.side = side

    def cell_size(self, font_metrics: QFontMetrics) -> QSize:
        return QSize(self.side + 2 * PADDING, self.side + 2 * PADDING + font_metrics.height() + 2)

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return self.cell_size(option.fontMetrics)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        palette = option.palette
        rect = option.rect
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        cell = QRectF(rect).adjusted(1.5, 1.5, -1.5, -1.5)

        if selected:
            highlight = palette.color(QPalette.ColorRole.Highlight)
            fill = QColor(highlight)
            fill.setAlpha(70)
            painter.setPen(highlight)
            painter.setBrush(fill)
            painter.drawRoundedRect(cell, RADIUS, RADIUS)
        elif state & QStyle.StateFlag.State_MouseOver:
            hover = QColor(palette.color(QPalette.ColorRole.Highlight))
            hover.setAlpha(25)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(hover)
            painter.drawRoundedRect(cell, RADIUS, RADIUS)
        if state & QStyle.StateFlag.State_HasFocus and not selected:
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(cell, RADIUS, RADIUS)

        frame = QRect(rect.x() + PADDING, rect.y() + PADDING, self.side, self.side)
        path = str(index.data(PATH_ROLE))
        ratio = painter.device().devicePixelRatioF()
        pixmap = self._loader.pixmap(path, round(self.side * ratio))
        if pixmap is not None and not pixmap.isNull():
            size = QSizeF(pixmap.size()).scaled(
                QSizeF(frame.size()), Qt.AspectRatioMode.KeepAspectRatio
            )
            target = QRectF(0, 0, size.width(), size.height())
            target.moveCenter(QRectF(frame).center())
            painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
        else:
            self._paint_placeholder(painter, palette, frame, self._loader.is_broken(path))

        text_rect = QRect(
            frame.left(), frame.bottom() + 3, frame.width(), option.fontMetrics.height()
        )
        name = option.fontMetrics.elidedText(
            str(index.data(Qt.ItemDataRole.DisplayRole)),
            Qt.TextElideMode.ElideMiddle,
            frame.width(),
        )
        role = QPalette.ColorRole.Text if selected else QPalette.ColorRole.PlaceholderText
        painter.setPen(palette.color(role))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextSingleLine, name)
        painter.restore()

    @staticmethod
    def _paint_placeholder(
        painter: QPainter, palette: QPalette, frame: QRect, broken: bool
    ) -> None:
        # Landscape-shaped, like most photos, so cells do not jump much when thumbnails arrive.
        dx, dy = frame.width() * 0.06, frame.height() * 0.14
        inset = QRectF(frame).adjusted(dx, dy, -dx, -dy)
        painter.setPen(Qt.PenStyle.NoPen)
        placeholder = QColor(palette.color(QPalette.ColorRole.Mid))
        placeholder.setAlpha(60)
        painter.setBrush(placeholder)
        painter.drawRoundedRect(inset, RADIUS, RADIUS)
        if broken:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(inset, Qt.AlignmentFlag.AlignCenter, "Cannot show")
