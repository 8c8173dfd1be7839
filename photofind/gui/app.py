"""Starting the desktop app: `photofind` with no command ends up here."""

from __future__ import annotations

import logging
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from photofind.core.api import DEFAULT_MODEL, default_data_dir, load_early
from photofind.gui.desktop import release_clipboard
from photofind.gui.icon import APP_ID, app_icon
from photofind.gui.main_window import MainWindow
from photofind.gui.settings import AppSettings, Preferences

# How often Python gets a chance to run signal handlers while Qt's event loop has control.
SIGNAL_POLL_MS = 200


def effective_preferences(saved: Preferences, model: str, device: str) -> Preferences:
    """The saved preferences, with the model and device from the command line (or the
    environment) taking precedence where they were given. The command line cannot tell an
    explicit default from none, so the defaults leave the saved choice alone."""
    return replace(
        saved,
        model=model if model != DEFAULT_MODEL else saved.model,
        device=device if device != "auto" else saved.device,
    )


def run_app(data_dir: Path | None, model: str = DEFAULT_MODEL, device: str = "auto") -> int:
    """Open the main window and run until it is closed; returns the exit status."""
    data_dir = data_dir or default_data_dir()
    settings = AppSettings(data_dir)
    prefs = effective_preferences(settings.load(), model, device)
    load_early(prefs.model)  # while the window is built; the library worker takes it
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Photofind")
    app.setApplicationDisplayName("Photofind")
    # The desktop entry's id: desktops match the window to its menu entry and icon by it.
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())

    window = MainWindow(data_dir, settings, prefs)
    window.show()

    # SIGTERM (and Ctrl+C in a terminal) close the window the normal way, which stops the
    # worker after its current batch is saved. Python runs signal handlers only between
    # bytecodes, so a timer gives it that chance while Qt's C++ event loop runs.
    previous = {s: signal.signal(s, lambda *_: window.close()) for s in _STOP_SIGNALS}
    poll = QTimer()
    poll.timeout.connect(lambda: None)
    poll.start(SIGNAL_POLL_MS)
    try:
        code = app.exec()
    finally:
        poll.stop()
        release_clipboard()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if not window.worker.isFinished():
        # Stuck past the 5 s it was given (a model still loading, a very slow batch). What is
        # committed is safe in SQLite; tearing Qt down under a running thread would abort.
        logging.getLogger(__name__).warning("exiting without waiting for the library worker")
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
