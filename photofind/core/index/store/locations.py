"""Where photos were taken: positions read from their EXIF data and named offline, written
at indexing (core.index.store.writes) or later for photos indexed before positions were
read, and read back for the place filter and the viewer."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from photofind.core.index.store.connection import IN_IDS, StoreConnection, from_db, id_array

if TYPE_CHECKING:
    from photofind.core.photos.location import Location

# A place as the filter and the Filters popup name it: country code, country, region, city.
PlaceKey = tuple[str, str, str, str]


class Position(NamedTuple):
    latitude: float
    longitude: float
    place: Location | None


def located(gps: tuple[float, float] | None) -> Position | None:
    """A position and the place it names (None: the photo holds no position)."""
    if gps is None:
        return None
    # Only here: naming places loads a gazetteer, which a search never needs.
    from photofind.core.photos.location import where

    return Position(gps[0], gps[1], where(*gps))


def place_values(position: Position | None) -> tuple[object, ...]:
    """The photos row's latitude, longitude, country_code, country, region and city."""
    if position is None:
        return (None,) * 6
    p = position.place
    names = (p.country_code, p.country, p.region, p.city) if p else (None,) * 4
    return (position.latitude, position.longitude, *names)


def place_key(values: Sequence[object]) -> str:
    """How the filter's SQL names one place: its four names joined (empty for none)."""
    return "|".join(str(v or "") for v in values)


class LocationReads(StoreConnection):
    """Positions and places, read and written."""

    def photos_to_locate(self, limit: int) -> list[tuple[int, str]]:
        """(id, path) of good photos whose headers were never read for a position."""
        rows = self.conn.execute(
            "SELECT id, path FROM photos WHERE located = 0 AND status = 'ok' LIMIT ?", (limit,)
        )
        return [(pid, from_db(path)) for pid, path in rows]

    def set_positions(self, positions: Sequence[tuple[int, Position | None]]) -> None:
        """Record what reading the headers of photos found (None: no position)."""
        with self._transaction():
            self.conn.executemany(
                "UPDATE photos SET latitude = ?, longitude = ?, country_code = ?, country = ?,"
                " region = ?, city = ?, located = 1 WHERE id = ?",
                [(*place_values(p), pid) for pid, p in positions],
            )

    def where_taken(self) -> list[tuple[PlaceKey, int]]:
        """Every place the library's good photos were taken in, with how many photos each."""
        rows = self.conn.execute(
            "SELECT country_code, country, IFNULL(region, ''), IFNULL(city, ''), COUNT(*)"
            " FROM photos WHERE status = 'ok' AND country_code IS NOT NULL"
            " GROUP BY country_code, country, region, city"
        )
        return [((cc, country, region, city), n) for cc, country, region, city, n in rows]

    def ids_taken_elsewhere(self, keep: Sequence[PlaceKey]) -> frozenset[int]:
        """The good photos taken in none of the places `keep` (photos without a place
        included: they were taken nowhere the filter can name)."""
        rows = self.conn.execute(
            "SELECT id FROM photos WHERE status = 'ok' AND (country_code IS NULL OR"
            " country_code || '|' || IFNULL(country, '') || '|' || IFNULL(region, '') || '|'"
            " || IFNULL(city, '') NOT IN (SELECT value FROM json_each(?)))",
            (json.dumps([place_key(k) for k in keep]),),
        )
        return frozenset(r[0] for r in rows)

    def positions_of(self, ids: Sequence[int]) -> dict[int, tuple[float, float, PlaceKey]]:
        """Position and place of those photos that have a position."""
        rows = self.conn.execute(
            "SELECT id, latitude, longitude, IFNULL(country_code, ''), IFNULL(country, ''),"
            " IFNULL(region, ''), IFNULL(city, '') FROM photos"
            f" WHERE latitude IS NOT NULL AND id {IN_IDS}",
            (id_array(ids),),
        )
        return {r[0]: (r[1], r[2], (r[3], r[4], r[5], r[6])) for r in rows}
