"""Writing what an index run found: photos encoded, photos whose content was already
indexed, photos that failed; and deleting photos."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from photofind.core.index.store.connection import to_db, utc_now
from photofind.core.index.store.folders import FolderRecords
from photofind.core.index.store.locations import located, place_values
from photofind.core.photos.photo import PhotoInfo
from photofind.core.photos.scanning import is_within


@dataclass(frozen=True)
class Encoded:
    path: str
    size: int
    mtime: float
    hash: str
    info: PhotoInfo
    vector: np.ndarray


@dataclass(frozen=True)
class Reused:
    """A new path whose content is already indexed: the vector is copied from `source_id`."""

    path: str
    size: int
    mtime: float
    hash: str
    source_id: int


@dataclass(frozen=True)
class Failed:
    path: str
    size: int
    mtime: float
    hash: str | None
    reason: str


Result = Encoded | Reused | Failed


class IndexWrites(FolderRecords):
    """Batches of indexing results, each written in one transaction. A folders' reader too:
    a result under no library folder may be left out of a batch."""

    _removed_in_write: bool  # set by _upsert inside write()

    def write(
        self, results: Iterable[Result], model_id: int | None, only_in_library: bool = False
    ) -> None:
        """Record one batch of indexing results in one transaction. `model_id` is the model
        the Encoded results' vectors belong to (None when there are none). With
        `only_in_library`, results under no library folder, or under an excluded one, are
        left out: the folder lists are read in the same transaction, so a folder removed by
        another process while its photos were being indexed never gets them back."""
        now = utc_now()
        with self._transaction():
            revision = self.revision() + 1  # what this transaction's bump makes it
            self._removed_in_write = False
            if only_in_library:
                results = self._in_library(results)
            for r in results:
                if isinstance(r, Encoded):
                    if model_id is None:
                        raise ValueError("encoded results need the model they were encoded with")
                    pid = self._upsert(r.path, r.size, r.mtime, r.hash, r.info, "ok", None, now)
                    self._locate(pid, r.info)
                    self.conn.execute(
                        "INSERT OR REPLACE INTO vectors(photo_id, model_id, vector, written)"
                        " VALUES (?, ?, ?, ?)",
                        (
                            pid,
                            model_id,
                            np.asarray(r.vector, dtype=np.float32).tobytes(),
                            revision,
                        ),
                    )
                elif isinstance(r, Reused):
                    src = self.conn.execute(
                        "SELECT width, height, taken_at FROM photos WHERE id = ?", (r.source_id,)
                    ).fetchone()
                    info = PhotoInfo(*src) if src else PhotoInfo(0, 0, None)
                    pid = self._upsert(r.path, r.size, r.mtime, r.hash, info, "ok", None, now)
                    self._copy_place(pid, r.source_id)
                    # Every model's vector travels with the content, so a later model switch
                    # back does not re-encode a moved photo either.
                    self.conn.execute(
                        "INSERT OR REPLACE INTO vectors(photo_id, model_id, vector, written)"
                        " SELECT ?, model_id, vector, ? FROM vectors WHERE photo_id = ?",
                        (pid, revision, r.source_id),
                    )
                else:
                    info = PhotoInfo(0, 0, None)
                    pid = self._upsert(
                        r.path, r.size, r.mtime, r.hash, info, "failed", r.reason, now
                    )
                    self._locate(pid, info)
            self._bump_revision(removed=self._removed_in_write)

    def _locate(self, photo_id: int, info: PhotoInfo) -> None:
        self.conn.execute(
            "UPDATE photos SET latitude = ?, longitude = ?, country_code = ?, country = ?,"
            " region = ?, city = ?, located = 1 WHERE id = ?",
            (*place_values(located(info.gps)), photo_id),
        )

    def _copy_place(self, photo_id: int, source_id: int) -> None:
        """Identical content was taken in the same place."""
        self.conn.execute(
            "UPDATE photos SET (latitude, longitude, country_code, country, region, city,"
            " located) = (SELECT latitude, longitude, country_code, country, region, city,"
            " located FROM photos WHERE id = ?) WHERE id = ?",
            (source_id, photo_id),
        )

    def _in_library(self, results: Iterable[Result]) -> list[Result]:
        folders, excluded = self.folders(), self.excluded()
        return [
            r
            for r in results
            if any(is_within(r.path, f) for f in folders)
            and not any(is_within(r.path, e) for e in excluded)
        ]

    def _upsert(
        self,
        path: str,
        size: int,
        mtime: float,
        content_hash: str | None,
        info: PhotoInfo,
        status: str,
        error: str | None,
        now: str,
    ) -> int:
        before = self.conn.execute(
            "SELECT hash FROM photos WHERE path = ?", (to_db(path),)
        ).fetchone()
        row = self.conn.execute(
            "INSERT INTO photos(path, size, mtime, hash, width, height, taken_at, status, error,"
            " indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime,"
            " hash = excluded.hash, width = excluded.width, height = excluded.height,"
            " taken_at = excluded.taken_at, status = excluded.status, error = excluded.error,"
            " indexed_at = excluded.indexed_at RETURNING id",
            (
                to_db(path),
                size,
                mtime,
                content_hash,
                info.width,
                info.height,
                info.taken_at,
                status,
                error,
                now,
            ),
        ).fetchone()
        pid = int(row[0])
        same_content = before is not None and content_hash is not None and before[0] == content_hash
        # The content changed (or failed): vectors of every model are stale now. Encoding the
        # same content with another model keeps the others' vectors, so switching back to a
        # model needs no re-encoding.
        stale = status != "ok" or not same_content
        if stale and self.conn.execute("DELETE FROM vectors WHERE photo_id = ?", (pid,)).rowcount:
            self._removed_in_write = True
        return pid

    def delete_photos(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self._transaction():
            self.conn.executemany("DELETE FROM photos WHERE id = ?", [(i,) for i in ids])
            self._bump_revision(removed=True)
