"""The library's folders, the subfolders left out of it, the places whose photos may be away,
and the photos a removal puts aside until they are forgotten."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from photofind.core.index.store.connection import (
    StoreConnection,
    from_db,
    ranges_below,
    to_db,
    utc_now,
)
from photofind.core.photos.scanning import is_within

# Meta keys of places (see `places`): the prefix, then the path's bytes in hex.
_PLACE = "device:"


def _place_key(path: str) -> str:
    return _PLACE + os.fsencode(path).hex()


class FolderRecords(StoreConnection):
    """Which folders make the library, and what leaving it does to their photos."""

    def folders(self) -> list[str]:
        return sorted(from_db(r[0]) for r in self.conn.execute("SELECT path FROM folders"))

    def add_folder(self, path: str) -> bool:
        """Remember a folder; False if it was already in the library. Photos below it that a
        removal put aside (see `remove_folder`) are in the library again, with their vectors."""
        with self._transaction():
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO folders(path, added_at) VALUES (?, ?)",
                (to_db(path), utc_now()),
            )
            self._restore_removed(path)
            return cur.rowcount > 0

    def _restore_removed(self, folder: str) -> None:
        # Their vectors count as written now, so readers holding the vectors of an earlier
        # revision take them in as they take in new ones (see `vectors(since=…)`).
        revision = self.revision() + 1
        restored = 0
        for low, high in ranges_below(folder):
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
        for start, end in ranges_below(folder):
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
                for low, high in ranges_below(path)
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
                for low, high in ranges_below(folder)
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
                    (to_db(path), utc_now()),
                )
            else:
                self.conn.execute("DELETE FROM excluded WHERE path = ?", (to_db(path),))
