#!/usr/bin/env python3
"""Take the documentation screenshots: the real window, on a virtual X display (Xvfb), with the
tiny test model and a generated folder of coloured shapes.

    python scripts/screenshots.py [--out docs/screenshots] [--model tests/fixture_model/tiny-clip]
                                  [--only SHOT ...]

Needs Xvfb and Qt's X11 libraries (Debian/Ubuntu: apt-get install xvfb libxcb-cursor0
libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libegl1 libgl1). With --display, an
existing X display is used instead of starting Xvfb.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QPixmap

    from photofind.core.index.indexer import IndexProgress
    from photofind.gui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]
SCREEN = (1400, 1000)
WINDOW = (1040, 720)
SHOTS = (
    "first-run",
    "results",
    "instant",
    "indexing",
    "model-error",
    "download",
    "duplicates",
    "filters",
    "settings",
    "viewer",
    "new-matches",
    "dark",
    "empty-state",
    "timeline",
    "similar-chip",
    "scale-2x",
    "place-text",
    "place-filter",
    "reading-text",
)
# The place shots' trip: where its photos were taken (latitude, longitude) and what of.
TRIP = {
    "lisbon": ((38.7167, -9.1333), ("red", "circle")),
    "porto": ((41.1496, -8.611), ("blue", "square")),
    "paris": ((48.8566, 2.3522), ("yellow", "triangle")),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--model", type=Path, default=ROOT / "tests" / "fixture_model" / "tiny-clip"
    )
    parser.add_argument("--display", help="use this X display (e.g. :0) instead of Xvfb")
    parser.add_argument(
        "--scale", help="Qt's scale factor (QT_SCALE_FACTOR); scale-2x runs itself with 2"
    )
    parser.add_argument(
        "--only", nargs="+", choices=SHOTS, metavar="SHOT", help=f"only these: {', '.join(SHOTS)}"
    )
    args = parser.parse_args()
    if not (args.model / "config.json").is_file():
        parser.error(
            f"no model at {args.model}; train it with tests/fixture_model/train_tiny_clip.py"
        )
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="photofind-shots-") as tmp:
        scratch = Path(tmp)
        # Nothing of the user's: no settings, no Hugging Face cache, no library.
        os.environ.update(
            HOME=str(scratch / "home"),
            XDG_CONFIG_HOME=str(scratch / "home" / "config"),
            XDG_DATA_HOME=str(scratch / "home" / "data"),
            XDG_CACHE_HOME=str(scratch / "home" / "cache"),
            HF_HOME=str(scratch / "home" / "hf"),
            HF_HUB_OFFLINE="1",
            QT_QPA_PLATFORM="xcb",
        )
        os.environ.pop("QT_SCALE_FACTOR", None)
        if args.scale:
            os.environ["QT_SCALE_FACTOR"] = args.scale
        with _display(args.display):
            return Shots(scratch, args.model.resolve(), args.out).run(args.only or SHOTS)


@contextlib.contextmanager
def _display(existing: str | None) -> Iterator[None]:
    if existing:
        os.environ["DISPLAY"] = existing
        yield
        return
    if shutil.which("Xvfb") is None:
        sys.exit("screenshots: Xvfb is not installed (apt-get install xvfb), or pass --display")
    number = next(n for n in range(99, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit("screenshots: Xvfb did not start")
            time.sleep(0.1)
        os.environ["DISPLAY"] = f":{number}"
        yield
    finally:
        server.terminate()
        server.wait(timeout=10)


class Shots:
    def __init__(self, scratch: Path, model: Path, out: Path) -> None:
        self.scratch = scratch
        self.model = model
        self.out = out

    def run(self, shots: Sequence[str]) -> int:
        sys.path.insert(0, str(ROOT / "tests"))
        from PySide6.QtWidgets import QApplication
        from shapes import generate_folder

        app = QApplication([sys.argv[0]])
        app.setStyle("Fusion")
        app.setApplicationName("Photofind")

        photos = self.scratch / "home" / "Pictures" / "Shapes"
        generate_folder(photos, per_class=8, seed=1234)
        if "indexing" in shots:
            # Enough photos that indexing is still under way when that window is captured;
            # made now, so they are not deferred as files still being copied.
            generate_folder(photos.parent / "Holiday", per_class=150, seed=99)
        indexed = _with_shape_tags(self._indexed_library(photos))

        takes: dict[str, Callable[[], None]] = {
            "first-run": self.first_run,
            "results": lambda: self.results(indexed),
            "instant": lambda: self.instant(photos),
            "indexing": lambda: self.indexing(photos.parent),
            "model-error": self.model_error,
            "download": self.download,
            "duplicates": lambda: self.duplicates(photos.parent / "Phone backup"),
            "filters": lambda: self.filters(self.scratch / "home" / "Travel"),
            "settings": self.settings,
            "viewer": lambda: self.viewer(self.scratch / "home" / "Pictures" / "Camera"),
            "new-matches": lambda: self.new_matches(photos),
            "dark": lambda: self.dark(photos),
            "empty-state": self.empty_state,
            "timeline": lambda: self.timeline(self.scratch / "home" / "Pictures" / "Phone"),
            "similar-chip": lambda: self.similar_chip(indexed),
            "scale-2x": lambda: self.scale_2x(indexed),
            "place-text": self.place_text,
            "place-filter": self.place_filter,
            "reading-text": self.reading_text,
        }
        try:
            for name in shots:
                takes[name]()
        finally:
            # Closing stops each window's library thread, also when a shot failed.
            for widget in app.topLevelWidgets():
                widget.close()
        app.quit()
        print(f"screenshots: saved to {self.out}")
        return 0

    # -- the shots ------------------------------------------------------------

    def first_run(self) -> None:
        window = self._window(self.scratch / "fresh")
        _wait_until(lambda: window.message.button.isVisible(), "the first-run page")
        self._wait_for_model(window)
        self._save(window.grab(), "01-first-run.png")
        window.close()

    def empty_state(self) -> None:
        """16-empty-state.png: a first run offers the Pictures folder (which holds photos
        here) outright, with another choice beside it."""
        window = self._window(self.scratch / "empty")
        _wait_until(window.message.other_button.isVisible, "the empty state")
        self._wait_for_model(window)
        _settle(300)
        self._save(window.grab(), "16-empty-state.png")
        window.close()

    def timeline(self, photos: Path) -> None:
        """16-timeline.png: the library with an empty search box, newest first under day
        headers (a few photos a day, over the last days and weeks)."""
        from shapes import generate_folder

        files = sorted(generate_folder(photos, per_class=2, seed=7))
        now = time.time()
        days = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 9, 9, 9, 9, 9, 30, 30, 30]
        for i, path in enumerate(files):
            # Never under a minute old: the app leaves files written in its last seconds.
            mtime = now - days[i % len(days)] * 86400 - 120 - i * 60
            os.utime(path, (mtime, mtime))
        window = self._window(self._indexed_library(photos, "timeline"))
        _wait_until(lambda: window.results.has_days(), "the timeline")
        self._wait_for_model(window)
        self._wait_for_thumbnails(window)
        _settle(300)
        self._save(window.grab(), "16-timeline.png")
        window.close()

    def similar_chip(self, data_dir: Path) -> None:
        """16-similar-chip.png: Find Similar from a text search; the field shows the photo as
        a chip, not its path."""
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        window = self._window(data_dir)
        self._wait_for_model(window)
        QTest.keyClicks(window.search, "blue square")
        QTest.keyClick(window.search, Qt.Key.Key_Return)
        _wait_until(lambda: window.heading.text().endswith("best match first"), "results")
        name = window.results.hit(1).path
        window.find_similar(name)
        _wait_until(lambda: os.path.basename(name) in window.heading.text(), "similar photos")
        chip = window.flow.chip.thumbnail
        _wait_until(lambda: not chip.pixmap().isNull(), "the chip's thumbnail")
        self._wait_for_thumbnails(window)
        _settle(300)
        self._save(window.grab(), "16-similar-chip.png")
        window.close()

    def results(self, data_dir: Path) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QContextMenuEvent
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication

        window = self._window(data_dir)
        self._wait_for_model(window)
        QTest.keyClicks(window.search, "red circle")
        QTest.keyClick(window.search, Qt.Key.Key_Return)
        _wait_for_search(window)
        self._wait_for_thumbnails(window)
        self._save(window.grab(), "02-results.png")

        # A popup menu is a window of its own: only a grab of the screen shows it in place.
        index = window.results.index(6)
        pos = window.grid.visualRect(index).center()
        viewport = window.grid.viewport()
        QApplication.sendEvent(
            viewport,
            QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, viewport.mapToGlobal(pos)),
        )
        menu = window.context_menu
        assert menu is not None
        _wait_until(menu.isVisible, "the context menu")
        menu.setActiveAction(menu.actions()[0])
        _settle(400)
        self._save(_grab_screen_area(window), "03-context-menu.png")
        menu.close()

        window.grid.setCurrentIndex(window.results.index(0))
        window.grid.activated.emit(window.results.index(0))
        preview = window.preview
        assert preview is not None
        preview.resize(760, 640)
        _wait_until(lambda: preview.dimensions.text().endswith("pixels"), "the preview")
        _settle(300)
        self._save(preview.grab(), "04-preview.png")
        preview.where_button.click()
        _wait_until(lambda: preview.where_status.text().startswith("Yellow"), "Highlight Match")
        _settle(300)
        self._save(preview.grab(), "10-show-where.png")
        preview.where_button.click()
        preview.close()

        # The query language: a combined query, with the search bar's help open over it.
        window.search.clear()
        QTest.keyClicks(window.search, "a photo of a red shape + a circle - green")
        QTest.keyClick(window.search, Qt.Key.Key_Return)
        _wait_until(lambda: window.heading.text().endswith("best match first"), "results")
        self._wait_for_thumbnails(window)
        window.search.help_action.trigger()
        assert window.search.help is not None
        _wait_until(window.search.help.isVisible, "the search help")
        _settle(400)
        self._save(_grab_screen_area(window), "09-query-help.png")
        window.search.help.close()

        window.folders_action.trigger()
        dialog = window.folders_dialog
        assert dialog is not None
        _wait_until(lambda: dialog.folder_list.count() > 0, "the folders dialog")
        dialog.folder_list.item(0).setSelected(True)
        _settle(200)
        self._save(dialog.grab(), "05-folders.png")
        dialog.close()
        window.close()

    def instant(self, photos: Path) -> None:
        """14-instant.png: a query typed the moment the window opened, answered while the
        whole model is still loading to index new photos (held back until the capture, as a
        slow disk or a first start would)."""
        import threading

        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        from shapes import generate_folder

        from photofind.core.index.store import Store
        from photofind.core.model.model_process import ModelProcess

        data_dir = self._indexed_library(photos, "instant")
        added = photos.parent / "New this week"
        generate_folder(added, per_class=3, seed=7, age_seconds=3600)
        store = Store.open(data_dir)
        store.add_folder(str(added))
        store.close()

        release = threading.Event()
        real_start = ModelProcess.start

        def held_start(*args: object, **kwargs: object) -> ModelProcess:
            release.wait()
            return real_start(*args, **kwargs)  # type: ignore[arg-type]

        ModelProcess.start = held_start  # type: ignore[method-assign]
        try:
            window = self._window(data_dir)
            QTest.keyClicks(window.search, "yellow triangle")
            QTest.keyClick(window.search, Qt.Key.Key_Return)
            _wait_until(lambda: window.results.rowCount() > 0, "results")
            label = window.index_status.label
            _wait_until(lambda: "Loading the model" in label.text(), "the model loading")
            self._wait_for_thumbnails(window)
            self._save(window.grab(), "14-instant.png")
        finally:
            release.set()
            ModelProcess.start = real_start  # type: ignore[method-assign]
        window.close()

    def indexing(self, pictures: Path) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        window = self._window(self.scratch / "indexing")
        self._wait_for_model(window)
        captured: list[bool] = []

        def capture(progress: IndexProgress) -> None:
            # Once the first results are in while indexing goes on, hold the worker still
            # (behind the window's back, so the status bar keeps its running numbers) while
            # their thumbnails load.
            shown = window.results.rowCount()
            if captured or not shown or not progress.done or progress.done > progress.total * 0.9:
                return
            captured.append(True)
            window.worker.set_paused(True)

        window.worker.indexProgress.connect(capture)
        window.add_folder(str(pictures))
        QTest.keyClicks(window.search, "blue triangle")
        QTest.keyClick(window.search, Qt.Key.Key_Return)
        _wait_until(lambda: bool(captured), "indexing progress", timeout=120)
        self._wait_for_thumbnails(window)
        self._save(window.grab(), "06-indexing.png")
        window.worker.set_paused(False)
        window.close()

    def model_error(self) -> None:
        from photofind.core.model.ref import DEFAULT_MODEL

        # What a first run without internet looks like: the default model is not downloaded.
        window = self._window(self.scratch / "offline", model=DEFAULT_MODEL)
        _wait_until(window.banner.isVisible, "the model error", timeout=120)
        _settle(300)
        self._save(window.grab(), "07-model-error.png")
        window.close()

    def download(self) -> None:
        """A first run fetching its model, served by the tests' stand-in hub (the fixture
        model stands in for the real one, so the sizes are the fixture's)."""
        from hub_server import FIXTURE_REPO, Hold, HubServer, repo_from_folder
        from huggingface_hub import constants

        hold = Hold(after=2_500_000)
        with HubServer({FIXTURE_REPO: repo_from_folder(self.model)}, chunk_delay=0.002) as hub:
            hub.hold["model.safetensors"] = hold
            os.environ.update(HF_ENDPOINT=hub.endpoint, HF_HUB_OFFLINE="0")
            constants.HF_HUB_OFFLINE = False
            constants.ENDPOINT = hub.endpoint
            constants.HUGGINGFACE_CO_URL_TEMPLATE = (
                hub.endpoint + "/{repo_id}/resolve/{revision}/{filename}"
            )
            constants.HF_HUB_CACHE = str(self.scratch / "hf-cache")
            window = self._window(self.scratch / "downloading", model=FIXTURE_REPO)
            bar = window.page.download
            _wait_until(lambda: hold.reached.is_set() and bar.isVisible(), "the download")
            _settle(500)
            self._save(window.grab(), "08-download.png")
            hold.release.set()
            self._wait_for_model(window)
            window.close()

    def duplicates(self, folder: Path) -> None:
        """A phone backup holding copies: the same photos saved again, smaller or renamed."""
        import numpy as np
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        from shapes import CLASSES, make_photo

        folder.mkdir(parents=True)
        for i, (colour, shape) in enumerate(CLASSES[:6]):
            photo = make_photo(colour, shape, np.random.default_rng(500 + i), size=(320, 240))
            photo.save(folder / f"IMG_{2040 + i}.jpg", quality=92)
            if i % 2 == 0:
                photo.save(folder / f"IMG_{2040 + i} (1).jpg", quality=92)
            if i % 3 == 0:
                photo.resize((240, 180)).save(folder / f"IMG_{2040 + i}-small.jpg", quality=75)
        data_dir = self._indexed_library(folder, "duplicates")
        window = self._window(data_dir)
        self._wait_for_model(window)
        window.duplicates_action.trigger()
        dialog = window.duplicates_dialog
        assert dialog is not None
        dialog.threshold.setValue(0.999)
        QTest.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
        _wait_until(lambda: dialog.group_list.count() > 0, "duplicate groups")
        _wait_until(
            lambda: all(
                not dialog.photos.item(i).icon().isNull() for i in range(dialog.photos.count())
            ),
            "duplicate thumbnails",
        )
        _settle(300)
        self._save(dialog.grab(), "11-duplicates.png")
        dialog.close()
        window.close()

    def filters(self, travel: Path) -> None:
        """12-filters.png: a search narrowed to one trip's JPEGs of this year, newest first,
        with the Filters popup open over it."""
        from datetime import date, datetime, timedelta

        import numpy as np
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        from shapes import generate_folder

        from photofind.core.search.filters import FILE_TYPES, Filters

        year = date.today().year
        trips = {travel / f"{year - 1} Lisbon": (year - 1, 5), travel / f"{year} Alps": (year, 2)}
        for i, (folder, (trip_year, month)) in enumerate(trips.items()):
            written = generate_folder(folder, per_class=6, seed=300 + i)
            start = datetime(trip_year, month, 3, 9, 0)
            # A few days of photos, a quarter hour apart, whatever they show.
            order = np.random.default_rng(i).permutation(len(written))
            for n, path in zip(order, sorted(written), strict=True):
                stamp = (start + timedelta(minutes=15 * int(n))).timestamp()
                os.utime(path, (stamp, stamp))
        data_dir = self._indexed_library(travel, "travel")
        window = self._window(data_dir)
        self._wait_for_model(window)
        QTest.keyClicks(window.search, "red circle")
        QTest.keyClick(window.search, Qt.Key.Key_Return)
        _wait_for_search(window)
        popup = window.page.filters_popup
        popup.set_filters(
            Filters(
                date_from=date(year, 1, 1),
                folder=str(travel / f"{year} Alps"),
                extensions=FILE_TYPES["jpeg"],
                sort="newest",
                cutoff=True,
            )
        )
        # Not the timeline shown before the answer ("144 photos, newest first").
        heading = window.heading
        _wait_until(lambda: heading.text().endswith("close matches, newest first"), "filtered")
        self._wait_for_thumbnails(window)
        window.page.filters_button.click()
        _wait_until(popup.isVisible, "the filters popup")
        _settle(400)
        self._save(_grab_screen_area(window), "12-filters.png")
        popup.close()
        window.close()

    def viewer(self, folder: Path) -> None:
        """16-viewer.png: a camera's photo in the viewer, zoomed in, with its details."""
        import numpy as np
        from PIL import Image
        from PySide6.QtCore import QPointF, Qt
        from PySide6.QtTest import QTest
        from shapes import CLASSES, make_photo

        folder.mkdir(parents=True)
        for i, (colour, shape) in enumerate(CLASSES[:6]):
            exif = Image.Exif()
            exif[0x010F], exif[0x0110] = "FUJIFILM", "X-T4"  # Make, Model
            exif.get_ifd(0x8769)[0x9003] = f"2023:08:{12 + i} 17:{10 + 7 * i}:00"
            photo = make_photo(colour, shape, np.random.default_rng(700 + i), size=(2400, 1600))
            photo.save(folder / f"DSCF{4210 + i}.JPG", quality=90, exif=exif)
        window = self._window(_with_shape_tags(self._indexed_library(folder, "camera")))
        self._wait_for_model(window)
        QTest.keyClicks(window.search, "red circle")
        QTest.keyClick(window.search, Qt.Key.Key_Return)
        _wait_for_search(window)
        self._wait_for_thumbnails(window)
        window.grid.setCurrentIndex(window.results.index(0))
        QTest.keyClick(window.grid, Qt.Key.Key_Return)
        preview = window.preview
        assert preview is not None
        preview.resize(1000, 680)
        _wait_until(lambda: preview.dimensions.text().endswith("pixels"), "the viewer")
        _wait_until(lambda: preview.tags.text() != "…", "the viewer's tags")
        view = preview.view
        view.zoom_to(view.zoom() * 1.6, QPointF(view.viewport().rect().center()))
        _wait_until(lambda: not view.needs_detail(), "the photo's full resolution")
        _settle(300)
        self._save(preview.grab(), "16-viewer.png")
        preview.close()
        window.close()

    def new_matches(self, photos: Path) -> None:
        """16-new-matches.png: photos indexed since the results were shown, offered above
        them rather than moved in."""
        window = self._offering_new_matches(photos, "new-matches")
        self._save(window.grab(), "16-new-matches.png")
        window.close()

    def dark(self, photos: Path) -> None:
        """16-dark.png: the same, once the desktop has switched to dark under the open window."""
        from palettes import dark_palette
        from PySide6.QtGui import QPalette
        from PySide6.QtWidgets import QApplication

        window = self._offering_new_matches(photos, "dark")
        light = QPalette(QApplication.palette())
        QApplication.setPalette(dark_palette())
        try:
            _settle(300)
            self._save(window.grab(), "16-dark.png")
        finally:
            QApplication.setPalette(light)
            window.close()

    def place_text(self) -> None:
        """17-place-text.png: a receipt found by the words on it ("invoice 2024"), in the
        viewer: where it was taken, the words read in it, the searched ones marked."""
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        window = self._window(self._trip_library())
        self._wait_for_model(window)
        QTest.keyClicks(window.search, '"invoice 2024"')
        QTest.keyClick(window.search, Qt.Key.Key_Return)
        _wait_until(lambda: window.results.rowCount() == 1, "the receipt")
        self._wait_for_thumbnails(window)
        window.grid.setCurrentIndex(window.results.index(0))
        QTest.keyClick(window.grid, Qt.Key.Key_Return)
        preview = window.preview
        assert preview is not None
        preview.resize(1000, 720)
        rows = preview.details.rows
        _wait_until(lambda: rows["Text in photo"].isVisible(), "the receipt's words")
        _wait_until(lambda: preview.dimensions.text().endswith("pixels"), "the viewer")
        _settle(400)
        self._save(preview.grab(), "17-place-text.png")
        preview.close()
        window.close()

    def place_filter(self) -> None:
        """17-place-filter.png: the Filters popup's Place, its list of the library's places
        open, the results narrowed to Portugal."""
        window = self._window(self._trip_library())
        self._wait_for_model(window)
        popup = window.page.filters_popup
        window.page.filters_button.click()
        _wait_until(lambda: popup.place.count() > 1, "the library's places")
        popup.place.setCurrentIndex(popup.place.findData("Portugal"))
        popup.place.activated.emit(popup.place.currentIndex())
        _wait_until(lambda: window.heading.text().startswith("8 photos"), "the photos in Portugal")
        self._wait_for_thumbnails(window)
        popup.place.showPopup()
        _settle(400)
        self._save(_grab_screen_area(window), "17-place-filter.png")
        popup.close()
        window.close()

    def reading_text(self) -> None:
        """17-reading-text.png: after a folder is indexed, the words in its photos are read,
        with their own progress in the status bar."""
        folder = self._trip_photos()
        window = self._window(self.scratch / "reading-text")
        self._wait_for_model(window)
        label = window.index_status.label
        with _ocr("all"):
            window.add_folder(str(folder))
            _wait_until(lambda: "photos/s" in label.text() and "text" in label.text(), "text")
            self._wait_for_thumbnails(window)
            self._save(window.grab(), "17-reading-text.png")
            window.close()

    def _trip_photos(self) -> Path:
        """A trip's photos, made once: receipts and a slide with text on them and shapes,
        taken in Lisbon, Porto and Paris (GPS in their EXIF), one receipt with no position."""
        import numpy as np
        from geotagged import GPS_IFD, gps_fields
        from PIL import Image
        from shapes import make_photo
        from texts import make_receipt, make_slide

        folder = self.scratch / "home" / "Pictures" / "Trip"
        if folder.is_dir():
            return folder
        folder.mkdir(parents=True)
        rng = np.random.default_rng(18)

        def save(image: Image.Image, name: str, place: tuple[float, float] | None) -> None:
            exif = Image.Exif()
            if place is not None:
                exif.get_ifd(GPS_IFD).update(gps_fields(*place))
            image.save(folder / name, quality=90, exif=exif.tobytes())

        for name, (place, (colour, shape)) in TRIP.items():
            for i in range(3):
                save(make_photo(colour, shape, rng), f"{name}_{i + 1}.jpg", place)
        lisbon, porto = TRIP["lisbon"][0], TRIP["porto"][0]
        invoice = ["Lighthouse Bakery", "INVOICE 2024", "Date 2024-05-18", "Croissant 2.50"]
        save(make_receipt([*invoice, "Espresso 1.20", "Total 3.70"], rng), "receipt.jpg", lisbon)
        slide = ["Team Goals 2025", "New office in Lisbon", "Hire two engineers"]
        save(make_slide(slide, rng), "slide.jpg", porto)
        save(make_receipt(["Harbour Books", "Notebook 4.20", "Total 4.20"], rng), "books.jpg", None)
        then = time.time() - 3600  # not files still being copied
        for path in folder.iterdir():
            os.utime(path, (then, then))
        return folder

    def _trip_library(self) -> Path:
        data_dir = self.scratch / "trip"
        if not data_dir.is_dir():
            with _ocr("all"):
                self._indexed_library(self._trip_photos(), "trip")
        return data_dir

    # -- helpers --------------------------------------------------------------

    def scale_2x(self, data_dir: Path) -> None:
        """16-2x.png: results on a 2x screen. Qt reads the scale factor once, at start, so
        this script runs again for it, with --scale 2, on the same display."""
        if os.environ.get("QT_SCALE_FACTOR") != "2":
            command = [sys.executable, __file__, "--only", "scale-2x", "--scale", "2"]
            command += ["--out", str(self.out), "--model", str(self.model)]
            subprocess.run([*command, "--display", os.environ["DISPLAY"]], check=True)
            return
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        window = self._window(data_dir)
        # Half the usual size in logical pixels: the same screen holds it at twice the scale.
        window.resize(WINDOW[0] * 2 // 3, WINDOW[1] * 2 // 3)
        window.move(0, 0)
        self._wait_for_model(window)
        QTest.keyClicks(window.search, "red circle")
        QTest.keyClick(window.search, Qt.Key.Key_Return)
        _wait_for_search(window)
        self._wait_for_thumbnails(window)
        self._save(window.grab(), "16-2x.png")
        window.close()

    def _indexed_library(self, photos: Path, name: str = "indexed") -> Path:
        from helpers import index_into  # tests/, on the path as for shapes

        return index_into(self.scratch / name, self.model, [photos])

    def _offering_new_matches(self, photos: Path, name: str) -> MainWindow:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        from shapes import generate_folder

        window = self._window(self._indexed_library(photos, name))
        self._wait_for_model(window)
        QTest.keyClicks(window.search, "red circle")
        QTest.keyClick(window.search, Qt.Key.Key_Return)
        _wait_for_search(window)
        added = self.scratch / f"{name}-added"
        generate_folder(added, per_class=3, seed=11, age_seconds=3600)
        window.add_folder(str(added))
        _wait_until(window.page.new_matches.isVisible, "the new matches", timeout=120)
        self._wait_for_thumbnails(window)
        _settle(300)
        return window

    def _window(self, data_dir: Path, model: str | None = None) -> MainWindow:
        from PySide6.QtGui import QCursor

        from photofind.gui.main_window import MainWindow
        from photofind.gui.settings import AppSettings, Preferences

        prefs = Preferences(model=model or str(self.model), device="cpu")
        window = MainWindow(data_dir, AppSettings(data_dir), prefs)
        window.resize(*WINDOW)
        window.move(40, 40)
        # The pointer rests off the window, so no photo shows a hover highlight.
        QCursor.setPos(SCREEN[0] - 10, SCREEN[1] - 10)
        window.show()
        window.activateWindow()
        _settle(300)
        return window

    def _wait_for_model(self, window: MainWindow) -> None:
        from photofind.gui.results_page import READY_PLACEHOLDER

        search = window.search
        _wait_until(lambda: search.placeholderText() == READY_PLACEHOLDER, "the model", 120)

    def _wait_for_thumbnails(self, window: MainWindow) -> None:
        grid, results, loader = window.grid, window.results, window.thumbnails
        ratio = grid.devicePixelRatioF()

        def visible_loaded() -> bool:
            rows = [
                r
                for r in range(results.rowCount())
                if grid.viewport().rect().intersects(grid.visualRect(results.index(r)))
            ]
            side = round(grid.thumbnail_size * ratio)
            return bool(rows) and all(
                loader.pixmap(results.hit(r).path, side) is not None for r in rows
            )

        _wait_until(visible_loaded, "thumbnails")
        _settle(300)

    def settings(self) -> None:
        from photofind.gui.model_table import MEASURING, SPEED_COLUMN
        from photofind.gui.settings import Preferences
        from photofind.gui.settings_dialog import SettingsDialog

        data = self.scratch / "settings-data"
        dialog = SettingsDialog(Preferences(search_index="approximate"), data_dir=data)
        dialog.show()
        table = dialog.models
        speeds = [table.item(row, SPEED_COLUMN) for row in range(table.rowCount())]
        # Every suggested model's shape is timed here: minutes on a small machine.
        _wait_until(lambda: all(s.text() != MEASURING for s in speeds), "model speeds", 900)
        _settle(300)
        self._save(dialog.grab(), "13-settings.png")
        dialog.close()

    def _save(self, pixmap: QPixmap, name: str) -> None:
        path = self.out / name
        if not pixmap.save(str(path)):
            sys.exit(f"screenshots: could not write {path}")
        print(f"  {name}")


@contextlib.contextmanager
def _ocr(mode: str) -> Iterator[None]:
    """Read the words in photos as PHOTOFIND_OCR=`mode` says, for index runs meanwhile."""
    old = os.environ.get("PHOTOFIND_OCR")
    os.environ["PHOTOFIND_OCR"] = mode
    try:
        yield
    finally:
        if old is None:
            del os.environ["PHOTOFIND_OCR"]
        else:
            os.environ["PHOTOFIND_OCR"] = old


def _with_shape_tags(data_dir: Path) -> Path:
    """Tags the test model knows, for the library in `data_dir` (the default vocabulary is
    for real photos)."""
    from shapes import CLASSES

    (data_dir / "tags.txt").write_text("".join(f"{c} {s} = a {c} {s}\n" for c, s in CLASSES))
    return data_dir


def _grab_screen_area(window: MainWindow) -> QPixmap:
    geometry = window.frameGeometry()
    return window.screen().grabWindow(
        0, geometry.x(), geometry.y(), geometry.width(), geometry.height()
    )


def _settle(ms: int) -> None:
    from PySide6.QtCore import QCoreApplication

    deadline = time.monotonic() + ms / 1000
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.01)


def _wait_for_search(window: MainWindow) -> None:
    """Until the search typed has its results: not only rows, which the library's timeline
    puts in the grid before the search answers."""
    _wait_until(lambda: window.heading.text().endswith("best match first"), "results")


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    from PySide6.QtCore import QCoreApplication

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"screenshots: timed out waiting for {what}")
        QCoreApplication.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    sys.exit(main())
