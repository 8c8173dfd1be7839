"""What every part of the Store shares: the connection, its transactions, the revision that
counts writes, and how paths and lists of ids are bound."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone

# `… WHERE id IN_IDS`, bound to `id_array(ids)`: the ids travel as one JSON array rather
# than a placeholder each, because SQLite limits the parameters of a statement (999 in older
# builds) and one statement needs no chunks.
IN_IDS = "IN (SELECT value FROM json_each(?))"


def id_array(ids: Iterable[int]) -> str:
    """The parameter of IN_IDS."""
    return json.dumps([int(i) for i in ids])  # numpy's integers are not JSON


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


def ranges_below(folder: str) -> list[tuple[str | bytes, str | bytes]]:
    """The ranges of the path index that hold the paths below `folder`. Paths are stored as
    text, or as BLOBs where not UTF-8 (to_db): a range of each."""
    low = os.fsencode(folder.rstrip(os.sep) + os.sep)
    high = low[:-1] + bytes([low[-1] + 1])  # just past every path that starts with low
    ranges: list[tuple[str | bytes, str | bytes]] = [(low, high)]
    with contextlib.suppress(UnicodeDecodeError):
        ranges.append((low.decode(), high.decode()))
    return ranges


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class StoreConnection:
    """The connection the Store's parts share, and the transactions and revision counter
    they all write through."""

    conn: sqlite3.Connection

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
