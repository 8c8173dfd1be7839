"""The main window's viewer: made the first time it is wanted (most sessions never open it)
and wired to the worker (tags, place and words, Highlight Match), the grid (its current row
follows the viewer's), the trash and Find Similar."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QListView, QWidget

from photofind.gui import desktop
from photofind.gui.background import Background
from photofind.gui.dialog_geometry import remember_geometry
from photofind.gui.preview import PreviewDialog
from photofind.gui.results_model import ResultsModel
from photofind.gui.settings import AppSettings
from photofind.gui.thumbnail_loader import ThumbnailLoader
from photofind.gui.trash import PhotoTrash
from photofind.gui.worker import LibraryWorker

# The heatmap is computed on a scaled-down photo anyway (core.search.locate); this is what it
# is drawn over in the preview.
LOCATE_MAX_SIDE = 1600


class WindowViewer:
    def __init__(
        self,
        window: QWidget,
        grid: QListView,
        results: ResultsModel,
        worker: LibraryWorker,
        trash: PhotoTrash,
        settings: AppSettings,
        pools: tuple[Background, ThumbnailLoader],
        find_similar: Callable[[str], None],
    ) -> None:
        self._window, self._grid, self._results = window, grid, results
        self._worker, self._trash, self._settings = worker, trash, settings
        self._photo_jobs, self._thumbnails = pools
        self._find_similar = find_similar
        self.dialog: PreviewDialog | None = None

    def show_row(self, row: int, query: str | None) -> None:
        """Show result `row`; Highlight Match colours it by `query` (None: no text query)."""
        dialog = self.made()
        dialog.set_query(query)
        dialog.show_row(row)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def made(self) -> PreviewDialog:
        if self.dialog is None:
            self.dialog = self._make()
        return self.dialog

    def _make(self) -> PreviewDialog:
        dialog = PreviewDialog(self._results, self._photo_jobs, self._thumbnails, self._window)
        remember_geometry(dialog, self._settings, "viewer")
        worker = self._worker
        dialog.findSimilar.connect(self._similar)
        dialog.showInFolderRequested.connect(
            lambda path: desktop.show_in_folder(path, self._window)
        )
        dialog.rowChanged.connect(lambda row: self._grid.setCurrentIndex(self._results.index(row)))
        dialog.locateRequested.connect(
            lambda photo, query: worker.locate(photo, query, LOCATE_MAX_SIDE)
        )
        worker.locateReady.connect(dialog.show_heatmap)
        worker.locateFailed.connect(dialog.heatmap_failed)
        dialog.describeRequested.connect(worker.describe)
        worker.described.connect(dialog.show_tags)
        dialog.extrasRequested.connect(worker.read_extras)
        worker.extrasReady.connect(dialog.show_extras)
        # An index run may have read the shown photo's place or words meanwhile.
        worker.indexFinished.connect(self._read_extras_again)
        dialog.trashRequested.connect(lambda path: self._trash.request([path], dialog))
        return dialog

    def _read_extras_again(self, _finished: object) -> None:
        if self.dialog is not None and self.dialog.isVisible() and self.dialog.path:
            self._worker.read_extras(self.dialog.path)

    def _similar(self, path: str) -> None:
        if self.dialog is not None:
            self.dialog.close()
        self._find_similar(path)

    def photos_removed(self) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.photos_removed()

    def close(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
