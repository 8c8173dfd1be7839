"""Which place a GPS position is in, offline, from GeoNames' populated places
(core.photos.gazetteer). The places and scipy's k-d trees over them are loaded on the first
question, once per process, not on import.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, cast

from photofind.core.photos.gazetteer import Gazetteer, read_gazetteer

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


@dataclass(frozen=True)
class Location:
    """A position's place: country (ISO 3166 code and name), first-level region (a state,
    province or the like; None where GeoNames has none) and the nearest city or town."""

    country_code: str
    country: str
    region: str | None
    city: str


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
    """The places, read on the first call (see core.photos.gazetteer) and kept."""
    return _once("gazetteer", read_gazetteer)


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


def _unit_vectors(latitudes: list[float], longitudes: list[float]) -> np.ndarray:
    import numpy as np

    lat = np.radians(np.asarray(latitudes, dtype=np.float64))
    lon = np.radians(np.asarray(longitudes, dtype=np.float64))
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


def _chord(km: float | np.ndarray) -> float | np.ndarray:
    """The straight distance on the unit sphere between two points `km` apart on the Earth."""
    import numpy as np

    return 2 * np.sin(np.minimum(km / _EARTH_RADIUS_KM, math.pi) / 2)
