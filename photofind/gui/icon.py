"""The app's icon and its identity on the desktop.

The icon files ship inside the package (photofind/resources/icons/: the SVG and its PNG renders,
made by packaging/render_icons.py), so the same files serve a source checkout, an installed wheel
and the PyInstaller bundle.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

# The reverse-DNS id shared by the .desktop file, the AppStream metainfo and the installed icon
# (resources/ and packaging/install-desktop-entry.sh). Pass it to
# QGuiApplication.setDesktopFileName so that desktops match the window to its menu entry.
APP_ID = "io.github.photofind.Photofind"

ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def icon_dir() -> Path:
    """The folder holding photofind.svg and photofind-N.png for each of ICON_SIZES."""
    return Path(str(resources.files("photofind") / "resources" / "icons"))


def icon_files() -> dict[int, Path]:
    """The PNG render of the icon for each size, by size."""
    folder = icon_dir()
    return {size: folder / f"photofind-{size}.png" for size in ICON_SIZES}


def app_icon() -> QIcon:
    """The app icon at every packaged size (Qt picks the nearest for each use); an empty
    QIcon, which Qt treats as none, if the files are missing."""
    icon = QIcon()
    for size, path in icon_files().items():
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    return icon
