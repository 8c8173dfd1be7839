"""The viewer's photo: fitted to the space there is, or zoomed (the wheel zooms around the
pointer, as in Loupe and Eye of GNOME) and panned by dragging."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QMouseEvent,
    QPainter,
    QPalette,
    QPixmap,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

ZOOM_STEP = 1.25  # one wheel notch or key press
MIN_ZOOM = 0.02
MAX_ZOOM = 16.0  # one photo pixel as a 16-pixel square: enough to check focus
# Small photos are fitted bigger, but not so far that they turn to mush.
MAX_FIT_UPSCALE = 3.0


class PhotoView(QGraphicsView):
    """Zoom counts device pixels per pixel of the photo file (1.0 is 1:1), whatever the
    pixmap shown holds: a thumbnail, a decode scaled for the screen, the full photo or its
    heatmap all stand for the same photo."""

    zoomChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self._item = _PhotoItem()
        self.scene().addItem(self._item)
        self._size = QSize()  # the photo file's pixels
        self._fitted = True
        # Zooming keeps its own anchor (the pointer, or the middle for keys).
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setBackgroundRole(QPalette.ColorRole.Window)
        self.viewport().setBackgroundRole(QPalette.ColorRole.Window)
        self.setMinimumSize(320, 240)
        self.setAccessibleName("Photo")

    def pixmap(self) -> QPixmap:
        return self._item.pixmap()

    def zoom(self) -> float:
        return self.transform().m11() * self.devicePixelRatioF()

    def is_fitted(self) -> bool:
        return self._fitted

    def set_photo(self, pixmap: QPixmap, size: QSize) -> None:
        """Show `pixmap` standing for a photo of `size` pixels. The zoom stays unless the size
        is new (another photo, or a thumbnail's size replaced by the photo's)."""
        self._item.show_pixmap(pixmap)
        self._item.setScale(size.width() / pixmap.width() if pixmap.width() else 1.0)
        if size != self._size:
            self._size = QSize(size)
            self.setSceneRect(QRectF(0, 0, size.width(), size.height()))
            self.fit()
        else:
            self.zoomChanged.emit()  # another pixmap: whether it has detail enough changed

    def clear(self) -> None:
        self._item.show_pixmap(QPixmap())
        self._size = QSize()
        self._fitted = True
        self.zoomChanged.emit()

    def fit(self) -> None:
        self._fitted = True
        self._apply(self._fit_zoom(), None)

    def zoom_to(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the point under `anchor` (viewport coordinates; the middle if None)."""
        if self._size.isEmpty():
            return
        self._fitted = False
        self._apply(min(max(zoom, MIN_ZOOM), MAX_ZOOM), anchor)

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.zoom_to(self.zoom() * factor, anchor)

    def needs_detail(self) -> bool:
        """Whether the pixmap is drawn bigger than its pixels while the file has more."""
        width = self._item.pixmap().width()
        return 0 < width < self._size.width() and self.zoom() * self._size.width() > width

    def _fit_zoom(self) -> float:
        if self._size.isEmpty():
            return 1.0
        area = self.viewport().size()
        scale = min(area.width() / self._size.width(), area.height() / self._size.height())
        return min(scale * self.devicePixelRatioF(), MAX_FIT_UPSCALE)

    def _apply(self, zoom: float, anchor: QPointF | None) -> None:
        anchor = anchor if anchor is not None else QPointF(self.viewport().rect().center())
        kept = self.mapToScene(anchor.toPoint())
        scale = zoom / self.devicePixelRatioF()
        self.setTransform(QTransform.fromScale(scale, scale))
        moved = self.viewportTransform().map(kept) - anchor
        for bar, by in (
            (self.horizontalScrollBar(), moved.x()),
            (self.verticalScrollBar(), moved.y()),
        ):
            bar.setValue(bar.value() + round(by))
        pannable = (
            self.horizontalScrollBar().maximum() > 0 or self.verticalScrollBar().maximum() > 0
        )
        mode = QGraphicsView.DragMode.ScrollHandDrag if pannable else QGraphicsView.DragMode.NoDrag
        self.setDragMode(mode)
        self.zoomChanged.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120
        if not notches or self._size.isEmpty():
            super().wheelEvent(event)  # sideways scrolling pans
            return
        self.zoom_by(ZOOM_STEP**notches, event.position())
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self._fitted:
            self.zoom_to(1.0, event.position())
        else:
            self.fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fitted:
            self.fit()


class _PhotoItem(QGraphicsPixmapItem):
    """Draws the pixmap shrunk by Qt's smooth scaling when it is shown smaller than its
    pixels: the painter's own filtering (bilinear) would alias fine detail."""

    def __init__(self) -> None:
        super().__init__()
        self.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._shrunk = QPixmap()

    def show_pixmap(self, pixmap: QPixmap) -> None:
        self.setPixmap(pixmap)
        self._shrunk = QPixmap()

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        pixmap = self.pixmap()
        scale = painter.worldTransform().m11() * painter.device().devicePixelRatioF()
        if pixmap.isNull() or scale >= 1:
            super().paint(painter, option, widget)
            return
        size = QSize(max(1, round(pixmap.width() * scale)), max(1, round(pixmap.height() * scale)))
        if self._shrunk.size() != size:
            self._shrunk = pixmap.scaled(
                size,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(self.boundingRect(), self._shrunk, QRectF(self._shrunk.rect()))
