"""The library's schema: the SQL of each version, the steps between versions, and opening the
file so that a library from a newer photofind is refused untouched."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

from photofind.core.errors import SchemaError

DB_NAME = "library.db"

# Migrations are plain SQL on the connection, inside the one transaction `Store._migrate`
# holds for the step (SQLite DDL is transactional), so a step is applied whole or not at all.
# Nothing in them may commit: statements run one by one, never through executescript (it
# commits first) or a library that manages transactions of its own.

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


def _migrate_3_to_4(conn: sqlite3.Connection) -> None:
    # Where each photo was taken: its EXIF position, named offline (core.photos.location);
    # NULL for a photo without one. `located` stays 0 until the photo's header has been read
    # for a position, so the photos of an older library are read once more.
    conn.execute("ALTER TABLE photos ADD COLUMN latitude REAL")
    conn.execute("ALTER TABLE photos ADD COLUMN longitude REAL")
    conn.execute("ALTER TABLE photos ADD COLUMN country_code TEXT")
    conn.execute("ALTER TABLE photos ADD COLUMN country TEXT")
    conn.execute("ALTER TABLE photos ADD COLUMN region TEXT")
    conn.execute("ALTER TABLE photos ADD COLUMN city TEXT")
    conn.execute("ALTER TABLE photos ADD COLUMN located INTEGER NOT NULL DEFAULT 0")
    conn.execute("CREATE INDEX photos_by_place ON photos(country_code, region, city)")
    conn.execute("CREATE INDEX photos_to_locate ON photos(id) WHERE located = 0")
    # Text read in photos, by content: a moved or copied photo keeps it, and the same content
    # is read once. state: 'read' (body may be empty: nothing found), 'skipped' (judged
    # unlikely to hold text), 'pending' (judged likely, not read yet) or 'failed' (error).
    # lines: JSON [[text, x0, y0, x1, y1], ...] in the upright photo's pixels.
    conn.execute(
        "CREATE TABLE texts (hash TEXT PRIMARY KEY, state TEXT NOT NULL,"
        " body TEXT NOT NULL DEFAULT '', lines TEXT NOT NULL DEFAULT '[]', error TEXT,"
        " read_at TEXT NOT NULL)"
    )
    conn.execute("CREATE INDEX texts_by_state ON texts(state)")
    # The bodies folded (lower case, no accents) under the texts' rowids. Trigrams find
    # any substring in any script: Chinese and Japanese put no spaces between words.
    conn.execute("CREATE VIRTUAL TABLE text_search USING fts5(body, tokenize='trigram')")


# MIGRATIONS[n] takes a database from schema version n to n + 1. Append, never edit what a
# step makes.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migrate_0_to_1,
    _migrate_1_to_2,
    _migrate_2_to_3,
    _migrate_3_to_4,
]
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path) -> sqlite3.Connection:
    """Open the library file: WAL so readers never block the writer, and a generous busy wait
    so a second process (the app beside a CLI run) waits for the writer instead of failing.
    A library from a newer photofind is refused before anything is written to it (switching
    it to WAL would already rewrite its header)."""
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    try:
        refuse_newer(conn)
    except SchemaError:
        conn.close()
        raise
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def refuse_newer(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"this library was written by a newer photofind (schema {version}, this version "
            f"knows {SCHEMA_VERSION}); update photofind, or use another --data-dir"
        )
