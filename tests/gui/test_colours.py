"""Colours: secondary text is easy to read in light and dark palettes, and the window's own
colours (muted text, banners) follow the desktop when it switches between the two."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from palettes import dark_palette, light_palette
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from window_helpers import MODEL_TIMEOUT_MS, OpenWindow

from photofind.gui.main_window import MainWindow
from photofind.gui.style import MIN_CONTRAST, contrast_ratio, over, secondary_text

Role = QPalette.ColorRole


@pytest.fixture
def desktop_palette() -> Iterator[None]:
    """The test switches the application's palette as a desktop does; later tests get the
    one from before."""
    before = QPalette(QApplication.palette())
    yield
    QApplication.setPalette(before)


def _text_contrast(widget: QWidget) -> float:
    """How its text stands out from the background it is drawn on."""
    palette = widget.palette()
    background = palette.color(Role.Window)
    return contrast_ratio(over(palette.color(Role.WindowText), background), background)


def _muted_labels(window: MainWindow) -> list[QWidget]:
    # On the window's background (the start page, the result count) and on a banner's.
    return [window.message.body, window.heading, window.page.download.status]


def _icon_contrast(widget: QWidget, icon: QIcon) -> float:
    """How the icon's strokes (its most opaque pixels) stand out from the field under it."""
    image = icon.pixmap(32).toImage()
    pixels = (image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height()))
    stroke = max(pixels, key=lambda colour: colour.alpha())
    background = widget.palette().color(Role.Base)
    return contrast_ratio(over(stroke, background), background)


def _broken_model_window(qtbot: QtBot, open_window: OpenWindow, tmp_path: Path) -> MainWindow:
    window = open_window(tmp_path / "data", model=str(tmp_path / "no-model"))
    qtbot.waitUntil(window.banner.isVisible, timeout=MODEL_TIMEOUT_MS)
    qtbot.waitUntil(window.message.body.isVisible)
    return window


def test_contrast_ratio_follows_wcag() -> None:
    assert contrast_ratio(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert contrast_ratio(QColor("white"), QColor("black")) == pytest.approx(21.0)
    assert contrast_ratio(QColor("#777777"), QColor("#777777")) == pytest.approx(1.0)
    # WCAG's own example of a pair just passing AA: #767676 on white is 4.54:1.
    assert contrast_ratio(QColor("#767676"), QColor("white")) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("make_palette", [light_palette, dark_palette], ids=["light", "dark"])
def test_secondary_text_is_easy_to_read(
    qtbot: QtBot,
    open_window: OpenWindow,
    tmp_path: Path,
    desktop_palette: None,
    make_palette: Callable[[], QPalette],
) -> None:
    palette = make_palette()
    # The style's placeholder colour, which muted text used, is too faint to read easily.
    window_colour = palette.color(Role.Window)
    placeholder = over(palette.color(Role.PlaceholderText), window_colour)
    assert contrast_ratio(placeholder, window_colour) < MIN_CONTRAST

    QApplication.setPalette(palette)
    window = _broken_model_window(qtbot, open_window, tmp_path)
    assert window.message.body.palette().color(Role.Window) == window_colour
    for label in _muted_labels(window):
        assert _text_contrast(label) >= MIN_CONTRAST, label.text()
        # Still secondary: fainter than the text around it.
        assert _text_contrast(label) < contrast_ratio(palette.color(Role.Text), window_colour)
    # The file names under the thumbnails, on the grid's background.
    grid = window.grid.viewport().palette()
    caption = secondary_text(grid, QPalette.ColorGroup.Active, Role.Base)
    assert contrast_ratio(caption, grid.color(Role.Base)) >= MIN_CONTRAST


def test_colours_follow_the_desktop_from_light_to_dark_and_back(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, desktop_palette: None
) -> None:
    light, dark = light_palette(), dark_palette()
    QApplication.setPalette(light)
    window = _broken_model_window(qtbot, open_window, tmp_path)
    body, banner = window.message.body, window.banner
    light_body = body.palette().color(Role.WindowText)
    assert banner.palette().color(Role.Window) == light.color(Role.AlternateBase)

    # The desktop switches to dark while the window is open.
    QApplication.setPalette(dark)
    qtbot.waitUntil(lambda: banner.palette().color(Role.Window) == dark.color(Role.AlternateBase))
    assert body.palette().color(Role.Window) == dark.color(Role.Window)
    assert body.palette().color(Role.WindowText) != light_body
    for label in _muted_labels(window):
        assert _text_contrast(label) >= MIN_CONTRAST, label.text()
    # Text in the banner is drawn on the banner's dark background, in the dark text colour.
    assert banner.title.palette().color(Role.Window) == dark.color(Role.AlternateBase)
    assert banner.title.palette().color(Role.WindowText) == dark.color(Role.WindowText)
    assert window.page.show_all.palette().color(Role.ButtonText) == dark.color(Role.Link)
    # The search bar's help button is redrawn in the dark field's colours (WCAG asks 3:1 of
    # the graphics of a control).
    assert _icon_contrast(window.search, window.search.help_action.icon()) >= 3

    QApplication.setPalette(light)
    qtbot.waitUntil(lambda: body.palette().color(Role.WindowText) == light_body)
    assert banner.palette().color(Role.Window) == light.color(Role.AlternateBase)
