"""Handing photos to the rest of the desktop: default apps, the file manager, the clipboard."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Sequence

from PySide6.QtCore import QMimeData, QObject, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage

from photofind.gui.results_model import paths_mime

log = logging.getLogger(__name__)

_FILE_MANAGER = "org.freedesktop.FileManager1"
_FILE_MANAGER_PATH = "/org/freedesktop/FileManager1"
_DBUS_TIMEOUT_MS = 3000


def open_files(paths: Sequence[str]) -> None:
    for path in paths:
        QDesktopServices.openUrl(QUrl.fromLocalFile(path))


# Marks clipboard data that photofind put there (see release_clipboard).
OWN_CLIPBOARD_FORMAT = "application/x-photofind"


def copy_paths(paths: Sequence[str]) -> None:
    """To the clipboard as files (paste into a file manager) and as text (paste anywhere)."""
    mime = paths_mime(paths)
    mime.setData(OWN_CLIPBOARD_FORMAT, b"1")
    QGuiApplication.clipboard().setMimeData(mime)


def copy_image(image: QImage) -> None:
    mime = QMimeData()
    mime.setImageData(image)
    mime.setData(OWN_CLIPBOARD_FORMAT, b"1")
    QGuiApplication.clipboard().setMimeData(mime)


def release_clipboard() -> None:
    """Take back what photofind put on the clipboard, before the application object goes.

    Qt 6.11 (PySide6) crashes at exit when the clipboard still holds mime data the process
    set; data other programs own is left alone."""
    if QGuiApplication.instance() is None:
        return  # no application, so nothing of ours on the clipboard
    clipboard = QGuiApplication.clipboard()
    mime = clipboard.mimeData()
    if mime is not None and mime.hasFormat(OWN_CLIPBOARD_FORMAT):
        clipboard.clear()


def show_in_folder(path: str, parent: QObject) -> None:
    """Open the photo's folder in the file manager, with the photo selected where the platform
    allows it: Finder and Explorer select it themselves; on Linux and the BSDs the file
    manager's D-Bus interface does, and without one the folder opens with nothing selected."""
    if sys.platform == "darwin":
        subprocess.Popen(["open", "-R", path])
    elif sys.platform == "win32":
        subprocess.Popen(["explorer", "/select,", os.path.normpath(path)])
    elif not show_items_over_dbus(path, parent):
        _open_folder(path)


def _open_folder(path: str) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(os.path.dirname(path)))


def show_items_over_dbus(path: str, parent: QObject) -> bool:
    """Ask the freedesktop file manager to show the file. Asynchronous: a file manager that is
    slow to start must not freeze the window. Falls back to opening the folder on error."""
    try:
        from PySide6.QtDBus import (
            QDBusConnection,
            QDBusMessage,
            QDBusPendingCallWatcher,
        )
    except ImportError:
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    message = QDBusMessage.createMethodCall(
        _FILE_MANAGER, _FILE_MANAGER_PATH, _FILE_MANAGER, "ShowItems"
    )
    # Fully percent-encoded: file managers parse a URI, and a space or "#" in a name would
    # otherwise cut it short.
    uri = bytes(QUrl.fromLocalFile(path).toEncoded().data()).decode("ascii")
    message.setArguments([[uri], ""])
    watcher = QDBusPendingCallWatcher(bus.asyncCall(message, _DBUS_TIMEOUT_MS), parent)

    def finished(call: QDBusPendingCallWatcher) -> None:
        if call.isError():
            log.info("file manager could not select the file (%s)", call.error().message())
            _open_folder(path)
        call.deleteLater()

    watcher.finished.connect(finished)
    return True
