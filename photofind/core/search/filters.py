"""Narrowing and ordering search results: a date range (the EXIF date taken, else the file's
modification time), a folder, file types, the place a photo was taken in; relevance or date
order; and a relevance cutoff that adapts to each query.

Filters leave photos out before ranking, as a set of photo ids that one SQL statement picks
from the store (no Python loop over the library), so `--top 20` means the 20 best among the
photos that pass. The cutoff and the order apply to the ranked hits afterwards.

The cutoff keeps the hits that score close to the query's best one, measured against what a
typical photo of the library scores for the same query:

    keep a hit if  score >= best - CUTOFF_MARGIN * (best - typical)

`typical` is the CUTOFF_PERCENTILE-th percentile of the query's scores over an even sample of
the library. Raw scores mean different things for different queries and models (the test
model's matches score 0.9, a real CLIP model's typically around 0.3, and a vague query's best
match scores lower than a precise query's), so no one number separates matches from the rest;
the gap between the best and a typical photo is the query's own scale. The 25th percentile rather
than the median stands for "a photo that is not what you asked for" even when the query
matches up to about three quarters of the library (most photos of a family library show
people). Known limit: the best hit is always kept, and so are those near it, even when nothing
in the library really matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

import numpy as np

from photofind.core.errors import FilterError
from photofind.core.index.store import PlaceKey, Store, fold
from photofind.core.photos.raw import RAW_EXTENSIONS
from photofind.core.search.search import Hit

if TYPE_CHECKING:
    from photofind.core.search.place_names import PlaceMention

Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")

# How far below the best score a kept hit may be, as a fraction of the gap between the best
# and a typical photo's score. Chosen with the test model: for each of its twelve kinds of
# photo, the cutoff keeps every photo of the kind described and none that shares neither its
# colour nor its shape (tests/core/test_filters.py). Not yet checked with a real CLIP model.
CUTOFF_MARGIN = 0.4
CUTOFF_PERCENTILE = 25

# File types by the names people use; a RAW format's own extension (cr2, nef…) works too.
FILE_TYPES: dict[str, frozenset[str]] = {
    "jpeg": frozenset({".jpg", ".jpeg", ".jpe", ".jfif"}),
    "png": frozenset({".png"}),
    "heic": frozenset({".heic", ".heif"}),
    "webp": frozenset({".webp"}),
    "gif": frozenset({".gif"}),
    "tiff": frozenset({".tif", ".tiff"}),
    "bmp": frozenset({".bmp", ".dib"}),
    "avif": frozenset({".avif"}),
    "raw": RAW_EXTENSIONS,
}
_TYPE_ALIASES = {"jpg": "jpeg", "tif": "tiff", "heif": "heic"}

_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@dataclass(frozen=True)
class Filters:
    """What to leave out of a search and how to order what is left. The defaults change
    nothing: every photo, best match first, no cutoff."""

    date_from: date | None = None  # inclusive
    date_to: date | None = None  # inclusive
    folder: str | None = None  # an absolute path; photos anywhere below it
    extensions: frozenset[str] = field(default_factory=frozenset)  # ".jpg"…; empty: all
    place: str | None = None  # a country (or its code), region or city the photo was taken in
    sort: Sort = "relevance"
    cutoff: bool = False  # only close matches (see the module's docstring)

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise FilterError(
                f"the start date {self.date_from} is after the end date {self.date_to}"
            )
        if self.sort not in SORTS:
            raise FilterError(f"unknown order {self.sort!r}; expected one of {', '.join(SORTS)}")

    @property
    def narrows(self) -> bool:
        """Whether some photos are left out before ranking (a date, folder, type or place)."""
        return bool(self.date_from or self.date_to or self.folder or self.extensions or self.place)

    def excluded(self, store: Store) -> frozenset[int]:
        """The ids of the photos these filters leave out."""
        if not self.narrows:
            return frozenset()
        left_out = frozenset()
        if self.date_from or self.date_to or self.folder or self.extensions:
            left_out = store.ids_outside(self.date_from, self.date_to, self.folder, self.extensions)
        if self.place:
            left_out |= store.ids_taken_elsewhere(places_named(store, self.place))
        return left_out

    def arrange(
        self, hits: list[Hit], store: Store, sample_scores: Callable[[], np.ndarray]
    ) -> list[Hit]:
        """Ranked hits (best first) cut and ordered as asked. `sample_scores` gives the query's
        scores over a sample of the library, for the cutoff; it is called only if needed."""
        if self.cutoff and hits:
            hits = cut(hits, sample_scores())
        if self.sort != "relevance" and hits:
            dates = store.photo_dates([h.photo_id for h in hits])
            # A stable sort, reversed or not, keeps the best match first among equal dates.
            hits = sorted(
                hits, key=lambda h: dates.get(h.photo_id, ""), reverse=self.sort == "newest"
            )
        return hits


def places_named(store: Store, name: str) -> list[PlaceKey]:
    """The library's places that `name` names: a country, its two-letter code, a region or
    a city, ignoring case and accents; or several of them, comma-separated, to tell places
    of one name apart ("Lisbon, Portugal")."""
    wanted = [fold(part).strip() for part in name.split(",") if part.strip()]
    return [
        key
        for key, _ in store.where_taken()
        if all(w in {fold(part) for part in key} for w in wanted)
    ]


def places_mentioned(store: Store, mentions: Iterable[PlaceMention]) -> list[PlaceKey]:
    """The library's places that a query's place names name, each as the kind of place it
    is (the country Georgia is not the US state)."""
    field_of = {"country": 1, "region": 2, "city": 3}
    keys = []
    for key, _ in store.where_taken():
        for m in mentions:
            if key[0] == m.country_code and (
                m.kind == "country" or fold(key[field_of[m.kind]]) == fold(m.name)
            ):
                keys.append(key)
                break
    return keys


def cut(hits: Sequence[Hit], sample: np.ndarray) -> list[Hit]:
    """The hits that score close to the best one (see the module's docstring)."""
    best = max(h.score for h in hits)
    typical = float(np.percentile(sample, CUTOFF_PERCENTILE)) if len(sample) else best
    floor = best - CUTOFF_MARGIN * max(0.0, best - typical)
    return [h for h in hits if h.score >= floor]


def parse_date(text: str, end: bool = False) -> date:
    """A date given as YYYY-MM-DD, YYYY-MM or YYYY: its first day, or with `end` its last
    (so `--to 2023` takes in the whole of 2023)."""
    match = _PARTIAL_DATE.fullmatch(text.strip())
    if match is None:
        raise FilterError(f"not a date: {text!r} (expected YYYY-MM-DD, YYYY-MM or YYYY)")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        if month is None:
            return date(year, 12, 31) if end else date(year, 1, 1)
        if day is None:
            if not end:
                return date(year, month, 1)
            following = date(year + month // 12, month % 12 + 1, 1)
            return date.fromordinal(following.toordinal() - 1)
        return date(year, month, day)
    except ValueError:
        raise FilterError(f"not a date: {text!r} (no such date)") from None


def parse_types(text: str | Iterable[str]) -> frozenset[str]:
    """File extensions for type names: "jpeg,png", "raw", "cr2"… (case does not matter)."""
    names = text.split(",") if isinstance(text, str) else list(text)
    extensions: set[str] = set()
    for raw_name in names:
        name = raw_name.strip().lower().lstrip(".")
        if not name:
            continue
        name = _TYPE_ALIASES.get(name, name)
        if name in FILE_TYPES:
            extensions |= FILE_TYPES[name]
        elif "." + name in RAW_EXTENSIONS:
            extensions.add("." + name)
        else:
            known = ", ".join([*FILE_TYPES, *sorted(e[1:] for e in RAW_EXTENSIONS)])
            raise FilterError(f"unknown file type {raw_name.strip()!r} (known: {known})")
    if not extensions:
        raise FilterError("no file type given")
    return frozenset(extensions)
