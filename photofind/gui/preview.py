"""The photo viewer: one result at a time, stepped through with the arrow keys, zoomed and
panned, full screen, with the photo's details beside it."""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Sequence

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photofind.core.api import PhotoText, TagScore
from photofind.gui.background import Background
from photofind.gui.open_with import OpenWithMenu
from photofind.gui.photo_details import (
    DetailsPanel,
    Where,
    boxes_holding,
    quoted_words,
    with_marks,
)
from photofind.gui.photo_view import ZOOM_STEP, PhotoView
from photofind.gui.results_model import ResultsModel
from photofind.gui.style import bold, mute, plain_label
from photofind.gui.thumbnail_loader import ThumbnailLoader
from photofind.gui.viewer_photos import ViewerPhotos

HEATMAPS_KEPT = 24

Keys = Sequence[str | QKeySequence.StandardKey]


class PreviewDialog(QDialog):
    """Shows one row of the results. Its keys are the window's shortcuts, so they work
    whichever control has the focus."""

    findSimilar = Signal(str)
    showInFolderRequested = Signal(str)
    rowChanged = Signal(int)
    locateRequested = Signal(str, str)  # photo, query: where in the photo the query matches
    describeRequested = Signal(str)  # photo: which tags describe it
    extrasRequested = Signal(str)  # photo: where it was taken, the words in it
    trashRequested = Signal(str)  # photo

    def __init__(
        self,
        model: ResultsModel,
        background: Background,
        thumbnails: ThumbnailLoader,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preview")
        self._model = model
        self._thumbnails = thumbnails
        self._photos = ViewerPhotos(background)
        self._photos.ready.connect(self._photo_ready)
        self._row = -1
        self._query: str | None = None  # the text query the results answer, if any
        self._words: list[str] = []  # the words it quotes, marked where the photo holds them
        self._text: tuple[str, PhotoText | None] = ("", None)  # a photo, the words read in it
        self._heatmaps: OrderedDict[tuple[str, str], QPixmap] = OrderedDict()

        self.view = PhotoView()
        self.view.zoomChanged.connect(self._zoom_changed)
        self.message = plain_label(wrap=True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stage = QStackedWidget()
        self.stage.addWidget(self.view)
        self.stage.addWidget(self.message)
        self.details = details = DetailsPanel()
        # The details under their everyday names.
        self.taken, self.dimensions = details.taken, details.dimensions
        self.location, self.score, self.tags = details.location, details.score, details.tags
        self.name = bold(plain_label(wrap=True, selectable=True), scale=1.2)
        self.position = plain_label()
        self.zoom_label = plain_label()
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_label.setAccessibleName("Zoom")
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("1600%"))
        self.where_status = plain_label()
        mute(self.where_status)
        self.where_status.hide()

        self._build_actions()
        stage_row = QHBoxLayout()
        stage_row.addWidget(self.stage, 1)
        stage_row.addWidget(self.details)
        layout = QVBoxLayout(self)
        layout.addLayout(stage_row, 1)
        layout.addLayout(self._controls())
        layout.addWidget(self.where_status)
        layout.addWidget(self._buttons())
        self.resize(1000, 720)

    @property
    def path(self) -> str:
        return self._model.hit(self._row).path if 0 <= self._row < self._model.rowCount() else ""

    # -- building -------------------------------------------------------------

    def _action(self, text: str, keys: Keys, slot: Callable[[], object], tip: str = "") -> QAction:
        """An action of this window: its keys work wherever the focus is in it."""
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(key) for key in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda: slot())  # no slot wants `checked`
        if tip:
            action.setToolTip(tip)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        view = self.view
        self.previous_action = self._action("‹", ["Left"], lambda: self._step(-1), "Previous (←)")
        self.next_action = self._action("›", ["Right"], lambda: self._step(1), "Next (→)")
        self._action("First", ["Home"], lambda: self.show_row(0))
        self._action("Last", ["End"], lambda: self.show_row(self._model.rowCount() - 1))
        self._action("Close", ["Space"], self._space)
        self._action("Close", ["Esc"], self._escape)
        self._action("Full Screen", ["F11"], self._toggle_full_screen)
        self._action("Move to Trash", ["Del"], lambda: self.trashRequested.emit(self.path))
        zoom_in = ["+", "=", QKeySequence.StandardKey.ZoomIn]
        self.zoom_in_action = self._action(
            "+", zoom_in, lambda: view.zoom_by(ZOOM_STEP), "Zoom in (+, or the wheel)"
        )
        self.zoom_out_action = self._action(
            "−",
            ["-", QKeySequence.StandardKey.ZoomOut],
            lambda: view.zoom_by(1 / ZOOM_STEP),
            "Zoom out (−, or the wheel)",
        )
        self.fit_action = self._action(
            "Fit", ["0", "F"], view.fit, "Fit the photo to the window (0)"
        )
        self.fit_action.setCheckable(True)
        self.actual_size_action = self._action(
            "1:1", ["1"], lambda: view.zoom_to(1.0), "One photo pixel per screen pixel (1)"
        )
        self.details_action = self._action(
            "Details", ["I"], self._details_toggled, "Show or hide the details (I)"
        )
        self.details_action.setCheckable(True)
        self.details_action.setChecked(True)

    def _controls(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.previous_button = _tool(self.previous_action, "Previous photo", scale=1.8)
        self.next_button = _tool(self.next_action, "Next photo", scale=1.8)
        row.addWidget(self.previous_button)
        row.addWidget(self.position)
        row.addWidget(self.next_button)
        row.addSpacing(8)
        row.addWidget(self.name, 1)
        row.addWidget(_tool(self.zoom_out_action, "Zoom out"))
        row.addWidget(self.zoom_label)
        row.addWidget(_tool(self.zoom_in_action, "Zoom in"))
        row.addWidget(_tool(self.fit_action))
        row.addWidget(_tool(self.actual_size_action, "Actual size"))
        row.addSpacing(8)
        row.addWidget(_tool(self.details_action))
        return row

    def _buttons(self) -> QDialogButtonBox:
        buttons = QDialogButtonBox()
        self.where_button = _button("Highlight Match")
        self.where_button.setCheckable(True)
        self.where_button.setToolTip("Colour the photo by how well each part matches the search")
        self.where_button.toggled.connect(self._where_toggled)
        self.similar_button = _button("Find Similar")
        self.open_button = _button("Open With")
        self.open_with = OpenWithMenu(lambda: [self.path], self, offer_default=True)
        self.open_with.failed = self._say_where
        self.open_button.setMenu(self.open_with)
        self.folder_button = _button("Show in Folder")
        for button in (
            self.where_button,
            self.similar_button,
            self.open_button,
            self.folder_button,
        ):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        # A plain button: the standard Close would carry an icon the other buttons lack.
        buttons.addButton(_button("Close"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.rejected.connect(self.reject)
        self.similar_button.clicked.connect(lambda: self.findSimilar.emit(self.path))
        self.folder_button.clicked.connect(lambda: self.showInFolderRequested.emit(self.path))
        return buttons

    # -- what the window shows ------------------------------------------------

    def set_query(self, query: str | None) -> None:
        """The text query the results answer (None for a similar-photo search): Highlight Match
        colours the photo by it."""
        self._query = query
        self._words = quoted_words(query)
        self.where_button.setEnabled(query is not None)
        if query is None:
            self.where_button.setChecked(False)
        self._say_where("")

    def show_row(self, row: int) -> None:
        count = self._model.rowCount()
        if not 0 <= row < count:
            return
        self._row = row
        hit = self._model.hit(row)
        name = os.path.basename(hit.path)
        self.setWindowTitle(f"{name} – Preview")
        self.name.setText(name)
        self.position.setText(f"{row + 1:,} of {count:,}")
        self.previous_action.setEnabled(row > 0)
        self.next_action.setEnabled(row < count - 1)
        self.details.show_pending(hit.path, hit.score)
        self.describeRequested.emit(hit.path)
        self.extrasRequested.emit(hit.path)
        neighbours = [self._model.hit(r).path for r in (row + 1, row - 1) if 0 <= r < count]
        self._photos.want(hit.path, neighbours)
        self._show_where()
        self.view.fit()
        self.rowChanged.emit(row)

    def photos_removed(self) -> None:
        """Photos left the results (to the trash): show the one now at this row, as after
        deleting in any viewer, or close when none is left."""
        count = self._model.rowCount()
        if count:
            self.show_row(min(self._row, count - 1))
        else:
            self.close()

    def show_heatmap(self, photo: str, query: str, image: QImage) -> None:
        self._heatmaps[(photo, query)] = QPixmap.fromImage(image)
        while len(self._heatmaps) > HEATMAPS_KEPT:
            self._heatmaps.popitem(last=False)
        if (photo, query) == (self.path, self._query):
            self._show_where()

    def show_tags(self, photo: str, scores: list[TagScore]) -> None:
        if photo == self.path:
            self.details.show_tags(scores)

    def show_extras(self, photo: str, position: Where | None, text: PhotoText | None) -> None:
        """Where the photo was taken and its words; those the search quotes are marked."""
        if photo == self.path:
            self.details.show_extras(position, text, self._words)
            self._text = (photo, text)
            self._show_image()

    def heatmap_failed(self, photo: str, query: str, why: str) -> None:
        if (photo, query) == (self.path, self._query):
            self._say_where(f"Cannot show where it matches: {why}")

    def _show_where(self) -> None:
        """With Show Where on, the photo coloured by the query (asked for if not here yet)."""
        self._say_where("")
        if self.where_button.isChecked() and self._query is not None and self.path:
            key = (self.path, self._query)
            if key in self._heatmaps:
                self._heatmaps.move_to_end(key)
                self._say_where(
                    f"Yellow: where the photo matches “{self._query}” best; dark purple: least."
                )
            else:
                self._say_where(f"Finding where “{self._query}” matches…")
                self.locateRequested.emit(self.path, self._query)
        self._show_image()

    def _say_where(self, text: str) -> None:
        # Hidden when empty, so it leaves no gap between the controls and the buttons.
        self.where_status.setText(text)
        self.where_status.setVisible(bool(text))

    def _show_image(self) -> None:
        """The best there is of the shown photo: its heatmap with Highlight Match on, else the
        photo at full resolution or as decoded for the screen, else, while that loads, the
        grid's thumbnail."""
        path = self.path
        failure = self._photos.failure(path)
        if failure is not None:
            self._show_message(f"This photo cannot be shown: {failure}")
            self.details.show_unreadable()
            return
        photo = self._photos.photo(path)
        base = photo.pixmap if photo is not None else self._thumbnails.cached(path)
        heatmap = self._current_heatmap()
        shown = heatmap or self._photos.full(path) or base
        if shown is None or base is None:
            self._show_message("Loading…")
            return
        size = base.size()
        if photo is not None:
            self.details.show_facts(photo.facts)
            size = QSize(photo.facts.info.width, photo.facts.info.height)
            if heatmap is None and self._text[0] == path:
                shown = with_marks(shown, size, boxes_holding(self._text[1], self._words))
        self.view.set_photo(shown, size)
        self.stage.setCurrentWidget(self.view)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.view.clear()
        self.stage.setCurrentWidget(self.message)

    def _current_heatmap(self) -> QPixmap | None:
        if not self.where_button.isChecked() or self._query is None:
            return None
        return self._heatmaps.get((self.path, self._query))

    def _photo_ready(self, path: str) -> None:
        if path == self.path:
            self._show_image()

    def _zoom_changed(self) -> None:
        self.zoom_label.setText(f"{round(self.view.zoom() * 100)}%")
        self.fit_action.setChecked(self.view.is_fitted())
        photo = self._photos.photo(self.path)
        if photo is not None and self.view.needs_detail():
            info = photo.facts.info
            self._photos.want_full(self.path, max(info.width, info.height))

    # -- keys -----------------------------------------------------------------

    def _step(self, by: int) -> None:
        self.show_row(self._row + by)

    def _space(self) -> None:
        # A button reached with Tab is pressed, as everywhere; else Space closes, as in Quick
        # Look, Sushi and Loupe.
        focused = QApplication.focusWidget()
        if isinstance(focused, QAbstractButton) and focused.isVisible():
            focused.animateClick()
        else:
            self.reject()

    def _escape(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.reject()

    def _toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def _details_toggled(self) -> None:
        self.details.setVisible(self.details_action.isChecked())

    def _where_toggled(self, on: bool) -> None:
        # The button says what a click will do: the heatmap hides the photo's own colours.
        self.where_button.setText("Hide Highlight" if on else "Highlight Match")
        self._show_where()

    def done(self, result: int) -> None:
        super().done(result)
        self._photos.forget()  # a few screens' worth of pixels, not kept while closed

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # The photo has the keyboard, never a button: Enter must not press Highlight Match.
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)


def _button(text: str) -> QPushButton:
    """A push button that is never the default and takes the focus only by Tab."""
    button = QPushButton(text)
    button.setAutoDefault(False)
    button.setDefault(False)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    return button


def _tool(action: QAction, name: str = "", scale: float = 1.0) -> QToolButton:
    """A flat button for `action`; `name` is what a screen reader says for a symbol."""
    button = QToolButton()
    button.setDefaultAction(action)
    button.setAutoRaise(True)
    if name:
        button.setAccessibleName(name)
    if scale != 1.0:
        font = button.font()
        font.setPointSizeF(font.pointSizeF() * scale)
        button.setFont(font)
    return button
