"""The bar shown above the results while the model is downloaded on a first run."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout

from photofind.core.download import DownloadProgress
from photofind.gui.status_text import time_left
from photofind.gui.style import bold, mute, plain_label
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
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, palette.color(QPalette.ColorRole.AlternateBase))
        self.setPalette(palette)

        self.title = bold(plain_label("Downloading the search model"))
        self.explanation = plain_label(
            "This happens once. Searching starts as soon as it is done.", wrap=True
        )
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

    def show_progress(self, progress: DownloadProgress) -> None:
        self.title.setText(f"Downloading the search model ({progress.ref})")
        self.bar.setValue(round(progress.fraction * 1000))
        self.status.setText(download_status(progress))
        self.cancel_button.setEnabled(not progress.finished)
        self.show()
