"""Library.browse: the indexed photos without a query, newest first by the EXIF date taken,
else the file's time; filtered and tagged as a search is (issue #16, browse without a query)."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from helpers import index_into
from shapes import generate_folder

from photofind.core.library import Library
from photofind.core.search.filters import Filters
from photofind.core.search.search import Hit


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Iterator[Library]:
    root = tmp_path_factory.mktemp("browse")
    for folder, year in (("Old", 2019), ("New", 2022)):
        for day, path in enumerate(sorted(generate_folder(root / folder, per_class=1)), start=1):
            mtime = datetime(year, 3, day, 12).timestamp()
            os.utime(path, (mtime, mtime))
    library = Library(index_into(root / "data", model_dir, [root]), str(model_dir), "cpu")
    yield library
    library.close()


def _days(hits: list[Hit]) -> list[str]:
    return [h.taken[:10] for h in hits]


def test_the_library_is_listed_newest_first_with_when_each_photo_was_taken(
    library: Library,
) -> None:
    hits = library.browse(100)
    assert len(hits) == 24
    assert _days(hits) == sorted(_days(hits), reverse=True)
    assert hits[0].taken.startswith("2022-03-12") and hits[-1].taken.startswith("2019-03-01")
    assert all(math.isnan(h.score) for h in hits)  # no query to score against
    assert _days(library.browse(3)) == ["2022-03-12", "2022-03-11", "2022-03-10"]


def test_browsing_takes_the_filters_a_search_takes(library: Library) -> None:
    oldest = library.browse(100, filters=Filters(sort="oldest"))
    assert _days(oldest) == sorted(_days(oldest))
    old = library.browse(100, filters=Filters(date_to=date(2020, 1, 1)))
    assert len(old) == 12 and all("/Old/" in h.path for h in old)
