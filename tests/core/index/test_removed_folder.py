"""A removed folder leaves searches and counts at once, but its vectors are kept until the
next index run over the whole library: adding it back before then encodes nothing."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import pytest
from shapes import CLASSES, generate_folder

from photofind.core.library import Library
from photofind.core.photos.scanning import Scope

KINDS = [
    "exact",
    pytest.param(
        "approximate",
        marks=pytest.mark.skipif(find_spec("usearch") is None, reason="usearch is not installed"),
    ),
]


def _library(tmp_path: Path, model_dir: Path, index: str = "exact") -> tuple[Library, Path, Path]:
    """A library of two indexed folders: trips (24 photos) and home (12)."""
    trips, home = tmp_path / "Pictures" / "Trips", tmp_path / "Pictures" / "Home"
    generate_folder(trips, per_class=2, seed=21)
    generate_folder(home, per_class=1, seed=22)
    library = Library(tmp_path / "data", str(model_dir), "cpu", index=index)
    library.add_folders([str(trips), str(home)])
    assert list(library.index())[-1].counts.encoded == 3 * len(CLASSES)
    return library, trips, home


def _found(library: Library) -> list[str]:
    return [hit.path for hit in library.search("a photo", 1000)]


@pytest.mark.parametrize("index", KINDS)
def test_a_removed_folder_added_back_before_the_next_run_is_not_encoded_again(
    model_dir: Path, tmp_path: Path, index: str
) -> None:
    library, trips, home = _library(tmp_path, model_dir, index)
    assert library.folder_photos() == {str(home): len(CLASSES), str(trips): 2 * len(CLASSES)}
    assert library.remove_folder(str(trips)) == 2 * len(CLASSES)

    # Gone from the library at once: no search, count or scoped run sees its photos.
    found = _found(library)
    assert len(found) == len(CLASSES) and not any(p.startswith(str(trips)) for p in found)
    assert library.status()["photos"] == len(CLASSES)
    assert library.status()["folders"] == [str(home)]
    scoped = list(library.index(only=[Scope(str(home), recursive=True)]))[-1]
    assert scoped.counts.removed == 0

    library.add_folders([str(trips)])
    assert len(_found(library)) == 3 * len(CLASSES)  # back before any run, vectors and all
    final = list(library.index())[-1]
    assert final.counts.encoded == 0 and final.counts.reused == 0
    assert final.counts.unchanged == 3 * len(CLASSES)
    assert library.status()["photos"] == 3 * len(CLASSES)
    library.close()


def test_the_next_run_over_the_whole_library_forgets_a_removed_folder(
    model_dir: Path, tmp_path: Path
) -> None:
    library, trips, _home = _library(tmp_path, model_dir)
    library.remove_folder(str(trips))
    assert any(p.startswith(str(trips)) for p in library.store.all_paths())  # put aside

    run = list(library.index())[-1]
    assert run.counts.removed == 0  # the removal already told how many photos left
    assert not any(p.startswith(str(trips)) for p in library.store.all_paths())

    library.add_folders([str(trips)])
    assert list(library.index())[-1].counts.encoded == 2 * len(CLASSES)
    library.close()


def test_a_failed_photo_of_a_removed_folder_is_forgotten_at_once(
    model_dir: Path, tmp_path: Path
) -> None:
    library, trips, _home = _library(tmp_path, model_dir)
    (trips / "broken.jpg").write_bytes(b"not a photo")
    assert list(library.index())[-1].counts.failed == 1
    assert library.folder_photos()[str(trips)] == 2 * len(CLASSES) + 1
    assert library.remove_folder(str(trips)) == 2 * len(CLASSES) + 1
    assert library.status()["failed"] == 0
    assert library.store.failures() == []
    library.close()
