"""Painting one grid cell: the thumbnail (or a placeholder while it loads), bottom-aligned or
square-cropped, with the match score in a corner and the file name under it when those are
asked for (View menu)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from photofind.gui.results_model import PATH_ROLE, SCORE_ROLE
from photofind.gui.style import secondary_text
from photofind.gui.thumbnail_loader import ThumbnailLoader

PADDING = 6
RADIUS = 6.0
BADGE_SCALE = 0.85  # of the font size
FOCUS_WIDTH = 2.0  # thicker than the selection's edge, so the current cell stands out in it

_Index = QModelIndex | QPersistentModelIndex


class ThumbnailDelegate(QStyledItemDelegate):
    def __init__(self, loader: ThumbnailLoader, side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self.side = side
        # Off by default: people read "0.28" as "28 %, bad"; the tooltip and viewer give it.
        self.show_scores = False
        self.show_names = True
        self.square = False

    def cell_size(self, font_metrics: QFontMetrics) -> QSize:
        caption = font_metrics.height() + 2 if self.show_names else 0
        return QSize(self.side + 2 * PADDING, self.side + 2 * PADDING + caption)

    def draws_score(self, index: _Index) -> bool:
        return self.show_scores and isinstance(index.data(SCORE_ROLE), float)

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return self.cell_size(option.fontMetrics)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        palette = option.palette
        rect = option.rect
        self._paint_cell(painter, palette, QRectF(rect), option.state)

        frame = QRect(rect.x() + PADDING, rect.y() + PADDING, self.side, self.side)
        path = str(index.data(PATH_ROLE))
        ratio = painter.device().devicePixelRatioF()
        pixmap = self._loader.pixmap(path, round(self.side * ratio))
        if pixmap is not None and not pixmap.isNull():
            target = self._paint_photo(painter, pixmap, frame)
            if self.draws_score(index):
                self._paint_score(painter, option.font, target, float(index.data(SCORE_ROLE)))
        else:
            self._paint_placeholder(painter, palette, frame, self._loader.is_broken(path))
        if self.show_names:
            self._paint_name(painter, option, index, frame)
        painter.restore()

    @staticmethod
    def _paint_cell(
        painter: QPainter, palette: QPalette, rect: QRectF, state: QStyle.StateFlag
    ) -> None:
        """The cell's background for selection and hover, and a ring round the current cell
        so that a keyboard user can see where the arrow keys are."""
        cell = rect.adjusted(1.5, 1.5, -1.5, -1.5)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        if state & QStyle.StateFlag.State_Selected:
            fill = QColor(highlight)
            fill.setAlpha(70)
            painter.setPen(highlight)
            painter.setBrush(fill)
            painter.drawRoundedRect(cell, RADIUS, RADIUS)
        elif state & QStyle.StateFlag.State_MouseOver:
            hover = QColor(highlight)
            hover.setAlpha(25)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(hover)
            painter.drawRoundedRect(cell, RADIUS, RADIUS)
        if state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(QPen(highlight, FOCUS_WIDTH))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(cell, RADIUS, RADIUS)

    def _paint_photo(self, painter: QPainter, pixmap: QPixmap, frame: QRect) -> QRectF:
        """Draws the photo in `frame` and returns where it went. Fitted photos sit on the
        frame's bottom edge so that the captions of a row line up whatever their shapes."""
        source = QRectF(pixmap.rect())
        if self.square:
            short = min(source.width(), source.height())
            crop = QRectF(0, 0, short, short)
            crop.moveCenter(source.center())
            source, target = crop, QRectF(frame)
        else:
            size = QSizeF(pixmap.size()).scaled(
                QSizeF(frame.size()), Qt.AspectRatioMode.KeepAspectRatio
            )
            target = QRectF(0, 0, size.width(), size.height())
            target.moveCenter(QRectF(frame).center())
            target.moveBottom(frame.y() + frame.height())
        painter.drawPixmap(target, pixmap, source)
        return target

    @staticmethod
    def _paint_name(
        painter: QPainter, option: QStyleOptionViewItem, index: _Index, frame: QRect
    ) -> None:
        palette = option.palette
        text_rect = QRect(
            frame.left(), frame.bottom() + 3, frame.width(), option.fontMetrics.height()
        )
        name = option.fontMetrics.elidedText(
            str(index.data(Qt.ItemDataRole.DisplayRole)),
            Qt.TextElideMode.ElideMiddle,
            frame.width(),
        )
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(palette.color(QPalette.ColorRole.Text))
        else:
            group = palette.currentColorGroup()
            painter.setPen(secondary_text(palette, group, QPalette.ColorRole.Base))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextSingleLine, name)

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
