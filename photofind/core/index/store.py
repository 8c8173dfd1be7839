"""The library database: folders, photos and their vectors, in SQLite."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

import numpy as np

from photofind.core.errors import SchemaError
from photofind.core.photos.photo import PhotoInfo
from photofind.core.photos.scanning import Scope, is_within

DB_NAME = "library.db"
# Meta keys of places (see `places`): the prefix, then the path's bytes in hex.
_PLACE = "device:"
# The order of `newest`, by whether the oldest come first.
_BY_DATE = {False: " ORDER BY taken DESC, p.id DESC", True: " ORDER BY taken ASC, p.id ASC"}
# When a photo was taken (ISO, local time): its EXIF date, else its file's modification time.
PHOTO_DATE_SQL = (
    "COALESCE(NULLIF(taken_at, ''), strftime('%Y-%m-%dT%H:%M:%S', mtime, 'unixepoch', 'localtime'))"
)


def _place_key(path: str) -> str:
    return _PLACE + os.fsencode(path).hex()


class PhotoRow(NamedTuple):
    # A named tuple, not a frozen dataclass: every index run reads one per photo, and
    # building 100,000 frozen dataclasses cost ~0.4 s more.
    id: int
    path: str
    size: int
    mtime: float
    hash: str | None
    status: str  # "ok" or "failed"
    has_vector: bool  # for the model the row was read for
    error: str | None = None  # why it failed


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


# Migrations are plain SQL on the connection, inside the one transaction `_migrate` holds for
# the step (SQLite DDL is transactional), so a step is applied whole or not at all. Nothing in
# them may commit: statements run one by one, never through executescript (it commits first)
# or a library that manages transactions of its own.

# Exactly the text that libraries of schema 1 hold, so new and migrated libraries have one
# schema, character for character.
_SCHEMA_1 = (
    """CREATE TABLE "folders" (
   "path" TEXT PRIMARY KEY,
   "added_at" TEXT
)""",
    """CREATE TABLE "photos" (
   "id" INTEGER PRIMARY KEY,
   "path" TEXT NOT NULL,
   "size" INTEGER NOT NULL,
   "mtime" REAL NOT NULL,
   "hash" TEXT,
   "width" INTEGER,
   "height" INTEGER,
   "taken_at" TEXT,
   "status" TEXT NOT NULL,
   "error" TEXT,
   "indexed_at" TEXT NOT NULL
)""",
    """CREATE UNIQUE INDEX "idx_photos_path"
    ON "photos" ("path")""",
    """CREATE INDEX "idx_photos_hash"
    ON "photos" ("hash")""",
    """CREATE TABLE "models" (
   "id" INTEGER PRIMARY KEY,
   "name" TEXT NOT NULL,
   "dim" INTEGER NOT NULL
)""",
    """CREATE UNIQUE INDEX "idx_models_name"
    ON "models" ("name")""",
    "CREATE TABLE vectors ("
    " photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,"
    " model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,"
    " vector BLOB NOT NULL,"
    " PRIMARY KEY (photo_id, model_id)) WITHOUT ROWID",
    """CREATE TABLE "meta" (
   "key" TEXT PRIMARY KEY,
   "value" TEXT
)""",
)


def _migrate_0_to_1(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA_1:
        conn.execute(statement)


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    # Subfolders of library folders that the user wants left out of the index.
    conn.execute(
        """CREATE TABLE "excluded" (
   "path" TEXT PRIMARY KEY,
   "added_at" TEXT
)"""
    )


def _migrate_2_to_3(conn: sqlite3.Connection) -> None:
    # The revision that wrote each vector, so a reader holding the vectors of revision R can
    # fetch only what was added after R instead of reloading a million rows.
    conn.execute("ALTER TABLE vectors ADD COLUMN written INTEGER NOT NULL DEFAULT 0")
    conn.execute("CREATE INDEX vectors_by_write ON vectors(model_id, written)")
    # Files kept beside the database (vector snapshots) name the library they belong to.
    conn.execute("INSERT INTO meta(key, value) VALUES ('library_id', ?)", [uuid.uuid4().hex])


# MIGRATIONS[n] takes a database from schema version n to n + 1. Append, never edit what a
# step makes.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migrate_0_to_1,
    _migrate_1_to_2,
    _migrate_2_to_3,
]
SCHEMA_VERSION = len(MIGRATIONS)


def to_db(path: str) -> str | bytes:
    """Linux file names may be any bytes; those that are not UTF-8 are stored as BLOBs (SQLite
    text must be valid UTF-8), so every file the scan finds can be recorded."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


def from_db(value: str | bytes) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else value


def connect(path: Path) -> sqlite3.Connection:
    """Open the library file: WAL so readers never block the writer, and a generous busy wait
    so a second process (the app beside a CLI run) waits for the writer instead of failing.
    A library from a newer photofind is refused before anything is written to it (switching
    it to WAL would already rewrite its header)."""
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    try:
        _refuse_newer(conn)
    except SchemaError:
        conn.close()
        raise
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _refuse_newer(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"this library was written by a newer photofind (schema {version}, this version "
            f"knows {SCHEMA_VERSION}); update photofind, or use another --data-dir"
        )


def _ranges_below(folder: str) -> list[tuple[str | bytes, str | bytes]]:
    """The ranges of the path index that hold the paths below `folder`. Paths are stored as
    text, or as BLOBs where not UTF-8 (to_db): a range of each."""
    low = os.fsencode(folder.rstrip(os.sep) + os.sep)
    high = low[:-1] + bytes([low[-1] + 1])  # just past every path that starts with low
    ranges: list[tuple[str | bytes, str | bytes]] = [(low, high)]
    with contextlib.suppress(UnicodeDecodeError):
        ranges.append((low.decode(), high.decode()))
    return ranges


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """All reads and writes of the library. The connection is injected so tests can use a
    temporary database; `Store.open` is the normal way in."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA foreign_keys=ON")
        self.conn = conn
        self._removed_in_write = False  # set by _upsert inside write()
        self._migrate()

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        """Open (or create) the library in `data_dir`. Both are private to the user: the
        folder is created 0700 and the database 0600 (SQLite gives its -wal and -shm files the
        database's permissions)."""
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = data_dir / DB_NAME
        if not path.exists():
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        return cls(connect(path))

    def close(self) -> None:
        self.conn.close()

    # -- schema ---------------------------------------------------------------

    def _migrate(self) -> None:
        """Step an older database up to SCHEMA_VERSION in place, one transaction per step, so
        an interrupted upgrade leaves a database at some version, never between two."""
        _refuse_newer(self.conn)
        while self.schema_version < SCHEMA_VERSION:
            with self._transaction():
                # Read again under the write lock: another process opening the same old
                # library (the app and a CLI run after an upgrade) may have just migrated it.
                version = self.schema_version
                if version < SCHEMA_VERSION:
                    MIGRATIONS[version](self.conn)
                    version += 1
                    self.conn.execute(f"PRAGMA user_version={version}")

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Several reads that see one state of the database (a read transaction in WAL)."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:  # SQLite ends it itself on some errors (BUSY, IOERR)
                self.conn.execute("COMMIT")

    def _transaction(self) -> sqlite3.Connection:
        # BEGIN IMMEDIATE takes the write lock up front, so two writers queue on the busy
        # timeout instead of one failing with "database is locked" mid-transaction.
        self.conn.execute("BEGIN IMMEDIATE")
        return _Commit(self.conn)  # type: ignore[return-value]

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    # -- folders --------------------------------------------------------------

    def folders(self) -> list[str]:
        return sorted(from_db(r[0]) for r in self.conn.execute("SELECT path FROM folders"))

    def add_folder(self, path: str) -> bool:
        """Remember a folder; False if it was already in the library. Photos below it that a
        removal put aside (see `remove_folder`) are in the library again, with their vectors."""
        with self._transaction():
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO folders(path, added_at) VALUES (?, ?)", (to_db(path), _now())
            )
            self._restore_removed(path)
            return cur.rowcount > 0

    def _restore_removed(self, folder: str) -> None:
        # Their vectors count as written now, so readers holding the vectors of an earlier
        # revision take them in as they take in new ones (see `vectors(since=…)`).
        revision = self.revision() + 1
        restored = 0
        for low, high in _ranges_below(folder):
            self.conn.execute(
                "UPDATE vectors SET written = ? WHERE photo_id IN (SELECT id FROM photos"
                " WHERE status = 'removed' AND path >= ? AND path < ?)",
                (revision, low, high),
            )
            restored += self.conn.execute(
                "UPDATE photos SET status = 'ok'"
                " WHERE status = 'removed' AND path >= ? AND path < ?",
                (low, high),
            ).rowcount
        if restored:
            self._bump_revision()

    def places(self) -> dict[str, int]:
        """Folders whose photos can be away while the rest of the library is there (see
        core.index.places), with the device each was on when its photos were last there."""
        rows = self.conn.execute("SELECT key, value FROM meta WHERE key LIKE 'device:%'")
        return {os.fsdecode(bytes.fromhex(key[len(_PLACE) :])): int(v) for key, v in rows}

    def set_places(self, devices: dict[str, int], forget: Iterable[str] = ()) -> None:
        """Record places and their devices, and forget others, in one transaction."""
        with self._transaction():
            self.conn.executemany(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                [(_place_key(p), str(d)) for p, d in devices.items()],
            )
            self.conn.executemany(
                "DELETE FROM meta WHERE key = ?", [(_place_key(p),) for p in forget]
            )

    def some_paths_under(self, folder: str, limit: int) -> list[str]:
        """Up to `limit` paths of photos recorded below `folder` (a range of the path index)."""
        found: list[str] = []
        for start, end in _ranges_below(folder):
            rows = self.conn.execute(
                "SELECT path FROM photos WHERE path >= ? AND path < ? LIMIT ?",
                (start, end, limit - len(found)),
            )
            found += [from_db(r[0]) for r in rows]
        return found[:limit]

    def remove_folder(self, path: str) -> int:
        """Take a folder out of the library; returns how many photos no other library folder
        holds. Those leave the library at once (no search, count or duplicate sees them), but
        their rows and vectors are put aside until `forget_removed`: adding the folder back
        before then needs no encoding. Failed photos go at once: retrying them costs little."""
        with self._transaction():
            if not self.conn.execute("DELETE FROM folders WHERE path = ?", (to_db(path),)).rowcount:
                return 0
            others = self.folders()
            doomed = [
                (pid,)
                for low, high in _ranges_below(path)
                for pid, raw in self.conn.execute(
                    "SELECT id, path FROM photos WHERE path >= ? AND path < ?"
                    " AND status IN ('ok', 'failed')",
                    (low, high),
                )
                if not any(is_within(from_db(raw), f) for f in others)
            ]
            self.conn.executemany("DELETE FROM photos WHERE id = ? AND status = 'failed'", doomed)
            self.conn.executemany("UPDATE photos SET status = 'removed' WHERE id = ?", doomed)
            self._bump_revision(removed=bool(doomed))
            return len(doomed)

    def put_aside(self, ids: Sequence[int]) -> None:
        """Take photos whose files are gone out of the library. An index run that looks at
        a few folders (what a watcher saw change) may see a photo leave one folder before
        another run sees it arrive in the next: until `forget_removed`, the row keeps its
        vector for that run to reuse (see `vector_source`), and no search, count or
        duplicate sees it. Failed photos have no vector to keep: they go at once."""
        if not ids:
            return
        with self._transaction():
            rows = [(i,) for i in ids]
            self.conn.executemany("DELETE FROM photos WHERE id = ? AND status = 'failed'", rows)
            self.conn.executemany("UPDATE photos SET status = 'gone' WHERE id = ?", rows)
            self._bump_revision(removed=True)

    def forget_removed(self) -> int:
        """Delete the photos that removed folders and vanished files put aside, and their
        vectors; how many."""
        with self._transaction():
            forgotten = self.conn.execute(
                "DELETE FROM photos WHERE status IN ('removed', 'gone')"
            ).rowcount
            if forgotten:
                self._bump_revision()
            return forgotten

    def photo_counts(self, folders: Iterable[str]) -> dict[str, int]:
        """How many photos of the library are recorded below each folder (index ranges)."""
        counts = {}
        for folder in folders:
            counts[folder] = sum(
                self.conn.execute(
                    "SELECT COUNT(*) FROM photos WHERE path >= ? AND path < ?"
                    " AND status IN ('ok', 'failed')",
                    (low, high),
                ).fetchone()[0]
                for low, high in _ranges_below(folder)
            )
        return counts

    def excluded(self) -> list[str]:
        return sorted(from_db(r[0]) for r in self.conn.execute("SELECT path FROM excluded"))

    def set_excluded(self, path: str, excluded: bool) -> None:
        """Leave a subfolder out of the index (its photos go at the next index run), or not."""
        with self._transaction():
            if excluded:
                self.conn.execute(
                    "INSERT OR IGNORE INTO excluded(path, added_at) VALUES (?, ?)",
                    (to_db(path), _now()),
                )
            else:
                self.conn.execute("DELETE FROM excluded WHERE path = ?", (to_db(path),))

    # -- models ---------------------------------------------------------------

    def model_id(self, name: str, dim: int) -> int:
        row = self.conn.execute("SELECT id, dim FROM models WHERE name = ?", (name,)).fetchone()
        if row:
            if row[1] != dim:
                raise SchemaError(f"model {name!r} changed its vector size ({row[1]} -> {dim})")
            return int(row[0])
        with self._transaction():
            cur = self.conn.execute("INSERT INTO models(name, dim) VALUES (?, ?)", (name, dim))
            return int(cur.lastrowid or 0)

    def find_model(self, name: str) -> int | None:
        row = self.conn.execute("SELECT id FROM models WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else None

    # -- photos ---------------------------------------------------------------

    def photos(self, model_id: int | None) -> dict[str, PhotoRow]:
        """Every photo row of the library by path (not those a removed folder put aside),
        with whether it has a vector for `model_id`."""
        with self._snapshot():
            # From the vectors' (model_id, written) index, as in `counts`: looking each
            # photo's vector up in the table itself reads its 1-2 KB row (2 s at 100,000).
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
                for low, high in _ranges_below(scope.path):
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
        found: dict[int, str] = {}
        # Chunked: older SQLite builds allow only 999 parameters in one statement.
        for start in range(0, len(ids), 900):
            chunk = [int(i) for i in ids[start : start + 900]]  # numpy ints bind as BLOBs
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(f"SELECT id, path FROM photos WHERE id IN ({marks})", chunk)
            found.update((pid, from_db(path)) for pid, path in rows)
        return found

    def newest(
        self, model_id: int, leave_out: frozenset[int], limit: int, oldest: bool = False
    ) -> list[tuple[int, str, str]]:
        """(id, path, date taken) of the good photos holding a vector for the model, newest
        first (or oldest), leaving out `leave_out`: the library browsed without a query."""
        rows = self.conn.execute(
            f"SELECT p.id, p.path, {PHOTO_DATE_SQL} AS taken FROM photos p"
            " JOIN vectors v ON v.photo_id = p.id AND v.model_id = :model"
            " WHERE p.status = 'ok' AND p.id NOT IN (SELECT value FROM json_each(:out))"
            + _BY_DATE[oldest]
            + " LIMIT :limit",
            {"model": model_id, "out": json.dumps(sorted(leave_out)), "limit": limit},
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
        # written) index, never their rows: a row holds a 1-2 KB vector, and visiting
        # 100,000 of them took 1.3 s where this takes ~60 ms.
        ok, failed, with_vector = self.conn.execute(
            "SELECT SUM(status = 'ok'), SUM(status = 'failed'),"
            " (SELECT COUNT(*) FROM vectors v JOIN photos p ON p.id = v.photo_id"
            "  WHERE v.model_id = ? AND p.status = 'ok')"
            " FROM photos",
            (mid,),
        ).fetchone()
        ok, with_vector = ok or 0, with_vector or 0
        return {"photos": with_vector, "failed": failed or 0, "pending": ok - with_vector}

    def write(
        self, results: Iterable[Result], model_id: int | None, only_in_library: bool = False
    ) -> None:
        """Record one batch of indexing results in one transaction. `model_id` is the model
        the Encoded results' vectors belong to (None when there are none). With
        `only_in_library`, results under no library folder, or under an excluded one, are
        left out: the folder lists are read in the same transaction, so a folder removed by
        another process while its photos were being indexed never gets them back."""
        now = _now()
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
                    # Every model's vector travels with the content, so a later model switch
                    # back does not re-encode a moved photo either.
                    self.conn.execute(
                        "INSERT OR REPLACE INTO vectors(photo_id, model_id, vector, written)"
                        " SELECT ?, model_id, vector, ? FROM vectors WHERE photo_id = ?",
                        (pid, revision, r.source_id),
                    )
                else:
                    info = PhotoInfo(0, 0, None)
                    self._upsert(r.path, r.size, r.mtime, r.hash, info, "failed", r.reason, now)
            self._bump_revision(removed=self._removed_in_write)

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

    # -- vectors --------------------------------------------------------------

    def revision(self) -> int:
        """A counter bumped by every write, so readers know when to reload vectors."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
        return int(row[0]) if row else 0

    def _bump_revision(self, removed: bool = False) -> None:
        """Count a write. `removed`: it took vectors away (deleted or replaced photos), which
        readers cannot pick up incrementally (see `removed_since`)."""
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES ('revision', '1')"
            " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )
        if removed:
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value)"
                " SELECT 'removed', value FROM meta WHERE key = 'revision'"
            )

    def library_id(self) -> str:
        """A name for this library that no other database shares (files kept beside the
        database, such as vector snapshots, carry it)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'library_id'").fetchone()
        return str(row[0])

    def removed_since(self, revision: int) -> bool:
        """Whether any vector was removed or replaced after `revision`; if not, the vectors of
        `revision` plus `vectors_since(revision)` are the current ones."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'removed'").fetchone()
        return row is not None and int(row[0]) > revision

    def vectors(
        self, model_id: int, dtype: type[np.floating] = np.float32, since: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """(photo ids, unit vectors as an (N, dim) matrix of `dtype`) for the model's good
        photos; with `since`, only those written after that revision. Read in chunks into one
        preallocated matrix, so a large library never holds a second full copy in float32
        while loading."""
        query = (
            " FROM vectors v JOIN photos p ON p.id = v.photo_id"
            " WHERE v.model_id = ? AND p.status = 'ok'"
        )
        args: tuple[int, ...] = (model_id,)
        if since:
            query += " AND v.written > ?"
            args = (model_id, since)
        count = self.conn.execute("SELECT COUNT(*)" + query, args).fetchone()[0]
        dim = self.conn.execute("SELECT dim FROM models WHERE id = ?", (model_id,)).fetchone()
        ids = np.zeros(count, dtype=np.int64)
        matrix = np.zeros((count, dim[0] if dim else 0), dtype=dtype)
        order = " ORDER BY v.photo_id"
        cursor = self.conn.execute("SELECT v.photo_id, v.vector" + query + order, args)
        filled = 0
        while filled < count and (rows := cursor.fetchmany(8192)):
            rows = rows[: count - filled]  # a writer may have added rows since the count
            end = filled + len(rows)
            ids[filled:end] = [r[0] for r in rows]
            chunk = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
            matrix[filled:end] = chunk.reshape(len(rows), -1)
            filled = end
        return ids[:filled], matrix[:filled]

    def vector_ids(self, model_id: int) -> np.ndarray:
        """The ids, sorted, of the good photos holding a vector for the model: those
        `vectors` gives, read from the vectors' (model_id, written) index, never their rows."""
        rows = self.conn.execute(
            "SELECT v.photo_id FROM vectors v JOIN photos p ON p.id = v.photo_id"
            " WHERE v.model_id = ? AND p.status = 'ok' ORDER BY v.photo_id",
            (model_id,),
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def written_since(self, model_id: int, revision: int) -> int:
        """How many of the model's vectors were written after `revision` (an index lookup)."""
        row = self.conn.execute(
            "SELECT COUNT(*) FROM vectors WHERE model_id = ? AND written > ?", (model_id, revision)
        ).fetchone()
        return int(row[0])

    def vectors_of(self, photo_ids: Sequence[int], model_id: int) -> dict[int, np.ndarray]:
        """Stored float32 vectors of some photos, by photo id."""
        found: dict[int, np.ndarray] = {}
        for start in range(0, len(photo_ids), 900):
            chunk = [int(i) for i in photo_ids[start : start + 900]]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                "SELECT photo_id, vector FROM vectors"
                f" WHERE model_id = ? AND photo_id IN ({marks})",
                [model_id, *chunk],
            )
            found.update((pid, np.frombuffer(blob, dtype=np.float32)) for pid, blob in rows)
        return found

    def vector(self, photo_id: int, model_id: int) -> np.ndarray | None:
        row = self.conn.execute(
            "SELECT vector FROM vectors WHERE photo_id = ? AND model_id = ?", (photo_id, model_id)
        ).fetchone()
        return np.frombuffer(row[0], dtype=np.float32).copy() if row else None


class _Commit:
    """Commits on success, rolls back on any exception (the transaction began already)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            # Unless SQLite ended it itself (on FULL, IOERR): "cannot rollback" would then
            # hide the error that ended it.
            self.conn.execute("ROLLBACK")
