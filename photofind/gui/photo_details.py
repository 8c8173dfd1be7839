"""The viewer's details panel: when the photo was taken and with what, how big it is, where
the file is, and how it matched the search."""

from __future__ import annotations

import math
from datetime import datetime

from PySide6.QtCore import QLocale, Qt, QTime
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from photofind.core.api import TagScore
from photofind.gui.photo_images import PhotoFacts
from photofind.gui.status_text import long_date
from photofind.gui.style import home_relative, mute, plain_label
from photofind.units import human_size

PANEL_WIDTH = 260
UNKNOWN = "unknown"


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
        column = QVBoxLayout()
        column.setSpacing(12)
        rows = [
            ("Taken", self.taken),
            ("Camera", self.camera),
            ("Size", self.dimensions),
            ("File size", self.file_size),
            ("Path", self.location),
            ("Match score", self.score),
            ("Looks like", self.tags),
        ]
        # Captions above their values: a narrow panel has no room for a column of captions.
        for caption, field in rows:
            column.addLayout(_row(caption, field))
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


def _row(caption: str, field: QLabel) -> QVBoxLayout:
    label = plain_label(caption)
    mute(label)
    label.setBuddy(field)
    row = QVBoxLayout()
    row.setSpacing(1)
    row.addWidget(label)
    row.addWidget(field)
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
