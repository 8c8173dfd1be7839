"""Choosing a folder of photos: the folder picker starts in the user's Pictures folder, which a
first run offers outright, and removing a folder is confirmed with what it forgets."""

from __future__ import annotations

import os

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from photofind.gui.style import home_relative


def pictures_folder() -> str | None:
    """The user's Pictures folder, if there is one (the desktop's own name for it). A
    desktop that maps it to the home folder itself has none."""
    home = os.path.abspath(os.path.expanduser("~"))
    location = QStandardPaths.StandardLocation.PicturesLocation
    for folder in QStandardPaths.standardLocations(location):
        folder = os.path.abspath(folder)
        if folder != home and os.path.isdir(folder):
            return folder
    return None


def choose_photo_folder(parent: QWidget) -> str | None:
    """Ask for a folder of photos, starting in Pictures (else the home folder)."""
    start = pictures_folder() or os.path.expanduser("~")
    folder = QFileDialog.getExistingDirectory(parent, "Add a Folder of Photos", start)
    return os.path.abspath(folder) if folder else None


def confirm_removal(parent: QWidget, folder: str, photos: int) -> bool:
    """Ask before a folder leaves the library, saying what is forgotten; Cancel is the
    default, so a stray Enter keeps it."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Remove Folder")
    box.setText(f"Remove {home_relative(folder)} from the library?")
    if photos:
        forgotten = f"Its {photos:,} photo{'' if photos == 1 else 's'} will be forgotten"
        box.setInformativeText(
            f"{forgotten}; the files themselves stay where they are. Adding the folder back "
            "before the index is next updated in full, as when Photofind next starts, reuses "
            "what was indexed: nothing is indexed again."
        )
    else:
        box.setInformativeText("None of its photos is indexed yet. The files stay as they are.")
    remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
    box.exec()
    return box.clickedButton() is remove
