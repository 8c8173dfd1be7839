"""The main window: the search bar, the results grid and the status bar, wired to the library
worker."""

from __future__ import annotations

import itertools
import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSlider,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from photofind import __version__
from photofind.core.imaging import is_photo_name
from photofind.core.indexer import IndexProgress
from photofind.core.search import Hit
from photofind.core.thumbnails import ThumbnailCache
from photofind.gui import desktop
from photofind.gui.background import Background
from photofind.gui.empty_states import MessagePage
from photofind.gui.folders_dialog import FoldersDialog
from photofind.gui.index_status import IndexStatus
from photofind.gui.model_banner import ModelProblemBanner
from photofind.gui.photo_actions import PhotoActions
from photofind.gui.preview import PreviewDialog
from photofind.gui.results_grid import ResultsGrid
from photofind.gui.results_model import ResultsModel
from photofind.gui.search_bar import SearchBar, photo_path_in
from photofind.gui.settings import (
    THUMBNAIL_MAX,
    THUMBNAIL_MIN,
    THUMBNAIL_STEP,
    AppSettings,
    Preferences,
    clamp_thumbnail_size,
)
from photofind.gui.settings_dialog import SettingsDialog
from photofind.gui.status_text import results_heading
from photofind.gui.style import mute, plain_label, sentence
from photofind.gui.thumbnail_loader import ThumbnailLoader
from photofind.gui.worker import RESULT_LIMIT, LibraryState, LibraryWorker

log = logging.getLogger(__name__)

READY_PLACEHOLDER = "Describe a photo, or paste a photo's path"
LOADING_PLACEHOLDER = "Loading model…"
FAILED_PLACEHOLDER = "Search needs the model, which is not loaded"
# A query's results are fetched again this often while indexing adds photos, unless the user
# has scrolled or selected something (the grid must not change under them).
REFRESH_WHILE_INDEXING_SECONDS = 3.0
SEARCHING_NOTICE_MS = 300


@dataclass(frozen=True)
class Query:
    text: str | None = None
    photo: str | None = None


class MainWindow(QMainWindow):
    def __init__(self, data_dir: Path, settings: AppSettings, prefs: Preferences) -> None:
        super().__init__()
        self.setWindowTitle("Photofind")
        self._settings = settings
        self._prefs = prefs
        self._state: LibraryState | None = None
        self._model_failed_to_load = False
        self._requests = itertools.count(1)
        self._latest_request = 0
        self._query: Query | None = None
        self._shown: Query | None = None  # the query whose results the grid holds
        self._failed: Query | None = None  # the query whose search failed last
        self._history: list[Query] = []  # where Esc goes back to after a similar search
        self._last_refresh = 0.0
        self._closed = False
        self.preview: PreviewDialog | None = None
        self.folders_dialog: FoldersDialog | None = None

        # Two pools: a new query drops the queued thumbnails, never a preview being loaded.
        self.thumbnail_jobs = Background()
        self.photo_jobs = Background(threads=2)
        self.thumbnails = ThumbnailLoader(ThumbnailCache(data_dir), self.thumbnail_jobs)
        self.results = ResultsModel()
        self.worker = LibraryWorker(data_dir, prefs.model, prefs.device, prefs.index_on_start)

        self._build_widgets()
        self._build_actions()
        self._build_menus()
        self._connect_worker()

        geometry = settings.window_geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1100, 760)
        self.setAcceptDrops(True)
        self.search.setFocus()
        # The model loads in the worker, which starts once the event loop runs, so the window
        # is on screen before any slow work begins.
        QTimer.singleShot(0, self._start_worker)

    @property
    def context_menu(self) -> QMenu | None:
        return self.photo_actions.context_menu

    # -- building -------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.search = SearchBar()
        self.search.setPlaceholderText(LOADING_PLACEHOLDER)
        self.search.querySubmitted.connect(self._submitted)
        self.search.leaveDown.connect(self._enter_grid)
        font = self.search.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.search.setFont(font)
        self.search.setMinimumHeight(self.search.sizeHint().height() + 6)

        self.banner = ModelProblemBanner()
        self.banner.hide()
        self.banner.choose_button.clicked.connect(self.choose_model_folder)
        self.banner.retry_button.clicked.connect(self.retry_model)

        self.heading = plain_label()
        mute(self.heading)
        size_label = plain_label("Size")
        mute(size_label)
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(THUMBNAIL_MIN, THUMBNAIL_MAX)
        self.size_slider.setSingleStep(THUMBNAIL_STEP // 2)
        self.size_slider.setPageStep(THUMBNAIL_STEP)
        self.size_slider.setFixedWidth(120)
        self.size_slider.setToolTip("Thumbnail size (Ctrl+Plus, Ctrl+Minus)")
        self.size_slider.setValue(self._prefs.thumbnail_size)
        self.size_slider.valueChanged.connect(
            lambda size: self.grid.set_thumbnail_size(clamp_thumbnail_size(size))
        )

        self.grid = ResultsGrid(self.results, self.thumbnails, self._prefs.thumbnail_size)
        self.message = MessagePage()
        self.message.button.clicked.connect(self.choose_folder_to_add)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.message)
        self.pages.addWidget(self.grid)

        # The result count and the size slider only mean something above results.
        self.results_bar = QWidget()
        under = QHBoxLayout(self.results_bar)
        under.setContentsMargins(0, 0, 0, 0)
        under.addWidget(self.heading, 1)
        under.addWidget(size_label)
        under.addWidget(self.size_slider)
        self.results_bar.hide()
        self.pages.currentChanged.connect(
            lambda _i: self.results_bar.setVisible(self.pages.currentWidget() is self.grid)
        )
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 12, 12, 0)
        layout.setSpacing(8)
        layout.addWidget(self.search)
        layout.addWidget(self.banner)
        layout.addWidget(self.results_bar)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.index_status = IndexStatus(self.statusBar())
        self.index_status.pausedChanged.connect(self.worker.set_paused)
        self.photo_actions = PhotoActions(
            self.grid, self.results, self.photo_jobs, self.statusBar()
        )
        self.photo_actions.previewRequested.connect(self._preview_index)
        self.photo_actions.similarRequested.connect(self.find_similar)

        self._searching = QTimer(self)
        self._searching.setSingleShot(True)
        self._searching.setInterval(SEARCHING_NOTICE_MS)
        self._searching.timeout.connect(self._show_searching)

    def _action(
        self, text: str, slot: object, shortcuts: list[QKeySequence] | None = None
    ) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(slot)
        if shortcuts:
            action.setShortcuts(shortcuts)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        key = QKeySequence
        self.add_folder_action = self._action("Add Folder…", self.choose_folder_to_add)
        self.folders_action = self._action("Folders…", self.show_folders)
        self.reindex_action = self._action("Update Index Now", self._reindex, [key("F5")])
        self.settings_action = self._action(
            "Settings…", self.show_settings, [key(key.StandardKey.Preferences)]
        )
        self.quit_action = self._action("Quit", self.close, [key(key.StandardKey.Quit)])
        self.find_action = self._action("Find", self.focus_search, [key("Ctrl+F"), key("Ctrl+L")])
        self.bigger_action = self._action(
            "Larger Thumbnails",
            lambda: self.size_slider.setValue(self.size_slider.value() + THUMBNAIL_STEP),
            [key(key.StandardKey.ZoomIn), key("Ctrl+=")],
        )
        self.smaller_action = self._action(
            "Smaller Thumbnails",
            lambda: self.size_slider.setValue(self.size_slider.value() - THUMBNAIL_STEP),
            [key(key.StandardKey.ZoomOut)],
        )
        self.about_action = self._action("About Photofind", self._about)
        self.escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.escape.activated.connect(self.go_back)

    def _build_menus(self) -> None:
        photo = self.photo_actions
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.add_folder_action, self.folders_action, self.reindex_action])
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([photo.copy_path, photo.copy_image])
        edit_menu.addSeparator()
        edit_menu.addAction(self.find_action)
        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.bigger_action, self.smaller_action])
        photo_menu = bar.addMenu("&Photo")
        photo_menu.addActions([photo.preview, photo.open, photo.show_in_folder])
        photo_menu.addSeparator()
        photo_menu.addAction(photo.similar)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)

    def _connect_worker(self) -> None:
        w = self.worker
        w.libraryFailed.connect(self._library_failed)
        w.modelLoading.connect(self._model_loading)
        w.modelReady.connect(self._model_loaded)
        w.modelFailed.connect(self._model_failed)
        w.stateChanged.connect(self._state_changed)
        w.indexProgress.connect(self._index_progress)
        w.indexFinished.connect(self._index_finished)
        w.resultsReady.connect(self._results_ready)
        w.searchFailed.connect(self._search_failed)
        w.problem.connect(lambda message: self.statusBar().showMessage(sentence(message), 15000))

    def _start_worker(self) -> None:
        if not self._closed:
            self.worker.start()

    # -- the worker's news ----------------------------------------------------

    def _library_failed(self, message: str) -> None:
        self.search.setEnabled(False)
        self.message.show_message("The library cannot be opened", sentence(message))
        self.pages.setCurrentWidget(self.message)

    def _model_loading(self, _model: str) -> None:
        self._model_failed_to_load = False
        self.banner.hide()
        self.search.setPlaceholderText(LOADING_PLACEHOLDER)

    def _model_loaded(self, device: str) -> None:
        self.banner.hide()
        self.search.setPlaceholderText(READY_PLACEHOLDER)
        self.index_status.library.setToolTip(f"Model: {self._prefs.model} (on {device})")
        if self._query is not None and self._query == self._failed:
            self._run(self._query)  # it failed for want of the model

    def _model_failed(self, message: str) -> None:
        self._model_failed_to_load = True
        self.search.setPlaceholderText(FAILED_PLACEHOLDER)
        self.banner.show_problem(message)

    def _state_changed(self, state: LibraryState) -> None:
        self._state = state
        self.index_status.library_changed(state)
        if self.folders_dialog is not None:
            self.folders_dialog.set_state(state)
        if self._query is None:
            self._show_start_page()

    def _index_progress(self, progress: IndexProgress) -> None:
        self.index_status.progress(progress)
        if (
            self._query is not None
            and time.monotonic() - self._last_refresh > REFRESH_WHILE_INDEXING_SECONDS
            and not self._user_is_browsing()
        ):
            self._run(self._query)

    def _user_is_browsing(self) -> bool:
        """Scrolled or selected: new results now would move the grid under the user."""
        return (
            self.grid.verticalScrollBar().value() > 0 or self.grid.selectionModel().hasSelection()
        )

    def _index_finished(self, progress: IndexProgress) -> None:
        self.index_status.finished()
        c = progress.counts
        if self._query is None or not (c.encoded or c.reused or c.removed):
            return
        if self._user_is_browsing():
            self.statusBar().showMessage(
                "Indexing finished: search again to include the new photos", 15000
            )
        else:
            self._run(self._query)

    def _results_ready(self, request: int, hits: list[Hit]) -> None:
        if request != self._latest_request:
            return  # an older query, overtaken by the one being typed
        self._shown, self._failed = self._query, None
        self._searching.stop()
        self._last_refresh = time.monotonic()
        if self.preview is not None:
            self.preview.close()  # its row would now be another photo
        self.thumbnails.new_generation()
        self.results.set_hits(hits)
        if not hits:
            self.heading.setText("")
            self.message.show_message(
                "No photos are indexed yet",
                "Matching photos appear here as soon as they are indexed.",
            )
            self.pages.setCurrentWidget(self.message)
            return
        photo = self._query.photo if self._query else None
        self.heading.setText(results_heading(len(hits), RESULT_LIMIT, photo))
        self.pages.setCurrentWidget(self.grid)
        self.grid.scrollToTop()

    def _show_searching(self) -> None:
        if self.pages.currentWidget() is self.grid:
            self.heading.setText("Searching…")
        else:
            self.message.show_message("Searching…")

    def _search_failed(self, request: int, message: str) -> None:
        if request != self._latest_request:
            return
        self._shown, self._failed = None, self._query
        self._searching.stop()
        self.heading.setText("")
        self.results.clear()
        self.message.show_message("This search did not work", sentence(message))
        self.pages.setCurrentWidget(self.message)

    # -- searching ------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _submitted(self, text: str) -> None:
        text = text.strip()
        if not text:
            self._history.clear()
            self._clear_results()
            return
        photo = photo_path_in(text)
        if photo is not None:
            self.find_similar(photo)
            return
        self._history.clear()
        self._run(Query(text=text))

    def find_similar(self, path: str) -> None:
        """Show photos like `path` (in the library or not); Esc comes back from there."""
        query = Query(photo=os.path.abspath(path))
        if self._query is not None and self._query != query:
            self._history.append(self._query)
        self.search.set_text_quietly(query.photo or "")
        self._run(query)

    def _run(self, query: Query) -> None:
        self._query = query
        self._latest_request = next(self._requests)
        self._last_refresh = time.monotonic()
        if query.text is not None:
            self.worker.search_text(self._latest_request, query.text)
        else:
            assert query.photo is not None
            self.worker.search_similar(self._latest_request, query.photo)
        self._searching.start()

    def _clear_results(self) -> None:
        self._query = self._shown = None
        self._latest_request = next(self._requests)  # answers still on their way are stale
        self._searching.stop()
        self.thumbnails.new_generation()
        self.results.clear()
        self.heading.setText("")
        self._show_start_page()

    def _show_start_page(self) -> None:
        if self._state is None:
            return
        if not self._state.folders:
            self.message.show_message(
                "Find your photos by describing them",
                "Add a folder of photos to begin. Photofind looks at each photo once, here on "
                "this computer, and then finds it from a few words, such as “sunset over the "
                "sea” or “birthday cake”.",
                "Add Folder…",
            )
        else:
            self.message.show_message(
                "What are you looking for?",
                "Describe a photo in a few words, or drop a photo here to find similar ones.",
            )
        self.pages.setCurrentWidget(self.message)

    def go_back(self) -> None:
        """Esc: back to the query before a similar search, else clear the search."""
        if self._history:
            query = self._history.pop()
            self.search.set_text_quietly(query.text or query.photo or "")
            self._run(query)
        elif self.search.text() or self._query is not None:
            self.search.set_text_quietly("")
            self._clear_results()
            self.search.setFocus()
        else:
            self.grid.clearSelection()

    def _enter_grid(self) -> None:
        if not self.results.rowCount():
            return
        self.grid.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.grid.currentIndex().isValid():
            self.grid.setCurrentIndex(self.results.index(0))

    # -- preview --------------------------------------------------------------

    def _preview_index(self, index: QModelIndex) -> None:
        if self.preview is None:
            self.preview = PreviewDialog(self.results, self.photo_jobs, self)
            self.preview.findSimilar.connect(self._find_similar_from_preview)
            self.preview.openRequested.connect(lambda path: desktop.open_files([path]))
            self.preview.showInFolderRequested.connect(
                lambda path: desktop.show_in_folder(path, self)
            )
            self.preview.rowChanged.connect(
                lambda row: self.grid.setCurrentIndex(self.results.index(row))
            )
        self.preview.show_row(index.row())
        self.preview.show()
        self.preview.raise_()
        self.preview.activateWindow()

    def _find_similar_from_preview(self, path: str) -> None:
        if self.preview is not None:
            self.preview.close()
        self.find_similar(path)

    # -- folders, settings, model ---------------------------------------------

    def choose_folder_to_add(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a Folder of Photos")
        if folder:
            self.add_folder(folder)

    def add_folder(self, folder: str) -> None:
        self.worker.add_folder(os.path.abspath(folder))
        if not self._model_failed_to_load:  # else indexing waits for a model
            self.index_status.expect()

    def show_folders(self) -> None:
        if self.folders_dialog is None:
            self.folders_dialog = FoldersDialog(self)
            self.folders_dialog.addFolder.connect(self.add_folder)
            self.folders_dialog.removeFolder.connect(self.worker.remove_folder)
            self.folders_dialog.setExcluded.connect(self.worker.set_excluded)
        if self._state is not None:
            self.folders_dialog.set_state(self._state)
        self.folders_dialog.show()
        self.folders_dialog.raise_()
        self.folders_dialog.activateWindow()

    def _reindex(self) -> None:
        self.worker.reindex()
        if not self._model_failed_to_load:
            self.index_status.expect()

    def show_settings(self) -> None:
        dialog = SettingsDialog(self._prefs, self)
        dialog.accepted.connect(lambda: self.apply_preferences(dialog.preferences()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def apply_preferences(self, prefs: Preferences) -> None:
        old, self._prefs = self._prefs, prefs
        self._settings.save(prefs)
        self.size_slider.setValue(prefs.thumbnail_size)
        if (prefs.model, prefs.device) != (old.model, old.device):
            self.worker.reload_model(prefs.model, prefs.device)

    def choose_model_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a Folder Holding a CLIP Model")
        if folder:
            self.apply_preferences(replace(self._prefs, model=folder))

    def retry_model(self) -> None:
        self.worker.reload_model(self._prefs.model, self._prefs.device)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About Photofind",
            f"Photofind {__version__}\n\nFinds photos in your own folders by describing them, "
            "or by showing a similar one. Everything stays on this computer.",
        )

    # -- drag and drop --------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_path(event) is not None:
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if _dropped_path(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _dropped_path(event)
        if path is None:
            return
        event.acceptProposedAction()
        if os.path.isdir(path):
            self.add_folder(path)
        else:
            self.find_similar(path)

    # -- closing --------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closed:
            self._closed = True
            self._settings.save_window_geometry(self.saveGeometry())
            # Only the size is saved here: a --model given for this session is not a choice
            # to remember.
            saved = self._settings.load()
            self._settings.save(replace(saved, thumbnail_size=self.size_slider.value()))
            for window in (self.preview, self.folders_dialog):
                if window is not None:
                    window.close()
            self.hide()
            if not self.worker.stop(5000):
                log.warning("the library worker did not stop within 5 seconds")
            self.thumbnail_jobs.shutdown()
            self.photo_jobs.shutdown()
        event.accept()


def _dropped_path(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> str | None:
    """A photo file (for a similar search) or a folder (to add) among the dropped URLs."""
    for url in event.mimeData().urls():
        if not url.isLocalFile():
            continue
        path = url.toLocalFile()
        if os.path.isdir(path) or (is_photo_name(os.path.basename(path)) and os.path.isfile(path)):
            return path
    return None
