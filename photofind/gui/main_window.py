"""The main window: the results page, the menus and the status bar, wired to the library
worker and to the dialogs."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragMoveEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu

from photofind.core.api import DownloadProgress, IndexProgress, ThumbnailCache
from photofind.gui.background import Background
from photofind.gui.drop_target import dropped_path
from photofind.gui.duplicates_dialog import DuplicatesDialog
from photofind.gui.folder_choice import choose_photo_folder
from photofind.gui.folders_dialog import FoldersDialog
from photofind.gui.index_status import IndexStatus
from photofind.gui.long_index import LongIndexNotes
from photofind.gui.notice_bar import NoticeBar
from photofind.gui.photo_actions import PhotoActions
from photofind.gui.preview import PreviewDialog
from photofind.gui.results_model import ResultsModel
from photofind.gui.results_page import (
    DOWNLOADING_PLACEHOLDER,
    FAILED_PLACEHOLDER,
    LOADING_PLACEHOLDER,
    READY_PLACEHOLDER,
    ResultsPage,
)
from photofind.gui.search_flow import SearchFlow
from photofind.gui.settings import AppSettings, Preferences
from photofind.gui.style import plain_tooltip, sentence
from photofind.gui.thumbnail_loader import ThumbnailLoader
from photofind.gui.thumbnail_pruner import ThumbnailPruner
from photofind.gui.trash import PhotoTrash
from photofind.gui.view_options import ViewOptions
from photofind.gui.window_dialogs import WindowDialogs
from photofind.gui.window_menus import fill_menu_bar
from photofind.gui.window_viewer import WindowViewer
from photofind.gui.worker import LibraryState, LibraryWorker, ModelProblem

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, data_dir: Path, settings: AppSettings, prefs: Preferences) -> None:
        super().__init__()
        self.setWindowTitle("Photofind")
        self._settings = settings
        self._prefs = prefs
        self._state: LibraryState | None = None
        self._closed = False
        self._data_dir = data_dir

        self._make_library_parts(data_dir, prefs)
        self._make_window_parts(settings, prefs)
        self._build_actions()
        fill_menu_bar(self.menuBar(), self)
        self._connect()

        geometry = settings.window_geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1100, 760)
        self.setAcceptDrops(True)
        self.search.setFocus()
        # The model loads in the worker, which starts once the event loop runs, so the window
        # is on screen before any slow work begins.
        QTimer.singleShot(0, self._start_worker)

    def _make_library_parts(self, data_dir: Path, prefs: Preferences) -> None:
        """The worker, the pools and the models that stand between it and the widgets."""
        # Two pools: a new query drops the queued thumbnails, never a preview being loaded.
        self.thumbnail_jobs = Background()
        self.photo_jobs = Background(threads=2)
        cache = ThumbnailCache(data_dir)
        self.thumbnails = ThumbnailLoader(cache, self.thumbnail_jobs)
        self.results = ResultsModel()
        self.worker = LibraryWorker(
            data_dir, prefs.model, prefs.device, prefs.index_on_start, prefs.search_index
        )
        self.worker.text_setting = prefs.text_reading
        self.thumbnail_pruner = ThumbnailPruner(
            cache, self.worker, self.photo_jobs, prefs.thumbnail_cache_bytes
        )

    def _make_window_parts(self, settings: AppSettings, prefs: Preferences) -> None:
        """The results page and everything around it: status, notices, actions, dialogs."""
        self.page = ResultsPage(self.results, self.thumbnails, prefs.thumbnail_size)
        self.setCentralWidget(self.page)
        # The parts tests and dialogs reach for, under their everyday names.
        self.search, self.grid, self.banner = self.page.search, self.page.grid, self.page.banner
        self.message, self.heading = self.page.message, self.page.heading
        self.pages, self.size_slider = self.page.pages, self.page.size_slider

        self.flow = SearchFlow(self.worker, self.page, self.results, self.thumbnails)
        self.notices = NoticeBar(self)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.notices)
        self.index_status = IndexStatus(self.statusBar())
        self.long_index = LongIndexNotes(
            self.worker, self.notices, lambda: self._prefs.index_on_start
        )
        self.photo_actions = PhotoActions(
            self.grid, self.results, self.photo_jobs, self.statusBar()
        )
        self.view_options = ViewOptions(self.grid, settings, self)
        self.trash = PhotoTrash(self.worker, self.results, self)
        self.viewer = WindowViewer(
            self,
            self.grid,
            self.results,
            self.worker,
            self.trash,
            settings,
            (self.photo_jobs, self.thumbnails),
            self.find_similar,
        )
        self.dialogs = WindowDialogs(self, self.worker, settings, self.thumbnails, self.add_folder)

    @property
    def context_menu(self) -> QMenu | None:
        return self.photo_actions.context_menu

    @property
    def preview(self) -> PreviewDialog | None:
        return self.viewer.dialog

    @property
    def folders_dialog(self) -> FoldersDialog | None:
        return self.dialogs.folders

    @property
    def duplicates_dialog(self) -> DuplicatesDialog | None:
        return self.dialogs.duplicates

    # -- building -------------------------------------------------------------

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
            lambda: self.page.step_thumbnail_size(1),
            [key(key.StandardKey.ZoomIn), key("Ctrl+=")],
        )
        self.smaller_action = self._action(
            "Smaller Thumbnails",
            lambda: self.page.step_thumbnail_size(-1),
            [key(key.StandardKey.ZoomOut)],
        )
        self.duplicates_action = self._action("Find Duplicates…", self.show_duplicates)
        self.about_action = self._action(
            "About Photofind", lambda: self.dialogs.show_about(self._data_dir)
        )
        self.shortcuts_action = self._action("Keyboard Shortcuts", self.show_shortcuts)
        self.escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.escape.activated.connect(self.flow.go_back)

    def _connect(self) -> None:
        w, flow = self.worker, self.flow
        w.libraryFailed.connect(self._library_failed)
        w.modelLoading.connect(self._model_loading)
        w.modelReady.connect(self._model_loaded)
        w.encoderReady.connect(self._encoder_loaded)
        w.modelFailed.connect(self._model_failed)
        w.modelDownloading.connect(self._model_downloading)
        w.modelDownloadNeeded.connect(self.page.download.show_needed)
        w.tagsChanged.connect(self.page.set_tags)
        w.stateChanged.connect(self._state_changed)
        w.tagCounts.connect(self.page.suggestions.set_tag_counts)
        w.stateChanged.connect(lambda s: self.page.suggestions.set_has_photos(s.photos > 0))
        w.indexProgress.connect(self.index_status.progress)
        w.indexProgress.connect(flow.index_progress)
        w.indexFinished.connect(self._index_finished)
        w.problem.connect(lambda message: self.notices.show_notice(sentence(message)))
        # Its row would now be another photo.
        flow.resultsReplaced.connect(self.viewer.close)
        self.search.leaveDown.connect(flow.enter_grid)
        self.message.button.clicked.connect(self._start_page_button)
        self.message.other_button.clicked.connect(self.choose_folder_to_add)
        self.banner.choose_button.clicked.connect(self.choose_model_folder)
        self.banner.retry_button.clicked.connect(self.retry_model)
        self.page.download.cancel_button.clicked.connect(w.cancel_download)
        self.index_status.pausedChanged.connect(w.set_paused)
        self.page.filters_popup.placesWanted.connect(w.send_places)
        w.placesReady.connect(self.page.filters_popup.set_places)
        self.photo_actions.previewRequested.connect(self._preview_index)
        self.photo_actions.similarRequested.connect(self.find_similar)
        self.photo_actions.trashRequested.connect(lambda paths: self.trash.request(paths, self))
        self.trash.trashed.connect(self._photos_trashed)

    def _start_worker(self) -> None:
        if not self._closed:
            self.worker.start()

    # -- the worker's news ----------------------------------------------------

    def _library_failed(self, message: str) -> None:
        self.search.setEnabled(False)
        self.page.show_message("The library cannot be opened", sentence(message))

    def _model_loading(self, _model: str) -> None:
        self.index_status.set_model_ready(False)
        self.banner.hide()
        self.search.setPlaceholderText(LOADING_PLACEHOLDER)

    def _model_downloading(self, progress: DownloadProgress) -> None:
        self.search.setPlaceholderText(DOWNLOADING_PLACEHOLDER)
        self.page.download.show_progress(progress)

    def _model_loaded(self, _device: str) -> None:
        self.banner.hide()
        self.page.download.hide()
        self.search.setPlaceholderText(READY_PLACEHOLDER)
        self.index_status.set_model_ready(True)
        self.index_status.library.setToolTip(plain_tooltip(f"Model: {self._prefs.model}"))
        self.flow.model_ready()

    def _encoder_loaded(self, device: str) -> None:
        self.index_status.library.setToolTip(
            plain_tooltip(f"Model: {self._prefs.model} (photos encoded on {device})")
        )

    def _model_failed(self, problem: ModelProblem) -> None:
        self.search.setPlaceholderText(FAILED_PLACEHOLDER)
        self.page.download.hide()
        self.banner.show_problem(problem)

    def _state_changed(self, state: LibraryState) -> None:
        if self._state is None and not self._prefs.index_on_start:
            # The library has opened and no index run follows to prune after (_index_finished):
            # prune now. Otherwise the run's end does, so the first search has the CPU alone.
            self.thumbnail_pruner.prune()
        self._state = state
        self.index_status.library_changed(state)
        self.page.filters_popup.set_folders(state.folders)
        self.dialogs.library_changed(state)
        self.flow.has_folders = bool(state.folders)
        self._offer_search(self.flow.has_folders)
        self.flow.show_start_page()

    def _offer_search(self, offered: bool) -> None:
        # Nothing to search or filter before the first folder: the start page's button is
        # the one thing to do.
        self.search.setEnabled(offered)
        self.page.filters_button.setEnabled(offered)

    def _index_finished(self, progress: IndexProgress) -> None:
        self.index_status.finished()
        self.flow.index_finished(progress)
        self.thumbnail_pruner.prune()  # photos may have left the library

    # -- searching ------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def find_similar(self, path: str) -> None:
        self.flow.find_similar(path)

    def go_back(self) -> None:
        self.flow.go_back()

    # -- preview --------------------------------------------------------------

    def _preview_index(self, index: QModelIndex) -> None:
        query = self.flow.query
        self.viewer.show_row(index.row(), query.text if query is not None else None)

    # -- folders, settings, model ---------------------------------------------

    def choose_folder_to_add(self) -> None:
        folder = choose_photo_folder(self)
        if folder:
            self.add_folder(folder)

    def _start_page_button(self) -> None:
        folder = self.page.offered_folder
        if folder:
            self.add_folder(folder)
        else:
            self.choose_folder_to_add()

    def add_folder(self, folder: str) -> None:
        folder = os.path.abspath(folder)
        self.worker.add_folder(folder)
        self.index_status.folder_added(folder)
        self._offer_search(True)  # at once: a person may type before the library says so

    def show_folders(self) -> None:
        self.dialogs.show_folders(self._state)

    def show_duplicates(self) -> None:
        self.dialogs.show_duplicates(self._photos_trashed)

    def show_shortcuts(self) -> None:
        self.dialogs.show_shortcuts(
            [
                ("Window", self.actions()),
                ("Photos in the grid", self.grid.actions()),
                ("Viewer", self.viewer.made().actions()),
            ]
        )

    def _photos_trashed(self, paths: list[str]) -> None:
        self.trash.forget(paths)
        # The library forgets trashed photos at once (the watcher would, a little later).
        self.worker.reindex()
        self.viewer.photos_removed()

    def _reindex(self) -> None:
        self.worker.reindex()
        self.index_status.expect()

    def show_settings(self) -> None:
        self.dialogs.show_settings(self._prefs, self.apply_preferences)

    def apply_preferences(self, prefs: Preferences) -> None:
        old, self._prefs = self._prefs, prefs
        self._settings.save(prefs)
        self.size_slider.setValue(prefs.thumbnail_size)
        self.thumbnail_pruner.set_cap(prefs.thumbnail_cache_bytes)
        if (prefs.model, prefs.device) != (old.model, old.device):
            self.worker.reload_model(prefs.model, prefs.device)
        if prefs.search_index != old.search_index:
            self.worker.set_search_index(prefs.search_index)
        if prefs.text_reading != old.text_reading:
            self.worker.set_text_setting(prefs.text_reading)

    def choose_model_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a Folder Holding a CLIP Model")
        if folder:
            self.apply_preferences(replace(self._prefs, model=folder))

    def retry_model(self) -> None:
        self.worker.reload_model(self._prefs.model, self._prefs.device)

    # -- drag and drop --------------------------------------------------------

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if dropped_path(event) is not None:
            event.acceptProposedAction()

    dragEnterEvent = dragMoveEvent  # type: ignore[assignment]  # an enter is a move too

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_path(event)
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
            self.viewer.close()
            self.dialogs.close()
            self.hide()
            if not self.worker.stop(5000):
                log.warning("the library worker did not stop within 5 seconds")
            self.thumbnail_jobs.shutdown()
            self.photo_jobs.shutdown()
        event.accept()
