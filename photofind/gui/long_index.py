"""A long index run, such as a first one over thousands of photos: the window says that it
may be closed meanwhile, in the notice bar (the status bar has no room for a sentence beside
the progress), and the desktop is told when the run is done."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import QSystemTrayIcon

from photofind.core.api import IndexProgress
from photofind.gui.icon import app_icon
from photofind.gui.notice_bar import NoticeBar
from photofind.gui.worker import LibraryWorker

# A run with this many photos to encode takes long enough (minutes on a CPU) to mention.
LONG_INDEX_PHOTOS = 1000
NOTIFICATION_MS = 10_000


class LongIndexNotes(QObject):
    def __init__(
        self, worker: LibraryWorker, notices: NoticeBar, resumes_on_start: Callable[[], bool]
    ) -> None:
        super().__init__(notices)
        self._notices = notices
        self._resumes_on_start = resumes_on_start
        self._note: str | None = None  # what the window was told about this run
        worker.indexProgress.connect(self._progress)
        worker.indexFinished.connect(self._finished)

    def _progress(self, progress: IndexProgress) -> None:
        if self._note is not None or progress.phase not in ("loading", "indexing"):
            return
        if progress.total - progress.done >= LONG_INDEX_PHOTOS:
            later = (
                "it carries on from there when it next starts"
                if self._resumes_on_start()
                else "Update Index Now carries on from there"
            )
            self._note = (
                f"Indexing {progress.total:,} photos takes a while. You can close Photofind: "
                f"what is indexed is kept, and {later}."
            )
            self._notices.show_notice(self._note)

    def _finished(self, progress: IndexProgress) -> None:
        if self._note is not None and self._notices.text() == self._note:
            self._notices.hide()
        self._note = None
        encoded = progress.counts.encoded
        if not progress.cancelled and encoded >= LONG_INDEX_PHOTOS:
            notify(
                "Photofind has finished indexing",
                f"{encoded:,} new photos can be found by describing them.",
            )


def notify(title: str, text: str) -> None:
    """A desktop notification, where the desktop shows them; else nothing."""
    if not QSystemTrayIcon.isSystemTrayAvailable() or not QSystemTrayIcon.supportsMessages():
        return
    tray = QSystemTrayIcon(app_icon(), QCoreApplication.instance())
    tray.show()  # some desktops show messages only from an icon that is shown
    tray.showMessage(title, text, app_icon(), NOTIFICATION_MS)
    QTimer.singleShot(NOTIFICATION_MS, tray.deleteLater)
