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

        # The suggested step, drawn as the default, and another way beside it.
        self.button = QPushButton()
        self.button.setDefault(True)
        self.other_button = QPushButton()
        for button in (self.button, self.other_button):
            button.setMinimumWidth(160)
            button.setMinimumHeight(button.sizeHint().height() + 8)
            button.hide()

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
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.button)
        buttons.addWidget(self.other_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(3)

    def show_message(self, title: str, body: str = "", button: str = "", other: str = "") -> None:
        self.title.setText(title)
        self.body.setText(body)
        self.body.setVisible(bool(body))
        for widget, text in ((self.button, button), (self.other_button, other)):
            widget.setText(text)
            widget.setVisible(bool(text))
