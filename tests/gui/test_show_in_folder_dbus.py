"""Show in Folder asks the freedesktop file manager, over D-Bus, to show the photo selected."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

# The app's own code path, in a process of its own so it connects to the private bus.
CALLER = """
import sys
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication
from photofind.gui import desktop

app = QApplication([])
owner = QObject()
desktop.show_in_folder(sys.argv[1], owner)
QTimer.singleShot(1500, app.quit)
app.exec()
"""


@pytest.fixture
def session_bus() -> Iterator[dict[str, str]]:
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed, so no private session bus can be started")
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert daemon.stdout is not None
    address = daemon.stdout.readline().strip()
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address, QT_QPA_PLATFORM="offscreen")
    try:
        yield env
    finally:
        daemon.kill()
        daemon.wait()


def test_show_in_folder_asks_the_file_manager_to_select_the_photo(
    session_bus: dict[str, str], tmp_path: Path
) -> None:
    photo = tmp_path / "red circle #1.jpg"
    photo.write_bytes(b"")
    calls = tmp_path / "calls.txt"
    manager = subprocess.Popen(
        [sys.executable, str(HERE / "fake_file_manager.py"), str(calls)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=session_bus,
    )
    try:
        assert manager.stdout is not None
        assert manager.stdout.readline().strip() == "ready"
        subprocess.run(
            [sys.executable, "-c", CALLER, str(photo)], env=session_bus, check=True, timeout=60
        )
    finally:
        manager.kill()
        manager.wait()
    assert calls.read_text().split() == [photo.as_uri()]
