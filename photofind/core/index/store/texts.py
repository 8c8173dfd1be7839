"""Text read in photos (OCR), kept by content hash, and searched through SQLite's FTS5 with
trigrams (see the schema's step to version 4)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from typing import NamedTuple

from photofind.core.index.store.connection import StoreConnection, from_db, utc_now

# FTS5's trigram tokenizer matches nothing shorter than a trigram; shorter words are looked
# for with LIKE over the (few) photos that hold text.
_TRIGRAM = 3


class TextLine(NamedTuple):
    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the upright photo's pixels


class PhotoText(NamedTuple):
    state: str  # "read", "skipped", "pending" or "failed" (see the schema)
    lines: list[TextLine]
    error: str | None


def fold(text: str) -> str:
    """Lower case without accents, so "Café" and "CAFE" find each other."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class TextReads(StoreConnection):
    """The text stage's work list, its results, and text search."""

    def contents_to_judge(self, model_id: int) -> list[tuple[str, int]]:
        """(content hash, a photo id holding its vector) of content that has no text row:
        not yet judged likely or unlikely to hold text."""
        rows = self.conn.execute(
            "SELECT p.hash, MIN(p.id) FROM photos p JOIN vectors v ON v.photo_id = p.id"
            " WHERE v.model_id = ? AND p.status = 'ok' AND p.hash IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM texts t WHERE t.hash = p.hash)"
            " GROUP BY p.hash",
            (model_id,),
        )
        return [(h, pid) for h, pid in rows]

    def texts_checked(self) -> str | None:
        """What the last complete text stage was run for (see core.index.text_stage)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'texts_checked'").fetchone()
        return str(row[0]) if row else None

    def set_texts_checked(self, value: str) -> None:
        with self._transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('texts_checked', ?)", (value,)
            )

    def judge_contents(self, pending: Sequence[str], skipped: Sequence[str]) -> None:
        """Record which content is worth reading (pending) and which is not (skipped)."""
        now = utc_now()
        rows = [(h, "pending", now) for h in pending] + [(h, "skipped", now) for h in skipped]
        with self._transaction():
            self.conn.executemany(
                "INSERT OR IGNORE INTO texts(hash, state, read_at) VALUES (?, ?, ?)", rows
            )

    def contents_to_read(self, every: bool, limit: int) -> list[tuple[str, str]]:
        """(content hash, path of a good photo holding it) to read: those judged likely to
        hold text, or with `every` all content not read yet."""
        if every:
            rows = self.conn.execute(
                "SELECT p.hash, MIN(p.path) FROM photos p LEFT JOIN texts t ON t.hash = p.hash"
                " WHERE p.status = 'ok' AND p.hash IS NOT NULL"
                " AND IFNULL(t.state, '') IN ('pending', 'skipped', '')"
                " GROUP BY p.hash LIMIT ?",
                (limit,),
            )
        else:  # from the few pending rows, by their index: no pass over every photo
            rows = self.conn.execute(
                "SELECT t.hash, (SELECT MIN(p.path) FROM photos p WHERE p.hash = t.hash"
                " AND p.status = 'ok') AS path FROM texts t WHERE t.state = 'pending'"
                " AND path IS NOT NULL LIMIT ?",
                (limit,),
            )
        return [(h, from_db(path)) for h, path in rows]

    def save_text(self, content: str, lines: Sequence[TextLine]) -> None:
        body = "\n".join(line.text for line in lines)
        encoded = json.dumps([[line.text, *line.box] for line in lines], ensure_ascii=False)
        self._put_text(content, "read", body, encoded, None)

    def text_failed(self, content: str, reason: str) -> None:
        self._put_text(content, "failed", "", "[]", reason)

    def _put_text(self, content: str, state: str, body: str, lines: str, error: str | None) -> None:
        with self._transaction():
            old = self.conn.execute("SELECT rowid FROM texts WHERE hash = ?", (content,)).fetchone()
            if old is not None:
                self.conn.execute("DELETE FROM text_search WHERE rowid = ?", (old[0],))
            rowid = self.conn.execute(
                "INSERT INTO texts(hash, state, body, lines, error, read_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(hash) DO UPDATE SET state = excluded.state,"
                " body = excluded.body, lines = excluded.lines, error = excluded.error,"
                " read_at = excluded.read_at RETURNING rowid",
                (content, state, body, lines, error, utc_now()),
            ).fetchone()[0]
            if body:
                self.conn.execute(
                    "INSERT INTO text_search(rowid, body) VALUES (?, ?)", (rowid, fold(body))
                )

    def photo_text(self, photo_id: int) -> PhotoText | None:
        """What reading a photo found, or None if it was never looked at."""
        row = self.conn.execute(
            "SELECT t.state, t.lines, t.error FROM photos p JOIN texts t ON t.hash = p.hash"
            " WHERE p.id = ?",
            (photo_id,),
        ).fetchone()
        if row is None:
            return None
        lines = [
            TextLine(str(t), (int(a), int(b), int(c), int(d)))
            for t, a, b, c, d in json.loads(row[1])
        ]
        return PhotoText(row[0], lines, row[2])

    def ids_with_words(self, phrases: Sequence[str]) -> dict[int, float]:
        """The good photos whose text holds every phrase (ignoring case and accents), with
        how well it matches (higher is better)."""
        folded = [p for p in (fold(p).strip() for p in phrases) if p]
        long = [p for p in folded if len(p) >= _TRIGRAM]
        sql = (
            f"SELECT p.id, {'-s.rank' if long else '1.0'} FROM text_search s"
            " JOIN texts t ON t.rowid = s.rowid JOIN photos p ON p.hash = t.hash"
            " WHERE p.status = 'ok'"
        )
        args: list[object] = []
        if long:
            sql += " AND text_search MATCH ?"
            args.append(" AND ".join('"' + p.replace('"', '""') + '"' for p in long))
        for p in folded:
            if len(p) < _TRIGRAM:
                sql += " AND s.body LIKE ? ESCAPE '\\'"
                args.append(
                    "%" + p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                )
        return {pid: float(score) for pid, score in self.conn.execute(sql, args)}

    def text_counts(self) -> dict[str, int]:
        """Content read (with text found or not), waiting to be read, judged without text,
        and failed."""
        rows = dict(self.conn.execute("SELECT state, COUNT(*) FROM texts GROUP BY state"))
        with_text = self.conn.execute("SELECT COUNT(*) FROM text_search").fetchone()[0]
        return {
            "read": rows.get("read", 0),
            "with_text": with_text,
            "pending": rows.get("pending", 0),
            "skipped": rows.get("skipped", 0),
            "failed": rows.get("failed", 0),
        }
