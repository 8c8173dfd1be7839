"""The search bar's help: a popover explaining the query language (photofind.core.query)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFrame, QGridLayout, QVBoxLayout, QWidget

from photofind.gui.style import bold, mute, plain_label

EXAMPLES = [
    ("sunset over the sea", "photos like the description"),
    ("beach + sunset - people", "add descriptions together, take some away"),
    ("2:dog + cat", "a weight before a term: the dog counts twice"),
    ("red car - 0.5:rain", "take away a little"),
    ("~/Pictures/beach.jpg + sunset", "a photo (its path) mixed with text"),
    ('"~/My Photos/a - b.jpg" - snow', "quotes keep spaces, + and - in one term"),
]


class QueryHelp(QFrame):
    """A popup under the search bar; any click elsewhere or Esc closes it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)
        layout.addWidget(bold(plain_label("Searching")))
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(4)
        fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        for row, (query, meaning) in enumerate(EXAMPLES):
            example = plain_label(query, selectable=True)
            example.setFont(fixed)
            explanation = plain_label(meaning)
            mute(explanation)
            grid.addWidget(example, row, 0)
            grid.addWidget(explanation, row, 1)
        layout.addLayout(grid)
        layout.addWidget(
            plain_label(
                "Drop a photo on the window, or paste its path, to find similar ones.", wrap=True
            )
        )

    def show_under(self, widget: QWidget) -> None:
        self.adjustSize()
        self.move(widget.mapToGlobal(QPoint(widget.width() - self.width(), widget.height() + 2)))
        self.show()
