"""The grid of results: a QListView in icon mode, painted by the thumbnail delegate."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QFrame, QListView, QStyle, QWidget

from photofind.gui.day_headers import DayDelegate
from photofind.gui.results_model import ResultsModel
from photofind.gui.thumbnail_loader import ThumbnailLoader

SPACING = 6


class ResultsGrid(QListView):
    """Uniform cells and a static layout keep 10,000 results cheap to lay out and scroll; the
    delegate asks for thumbnails only of the cells it paints, i.e. the visible ones."""

    def __init__(
        self,
        results: ResultsModel,
        thumbnails: ThumbnailLoader,
        side: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._results = results
        self._thumbnails = thumbnails
        self.delegate = DayDelegate(results, thumbnails, side, self)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        # Lay out a large result set in slices between events, so it never stalls the window.
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(1000)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName("Photos")
        self.setMouseTracking(True)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_Hover)
        # Photos can be dragged out to other apps (and onto the window, for a similar search).
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setItemDelegate(self.delegate)
        self.setModel(results)
        thumbnails.thumbnailReady.connect(self._thumbnail_arrived)
        results.modelReset.connect(self._apply_cell_size)  # day headers come and go
        self._apply_cell_size()

    @property
    def thumbnail_size(self) -> int:
        return self.delegate.side

    def set_thumbnail_size(self, side: int) -> None:
        self.delegate.side = side
        # Queued thumbnails of the old size are of no use now.
        self._thumbnails.new_generation()
        self._apply_cell_size()

    def set_display(self, show_scores: bool, show_names: bool, square: bool) -> None:
        """What each cell shows: the match score, the file name, and whether the photo is
        cropped to a square."""
        self.delegate.show_scores = show_scores
        self.delegate.show_names = show_names
        self.delegate.square = square
        self._apply_cell_size()
        self.viewport().update()

    def _apply_cell_size(self) -> None:
        cell = self.delegate.cell_size(self.fontMetrics()) + QSize(SPACING, SPACING)
        # Spread the columns over the whole width rather than leaving a strip on the right.
        # QListView lays out a left-to-right flow in the width left beside a vertical scroll
        # bar even while none is shown (so showing one never re-flows the grid); counted from
        # the bare viewport, a few results that need no scroll bar lost a column.
        bar = self.style().pixelMetric(
            QStyle.PixelMetric.PM_ScrollBarExtent, None, self.verticalScrollBar()
        )
        width = self.maximumViewportSize().width() - bar
        columns = max(1, width // cell.width())
        grid = QSize(max(cell.width(), width // columns), cell.height())
        if grid != self.gridSize():
            self.setGridSize(grid)
        self.verticalScrollBar().setSingleStep(max(20, cell.height() // 4))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply_cell_size()

    def _thumbnail_arrived(self, path: str) -> None:
        row = self._results.row_of(path)
        if row is not None:
            self.update(self._results.index(row))
