"""The bar shown above the results when the model cannot be loaded, with ways to fix it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from photofind.gui.style import banner_frame, bold, plain_label, sentence
from photofind.gui.worker import ModelProblem

TITLE = "The search model could not be loaded"
ADVICE = (
    "Searching needs the model. On the first run it is downloaded once, which needs an "
    "internet connection; or choose a folder that holds a downloaded CLIP model."
)


class ModelProblemBanner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        banner_frame(self)

        self.title = bold(plain_label(TITLE))
        self.message = plain_label(wrap=True, selectable=True)
        self.advice = plain_label(ADVICE, wrap=True)

        self.choose_button = QPushButton("Choose Model Folder…")
        self.retry_button = QPushButton("Retry")

        icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize)
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        icon.setPixmap(warning.pixmap(size, size))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)

        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(self.message)
        text.addWidget(self.advice)
        buttons = QVBoxLayout()
        buttons.addWidget(self.choose_button)
        buttons.addWidget(self.retry_button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(icon)
        layout.addSpacing(4)
        layout.addLayout(text, 1)
        layout.addSpacing(12)
        layout.addLayout(buttons)

    def show_problem(self, problem: ModelProblem) -> None:
        """Explain in the window's words; the core's message names command-line options."""
        title, message, advice, retry = TITLE, sentence(problem.message), ADVICE, "Retry"
        if problem.cancelled:
            title = "The model download is paused"
            message = "What has arrived so far is kept, and the download carries on from there."
            advice = "Searching needs the model; or choose a folder that holds a CLIP model."
            retry = "Resume Download"
        elif problem.offline:
            title = "The search model is not on this computer yet"
            message = (
                f"Photofind downloads the model ({problem.model}) once, on its first run, but "
                "the internet cannot be reached right now."
            )
            advice = (
                "Connect to the internet and click Retry, or choose a folder that holds a "
                "downloaded CLIP model."
            )
        self.title.setText(title)
        self.message.setText(message)
        self.advice.setText(advice)
        self.retry_button.setText(retry)
        self.show()
