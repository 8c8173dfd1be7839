"""What the window shows for the user's queries: it sends each query to the worker, shows
only the latest answer, offers the photos indexing adds without moving the grid, and
remembers where Esc goes back to after a similar-photo search."""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut

from photofind.core.api import Filters, Hit, IndexProgress
from photofind.gui.results_model import ResultsModel
from photofind.gui.results_page import ResultsPage
from photofind.gui.search_bar import photo_path_in
from photofind.gui.similar_chip import SimilarChip
from photofind.gui.status_text import results_heading, timeline_heading
from photofind.gui.style import sentence
from photofind.gui.thumbnail_loader import ThumbnailLoader
from photofind.gui.worker import RESULT_LIMIT, LibraryWorker

# While indexing adds photos, the query is run again this often in the background, to offer
# what it finds ("3 new matches — Show"): swapped in, it would move the grid under the user.
REFRESH_WHILE_INDEXING_SECONDS = 3.0
SEARCHING_NOTICE_MS = 300


@dataclass(frozen=True)
class Query:
    """Words, a photo to find others like, or neither: the library browsed, newest first."""

    text: str | None = None
    photo: str | None = None


BROWSE = Query()


class SearchFlow(QObject):
    resultsReplaced = Signal()  # rows now mean other photos than before

    def __init__(
        self,
        worker: LibraryWorker,
        page: ResultsPage,
        results: ResultsModel,
        thumbnails: ThumbnailLoader,
    ) -> None:
        super().__init__(page)
        self.worker = worker
        self.page = page
        self.results = results
        self.thumbnails = thumbnails
        self.has_folders: bool | None = None  # None until the library has been read
        self._requests = itertools.count(1)
        self._latest_request = 0
        self._answered_request = 0
        self._check_request = 0  # the latest search for new matches
        self.query: Query | None = None
        self._failed: Query | None = None  # the query whose search failed last
        self._history: list[Query] = []  # where Esc goes back to after a similar search
        self._last_refresh = 0.0
        self.indexing = False  # results may still grow: the heading says "so far"
        self._filters = Filters()  # those the latest search was sent with
        self._searching = QTimer(self)
        self._searching.setSingleShot(True)
        self._searching.setInterval(SEARCHING_NOTICE_MS)
        self._searching.timeout.connect(self._show_searching)
        self.chip = SimilarChip(page.search, thumbnails)
        self.chip.closed.connect(self.back)
        self.chip.shownChanged.connect(page.suggestions.set_similar_shown)
        # Typed words replace the photo; they are searched as words.
        page.search.textEdited.connect(lambda _text: self.chip.clear())
        back = QShortcut(QKeySequence(Qt.Modifier.ALT | Qt.Key.Key_Left), page)
        back.activated.connect(self.back)
        page.search.querySubmitted.connect(self.submitted)
        page.tag_filter.currentIndexChanged.connect(lambda _i: self.rerun())
        page.filters_popup.changed.connect(self.rerun)
        page.new_matches.clicked.connect(self.rerun)
        worker.resultsReady.connect(self._results_ready)
        worker.searchFailed.connect(self._search_failed)

    # -- the user's side --------------------------------------------------------

    def submitted(self, text: str) -> None:
        text = text.strip()
        if not text and self.chip.path is not None:
            return  # Enter beside the chip: its results are already shown
        self.chip.clear()
        if not text:
            self._history.clear()
            self.clear()
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
        if self.query is not None and self.query != query:
            self._history.append(self.query)
        self._show_query(query)
        self._run(query)

    def back(self) -> None:
        """Back to the query, and its results, before a similar search (Alt+Left, the chip's
        ×, or Esc with nothing selected)."""
        if self._history:
            query = self._history.pop()
            self._show_query(query)
            self._run(query)

    def _show_query(self, query: Query) -> None:
        """The query in the search field: its words, or the chip of its photo."""
        self.page.search.set_text_quietly(query.text or "")
        if query.photo is not None:
            self.chip.show_photo(query.photo)
        else:
            self.chip.clear()

    def go_back(self) -> None:
        """Esc, one step at a time (a popup open closes itself first): deselect the photos,
        then go back to the query before a similar search, then clear the search."""
        search, grid = self.page.search, self.page.grid
        if grid.selectionModel().hasSelection():
            grid.clearSelection()
        elif self._history:
            self.back()
        elif search.text() or self.query not in (None, BROWSE):
            search.set_text_quietly("")
            self.clear()
            search.setFocus()

    def clear(self) -> None:
        """No query: the library newest first, or the start page while it has no folders."""
        self.query = None
        self._latest_request = next(self._requests)  # answers still on their way are stale
        self._searching.stop()
        self.chip.clear()
        self.page.offer_new_matches(0)
        self.show_start_page()

    def rerun(self) -> None:
        """The same query again (the tag or another filter changed)."""
        if self.query is not None:
            self._run(self.query)

    def show_start_page(self) -> None:
        """Browse the library once it has folders; until then, offer to add one."""
        if self.query not in (None, BROWSE) or self.has_folders is None:
            return
        if self.has_folders:
            if self.query is None:
                if not self.page.showing_grid():
                    self.page.show_start_page(True)  # until the library's photos arrive
                self._run(BROWSE)
            return
        self.query = None
        self.thumbnails.new_generation()
        self.results.clear()
        self.page.heading.setText("")
        self.page.show_start_page(False)

    def enter_grid(self) -> None:
        grid = self.page.grid
        if not self.results.rowCount():
            return
        grid.setFocus(Qt.FocusReason.OtherFocusReason)
        if not grid.currentIndex().isValid():
            grid.setCurrentIndex(self.results.index(0))

    # -- the library's side -----------------------------------------------------

    def model_ready(self) -> None:
        if self.query is not None and self.query == self._failed:
            self._run(self.query)  # it failed for want of the model

    def index_progress(self, _progress: IndexProgress) -> None:
        self.indexing = True
        if time.monotonic() - self._last_refresh > REFRESH_WHILE_INDEXING_SECONDS:
            self._look_for_new_matches()

    def index_finished(self, _progress: IndexProgress) -> None:
        self.indexing = False
        # Also when nothing was added: the heading no longer says "so far".
        self._look_for_new_matches()

    # -- internals ----------------------------------------------------------------

    def _run(self, query: Query) -> None:
        self.query = query
        self._latest_request = next(self._requests)
        self._check_request = 0  # its answer would be about the results being replaced
        self._filters = self.page.filters()
        self.page.offer_new_matches(0)
        self._send(self._latest_request, query)
        self._searching.start()

    def _look_for_new_matches(self) -> None:
        """Run the query again, to offer what it finds that is not shown. Not while the
        query's own answer is awaited: the worker answers only the newest search."""
        if self.query is None or self._answered_request != self._latest_request:
            return
        self._check_request = next(self._requests)
        self._send(self._check_request, self.query)

    def _send(self, request: int, query: Query) -> None:
        self._last_refresh = time.monotonic()
        tag, filters = self.page.tag(), self._filters
        if query.text is not None:
            self.worker.search_text(request, query.text, tag, filters)
        elif query.photo is not None:
            self.worker.search_similar(request, query.photo, tag, filters)
        else:
            self.worker.browse(request, tag, filters)

    def _results_ready(self, request: int, hits: list[Hit]) -> None:
        if request == self._check_request and self.results.rowCount():
            self._offer(hits)
            return
        if request not in (self._latest_request, self._check_request):
            return  # an older query, overtaken by the one being typed
        self._answered_request = self._latest_request
        self._failed = None
        self._searching.stop()
        self._last_refresh = time.monotonic()
        self.resultsReplaced.emit()
        self.thumbnails.new_generation()
        self.results.set_hits(hits)
        self.chip.refresh()  # its thumbnail, if queued, went with the old results'
        if not hits:
            self.page.heading.setText("")
            if self._filters.narrows or self.page.tag():
                self.page.show_message(
                    "No photos pass the filters",
                    "None of the indexed photos is of the date, folder, type or tag chosen. "
                    "Change the filters beside the search bar, or reset them.",
                )
            elif self.query == BROWSE:
                self.page.show_start_page(True)
            else:
                self.page.show_message(
                    "No photos are indexed yet",
                    "Matching photos appear here as soon as they are indexed.",
                )
            return
        self.page.show_grid(self._heading(len(hits)))
        # Browsing has no matches to cut, so no "Show all matches" beside its count.
        close_only = self.page.filters_popup.close_only.isChecked()
        self.page.show_all.setVisible(close_only and self.query != BROWSE)

    def _offer(self, hits: list[Hit]) -> None:
        """Offer the photos a search again found beyond those shown; the grid stays as it is."""
        self.page.offer_new_matches(sum(self.results.row_of(hit.path) is None for hit in hits))
        self.page.heading.setText(self._heading(self.results.rowCount()))

    def _heading(self, count: int) -> str:
        photo = self.query.photo if self.query else None
        f = self._filters
        if self.query == BROWSE:
            return timeline_heading(count, RESULT_LIMIT, f.sort, so_far=self.indexing)
        return results_heading(
            count, RESULT_LIMIT, photo, sort=f.sort, close=f.cutoff, so_far=self.indexing
        )

    def _show_searching(self) -> None:
        if self.page.showing_grid():
            self.page.heading.setText("Searching…")
        else:
            self.page.show_message("Searching…")

    def _search_failed(self, request: int, message: str) -> None:
        if request != self._latest_request:
            return
        self._answered_request = request
        self._failed = self.query
        self._searching.stop()
        self.page.heading.setText("")
        self.results.clear()
        self.page.show_message("This search did not work", sentence(message))
