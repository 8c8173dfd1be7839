"""The indexing generator: progress, cancellation, sync with search."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
from helpers import PER_CLASS
from shapes import CLASSES, make_photo

from photofind.core.index.scan import SETTLE_SECONDS
from photofind.core.library import Library

TOTAL = PER_CLASS * len(CLASSES)


def test_progress_is_reported_and_counts_add_up(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    library = Library(tmp_path / "data", str(model_dir), "cpu")
    library.add_folders([str(shapes_dir)])
    steps = list(library.index())
    indexing = [p for p in steps if p.phase == "indexing"]
    assert indexing and all(p.total == TOTAL for p in indexing)
    assert [p.done for p in indexing] == sorted(p.done for p in indexing)
    final = steps[-1]
    assert final.phase == "done" and not final.cancelled
    assert final.done == TOTAL and final.counts.encoded == TOTAL and final.rate > 0
    library.close()


def test_cancelled_run_keeps_its_work_and_the_next_run_finishes(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    library = Library(tmp_path / "data", str(model_dir), "cpu")
    library.add_folders([str(shapes_dir)])
    cancel = threading.Event()
    for progress in library.index(cancel=cancel):
        if progress.phase == "indexing" and progress.done >= 32:
            cancel.set()
    assert progress.cancelled
    saved = library.status()["photos"]
    assert 32 <= saved < TOTAL
    final = list(library.index())[-1]
    assert final.counts.encoded == TOTAL - saved  # nothing saved was encoded again
    assert final.counts.unchanged == saved
    assert library.status()["photos"] == TOTAL
    library.close()


def test_search_sees_photos_indexed_after_it_was_first_used(
    model_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    library = Library(tmp_path / "data", str(model_dir), "cpu")
    library.add_folders([str(folder)])
    assert library.searcher.text("a photo of a green circle") == []
    make_photo("green", "circle", np.random.default_rng(0)).save(folder / "g.jpg")
    list(library.index())
    assert [Path(h.path).name for h in library.searcher.text("a photo of a green circle")] == [
        "g.jpg"
    ]
    (folder / "g.jpg").unlink()
    list(library.index())
    assert library.searcher.text("a photo of a green circle") == []
    library.close()


def test_a_photo_edited_in_place_is_encoded_again(
    model_dir: Path, tmp_path: Path, shapes_dir: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = folder / "p.jpg"
    shutil.copy(next(shapes_dir.glob("red_circle_*.jpg")), photo)
    library = Library(tmp_path / "data", str(model_dir), "cpu")
    library.add_folders([str(folder)])
    list(library.index())
    make_photo("blue", "triangle", np.random.default_rng(5)).save(photo)
    final = list(library.index())[-1]
    assert final.counts.encoded == 1 and final.counts.removed == 0
    hits = library.searcher.text("a photo of a blue triangle")
    assert [Path(h.path).name for h in hits] == ["p.jpg"]
    library.close()


def test_an_unplugged_folder_keeps_its_photos(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    drive = tmp_path / "drive"
    shutil.copytree(shapes_dir, drive)
    library = Library(tmp_path / "data", str(model_dir), "cpu")
    library.add_folders([str(drive)])
    list(library.index())
    drive.rename(tmp_path / "elsewhere")  # the drive is gone
    final = list(library.index())[-1]
    assert final.counts.removed == 0
    assert library.status()["photos"] == TOTAL
    (tmp_path / "elsewhere").rename(drive)  # and back
    final = list(library.index())[-1]
    assert final.counts.encoded == 0 and final.counts.unchanged == TOTAL
    library.close()


def test_a_photo_still_being_written_waits_until_it_has_settled(
    model_dir: Path, tmp_path: Path, shapes_dir: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    old, new = folder / "old.jpg", folder / "new.jpg"
    shutil.copy(next(shapes_dir.glob("red_circle_*.jpg")), old)
    os.utime(old, (1_700_000_000, 1_700_000_000))
    shutil.copy(next(shapes_dir.glob("blue_triangle_*.jpg")), new)  # modified just now
    library = Library(tmp_path / "data", str(model_dir), "cpu")
    library.add_folders([str(folder)])
    final = list(library.index(settle_seconds=SETTLE_SECONDS))[-1]
    assert (final.counts.encoded, final.counts.deferred) == (1, 1)
    assert library.status()["photos"] == 1
    settled = time.time() - SETTLE_SECONDS
    os.utime(new, (settled, settled))
    final = list(library.index(settle_seconds=SETTLE_SECONDS))[-1]
    assert (final.counts.encoded, final.counts.deferred, final.counts.unchanged) == (1, 0, 1)
    assert library.status()["photos"] == 2
    library.close()
