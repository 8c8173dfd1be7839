"""The library database: folders, photos and their vectors, in SQLite. `Store` is the one
door to it: every query of photofind runs here, and nowhere else.

Its parts, one module each: the schema and its migrations (schema), the connection and its
transactions (connection), folders and places (folders), photo rows read (photos), indexing
results written (writes), models and vectors read (vectors), where photos were taken
(locations), text read in photos (texts)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from photofind.core.index.store.connection import from_db, to_db
from photofind.core.index.store.locations import LocationReads, PlaceKey, Position, located
from photofind.core.index.store.photos import Detail, PhotoReads, PhotoRow
from photofind.core.index.store.schema import (
    DB_NAME,
    MIGRATIONS,
    SCHEMA_VERSION,
    connect,
    refuse_newer,
)
from photofind.core.index.store.texts import PhotoText, TextLine, TextReads, fold
from photofind.core.index.store.vectors import VectorReads
from photofind.core.index.store.writes import Encoded, Failed, IndexWrites, Result, Reused

__all__ = [
    "DB_NAME",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Detail",
    "Encoded",
    "Failed",
    "PhotoRow",
    "PhotoText",
    "PlaceKey",
    "Position",
    "Result",
    "Reused",
    "Store",
    "TextLine",
    "connect",
    "fold",
    "from_db",
    "located",
    "to_db",
]


class Store(IndexWrites, PhotoReads, VectorReads, LocationReads, TextReads):
    """All reads and writes of the library. The connection is injected so tests can use a
    temporary database; `Store.open` is the normal way in."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA foreign_keys=ON")
        self.conn = conn
        self._removed_in_write = False
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

    def _migrate(self) -> None:
        """Step an older database up to SCHEMA_VERSION in place, one transaction per step, so
        an interrupted upgrade leaves a database at some version, never between two."""
        refuse_newer(self.conn)
        while self.schema_version < SCHEMA_VERSION:
            with self._transaction():
                # Read again under the write lock: another process opening the same old
                # library (the app and a CLI run after an upgrade) may have just migrated it.
                version = self.schema_version
                if version < SCHEMA_VERSION:
                    # This module's MIGRATIONS, looked up at each step, so a test can replace
                    # the steps.
                    MIGRATIONS[version](self.conn)
                    version += 1
                    self.conn.execute(f"PRAGMA user_version={version}")
