"""Reading photo rows: what the index run compares with the disk, what a search shows, and
what the filters and duplicates look up."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from photofind.core.index.store.connection import (
    IN_IDS,
    StoreConnection,
    from_db,
    id_array,
    ranges_below,
    to_db,
)
from photofind.core.photos.scanning import Scope

# The order of `newest`, by whether the oldest come first.
_BY_DATE = {False: " ORDER BY taken DESC, p.id DESC", True: " ORDER BY taken ASC, p.id ASC"}
# When a photo was taken (ISO, local time): its EXIF date, else its file's modification time.
_PHOTO_DATE_SQL = (
    "COALESCE(NULLIF(taken_at, ''), strftime('%Y-%m-%dT%H:%M:%S', mtime, 'unixepoch', 'localtime'))"
)


class PhotoRow(NamedTuple):
    # A named tuple, not a frozen dataclass: every index run reads one per photo, and a
    # frozen dataclass is several times slower to build.
    id: int
    path: str
    size: int
    mtime: float
    hash: str | None
    status: str  # "ok" or "failed"
    has_vector: bool  # for the model the row was read for
    error: str | None = None  # why it failed


Detail = tuple[str, int, int, int, float]  # path, width, height, file size, mtime


def _local_midnight(day: date | None, days_after: int = 0) -> float | None:
    """The start of a day in this computer's time zone, as file times count (a timestamp)."""
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=days_after), time()).timestamp()


class PhotoReads(StoreConnection):
    """Photo rows, read."""

    def photos(self, model_id: int | None) -> dict[str, PhotoRow]:
        """Every photo row of the library by path (not those a removed folder put aside),
        with whether it has a vector for `model_id`."""
        with self._snapshot():
            # From the vectors' (model_id, written) index, as in `counts`: looking each
            # photo's vector up in the table itself reads its 1-2 KB row.
            with_vector = {
                r[0]
                for r in self.conn.execute(
                    "SELECT photo_id FROM vectors WHERE model_id = ?",
                    (model_id if model_id is not None else -1,),
                )
            }
            rows = self.conn.execute(
                "SELECT id, path, size, mtime, hash, status, error FROM photos"
                " WHERE status IN ('ok', 'failed')"
            ).fetchall()
        return {
            (path := from_db(r[1])): PhotoRow(
                r[0], path, r[2], r[3], r[4], r[5], r[0] in with_vector, r[6]
            )
            for r in rows
        }

    def photos_in(self, model_id: int | None, scopes: Iterable[Scope]) -> dict[str, PhotoRow]:
        """The photo rows of `scopes` (see core.photos.scanning.Scope) by path, as `photos` gives
        them; a range of the path index for each, so looking at a few folders again reads
        only their rows."""
        mid = model_id if model_id is not None else -1
        found: dict[str, PhotoRow] = {}
        with self._snapshot():
            for scope in scopes:
                for low, high in ranges_below(scope.path):
                    query = (
                        "SELECT id, path, size, mtime, hash, status, error, EXISTS(SELECT 1"
                        " FROM vectors v WHERE v.photo_id = p.id AND v.model_id = ?)"
                        " FROM photos p WHERE path >= ? AND path < ? AND status IN ('ok', 'failed')"
                    )
                    args: tuple[object, ...] = (mid, low, high)
                    if not scope.recursive:  # nothing below a subfolder
                        sep = os.sep if isinstance(low, str) else os.fsencode(os.sep)
                        query += " AND instr(substr(path, ?), ?) = 0"
                        args += (len(low) + 1, sep)
                    for r in self.conn.execute(query, args):
                        path = from_db(r[1])
                        found[path] = PhotoRow(r[0], path, r[2], r[3], r[4], r[5], bool(r[7]), r[6])
        return found

    def vector_source(self, content_hash: str, model_id: int) -> int | None:
        """A photo holding a vector for this content and model (one look in the hash index)."""
        row = self.conn.execute(
            "SELECT p.id FROM photos p JOIN vectors v ON v.photo_id = p.id"
            " WHERE p.hash = ? AND v.model_id = ? LIMIT 1",
            (content_hash, model_id),
        ).fetchone()
        return int(row[0]) if row else None

    def photo_id(self, path: str) -> int | None:
        """The id of the library's photo at `path` (None for one a removed folder put aside)."""
        row = self.conn.execute(
            "SELECT id FROM photos WHERE path = ? AND status IN ('ok', 'failed')", (to_db(path),)
        ).fetchone()
        return int(row[0]) if row else None

    def all_paths(self) -> list[str]:
        """The path of every photo in the library."""
        return [from_db(r[0]) for r in self.conn.execute("SELECT path FROM photos")]

    def paths(self, ids: Sequence[int]) -> dict[int, str]:
        rows = self.conn.execute(f"SELECT id, path FROM photos WHERE id {IN_IDS}", (id_array(ids),))
        return {pid: from_db(path) for pid, path in rows}

    def photo_details(self, ids: Sequence[int]) -> dict[int, Detail]:
        """Path, upright size in pixels, file size and modification time of some photos."""
        rows = self.conn.execute(
            "SELECT id, path, COALESCE(width, 0), COALESCE(height, 0), size, mtime FROM photos"
            f" WHERE id {IN_IDS}",
            (id_array(ids),),
        )
        return {pid: (from_db(path), w, h, size, mtime) for pid, path, w, h, size, mtime in rows}

    def photo_dates(self, ids: Sequence[int]) -> dict[int, str]:
        """When each photo was taken (ISO, local time): its EXIF date, else its file's time."""
        rows = self.conn.execute(
            f"SELECT id, {_PHOTO_DATE_SQL} FROM photos WHERE id {IN_IDS}", (id_array(ids),)
        )
        return {pid: str(when) for pid, when in rows}

    def ids_outside(
        self,
        date_from: date | None,
        date_to: date | None,
        folder: str | None,
        extensions: frozenset[str],
    ) -> frozenset[int]:
        """The ids of the good photos taken outside the dates (inclusive), outside the folder
        or of none of the file extensions (".jpg"…); None or empty bounds nothing."""
        prefix = folder.rstrip(os.sep) + os.sep if folder else ""
        text_prefix: str | None = prefix
        try:
            prefix.encode("utf-8")
        except UnicodeEncodeError:
            text_prefix = None  # such a folder's photos are all stored by their bytes
        rows = self.conn.execute(
            # A photo's date is its EXIF date taken; a photo without one is dated by its file's
            # modification time, compared as a timestamp (no date arithmetic per photo).
            # A path is TEXT, or a BLOB when the file name is not UTF-8 (to_db): the folder is
            # compared as both. substr() counts characters in TEXT, bytes in a BLOB.
            "WITH wanted AS (SELECT value FROM json_each(:extensions))"
            " SELECT id FROM photos WHERE status = 'ok' AND NOT ("
            "  (:date_from IS NULL OR CASE WHEN taken_at > ''"
            "    THEN substr(taken_at, 1, 10) >= :date_from ELSE mtime >= :from_time END)"
            "  AND (:date_to IS NULL OR CASE WHEN taken_at > ''"
            "    THEN substr(taken_at, 1, 10) <= :date_to ELSE mtime < :after_time END)"
            "  AND (NOT :in_folder"
            "    OR IFNULL(substr(path, 1, length(:text_prefix)) = :text_prefix, 0)"
            "    OR substr(path, 1, length(:blob_prefix)) = :blob_prefix)"
            # Every photo extension is 4 or 5 characters long, dot included (search.filters).
            "  AND (:extensions IS NULL"
            "    OR lower(substr(path, -4)) IN (SELECT value FROM wanted)"
            "    OR lower(substr(path, -5)) IN (SELECT value FROM wanted)))",
            {
                "date_from": date_from.isoformat() if date_from else None,
                "date_to": date_to.isoformat() if date_to else None,
                "from_time": _local_midnight(date_from),
                "after_time": _local_midnight(date_to, days_after=1),
                "in_folder": bool(prefix),
                "text_prefix": text_prefix,
                "blob_prefix": os.fsencode(prefix),
                "extensions": json.dumps(sorted(extensions)) if extensions else None,
            },
        )
        return frozenset(r[0] for r in rows)

    def newest(
        self, model_id: int, leave_out: frozenset[int], limit: int, oldest: bool = False
    ) -> list[tuple[int, str, str]]:
        """(id, path, date taken) of the good photos holding a vector for the model, newest
        first (or oldest), leaving out `leave_out`: the library browsed without a query."""
        rows = self.conn.execute(
            f"SELECT p.id, p.path, {_PHOTO_DATE_SQL} AS taken FROM photos p"
            " JOIN vectors v ON v.photo_id = p.id AND v.model_id = ?"
            f" WHERE p.status = 'ok' AND p.id NOT {IN_IDS}" + _BY_DATE[oldest] + " LIMIT ?",
            (model_id, id_array(sorted(leave_out)), limit),
        )
        return [(pid, from_db(path), str(taken)) for pid, path, taken in rows]

    def failures(self) -> list[tuple[str, str]]:
        rows = self.conn.execute(
            "SELECT path, error FROM photos WHERE status = 'failed' ORDER BY path"
        )
        return [(from_db(path), error) for path, error in rows]

    def counts(self, model_id: int | None) -> dict[str, int]:
        """Photos with a vector for the model, failed photos, and photos still waiting for one."""
        mid = model_id if model_id is not None else -1
        # One statement, so one snapshot. The vectors are counted through their (model_id,
        # written) index, never their rows: a row holds a 1-2 KB vector, and visiting every
        # row reads the whole table.
        ok, failed, with_vector = self.conn.execute(
            "SELECT SUM(status = 'ok'), SUM(status = 'failed'),"
            " (SELECT COUNT(*) FROM vectors v JOIN photos p ON p.id = v.photo_id"
            "  WHERE v.model_id = ? AND p.status = 'ok')"
            " FROM photos",
            (mid,),
        ).fetchone()
        ok, with_vector = ok or 0, with_vector or 0
        return {"photos": with_vector, "failed": failed or 0, "pending": ok - with_vector}
