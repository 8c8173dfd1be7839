"""Looking again only where the watcher saw changes (issue #15, point 9): a change in one
folder is indexed without scanning the others or reading their rows, and deletions and
moves (of files and folders, within, into and out of the library) come out as a full scan
would have them, moved photos keeping their vectors."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from shapes import make_photo

from photofind.core.index import watcher
from photofind.core.index.indexer import IndexCounts
from photofind.core.index.store import Failed, PhotoRow, Store
from photofind.core.index.watcher import FolderWatcher
from photofind.core.library import Library
from photofind.core.photos import scanning
from photofind.core.photos.scanning import Scope, scan_folders, scopes_within

HANG_GUARD = 30.0  # seconds a wait for the watcher may take before the test gives up


def _photo(path: Path, seed: int) -> Path:
    """A photo written whole at `path` (renamed into place: no look sees it half written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    colours = ("red", "green", "blue", "yellow")
    part = path.with_name(f".{path.name}.part")  # hidden: never indexed
    make_photo(colours[seed % 4], "circle", np.random.default_rng(seed), (64, 64)).save(
        part, "JPEG"
    )
    part.replace(path)
    return path


class Watched:
    """A library of some folders, indexed, and a watcher over them: each `look` indexes only
    what the watcher saw change."""

    def __init__(self, tmp_path: Path, model_dir: Path, folders: list[Path]) -> None:
        self.library = Library(tmp_path / "data", str(model_dir), "cpu")
        self.library.add_folders([str(f) for f in folders])
        list(self.library.index())
        self.watcher = FolderWatcher([str(f) for f in folders], debounce=0.3)
        self.watcher.start()
        assert self.watcher.take() is None  # everything: just done

    def look(self) -> IndexCounts:
        assert self.watcher.wait_for_change(timeout=HANG_GUARD), "no change seen"
        only = self.watcher.take()
        assert only is not None, "a look at everything"
        return list(self.library.index(only=only))[-1].counts

    def vectors(self) -> dict[str, bytes]:
        rows = self.library.store.conn.execute(
            "SELECT p.path, v.vector FROM photos p JOIN vectors v ON v.photo_id = p.id"
            " WHERE p.status = 'ok'"  # not those put aside (see Store.put_aside)
        )
        return dict(rows.fetchall())

    def close(self) -> None:
        self.watcher.stop()
        self.library.close()


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watcher, "RECHECK_SECONDS", 0.2)


@pytest.fixture
def two_folders(tmp_path: Path, model_dir: Path, quick: None) -> Iterator[Watched]:
    a, b = tmp_path / "A", tmp_path / "B"
    for i in range(3):
        _photo(a / "trip" / f"a{i}.jpg", i)
        _photo(b / f"b{i}.jpg", 10 + i)
    watched = Watched(tmp_path, model_dir, [a, b])
    yield watched
    watched.close()


def _spy_on_scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folders the scan lists and the paths it stats, from now on."""
    looked: list[str] = []

    def scandir(path: str) -> object:
        looked.append(os.fspath(path))
        return os.scandir(path)

    def stat(path: str, **kwargs: object) -> os.stat_result:
        looked.append(os.fspath(path))
        return os.stat(path, **kwargs)  # type: ignore[arg-type]

    spy = SimpleNamespace(**{n: getattr(os, n) for n in ("path", "sep", "fspath")})
    spy.scandir, spy.stat = scandir, stat
    monkeypatch.setattr(scanning, "os", spy)
    return looked


def _spy_on_rows(monkeypatch: pytest.MonkeyPatch, store: Store) -> list[str]:
    """The photo rows read from now on; reading every row fails the test."""
    read: list[str] = []
    photos_in = store.photos_in

    def rows_in(model_id: int | None, scopes: list[Scope]) -> dict[str, PhotoRow]:
        rows = photos_in(model_id, scopes)
        read.extend(rows)
        return rows

    def every_row(model_id: int | None) -> dict[str, PhotoRow]:
        raise AssertionError("every row of the library was read")

    monkeypatch.setattr(store, "photos_in", rows_in)
    monkeypatch.setattr(store, "photos", every_row)
    return read


def test_a_new_photo_is_indexed_without_looking_at_the_other_folder(
    two_folders: Watched, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tmp_path / "A", tmp_path / "B"
    looked = _spy_on_scans(monkeypatch)
    read = _spy_on_rows(monkeypatch, two_folders.library.store)
    new = _photo(a / "trip" / "new.jpg", 20)
    counts = two_folders.look()
    assert (counts.encoded, counts.unchanged, counts.removed) == (1, 3, 0)
    assert str(new) in two_folders.vectors()
    assert looked and not [p for p in looked if scanning.is_within(p, str(b))]
    assert sorted(read) == sorted(str(a / "trip" / f"a{i}.jpg") for i in range(3))


@pytest.mark.slow
def test_deletes_and_moves_in_and_out_of_the_library_come_out_as_a_full_scan_would(
    two_folders: Watched, tmp_path: Path
) -> None:
    a, b, outside = tmp_path / "A", tmp_path / "B", tmp_path / "elsewhere"
    trip, x = a / "trip", a / "x.jpg"
    outside.mkdir()
    w = two_folders
    vectors = w.vectors()
    steps: list[tuple[str, Callable[[], object], tuple[int, int, int]]] = [
        # what, the change, (encoded, reused, removed) it takes
        ("file to the other folder", lambda: (trip / "a0.jpg").rename(b / "a0.jpg"), (0, 1, 1)),
        ("file deleted", lambda: (b / "b0.jpg").unlink(), (0, 0, 1)),
        ("folder to the other folder", lambda: trip.rename(b / "trip 2"), (0, 2, 2)),
        ("folder moved out", lambda: (b / "trip 2").rename(outside / "trip"), (0, 0, 2)),
        # Its photos were put aside when it left: back before a full run, nothing is encoded.
        ("folder moved in", lambda: (outside / "trip").rename(a / "back"), (0, 2, 0)),
        ("file moved in", lambda: _photo(outside / "x.jpg", 30).rename(x), (1, 0, 0)),
        ("file moved out", lambda: x.rename(outside / "x.jpg"), (0, 0, 1)),
        ("folder deleted", lambda: shutil.rmtree(a / "back"), (0, 0, 2)),
    ]
    for what, change, expected in steps:
        change()
        looks = []
        while sorted(w.vectors()) != _on_disk(a, b):
            looks.append(w.look())
        took = tuple(sum(getattr(c, k) for c in looks) for k in ("encoded", "reused", "removed"))
        assert took == expected, what
    assert w.vectors()[str(b / "a0.jpg")] == vectors[str(trip / "a0.jpg")]
    full = list(w.library.index())[-1].counts
    assert (full.encoded, full.reused, full.removed, full.failed) == (0, 0, 0, 0)


def _on_disk(*folders: Path) -> list[str]:
    return sorted(s.path for s in scan_folders([str(f) for f in folders]))


def test_the_rows_of_a_folder_are_read_without_those_below_it_unless_asked(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "data")
    root = str(tmp_path / "A")
    # A name that is not UTF-8 is stored as a BLOB (store.to_db): its own range of the index.
    names = ["x.jpg", "sub/y.jpg", "sub/deeper/z.jpg", "sub2/w.jpg", "sub b.jpg", "sub/\udcff.jpg"]
    store.write([Failed(f"{root}/{n}", 1, 1.0, None, "unreadable") for n in names], None)

    def names_in(*scopes: Scope) -> list[str]:
        return sorted(p[len(root) + 1 :] for p in store.photos_in(None, scopes))

    assert names_in(Scope(root)) == ["sub b.jpg", "x.jpg"]
    assert names_in(Scope(f"{root}/sub")) == ["sub/y.jpg", "sub/\udcff.jpg"]
    assert names_in(Scope(f"{root}/sub", recursive=True)) == [
        "sub/deeper/z.jpg",
        "sub/y.jpg",
        "sub/\udcff.jpg",
    ]
    assert names_in(Scope(root, recursive=True)) == sorted(names)
    store.close()


def test_scopes_are_kept_to_what_a_scan_of_the_library_would_look_at(tmp_path: Path) -> None:
    lib = str(tmp_path / "A")
    scopes = [
        Scope(f"{lib}/trip"),
        Scope(f"{lib}/trip", recursive=True),  # covers the one above
        Scope(f"{lib}/trip/day 1"),  # and this
        Scope(f"{lib}/.thumbnails/x"),  # hidden: never scanned
        Scope(str(tmp_path / "elsewhere")),  # outside the library
        Scope(lib),
    ]
    assert scopes_within(scopes, [lib]) == [Scope(lib), Scope(f"{lib}/trip", recursive=True)]
