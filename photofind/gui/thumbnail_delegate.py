"""Painting one grid cell: the thumbnail (or a placeholder while it loads) with its match score
in a corner, and the file name."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from photofind.gui.results_model import PATH_ROLE, SCORE_ROLE
from photofind.gui.style import secondary_text
from photofind.gui.thumbnail_loader import ThumbnailLoader

PADDING = 6
RADIUS = 6.0
BADGE_SCALE = 0.85  # of the font size

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
            score = index.data(SCORE_ROLE)
            if isinstance(score, float):
                self._paint_score(painter, option.font, target, score)
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
        if selected:
            painter.setPen(palette.color(QPalette.ColorRole.Text))
        else:
            group = palette.currentColorGroup()
            painter.setPen(secondary_text(palette, group, QPalette.ColorRole.Base))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextSingleLine, name)
        painter.restore()

    @staticmethod
    def _paint_score(painter: QPainter, font: QFont, photo: QRectF, score: float) -> None:
        """The match score in a small dark pill in the photo's lower right corner, legible
        on any photo."""
        small = QFont(font)
        small.setPointSizeF(font.pointSizeF() * BADGE_SCALE)
        metrics = QFontMetrics(small)
        text = score_text(score)
        width, height = metrics.horizontalAdvance(text) + 10, metrics.height() + 2
        if width + 8 > photo.width() or height + 8 > photo.height():
            return  # a sliver of a panorama: the tooltip still has it
        badge = QRectF(photo.right() - width - 4, photo.bottom() - height - 4, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(badge, height / 2, height / 2)
        painter.setFont(small)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        painter.setFont(font)

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
            group = palette.currentColorGroup()
            painter.setPen(secondary_text(palette, group, QPalette.ColorRole.Base))
            painter.drawText(inset, Qt.AlignmentFlag.AlignCenter, "Cannot show")


def score_text(score: float) -> str:
    """A score as the grid shows it: two decimals (the tooltip and the preview give three)."""
    return f"{score:.2f}"
