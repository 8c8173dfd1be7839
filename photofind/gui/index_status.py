"""The status bar's account of indexing (progress, rate, time left, Pause/Resume) and of the
library (how many photos it holds)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressBar, QPushButton, QStatusBar

from photofind.core.api import IndexProgress
from photofind.gui.status_text import index_status, library_summary
from photofind.gui.style import home_relative, plain_label
from photofind.gui.worker import LibraryState


class IndexStatus(QObject):
    pausedChanged = Signal(bool)

    def __init__(self, status_bar: QStatusBar) -> None:
        super().__init__(status_bar)
        self._status_bar = status_bar
        self._progress: IndexProgress | None = None
        # Indexing starts only once the model is ready; until then, what was added waits.
        self._model_ready = False
        self._waiting: str | None = None  # the status bar's word on it
        self.label = plain_label()
        # Room for a typical line, so the status bar does not jitter as the numbers change.
        self.label.setMinimumWidth(
            self.label.fontMetrics().horizontalAdvance(
                "Indexing 00,000 of 00,000 · 00 photos/s · about 00 min left"
            )
        )
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.bar = QProgressBar()
        self.bar.setFixedWidth(140)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.library = plain_label()
        # Permanent widgets sit on the right, so passing messages on the left never hide them.
        for widget in (self.label, self.bar, self.pause_button):
            status_bar.addPermanentWidget(widget)
            widget.hide()
        status_bar.addPermanentWidget(self.library)

    @property
    def paused(self) -> bool:
        return self.pause_button.isChecked()

    def set_model_ready(self, ready: bool) -> None:
        self._model_ready = ready
        if ready and self._waiting is not None:
            if self._status_bar.currentMessage() == self._waiting:
                self._status_bar.clearMessage()
            self._waiting = None
            self.expect()

    def folder_added(self, folder: str) -> None:
        """Say that `folder` is in the library, and when its indexing starts."""
        if self._model_ready:
            self.expect()
            return
        self._waiting = f"{home_relative(folder)} added; indexing starts when the model is ready"
        self._status_bar.showMessage(self._waiting)

    def expect(self) -> None:
        """Indexing is about to start: say so at once, before the worker's first report (and
        let the user pause it already). Not while the model loads: indexing waits for it."""
        if not self._model_ready:
            return
        self.pause_button.setChecked(False)
        if self._progress is None:
            self._progress = IndexProgress("scanning", 0, 0, 0.0)
        self._show()

    def progress(self, progress: IndexProgress) -> None:
        self._progress = progress
        self._show()

    def finished(self) -> None:
        self._progress = None
        for widget in (self.label, self.bar, self.pause_button):
            widget.hide()
        self.pause_button.setChecked(False)

    def library_changed(self, state: LibraryState) -> None:
        self.library.setText(library_summary(state.photos, state.failed, len(state.folders)))

    def _show(self) -> None:
        progress = self._progress
        if progress is None:
            return
        self.label.setText(index_status(progress, self.paused))
        # Each phase with a count has a bar of its own: reading text starts it again.
        if progress.phase in ("indexing", "graph", "texts") and progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.done)
        else:
            self.bar.setRange(0, 0)  # busy: the total is not known yet
        for widget in (self.label, self.bar, self.pause_button):
            widget.show()

    def _pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pausedChanged.emit(paused)
        self._show()
