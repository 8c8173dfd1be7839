"""The desktop's light and dark palettes, as Qt's Fusion style makes them, for tests and
screenshots that switch between the two the way a desktop does (QApplication.setPalette)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QStyleFactory

Role = QPalette.ColorRole


def light_palette() -> QPalette:
    style = QStyleFactory.create("Fusion")
    return style.standardPalette()


def dark_palette() -> QPalette:
    """Fusion's dark palette (Qt's qfusionstyle.cpp): light text on dark grey, and the
    placeholder colour half-transparent text, as in the light one."""
    window, text = QColor(50, 50, 50), QColor(255, 255, 255)
    base = window.darker(140)
    palette = QPalette(
        text, window, window.lighter(150), window.darker(150), window.darker(130), text, base
    )
    placeholder = QColor(text)
    placeholder.setAlpha(128)
    for role, colour in (
        (Role.Midlight, window.darker(130).lighter(110)),
        (Role.Button, window),
        (Role.ButtonText, text),
        (Role.AlternateBase, window.lighter(120)),
        (Role.Highlight, QColor(48, 140, 198)),
        (Role.HighlightedText, text),
        (Role.Link, QColor(100, 170, 240)),
        (Role.LinkVisited, QColor(190, 140, 240)),
        (Role.ToolTipBase, window.lighter(130)),
        (Role.ToolTipText, text),
        (Role.PlaceholderText, placeholder),
    ):
        palette.setColor(role, colour)
    disabled = QColor(130, 130, 130)
    for role in (Role.WindowText, Role.Text, Role.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette
