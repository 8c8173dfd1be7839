"""Managing the library from the window: first run, adding folders, indexing progress, pause
and resume, folders and excluded subfolders, and stopping without losing work."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import PER_CLASS
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot
from shapes import generate_folder
from window_helpers import (
    INDEX_TIMEOUT_MS,
    LIBRARY_PHOTOS,
    LIBRARY_SIZE,
    MODEL_TIMEOUT_MS,
    RESULTS_TIMEOUT_MS,
    OpenWindow,
    grid_names,
    type_query,
    wait_for_model,
    wait_for_top,
)

from photofind.core.index.indexer import IndexProgress
from photofind.core.library import Library
from photofind.gui.main_window import MainWindow


def _choose(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """The next folder dialog picks `folder`, as if the user had chosen it."""
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(folder))


def _record_status(window: MainWindow) -> list[str]:
    """Every indexing status the status bar shows, as the worker reports progress."""
    shown: list[str] = []

    def record(_progress: IndexProgress) -> None:
        if window.index_status.label.isVisible():
            shown.append(window.index_status.label.text())

    window.worker.indexProgress.connect(record)
    return shown


def test_first_run_invites_to_add_a_folder_then_indexes_it_and_finds_photos(
    qtbot: QtBot,
    open_window: OpenWindow,
    tmp_path: Path,
    shapes_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(tmp_path / "data")
    qtbot.waitUntil(lambda: window.message.button.isVisible())
    assert window.message.button.text() == "Add Folder…"
    assert window.message.title.text() == "Find your photos by describing them"
    assert window.index_status.library.text() == "No folders yet"

    shown = _record_status(window)
    _choose(monkeypatch, shapes_dir)
    # Added while the model loads, indexing waits for it (see test_adding_while_model_loads);
    # once it is ready, indexing shows at once.
    wait_for_model(qtbot, window)
    qtbot.mouseClick(window.message.button, Qt.MouseButton.LeftButton)
    assert window.index_status.label.isVisible() and window.index_status.pause_button.isVisible()

    # A query typed while indexing shows the photos indexed so far; those indexed after the
    # first are offered ("Show N new matches"), not moved in under the pointer.
    type_query(qtbot, window, "a photo of a yellow circle")
    qtbot.waitUntil(
        lambda: window.index_status.library.text() == LIBRARY_PHOTOS, timeout=INDEX_TIMEOUT_MS
    )
    qtbot.waitUntil(lambda: not window.index_status.label.isVisible())

    def yellow_circles() -> int:
        return sum(name.startswith("yellow_circle") for name in grid_names(window, LIBRARY_SIZE))

    offer = window.page.new_matches
    qtbot.waitUntil(
        lambda: offer.isVisible() or yellow_circles() == PER_CLASS, timeout=RESULTS_TIMEOUT_MS
    )
    if offer.isVisible():
        qtbot.mouseClick(offer, Qt.MouseButton.LeftButton)
    # Once all is indexed, every yellow circle is among the close matches shown.
    qtbot.waitUntil(lambda: yellow_circles() == PER_CLASS, timeout=RESULTS_TIMEOUT_MS)
    wait_for_top(qtbot, window, "yellow_circle", count=5)
    assert any(text.startswith("Indexing ") and f" of {LIBRARY_SIZE}" in text for text in shown), (
        shown
    )


def test_pause_stops_indexing_and_resume_finishes_it(
    qtbot: QtBot,
    open_window: OpenWindow,
    tmp_path: Path,
    shapes_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(tmp_path / "data")
    wait_for_model(qtbot, window)
    _choose(monkeypatch, shapes_dir)
    window.add_folder_action.trigger()
    qtbot.waitUntil(lambda: window.index_status.bar.value() >= 32, timeout=INDEX_TIMEOUT_MS)
    qtbot.mouseClick(window.index_status.pause_button, Qt.MouseButton.LeftButton)
    assert window.index_status.pause_button.text() == "Resume"
    assert window.index_status.label.text().startswith("Paused")

    # While paused nothing moves on, and the library is not complete.
    qtbot.wait(1500)
    status, bar = window.index_status.label.text(), window.index_status.bar.value()
    qtbot.wait(1500)
    assert window.index_status.label.text() == status and status.startswith("Paused")
    assert window.index_status.bar.value() == bar
    # The count beside the progress is what is indexed so far, not one from before.
    with sqlite3.connect(tmp_path / "data" / "library.db") as db:
        (indexed,) = db.execute("SELECT COUNT(*) FROM vectors").fetchone()
    assert 0 < indexed < LIBRARY_SIZE
    assert window.index_status.library.text() == f"{indexed:,} photos in the library"
    # Results found meanwhile say they are partial, until indexing has finished.
    type_query(qtbot, window, "a photo of a red circle")
    qtbot.waitUntil(lambda: " so far, " in window.page.heading.text(), timeout=RESULTS_TIMEOUT_MS)

    qtbot.mouseClick(window.index_status.pause_button, Qt.MouseButton.LeftButton)
    assert window.index_status.pause_button.text() == "Pause"
    qtbot.waitUntil(
        lambda: window.index_status.library.text() == LIBRARY_PHOTOS, timeout=INDEX_TIMEOUT_MS
    )
    # The pass ends after the last photo is counted: places and text come after it.
    qtbot.waitUntil(
        lambda: not window.index_status.pause_button.isVisible(), timeout=INDEX_TIMEOUT_MS
    )
    qtbot.waitUntil(
        lambda: window.page.heading.text().endswith("close matches, best match first"),
        timeout=RESULTS_TIMEOUT_MS,
    )


def test_a_paused_window_lets_photofind_index_run(
    qtbot: QtBot,
    open_window: OpenWindow,
    tmp_path: Path,
    shapes_dir: Path,
    model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pausing hands the library's index lock back: `photofind index` in a terminal runs
    to the end instead of waiting as long as the pause lasts, and resuming finds it done."""
    window = open_window(tmp_path / "data")
    wait_for_model(qtbot, window)
    _choose(monkeypatch, shapes_dir)
    window.add_folder_action.trigger()
    qtbot.waitUntil(lambda: window.index_status.bar.value() >= 16, timeout=INDEX_TIMEOUT_MS)
    qtbot.mouseClick(window.index_status.pause_button, Qt.MouseButton.LeftButton)
    assert window.index_status.label.text().startswith("Paused")

    env = {"PHOTOFIND_DATA_DIR": str(tmp_path / "data"), "PHOTOFIND_MODEL": str(model_dir)}
    try:
        cli = subprocess.run(
            [sys.executable, "-m", "photofind", "index", str(shapes_dir), "--json"],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=180,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("photofind index waited for the paused window")
    assert cli.returncode == 0, cli.stderr
    assert "waiting for it to finish" not in cli.stderr
    assert window.index_status.label.text().startswith("Paused")

    qtbot.mouseClick(window.index_status.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.index_status.library.text() == LIBRARY_PHOTOS, timeout=INDEX_TIMEOUT_MS
    )
    qtbot.waitUntil(
        lambda: not window.index_status.pause_button.isVisible(), timeout=INDEX_TIMEOUT_MS
    )


def test_searching_works_while_indexing_is_paused(
    qtbot: QtBot,
    open_window: OpenWindow,
    indexed_data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    more = tmp_path / "more"
    generate_folder(more, per_class=4, seed=77)
    window = open_window(indexed_data_dir)
    wait_for_model(qtbot, window)
    _choose(monkeypatch, more)
    window.add_folder_action.trigger()
    qtbot.mouseClick(window.index_status.pause_button, Qt.MouseButton.LeftButton)
    type_query(qtbot, window, "blue triangle")
    wait_for_top(qtbot, window, "blue_triangle", count=5)
    assert window.index_status.label.text().startswith("Paused")


def test_folders_dialog_adds_leaves_out_and_removes_folders(
    qtbot: QtBot,
    open_window: OpenWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    photos = tmp_path / "Pictures"
    generate_folder(photos, per_class=3, seed=5)
    private = photos / "private"
    generate_folder(private, per_class=2, seed=6)  # 24 more, all in a subfolder
    window = open_window(tmp_path / "data")
    wait_for_model(qtbot, window)

    window.folders_action.trigger()
    dialog = window.folders_dialog
    assert dialog is not None and dialog.isVisible()
    _choose(monkeypatch, photos)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.folder_list.count() == 1)
    assert dialog.folder_list.item(0).data(Qt.ItemDataRole.UserRole) == str(photos)
    qtbot.waitUntil(
        lambda: window.index_status.library.text() == "60 photos in the library",
        timeout=INDEX_TIMEOUT_MS,
    )

    # Exclude the subfolder: its photos leave the library.
    dialog.folder_list.item(0).setSelected(True)
    _choose(monkeypatch, private)
    qtbot.mouseClick(dialog.exclude_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.excluded_list.count() == 1)
    assert dialog.excluded_list.item(0).data(Qt.ItemDataRole.UserRole) == str(private)
    qtbot.waitUntil(
        lambda: window.index_status.library.text() == "36 photos in the library",
        timeout=INDEX_TIMEOUT_MS,
    )

    # A folder outside the library cannot be left out; the dialog says why.
    _choose(monkeypatch, tmp_path)
    qtbot.mouseClick(dialog.exclude_button, Qt.MouseButton.LeftButton)
    assert dialog.problem.isVisible() and "not inside a library folder" in dialog.problem.text()

    # Everything is kept in the library: a new session shows the same folders.
    window.close()
    window = open_window(tmp_path / "data")
    window.folders_action.trigger()
    dialog = window.folders_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.folder_list.count() == 1 and dialog.excluded_list.count() == 1)

    dialog.folder_list.item(0).setSelected(True)
    # Asked to confirm (see test_folder_removal), the user removes it.
    monkeypatch.setattr(
        QMessageBox,
        "exec",
        lambda box: next(b for b in box.buttons() if b.text() == "Remove").click(),
    )
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.folder_list.count() == 0)
    qtbot.waitUntil(lambda: window.index_status.library.text() == "No folders yet")
    assert photos.is_dir() and len(list(photos.iterdir())) == 37  # files are never touched
    dialog.close()
    qtbot.waitUntil(lambda: window.message.button.isVisible())


def test_new_photos_in_a_watched_folder_are_found(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    generate_folder(photos, per_class=2, seed=8)
    window = open_window(tmp_path / "data")
    window.add_folder(str(photos))
    qtbot.waitUntil(
        lambda: window.index_status.library.text() == "24 photos in the library",
        timeout=INDEX_TIMEOUT_MS,
    )
    # A camera card copied in: new files appear while the app runs.
    copied = generate_folder(tmp_path / "card", per_class=1, seed=9)
    for path in copied:
        shutil.copy(path, photos / f"new_{path.name}")
    qtbot.waitUntil(
        lambda: window.index_status.library.text() == "36 photos in the library",
        timeout=INDEX_TIMEOUT_MS,
    )


def test_closing_while_indexing_stops_and_keeps_what_was_saved(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, model_dir: Path
) -> None:
    photos = tmp_path / "photos"
    generate_folder(photos, per_class=30, seed=3)  # 360 photos: still indexing when closed
    window = open_window(tmp_path / "data")
    reported: list[int] = []
    window.worker.indexProgress.connect(
        lambda p: reported.append(p.done) if p.phase == "indexing" else None
    )
    window.add_folder(str(photos))
    qtbot.waitUntil(lambda: bool(reported) and reported[-1] > 0, timeout=INDEX_TIMEOUT_MS)
    window.close()
    assert window.worker.isFinished()

    library = Library(tmp_path / "data", str(model_dir), "cpu")
    try:
        status = library.status()
    finally:
        library.close()
    assert status["folders"] == [str(photos)]
    assert int(status["photos"]) >= reported[-1]  # type: ignore[call-overload]


def test_sigterm_closes_the_app_cleanly(tmp_path: Path, model_dir: Path) -> None:
    """`photofind` with no command opens the window; SIGTERM closes it and exits 0."""
    data_dir = tmp_path / "data"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    app = subprocess.Popen(
        [sys.executable, "-m", "photofind", "--data-dir", str(data_dir), "--model", str(model_dir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The library file appears once the window is up and its worker has started.
        deadline = time.monotonic() + MODEL_TIMEOUT_MS / 1000
        while not (data_dir / "library.db").exists():
            assert app.poll() is None, app.communicate()
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.2)
        app.send_signal(signal.SIGTERM)
        _out, err = app.communicate(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
    assert app.returncode == 0, err
    assert "Traceback" not in err
    assert (data_dir / "settings.ini").exists()


def test_a_library_another_process_is_indexing_is_explained_not_fatal(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, shapes_dir: Path
) -> None:
    from photofind.core.index.lock import index_lock

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    # No run of its own at start, which would hold the lock for a moment just as it is taken.
    window = open_window(data_dir, index_on_start=False)
    wait_for_model(qtbot, window)
    with index_lock(data_dir):  # as `photofind watch` in a terminal would
        window.add_folder(str(shapes_dir))
        qtbot.waitUntil(lambda: "already being indexed" in window.notices.text())
        qtbot.waitUntil(lambda: not window.index_status.label.isVisible())
    # The folder is in the library all the same; it is indexed once the other process is done.
    qtbot.waitUntil(lambda: window.index_status.library.text() == "0 photos in the library")
