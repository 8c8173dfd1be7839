"""The library database: folders, photos and their vectors, in SQLite through sqlite-utils."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

import numpy as np
import sqlite_utils

from photofind.core.errors import SchemaError
from photofind.core.imaging import PhotoInfo
from photofind.core.scanning import is_within

DB_NAME = "library.db"


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


def _migrate_0_to_1(db: sqlite_utils.Database) -> None:
    db["folders"].create({"path": str, "added_at": str}, pk="path")
    db["photos"].create(
        {
            "id": int,
            "path": str,
            "size": int,
            "mtime": float,
            "hash": str,
            "width": int,
            "height": int,
            "taken_at": str,
            "status": str,
            "error": str,
            "indexed_at": str,
        },
        pk="id",
        not_null={"path", "size", "mtime", "status", "indexed_at"},
    )
    db["photos"].create_index(["path"], unique=True)
    db["photos"].create_index(["hash"])
    db["models"].create({"id": int, "name": str, "dim": int}, pk="id", not_null={"name", "dim"})
    db["models"].create_index(["name"], unique=True)
    db.execute(
        "CREATE TABLE vectors ("
        " photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,"
        " model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,"
        " vector BLOB NOT NULL,"
        " PRIMARY KEY (photo_id, model_id)) WITHOUT ROWID"
    )
    db["meta"].create({"key": str, "value": str}, pk="key")


def _migrate_1_to_2(db: sqlite_utils.Database) -> None:
    # Subfolders of library folders that the user wants left out of the index.
    db["excluded"].create({"path": str, "added_at": str}, pk="path")


def _migrate_2_to_3(db: sqlite_utils.Database) -> None:
    # The revision that wrote each vector, so a reader holding the vectors of revision R can
    # fetch only what was added after R instead of reloading a million rows.
    db.execute("ALTER TABLE vectors ADD COLUMN written INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE INDEX vectors_by_write ON vectors(model_id, written)")
    # Files kept beside the database (vector snapshots) name the library they belong to.
    db.execute("INSERT INTO meta(key, value) VALUES ('library_id', ?)", [uuid.uuid4().hex])


# MIGRATIONS[n] takes a database from schema version n to n + 1. Append, never edit.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """All reads and writes of the library. The connection is injected so tests can use a
    temporary database; `Store.open` is the normal way in."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA foreign_keys=ON")
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
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
                    MIGRATIONS[version](self.db)
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
        """Remember a folder; False if it was already in the library."""
        with self._transaction():
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO folders(path, added_at) VALUES (?, ?)", (to_db(path), _now())
            )
            return cur.rowcount > 0

    def folder_device(self, path: str) -> int | None:
        """The device the folder was on when last seen with photos (see Library)."""
        key = "device:" + os.fsencode(path).hex()
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else None

    def set_folder_device(self, path: str, device: int) -> None:
        key = "device:" + os.fsencode(path).hex()
        with self._transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, str(device))
            )

    def remove_folder(self, path: str) -> int:
        """Forget a folder and the photos no other library folder holds; returns their count."""
        with self._transaction():
            if not self.conn.execute("DELETE FROM folders WHERE path = ?", (to_db(path),)).rowcount:
                return 0
            others = self.folders()
            doomed = [
                (pid,)
                for pid, raw in self.conn.execute("SELECT id, path FROM photos")
                if is_within(p := from_db(raw), path) and not any(is_within(p, f) for f in others)
            ]
            self.conn.executemany("DELETE FROM photos WHERE id = ?", doomed)
            self._bump_revision(removed=bool(doomed))
            return len(doomed)

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
        """Every photo row by path, with whether it has a vector for `model_id`."""
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
            ).fetchall()
        return {
            (path := from_db(r[1])): PhotoRow(
                r[0], path, r[2], r[3], r[4], r[5], r[0] in with_vector, r[6]
            )
            for r in rows
        }

    def vector_sources(self, model_id: int) -> dict[str, int]:
        """Content hash -> a photo id holding a vector for that content and model."""
        rows = self.conn.execute(
            "SELECT p.hash, p.id FROM photos p JOIN vectors v ON v.photo_id = p.id"
            " WHERE v.model_id = ? AND p.hash IS NOT NULL",
            (model_id,),
        )
        return dict(rows.fetchall())

    def photo_id(self, path: str) -> int | None:
        row = self.conn.execute("SELECT id FROM photos WHERE path = ?", (to_db(path),)).fetchone()
        return int(row[0]) if row else None

    def paths(self, ids: Sequence[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        # Chunked: older SQLite builds allow only 999 parameters in one statement.
        for start in range(0, len(ids), 900):
            chunk = [int(i) for i in ids[start : start + 900]]  # numpy ints bind as BLOBs
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(f"SELECT id, path FROM photos WHERE id IN ({marks})", chunk)
            found.update((pid, from_db(path)) for pid, path in rows)
        return found

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

    def write(self, results: Iterable[Result], model_id: int | None) -> None:
        """Record one batch of indexing results in one transaction. `model_id` is the model
        the Encoded results' vectors belong to (None when there are none)."""
        now = _now()
        with self._transaction():
            revision = self.revision() + 1  # what this transaction's bump makes it
            self._removed_in_write = False
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
        self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
