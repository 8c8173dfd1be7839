"""The main window's menu bar: what photofind is for (Photo) beside the usual File, Edit, View
and Help, each action shared with the shortcuts and the right-click menu."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenuBar

if TYPE_CHECKING:
    from photofind.gui.main_window import MainWindow


def fill_menu_bar(bar: QMenuBar, window: MainWindow) -> None:
    photo = window.photo_actions
    view_options = window.view_options.actions.values()
    menus: list[tuple[str, list[QAction | None]]] = [
        (
            "&File",
            [
                *(window.add_folder_action, window.folders_action, window.reindex_action, None),
                *(window.settings_action, None, window.quit_action),
            ],
        ),
        (
            "&Edit",
            [
                *(photo.copy_path, photo.copy_image, photo.copy_to_folder, None),
                *(window.find_action, window.duplicates_action),
            ],
        ),
        ("&View", [window.bigger_action, window.smaller_action, None, *view_options]),
        (
            "&Photo",
            [
                *(photo.similar, photo.preview, None, photo.open),
                *(photo.open_with.menuAction(), photo.show_in_folder),
                *(None, photo.trash),
            ],
        ),
        ("&Help", [window.shortcuts_action, window.about_action]),
    ]
    for title, actions in menus:
        menu = bar.addMenu(title)
        for action in actions:
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
