"""The models a library holds vectors for, and reading those vectors: all of a model's, those
written since a revision, or a few photos'."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from photofind.core.errors import SchemaError
from photofind.core.index.store.connection import IN_IDS, StoreConnection, id_array


class VectorReads(StoreConnection):
    """Models and their vectors, read (the index writes store them: see IndexWrites)."""

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

    def model_dim(self, model_id: int) -> int:
        """The length of the model's vectors (0 for a model the library does not hold)."""
        row = self.conn.execute("SELECT dim FROM models WHERE id = ?", (model_id,)).fetchone()
        return int(row[0]) if row else 0

    def removed_since(self, revision: int) -> bool:
        """Whether any vector was removed or replaced after `revision`; if not, the vectors of
        `revision` plus `vectors(since=revision)` are the current ones."""
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
        ids = np.zeros(count, dtype=np.int64)
        matrix = np.zeros((count, self.model_dim(model_id)), dtype=dtype)
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
        rows = self.conn.execute(
            f"SELECT photo_id, vector FROM vectors WHERE model_id = ? AND photo_id {IN_IDS}",
            (model_id, id_array(photo_ids)),
        )
        return {pid: np.frombuffer(blob, dtype=np.float32) for pid, blob in rows}

    def vector(self, photo_id: int, model_id: int) -> np.ndarray | None:
        row = self.conn.execute(
            "SELECT vector FROM vectors WHERE photo_id = ? AND model_id = ?", (photo_id, model_id)
        ).fetchone()
        return np.frombuffer(row[0], dtype=np.float32).copy() if row else None
