"""The words the window uses for progress and result counts, kept apart so they are easy to
test and to keep consistent."""

from __future__ import annotations

import os
from datetime import date, timedelta

from PySide6.QtCore import QDate, QLocale

from photofind.core.api import IndexProgress


def index_status(progress: IndexProgress, paused: bool = False) -> str:
    """E.g. "Indexing 1,234 of 5,000 · 14 photos/s · about 5 min left", "Reading text in
    photos: 3 of 10"."""
    if progress.phase == "graph":
        return f"Preparing fast search · {progress.done:,} of {progress.total:,} photos"
    if progress.phase == "loading":
        waiting = f"{progress.total - progress.done:,} photos to index"
        return f"Paused · {waiting}" if paused else f"Loading the model… {waiting}"
    if progress.phase == "scanning":
        found = f"{progress.done:,} files so far"
        return f"Paused · {found}" if paused else f"Looking for photos… {found}"
    if progress.phase == "places":
        return "Paused" if paused else "Reading where photos were taken…"
    if progress.phase == "texts":
        return _texts_status(progress, paused)
    if paused:
        return f"Paused · {progress.done:,} of {progress.total:,} indexed"
    return " · ".join([f"Indexing {progress.done:,} of {progress.total:,}", *_pace(progress)])


def time_left(seconds: float) -> str:
    if seconds < 60:
        return "less than a minute left"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes} min left" if minutes else f"about {hours} h left"


def library_summary(photos: int, failed: int, folders: int) -> str:
    if not folders:
        return "No folders yet"
    # Said "in the library" so it is not read as a count of the results above it.
    text = f"{photos:,} photo{'' if photos == 1 else 's'} in the library"
    if failed:
        text += f" · {failed:,} unreadable"
    return text


def results_heading(
    count: int,
    limit: int,
    photo: str | None = None,
    *,
    sort: str = "relevance",
    close: bool = False,
    so_far: bool = False,
) -> str:
    """E.g. "96 photos, best match first", "The 1,000 photos most like IMG_0042.jpg" or, with
    only close matches, "12 close matches, newest first". `so_far`: indexing is still adding
    photos ("12 close matches so far, best match first")."""
    text = _heading(count, limit, photo, sort, close)
    if not so_far:
        return text
    head, comma, rest = text.partition(", ")
    return f"{head} so far{comma}{rest}"


def timeline_heading(count: int, limit: int, sort: str, *, so_far: bool = False) -> str:
    """The library without a query: e.g. "1,234 photos, newest first", "The 1,000 oldest
    photos"; browsing has no best match, so any order but "oldest" is newest first."""
    age = "oldest" if sort == "oldest" else "newest"
    if count >= limit:
        return f"The {count:,} {age} photos"
    noun = "photo" if count == 1 else "photos"
    return f"{count:,} {noun}{' so far' if so_far else ''}, {age} first"


def day_label(day: date, today: date) -> str:
    """A timeline's day header: "Today", "Yesterday" or the long date ("Saturday, 12 August
    2023" in English)."""
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    return long_date(day)


def long_date(day: date) -> str:
    """A date in the user's own long format, the same in the timeline and the viewer."""
    return QLocale().toString(QDate(day.year, day.month, day.day), QLocale.FormatType.LongFormat)


def new_matches(count: int) -> str:
    """The offer of photos indexing found since the results were shown."""
    return f"Show {count:,} new match{'' if count == 1 else 'es'}"


def _heading(count: int, limit: int, photo: str | None, sort: str, close: bool) -> str:
    noun = "photo" if count == 1 else "photos"
    order = {"newest": "newest first", "oldest": "oldest first"}.get(sort)
    if photo is not None:
        name = os.path.basename(photo)
        if count >= limit:
            text = f"The {count:,} photos most like {name}"
            return f"{text}, {order}" if order else text
        like = "close to" if close else "like"
        return f"{count:,} {noun} {like} {name}, {order or 'most alike first'}"
    if count >= limit:
        return f"The {count:,} best matches, {order}" if order else f"The {count:,} best matches"
    if close:
        noun = "close match" if count == 1 else "close matches"
    return f"{count:,} {noun}, {order or 'best match first'}"


def _texts_status(progress: IndexProgress, paused: bool) -> str:
    """E.g. "Reading text in photos: 3 of 10 · 1.5 photos/s · less than a minute left"."""
    if not progress.total:  # judging which photos hold text, from their vectors
        return "Paused" if paused else "Looking for photos with text…"
    count = f"{progress.done:,} of {progress.total:,}"
    if paused:
        return f"Paused · text read in {count} photos"
    parts = [f"Reading text in photos: {count}"]
    return " · ".join(parts + _pace(progress))


def _pace(progress: IndexProgress) -> list[str]:
    """How fast a run goes and how long it has left, once that is known."""
    if progress.rate <= 0 or not progress.done:
        return []
    eta = progress.eta_seconds
    return [f"{_rate(progress.rate)} photos/s", *([time_left(eta)] if eta is not None else [])]


def _rate(rate: float) -> str:
    return f"{rate:.1f}" if rate < 10 else f"{rate:,.0f}"
