"""A library folder whose drive or share is unmounted leaves its bare mount point behind: an
empty folder on another device. Its photos stay indexed (hidden from results) and come back
without re-encoding; emptying a folder that is really there still removes its photos."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from shapes import generate_folder

from photofind.core.library import Library
from photofind.core.search.search import Hit


def _index(library: Library) -> dict[str, int]:
    *_, done = library.index()
    return done.counts.as_dict()


def test_an_unmounted_folder_keeps_its_photos_and_they_come_back(
    tmp_path: Path, model_dir: Path
) -> None:
    mount = tmp_path / "media" / "camera"
    generate_folder(mount, per_class=1, seed=3)
    library = Library(tmp_path / "data", str(model_dir), "cpu")
    try:
        library.add_folders([str(mount)])
        assert _index(library)["encoded"] == 12
        real_device = os.stat(mount).st_dev
        assert library.store.places()[str(mount)] == real_device

        # Unmounted: the mount point is empty, and (as the library saw its photos on the
        # drive's device) on another device now.
        away = tmp_path / "drive-contents"
        shutil.move(str(mount), str(away))
        mount.mkdir()
        library.store.set_places({str(mount): real_device + 1})
        counts = _index(library)
        assert counts["removed"] == 0
        photos = library.store.paths(list(range(1, 13)))
        hits = [Hit(pid, path, 0.5) for pid, path in photos.items()]
        kept, missing = library.without_unavailable(hits)
        assert kept == [] and missing == [str(mount)]

        # Mounted again: the same files, nothing encoded or removed.
        mount.rmdir()
        shutil.move(str(away), str(mount))
        counts = _index(library)
        assert counts["encoded"] == 0 and counts["removed"] == 0
        assert library.store.places()[str(mount)] == real_device

        # A folder that is really there and emptied loses its photos.
        for photo in mount.iterdir():
            photo.unlink()
        assert _index(library)["removed"] == 12
    finally:
        library.close()
