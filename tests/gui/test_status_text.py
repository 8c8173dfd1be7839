"""The words the status bar and the results heading use."""

from __future__ import annotations

from photofind.core.index.indexer import IndexProgress
from photofind.gui.status_text import index_status, library_summary, results_heading, time_left


def test_indexing_status_reads_like_the_issue_asks() -> None:
    progress = IndexProgress("indexing", 1234, 5000, 12.0)
    assert index_status(progress) == "Indexing 1,234 of 5,000 · 12 photos/s · about 5 min left"
    assert index_status(progress, paused=True) == "Paused · 1,234 of 5,000 indexed"


def test_indexing_status_before_the_rate_is_known() -> None:
    assert index_status(IndexProgress("indexing", 0, 80, 0.0)) == "Indexing 0 of 80"
    assert index_status(IndexProgress("indexing", 3, 80, 2.5)).startswith(
        "Indexing 3 of 80 · 2.5 photos/s · "
    )
    assert index_status(IndexProgress("scanning", 1500, 0, 0.0)) == (
        "Looking for photos… 1,500 files so far"
    )
    assert index_status(IndexProgress("graph", 65_536, 1_200_000, 0.0)) == (
        "Preparing fast search · 65,536 of 1,200,000 photos"
    )


def test_time_left() -> None:
    assert time_left(20) == "less than a minute left"
    assert time_left(299) == "about 5 min left"
    assert time_left(3 * 3600) == "about 3 h left"
    assert time_left(2 * 3600 + 10 * 60) == "about 2 h 10 min left"


def test_library_summary() -> None:
    assert library_summary(0, 0, folders=0) == "No folders yet"
    assert library_summary(1, 0, folders=1) == "1 photo in the library"
    assert library_summary(12_345, 2, folders=3) == "12,345 photos in the library · 2 unreadable"


def test_results_heading() -> None:
    assert results_heading(96, 1000) == "96 photos, best match first"
    assert results_heading(12, 1000, close=True, so_far=True) == (
        "12 close matches so far, best match first"
    )
    assert results_heading(1000, 1000, so_far=True) == "The 1,000 best matches so far"
    assert results_heading(1, 1000) == "1 photo, best match first"
    assert results_heading(1000, 1000) == "The 1,000 best matches"
    assert results_heading(95, 1000, "/p/red_circle_001.jpg") == (
        "95 photos like red_circle_001.jpg, most alike first"
    )


def test_results_heading_says_how_results_are_cut_and_ordered() -> None:
    assert results_heading(12, 1000, close=True) == "12 close matches, best match first"
    assert results_heading(1, 1000, close=True) == "1 close match, best match first"
    assert results_heading(12, 1000, sort="newest", close=True) == "12 close matches, newest first"
    assert results_heading(96, 1000, sort="oldest") == "96 photos, oldest first"
    assert results_heading(1000, 1000, sort="newest") == "The 1,000 best matches, newest first"
    assert results_heading(7, 1000, "/p/a.jpg", close=True) == (
        "7 photos close to a.jpg, most alike first"
    )
    assert (
        results_heading(7, 1000, "/p/a.jpg", sort="oldest") == "7 photos like a.jpg, oldest first"
    )
