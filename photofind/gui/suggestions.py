"""Help with a first search: example queries and the library's tags with their counts, each a
link that runs it. Shown while the search box is empty and the library has photos."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from photofind.gui.search_bar import SearchBar
from photofind.gui.style import mute, plain_label, use_role

EXAMPLE_QUERIES = ["sunset over the sea", "a dog on a beach", "birthday cake", "a screenshot"]
MAX_TAGS = 8  # the most common; the tag box beside the search bar has them all


class Suggestions(QWidget):
    """Clicking an example types it into the search bar and runs it; clicking a tag chooses it
    in the tag box, which lists that tag's photos."""

    def __init__(self, search: SearchBar, tag_filter: QComboBox) -> None:
        super().__init__()
        self._search = search
        self._tag_filter = tag_filter
        self._has_photos = False
        self._similar = False
        self.examples = [self._link(q, lambda _c=False, q=q: self._try(q)) for q in EXAMPLE_QUERIES]
        self._tags_row = QHBoxLayout()
        self.tags: list[QPushButton] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(_row("Try", self.examples))
        layout.addLayout(self._tags_row)
        search.textChanged.connect(lambda _text: self._update_visibility())
        self._update_visibility()

    def set_tag_counts(self, counts: dict[str, int]) -> None:
        """The tags photos have, most common first."""
        _clear(self._tags_row)
        common = sorted(((t, c) for t, c in counts.items() if c > 0), key=lambda tc: -tc[1])
        self.tags = [
            self._link(f"{tag} ({count:,})", lambda _c=False, t=tag: self._choose_tag(t))
            for tag, count in common[:MAX_TAGS]
        ]
        if self.tags:
            _fill(self._tags_row, "Tags", self.tags)

    def set_has_photos(self, has_photos: bool) -> None:
        """Examples are no help before there are photos to find."""
        self._has_photos = has_photos
        self._update_visibility()

    def set_similar_shown(self, shown: bool) -> None:
        """A Find Similar chip in the search bar: the box is not empty, only wordless."""
        self._similar = shown
        self._update_visibility()

    def _update_visibility(self) -> None:
        self.setVisible(self._has_photos and not self._search.text() and not self._similar)

    def _try(self, query: str) -> None:
        self._search.setText(query)
        self._search.submit()

    def _choose_tag(self, tag: str) -> None:
        self._tag_filter.setCurrentIndex(max(0, self._tag_filter.findData(tag)))

    @staticmethod
    def _link(text: str, clicked: object) -> QPushButton:
        button = QPushButton(text)
        button.setFlat(True)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        use_role(button, QPalette.ColorRole.ButtonText, QPalette.ColorRole.Link)
        button.clicked.connect(clicked)
        return button


def _row(title: str, buttons: list[QPushButton]) -> QHBoxLayout:
    row = QHBoxLayout()
    _fill(row, title, buttons)
    return row


def _fill(row: QHBoxLayout, title: str, buttons: list[QPushButton]) -> None:
    label = plain_label(f"{title}:")
    mute(label)
    row.addWidget(label)
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)


def _clear(row: QHBoxLayout) -> None:
    while (item := row.takeAt(0)) is not None:
        if (widget := item.widget()) is not None:
            widget.deleteLater()
