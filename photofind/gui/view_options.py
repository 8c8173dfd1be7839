"""The View menu's toggles for what a grid cell shows, remembered in the app settings."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from photofind.gui.results_grid import ResultsGrid
from photofind.gui.settings import AppSettings

# (settings key, menu text, default)
OPTIONS = [
    ("show_scores", "Show Match Scores", False),
    ("show_names", "Show File Names", True),
    ("square_thumbnails", "Square Thumbnails", False),
]


class ViewOptions:
    """One checkable action per option; toggling one redraws the grid and saves the choice."""

    def __init__(self, grid: ResultsGrid, settings: AppSettings, parent: QWidget) -> None:
        self._grid = grid
        self._settings = settings
        self.actions: dict[str, QAction] = {}
        for key, text, default in OPTIONS:
            action = QAction(text, parent)
            action.setCheckable(True)
            action.setChecked(settings.view_option(key, default))
            action.toggled.connect(lambda on, key=key: self._toggled(key, on))
            self.actions[key] = action
        self._apply()

    def _toggled(self, key: str, on: bool) -> None:
        self._settings.save_view_option(key, on)
        self._apply()

    def _apply(self) -> None:
        checked = {key: action.isChecked() for key, action in self.actions.items()}
        self._grid.set_display(
            checked["show_scores"], checked["show_names"], checked["square_thumbnails"]
        )
