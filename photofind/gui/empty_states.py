"""What the results area shows when there are no results to show."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from photofind.gui.style import bold, mute, plain_label

BODY_WIDTH = 520


class MessagePage(QWidget):
    """A centred title and explanation: first run, nothing typed yet, no matches, errors."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = bold(plain_label(wrap=True), scale=1.4)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body = plain_label(wrap=True)
        self.body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.setMaximumWidth(BODY_WIDTH)
        mute(self.body)

        self.button = QPushButton()
        self.button.setMinimumWidth(160)
        self.button.setMinimumHeight(self.button.sizeHint().height() + 8)
        self.button.hide()

        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addSpacing(8)
        # Stretches either side, not an alignment flag: an aligned word-wrapped label is given
        # its one-line height and the wrapped lines get clipped.
        body_row = QHBoxLayout()
        body_row.addStretch(1)
        body_row.addWidget(self.body, 100)
        body_row.addStretch(1)
        layout.addLayout(body_row)
        layout.addSpacing(16)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)

    def show_message(self, title: str, body: str = "", button: str = "") -> None:
        self.title.setText(title)
        self.body.setText(body)
        self.body.setVisible(bool(body))
        self.button.setText(button)
        self.button.setVisible(bool(button))
