"""Small helpers for a consistent look: plain-text labels, muted secondary text."""

from __future__ import annotations

import html
import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QWidget


def plain_label(text: str = "", *, wrap: bool = False, selectable: bool = False) -> QLabel:
    """A label that never interprets its text as markup: file names and messages from the
    library are shown exactly as they are."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(wrap)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def mute(widget: QWidget) -> None:
    """Draw the widget's text in the style's secondary (placeholder) colour."""
    palette = widget.palette()
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(
            group,
            QPalette.ColorRole.WindowText,
            palette.color(group, QPalette.ColorRole.PlaceholderText),
        )
    widget.setPalette(palette)


def bold(label: QLabel, scale: float = 1.0) -> QLabel:
    font = label.font()
    font.setBold(True)
    if scale != 1.0:
        font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    return label


def sentence(message: str) -> str:
    """A core message ("cannot read …") as a sentence for the window ("Cannot read ….")."""
    message = message.strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?", "…")) else message + "."


def home_relative(path: str) -> str:
    """A path as people read it: inside the home folder as ~/…, elsewhere unchanged."""
    home = os.path.expanduser("~")
    if home not in ("", "/") and (path == home or path.startswith(home.rstrip(os.sep) + os.sep)):
        return "~" + path[len(home.rstrip(os.sep)) :]
    return path


def plain_tooltip(*lines: str) -> str:
    """Tooltip text shown literally: Qt guesses whether a tooltip is rich text, so a file
    named "<b>.jpg" would otherwise be interpreted. Escaped and marked as rich text, it is not."""
    body = "<br>".join(html.escape(line) for line in lines)
    return f"<p style='white-space:pre'>{body}</p>"
