"""The viewer's details panel: when and where the photo was taken and with what, how big it
is, where the file is, how it matched the search, and the words written in it; and the marks
that show, on the photo and in its text, the words a search quoted."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QLocale, QRect, QSize, Qt, QTime
from PySide6.QtGui import QColor, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QFrame, QScrollArea, QTextBrowser, QVBoxLayout, QWidget

from photofind.core.api import PhotoText, PlaceKey, TagScore, parse_query
from photofind.core.errors import QueryError
from photofind.gui.photo_images import PhotoFacts
from photofind.gui.status_text import long_date
from photofind.gui.style import home_relative, mute, plain_label
from photofind.units import human_size

PANEL_WIDTH = 260
UNKNOWN = "unknown"
# The words in a photo take this much of the panel at most; longer text scrolls.
TEXT_MAX_HEIGHT = 220
# A highlighter's yellow: the same on the photo's lines and on the words in the text.
MARK = QColor(255, 214, 0, 110)
MARK_TEXT = "#ffe680"

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in the upright photo's pixels
Where = tuple[float, float, PlaceKey]  # latitude, longitude, the place (Library.where_taken)


class DetailsPanel(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.taken = plain_label(wrap=True)
        self.camera = plain_label(wrap=True)
        self.dimensions = plain_label(wrap=True)
        self.file_size = plain_label()
        self.location = plain_label(wrap=True, selectable=True)
        self.score = plain_label()
        self.tags = plain_label(wrap=True)
        self.place = plain_label(wrap=True, selectable=True)
        self.text = _text_view()
        column = QVBoxLayout()
        column.setSpacing(12)
        rows = [
            ("Taken", self.taken),
            ("Place", self.place),
            ("Camera", self.camera),
            ("Size", self.dimensions),
            ("File size", self.file_size),
            ("Path", self.location),
            ("Match score", self.score),
            ("Looks like", self.tags),
            ("Text in photo", self.text),
        ]
        # Captions above their values: a narrow panel has no room for a column of captions.
        self.rows = {caption: _row(caption, field) for caption, field in rows}
        for row in self.rows.values():
            column.addWidget(row)
        column.addStretch(1)
        content = QWidget()
        content.setLayout(column)
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedWidth(PANEL_WIDTH)

    def show_pending(self, path: str, score: float) -> None:
        """What is known before the photo is read: where it is and how it matched."""
        self.location.setText(home_relative(path))
        # As on the thumbnail's badge; browsing the library has no score.
        self.score.setText("" if math.isnan(score) else f"{score:.2f}")
        for label in (self.taken, self.camera, self.dimensions, self.file_size, self.tags):
            label.setText("…")
        # Shown once the library says the photo has a place or words (show_extras).
        self.rows["Place"].hide()
        self.rows["Text in photo"].hide()

    def show_facts(self, facts: PhotoFacts) -> None:
        info = facts.info
        self.taken.setText(_date_text(info.taken_at, facts.modified))
        self.camera.setText(facts.camera or "not recorded")
        self.dimensions.setText(f"{info.width:,} × {info.height:,} pixels")
        self.file_size.setText(human_size(facts.file_bytes))

    def show_unreadable(self) -> None:
        for label in (self.taken, self.camera, self.dimensions, self.file_size):
            label.setText(UNKNOWN)

    def show_tags(self, scores: list[TagScore]) -> None:
        shown = [f"{t.tag} {t.probability:.0%}" for t in scores if t.probability >= 0.01]
        self.tags.setText(" · ".join(shown[:5]) or "nothing in the tag list")

    def show_extras(
        self,
        position: Where | None,
        text: PhotoText | None,
        words: Sequence[str],
    ) -> None:
        """Where the photo was taken and the words in it, `words` marked; a row the photo
        has nothing for is left out."""
        self.rows["Place"].setVisible(position is not None)
        if position is not None:
            latitude, longitude, place = position
            where = coordinates(latitude, longitude)
            self.place.setText(place_name(place) or where)
            self.place.setToolTip(where)
        lines = [line.text for line in text.lines] if text is not None else []
        self.rows["Text in photo"].setVisible(bool(lines))
        if lines:
            self.text.setHtml(marked_text(lines, words))


def place_name(place: PlaceKey) -> str:
    """City, region and country, each once ("Lisbon, Portugal" for the city in the region
    of the same name)."""
    _code, country, region, city = place
    names: list[str] = []
    for name in (city, region, country):
        if name and name not in names:
            names.append(name)
    return ", ".join(names)


def coordinates(latitude: float, longitude: float) -> str:
    north = "N" if latitude >= 0 else "S"
    east = "E" if longitude >= 0 else "W"
    return f"{abs(latitude):.5f}° {north}, {abs(longitude):.5f}° {east}"


def quoted_words(query: str | None) -> list[str]:
    """The words a query asks to find written in photos (its quoted terms, not those
    taken away)."""
    if not query:
        return []
    try:
        terms = parse_query(query).terms
    except QueryError:
        return []
    return [t.value for t in terms if t.kind == "words" and t.weight > 0 and t.value.strip()]


def _pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    # Spaces inside a quoted phrase match any run of spaces, as the text search does.
    phrases = [r"\s+".join(map(re.escape, w.split())) for w in words if w.split()]
    return re.compile("|".join(phrases), re.IGNORECASE) if phrases else None


def marked_text(lines: Sequence[str], words: Sequence[str]) -> str:
    """The lines as rich text, one paragraph each, with `words` marked wherever they stand."""
    pattern = _pattern(words)
    paragraphs = []
    for line in lines:
        parts, last = [], 0
        for match in pattern.finditer(line) if pattern else ():
            parts.append(html.escape(line[last : match.start()]))
            found = html.escape(match.group())
            parts.append(f'<b style="background-color:{MARK_TEXT}; color:#000">{found}</b>')
            last = match.end()
        parts.append(html.escape(line[last:]))
        paragraphs.append(f"<p style='margin:0 0 4px 0'>{''.join(parts)}</p>")
    return "".join(paragraphs)


def boxes_holding(text: PhotoText | None, words: Sequence[str]) -> list[Box]:
    """The boxes of the lines of text that hold any of `words`."""
    pattern = _pattern(words)
    if text is None or pattern is None:
        return []
    return [line.box for line in text.lines if pattern.search(line.text)]


def with_marks(pixmap: QPixmap, size: QSize, boxes: Sequence[Box]) -> QPixmap:
    """A copy of `pixmap`, which shows a photo of `size` pixels, with `boxes` highlighted."""
    if not boxes or size.isEmpty():
        return pixmap
    marked = pixmap.copy()
    scale = pixmap.width() / size.width()
    painter = QPainter(marked)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(MARK)
    pad = 4
    for x0, y0, x1, y1 in boxes:
        box = QRect(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad)
        scaled = QRect(
            round(box.x() * scale),
            round(box.y() * scale),
            round(box.width() * scale),
            round(box.height() * scale),
        )
        painter.drawRoundedRect(scaled, 3, 3)
    painter.end()
    return marked


def _text_view() -> QTextBrowser:
    """The words read in the photo: selectable, scrolling when there are many."""
    view = QTextBrowser()
    view.setOpenLinks(False)
    view.setAccessibleName("Text in photo")
    view.setFrameShape(QFrame.Shape.NoFrame)
    view.viewport().setBackgroundRole(QPalette.ColorRole.Window)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    document = view.document()
    document.setDocumentMargin(0)  # in line with the other rows' values
    # As tall as the words at the width the panel gives them, up to TEXT_MAX_HEIGHT.
    document.documentLayout().documentSizeChanged.connect(
        lambda size: view.setFixedHeight(min(math.ceil(size.height()) + 2, TEXT_MAX_HEIGHT))
    )
    return view


def _row(caption: str, field: QWidget) -> QWidget:
    label = plain_label(caption)
    mute(label)
    label.setBuddy(field)
    row = QWidget()
    layout = QVBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(1)
    layout.addWidget(label)
    layout.addWidget(field)
    return row


def _date_text(taken_at: str | None, modified: float) -> str:
    if not taken_at:
        # The date that date filters and ordering use instead (core.search.filters).
        return f"not recorded; file date {_when(datetime.fromtimestamp(modified))}"
    try:
        taken = datetime.fromisoformat(taken_at)
    except ValueError:
        return taken_at
    return _when(taken)


def _when(taken: datetime) -> str:
    time = QLocale().toString(QTime(taken.hour, taken.minute), QLocale.FormatType.ShortFormat)
    return f"{long_date(taken.date())}, {time}"
