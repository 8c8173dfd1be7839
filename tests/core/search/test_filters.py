"""Filters (core.search.filters): dates, folders and types picked out of the store by SQL, the
order by date, and the relevance cutoff, measured with the tiny real CLIP."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
from shapes import CLASSES, caption

from photofind.core.errors import FilterError
from photofind.core.index.store import Encoded, Store, from_db
from photofind.core.library import Library
from photofind.core.photos.imaging import PHOTO_EXTENSIONS
from photofind.core.photos.photo import PhotoInfo
from photofind.core.search.filters import FILE_TYPES, Filters, cut, parse_date, parse_types
from photofind.core.search.search import Hit


def _unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=8).astype(np.float32)
    return v / np.linalg.norm(v)


def _local(text: str) -> float:
    """A file time for a local date and time, as a camera's clock or a copy would leave it."""
    return datetime.fromisoformat(text).timestamp()


@pytest.fixture
def store() -> Store:
    store = Store(sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False))
    model = store.model_id("m", 8)
    photos = [
        # path, EXIF date taken, file modification time
        ("/lib/2019/a.jpg", "2019-07-14T10:00:00", "2024-01-10 09:00"),
        ("/lib/2019/b.JPG", "2019-12-31T23:30:00", "2024-01-10 09:00"),
        ("/lib/2021/c.png", None, "2021-03-05 00:10"),
        ("/lib/2021/d.DNG", "2021-08-01T09:00:00", "2021-08-02 09:00"),
        ("/lib/2021-extra/e.heic", None, "2021-03-04 23:50"),
        ("/lib/2021/f.jpeg", None, "2023-06-01 12:00"),
    ]
    store.write(
        [
            Encoded(path, 1, _local(mtime), f"h{i}", PhotoInfo(4, 3, taken), _unit(i))
            for i, (path, taken, mtime) in enumerate(photos)
        ],
        model,
    )
    return store


def _left(store: Store, filters: Filters) -> list[str]:
    """The photos a search with these filters may show, by name."""
    excluded = filters.excluded(store)
    rows = store.conn.execute("SELECT id, path FROM photos").fetchall()
    return sorted(os.path.basename(from_db(p)) for i, p in rows if i not in excluded)


def test_dates_are_the_exif_date_taken_else_the_file_time(store: Store) -> None:
    assert _left(store, Filters(date_to=date(2019, 12, 31))) == ["a.jpg", "b.JPG"]
    # A photo taken late on the last day of a range is in it.
    assert _left(store, Filters(date_from=date(2019, 12, 31), date_to=date(2019, 12, 31))) == [
        "b.JPG"
    ]
    # Without EXIF, the file's local date counts, to the minute around midnight.
    day = date(2021, 3, 5)
    assert _left(store, Filters(date_from=day, date_to=day)) == ["c.png"]
    assert _left(store, Filters(date_to=date(2021, 3, 4))) == ["a.jpg", "b.JPG", "e.heic"]
    assert _left(store, Filters(date_from=date(2021, 8, 1))) == ["d.DNG", "f.jpeg"]


def test_a_folder_takes_in_its_subfolders_but_not_its_namesakes(store: Store) -> None:
    assert _left(store, Filters(folder="/lib/2021")) == ["c.png", "d.DNG", "f.jpeg"]
    assert _left(store, Filters(folder="/lib/2021/")) == ["c.png", "d.DNG", "f.jpeg"]
    assert len(_left(store, Filters(folder="/lib"))) == 6
    assert _left(store, Filters(folder="/elsewhere")) == []


def test_file_types_by_name_whatever_the_case_of_the_extension(store: Store) -> None:
    assert _left(store, Filters(extensions=parse_types("jpeg"))) == ["a.jpg", "b.JPG", "f.jpeg"]
    assert _left(store, Filters(extensions=parse_types("raw"))) == ["d.DNG"]
    assert _left(store, Filters(extensions=parse_types("DNG, heif"))) == ["d.DNG", "e.heic"]
    both = Filters(folder="/lib/2021", extensions=parse_types("png,jpg"))
    assert _left(store, both) == ["c.png", "f.jpeg"]


def test_file_names_that_are_not_utf8_are_filtered_too() -> None:
    store = Store(sqlite3.connect(":memory:", isolation_level=None))
    model = store.model_id("m", 8)
    odd = os.fsdecode(b"/lib/caf\xe9/\xff.JPG")  # stored as bytes (store.to_db)
    info = PhotoInfo(4, 3, "2020-05-05T10:00:00")
    store.write([Encoded(odd, 1, 1.0, "h", info, _unit(1))], model)
    assert _left(store, Filters(folder=os.fsdecode(b"/lib/caf\xe9"))) == [os.path.basename(odd)]
    assert _left(store, Filters(folder="/lib/cafe")) == []
    assert _left(store, Filters(extensions=parse_types("jpeg"))) == [os.path.basename(odd)]
    assert _left(store, Filters(extensions=parse_types("png"))) == []
    assert _left(store, Filters(date_from=date(2020, 5, 5))) == [os.path.basename(odd)]


def test_every_photo_extension_has_a_type_and_the_length_the_sql_expects() -> None:
    typed = frozenset().union(*FILE_TYPES.values())
    assert typed == PHOTO_EXTENSIONS
    assert {len(e) for e in typed} <= {4, 5}


def test_dates_as_people_write_them() -> None:
    assert parse_date("2021-07-04") == date(2021, 7, 4)
    assert parse_date("2021-7-4") == date(2021, 7, 4)
    assert parse_date("2021") == date(2021, 1, 1)
    assert parse_date("2021", end=True) == date(2021, 12, 31)
    assert parse_date("2024-02", end=True) == date(2024, 2, 29)
    assert parse_date("2023-12", end=True) == date(2023, 12, 31)
    for bad in ("2021-02-30", "2021-13", "yesterday", "21-01-01", "2021/01/01", ""):
        with pytest.raises(FilterError, match="not a date"):
            parse_date(bad)


def test_unknown_types_name_the_known_ones() -> None:
    with pytest.raises(FilterError, match=r"unknown file type 'jpx' \(known: jpeg, png"):
        parse_types("jpeg,jpx")
    with pytest.raises(FilterError, match="no file type"):
        parse_types(" , ")


def test_a_range_back_to_front_is_refused() -> None:
    with pytest.raises(FilterError, match="after the end date"):
        Filters(date_from=date(2022, 1, 1), date_to=date(2021, 1, 1))


def test_the_cutoff_is_relative_to_the_best_and_a_typical_score() -> None:
    hits = [Hit(i, f"/p/{i}.jpg", s) for i, s in enumerate([0.9, 0.85, 0.6, 0.5, 0.1])]
    # The gap from a typical photo (0.1) to the best (0.9) is 0.8: kept within 0.32 of the best.
    sample = np.array([0.0, 0.1, 0.1, 0.2, 0.9])
    assert [h.score for h in cut(hits, sample)] == [0.9, 0.85, 0.6]
    # The same shape of scores, an unrelated scale: the same photos kept.
    scaled = [Hit(h.photo_id, h.path, h.score * 0.3 + 0.1) for h in hits]
    assert [h.photo_id for h in cut(scaled, sample * 0.3 + 0.1)] == [0, 1, 2]
    # The best is always kept, even when the library scores above it (a tiny sample).
    assert [h.photo_id for h in cut(hits, np.array([1.0, 1.0]))] == [0]
    assert [h.photo_id for h in cut(hits[:1], np.zeros(0))] == [0]


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory, shapes_dir: Path) -> Path:
    """A copy of the shapes folder: the tests here change file times."""
    folder = tmp_path_factory.mktemp("filters") / "photos"
    shutil.copytree(shapes_dir, folder)
    return folder


@pytest.fixture(scope="module")
def library(
    tmp_path_factory: pytest.TempPathFactory, model_dir: Path, photos: Path
) -> Iterator[Library]:
    library = Library(tmp_path_factory.mktemp("filters-data"), str(model_dir), "cpu")
    library.add_folders([str(photos)])
    for _ in library.index():
        pass
    yield library
    library.close()


def _kinds(hits: list[Hit]) -> list[str]:
    return ["_".join(Path(h.path).name.split("_")[:2]) for h in hits]


def test_the_cutoff_keeps_what_was_described_and_adapts_to_each_query(
    library: Library,
) -> None:
    everything = library.search("a photo of a red circle", 1000)
    close = library.search("a photo of a red circle", 1000, filters=Filters(cutoff=True))
    kinds = _kinds(close)
    assert kinds.count("red_circle") == _kinds(everything).count("red_circle")
    # Photos sharing the colour or the shape may stay; nothing that is neither is kept.
    assert all(k.startswith("red_") or k.endswith("_circle") for k in kinds), kinds
    assert len(close) < len(everything) / 3

    # One number that picks out exactly the red circles for that query…
    threshold = min(h.score for h in close if "red_circle" in h.path)
    # …finds nothing at all for a vaguer query, whose best match scores lower.
    circles = library.search("a circle", 1000)
    assert all(h.score < threshold for h in circles)
    # The cutoff keeps that query's own closest matches: circles, and many of them.
    close_circles = library.search("a circle", 1000, filters=Filters(cutoff=True))
    assert len(close_circles) >= 12
    assert all(k.endswith("_circle") for k in _kinds(close_circles)), _kinds(close_circles)


@pytest.mark.parametrize(("colour", "shape"), CLASSES)
def test_the_cutoff_keeps_every_photo_described_and_none_unrelated(
    library: Library, photos: Path, colour: str, shape: str
) -> None:
    close = library.search(caption(colour, shape), 1000, filters=Filters(cutoff=True))
    kinds = _kinds(close)
    assert kinds.count(f"{colour}_{shape}") == len(list(photos.glob(f"{colour}_{shape}_*")))
    unrelated = [k for k in kinds if colour not in k and shape not in k]
    assert unrelated == []


@pytest.mark.parametrize(("colour", "shape"), CLASSES[::4])
def test_the_cutoff_on_similar_photos_keeps_their_own_kind(
    library: Library, photos: Path, colour: str, shape: str
) -> None:
    same = sorted(photos.glob(f"{colour}_{shape}_*.jpg"))
    close = library.similar(same[0], 1000, filters=Filters(cutoff=True))
    kinds = _kinds(close)
    assert kinds.count(f"{colour}_{shape}") == len(same) - 1  # all but the photo itself
    assert len(close) < len(library.similar(same[0], 1000)) / 3


def test_sorting_by_date_orders_the_best_matches_by_when_they_were_taken(
    library: Library,
) -> None:
    best = library.search("a photo of a blue square", 6)
    # Give the six best matches distinct file dates (they carry no EXIF date).
    for day, hit in enumerate(best, start=1):
        os.utime(hit.path, (_local(f"2020-01-0{day} 12:00"), _local(f"2020-01-0{day} 12:00")))
    for _ in library.index():
        pass
    newest = library.search("a photo of a blue square", 6, filters=Filters(sort="newest"))
    oldest = library.search("a photo of a blue square", 6, filters=Filters(sort="oldest"))
    assert [h.path for h in newest] == [h.path for h in reversed(best)]
    assert [h.path for h in oldest] == [h.path for h in best]
    assert all(h.score == b.score for h, b in zip(oldest, best, strict=True))
