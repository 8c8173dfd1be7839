"""Small helpers for a consistent look: plain-text labels, muted secondary text, and colours
that follow the desktop's palette as it switches between light and dark."""

from __future__ import annotations

import html
import os
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QFrame, QLabel, QWidget

# WCAG 2 level AA for body text: secondary text is still text people need to read.
MIN_CONTRAST = 4.5
_NORMAL_GROUPS = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive)
_ALL_GROUPS = (*_NORMAL_GROUPS, QPalette.ColorGroup.Disabled)


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
    """Draw the widget's text in a secondary colour that is still easy to read."""

    def derive(palette: QPalette) -> None:
        for group in _NORMAL_GROUPS:
            palette.setColor(group, QPalette.ColorRole.WindowText, secondary_text(palette, group))

    follow_palette(widget, derive)


def banner_frame(frame: QFrame) -> None:
    """A panel set apart from the window around it, for news above the results."""
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    frame.setAutoFillBackground(True)
    use_role(frame, QPalette.ColorRole.Window, QPalette.ColorRole.AlternateBase)


def use_role(widget: QWidget, role: QPalette.ColorRole, source: QPalette.ColorRole) -> None:
    """Draw `role` in the colour of `source`, e.g. a banner's background in AlternateBase."""

    def derive(palette: QPalette) -> None:
        for group in _ALL_GROUPS:
            palette.setColor(group, role, palette.color(group, source))

    follow_palette(widget, derive)


def follow_palette(widget: QWidget, derive: Callable[[QPalette], None]) -> None:
    """Set some of the widget's colours from others (`derive` changes the palette it is
    given), now and whenever the palette it inherits changes. `derive` must read only roles
    it does not set: those are the ones that keep following the desktop."""
    _PaletteFollower(widget, derive).apply()


class _PaletteFollower(QObject):
    def __init__(self, widget: QWidget, derive: Callable[[QPalette], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._derive = derive
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Sent when the desktop's palette changes, and when a parent's does (a widget moved
        # into a banner, or the banner itself re-derived its background).
        if event.type() == QEvent.Type.PaletteChange:
            self.apply()
        return False

    def apply(self) -> None:
        palette = QPalette(self._widget.palette())
        self._derive(palette)
        # Setting an unchanged palette again would only send another PaletteChange.
        if palette != self._widget.palette():
            self._widget.setPalette(palette)


def secondary_text(
    palette: QPalette,
    group: QPalette.ColorGroup,
    on: QPalette.ColorRole = QPalette.ColorRole.Window,
) -> QColor:
    """The style's placeholder colour, moved towards the text colour just as far as it takes
    to reach MIN_CONTRAST against the background `on` (placeholders are often fainter).
    Text, not WindowText, is the text colour here: WindowText is what mute() sets."""
    background = palette.color(group, on)
    text = palette.color(group, QPalette.ColorRole.Text)
    placeholder = over(palette.color(group, QPalette.ColorRole.PlaceholderText), background)
    for step in range(11):
        colour = mix(placeholder, text, step / 10)
        if contrast_ratio(colour, background) >= MIN_CONTRAST:
            return colour
    return text


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2's contrast ratio of two opaque colours, from 1 (the same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def relative_luminance(colour: QColor) -> float:
    """WCAG 2's relative luminance of an sRGB colour: 0 for black, 1 for white."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in (colour.redF(), colour.greenF(), colour.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def over(colour: QColor, background: QColor) -> QColor:
    """A translucent colour as it shows on an opaque background."""
    return mix(background, QColor(colour.rgb()), colour.alphaF())


def mix(a: QColor, b: QColor, share_of_b: float) -> QColor:
    t = share_of_b
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )


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
