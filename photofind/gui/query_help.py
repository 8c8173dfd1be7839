"""The search bar's help: a popover on phrasing a good query first (words written in photos
and places too), then the query language (photofind.core.search.query) under "Advanced"."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QToolButton, QVBoxLayout, QWidget

from photofind.gui.style import bold, mute, plain_label

PHRASING = (
    "Describe what is in the photo, in a few words, as you would to a friend: the things "
    "in it, the place, the colours, the light."
)
GOOD_QUERIES = [
    ("a dog on a beach", "objects and where they are"),
    ("red car in the snow", "colours help"),
    ("birthday cake with candles", "a few details, not a whole sentence"),
    ("a screenshot", "kinds of picture work too"),
    ('"invoice 2024"', "in quotes: words written in the photo"),
    ("beach in Portugal", "a country, region or city: photos taken there"),
]
ADVANCED = [
    ("beach + sunset - people", "add descriptions together, take some away"),
    ("2:dog + cat", "a weight before a term: the dog counts twice"),
    ("red car - 0.5:rain", "take away a little"),
    ("~/Pictures/beach.jpg + sunset", "a photo (its path) mixed with text"),
    ('"total" + receipt - "paid"', "receipts reading “total”, not “paid”"),
    ('"~/My Photos/a - b.jpg" - snow', "quotes keep a path's spaces, + and -"),
]


class QueryHelp(QFrame):
    """A popup under the search bar; any click elsewhere or Esc closes it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("How to search")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)
        title = QHBoxLayout()
        title.addWidget(bold(plain_label("Searching")), 1)
        # Esc or a click elsewhere closes it too, but a visible way out is what people look for.
        close = QToolButton()
        close.setText("×")
        close.setAutoRaise(True)
        close.setAccessibleName("Close the help")
        close.setToolTip("Close (Esc)")
        close.clicked.connect(self.close)
        title.addWidget(close)
        layout.addLayout(title)
        layout.addWidget(plain_label(PHRASING, wrap=True))
        # One grid for both lists, so that their explanations line up.
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(4)
        row = _add_examples(grid, 0, GOOD_QUERIES)
        advanced = bold(plain_label("Advanced"))
        advanced.setContentsMargins(0, 6, 0, 0)
        grid.addWidget(advanced, row, 0, 1, 2)
        _add_examples(grid, row + 1, ADVANCED)
        layout.addLayout(grid)
        notes = (
            "Words in photos are found once indexing has read them; places, in photos that "
            "recorded where they were taken.",
            "Drop a photo on the window, or paste its path, to find similar ones.",
        )
        for note in notes:
            layout.addWidget(plain_label(note, wrap=True))

    def show_under(self, widget: QWidget) -> None:
        self.adjustSize()
        self.move(widget.mapToGlobal(QPoint(widget.width() - self.width(), widget.height() + 2)))
        self.show()


def _add_examples(grid: QGridLayout, first: int, rows: list[tuple[str, str]]) -> int:
    """Queries in a fixed-width font, each with what it shows, from row `first` on; returns
    the row after them."""
    fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    for row, (query, meaning) in enumerate(rows, first):
        example = plain_label(query, selectable=True)
        example.setFont(fixed)
        explanation = plain_label(meaning)
        mute(explanation)
        grid.addWidget(example, row, 0)
        grid.addWidget(explanation, row, 1)
    return first + len(rows)
