"""The bar shown above the results while the model is downloaded on a first run."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout

from photofind.core.api import DownloadProgress
from photofind.gui.status_text import time_left
from photofind.gui.style import banner_frame, bold, mute, plain_label
from photofind.units import human_size


def download_status(progress: DownloadProgress) -> str:
    """E.g. "120 MB of 605 MB · 8.1 MB/s · about 1 min left"."""
    parts = [f"{human_size(progress.bytes_done)} of {human_size(progress.bytes_total)}"]
    if progress.speed > 0:
        parts.append(f"{human_size(progress.speed)}/s")
    if progress.eta_seconds is not None:
        parts.append(time_left(progress.eta_seconds))
    return " · ".join(parts)


class ModelDownloadBar(QFrame):
    def __init__(self) -> None:
        super().__init__()
        banner_frame(self)

        self.title = bold(plain_label("Downloading the search model"))
        self.explanation = plain_label(wrap=True)
        self.status = plain_label()
        mute(self.status)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop downloading; what has arrived is kept")

        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(self.explanation)
        text.addWidget(self.bar)
        text.addWidget(self.status)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addLayout(text, 1)
        layout.addSpacing(12)
        layout.addWidget(self.cancel_button)

    def show_needed(self, ref: str, approximate_bytes: int) -> None:
        """Before the download starts: what it is, and about how big (0: not known yet)."""
        self.title.setText(f"Downloading the search model ({ref})")
        self._explain(f"about {human_size(approximate_bytes)}" if approximate_bytes else "")
        self.bar.setRange(0, 0)  # busy until the hub has told the sizes
        self.status.setText("Starting the download…")
        self.cancel_button.setEnabled(True)
        self.show()

    def show_progress(self, progress: DownloadProgress) -> None:
        self.title.setText(f"Downloading the search model ({progress.ref})")
        self._explain(human_size(progress.bytes_total))
        self.bar.setRange(0, 1000)
        self.bar.setValue(round(progress.fraction * 1000))
        self.status.setText(download_status(progress))
        self.cancel_button.setEnabled(not progress.finished)
        self.show()

    def _explain(self, size: str) -> None:
        once = f"Photofind needs to download its model once{f' ({size})' if size else ''}."
        self.explanation.setText(f"{once} Searching starts as soon as it is done.")
