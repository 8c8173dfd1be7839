"""The library database: schema versions, batched writes, vector storage."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import photofind
from photofind.core.errors import SchemaError
from photofind.core.index.store import (
    DB_NAME,
    MIGRATIONS,
    SCHEMA_VERSION,
    Encoded,
    Failed,
    Reused,
    Store,
)
from photofind.core.photos.photo import PhotoInfo


def _unit(seed: int, dim: int = 8) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture
def store() -> Store:
    return Store(sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False))


def test_new_database_is_at_the_current_schema(store: Store) -> None:
    assert store.schema_version == SCHEMA_VERSION
    tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
    assert {"folders", "photos", "vectors", "models", "meta"} <= tables


def test_data_dir_is_private_and_uses_wal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = Store.open(data)
    assert data.stat().st_mode & 0o777 == 0o700
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_a_newer_schema_is_refused_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE future(x)")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(SchemaError, match="newer photofind"):
        Store(sqlite3.connect(db, isolation_level=None))
    assert db.read_bytes() == before


def test_batch_write_and_vectors_per_model(store: Store) -> None:
    a = store.model_id("model-a", 8)
    b = store.model_id("model-b", 8)
    info = PhotoInfo(640, 480, "2020-01-01T10:00:00")
    store.write([Encoded("/p/1.jpg", 10, 1.0, "h1", info, _unit(1))], a)
    store.write([Encoded("/p/2.jpg", 10, 1.0, "h2", info, _unit(2))], b)
    ids_a, m_a = store.vectors(a)
    ids_b, _ = store.vectors(b)
    assert len(ids_a) == len(ids_b) == 1 and ids_a[0] != ids_b[0]  # never mixed
    assert m_a.dtype == np.float32 and np.allclose(m_a[0], _unit(1))
    assert store.counts(a) == {"photos": 1, "failed": 0, "pending": 1}


def test_reuse_copies_vectors_and_failures_keep_their_reason(store: Store) -> None:
    model = store.model_id("m", 8)
    store.write([Encoded("/p/1.jpg", 10, 1.0, "h1", PhotoInfo(4, 3, None), _unit(1))], model)
    src = store.photo_id("/p/1.jpg")
    assert src is not None
    before = store.revision()
    store.write(
        [Reused("/q/1.jpg", 10, 2.0, "h1", src), Failed("/p/bad.jpg", 3, 1.0, None, "empty file")],
        model,
    )
    assert store.revision() > before
    moved = store.photo_id("/q/1.jpg")
    assert moved is not None
    assert np.allclose(store.vector(moved, model), _unit(1))
    assert store.failures() == [("/p/bad.jpg", "empty file")]
    assert store.counts(model)["failed"] == 1


def test_changed_content_drops_stale_vectors(store: Store) -> None:
    model = store.model_id("m", 8)
    info = PhotoInfo(4, 3, None)
    store.write([Encoded("/p/1.jpg", 10, 1.0, "h1", info, _unit(1))], model)
    store.write([Failed("/p/1.jpg", 11, 2.0, "h9", "corrupt")], model)
    pid = store.photo_id("/p/1.jpg")
    assert pid is not None and store.vector(pid, model) is None
    assert len(store.vectors(model)[0]) == 0


def test_removing_a_folder_forgets_only_its_own_photos(store: Store) -> None:
    model = store.model_id("m", 8)
    store.add_folder("/lib")
    store.add_folder("/lib/inner")
    store.add_folder("/other")
    info = PhotoInfo(4, 3, None)
    store.write(
        [
            Encoded("/lib/a.jpg", 1, 1.0, "a", info, _unit(1)),
            Encoded("/lib/inner/b.jpg", 1, 1.0, "b", info, _unit(2)),
            Encoded("/other/c.jpg", 1, 1.0, "c", info, _unit(3)),
            Encoded("/library2/d.jpg", 1, 1.0, "d", info, _unit(4)),
        ],
        model,
    )
    assert store.remove_folder("/lib") == 1  # inner is still a library folder
    assert store.photo_id("/lib/a.jpg") is None
    assert store.photo_id("/lib/inner/b.jpg") is not None
    assert store.photo_id("/library2/d.jpg") is not None  # a prefix is not a parent
    assert store.folders() == ["/lib/inner", "/other"]
    assert store.remove_folder("/nowhere") == 0


def test_a_version_1_database_is_migrated_in_place(tmp_path: Path) -> None:
    db = tmp_path / DB_NAME
    old = sqlite3.connect(db, isolation_level=None)
    MIGRATIONS[0](old)
    old.execute("PRAGMA user_version=1")
    old.execute(
        "INSERT INTO folders(path, added_at) VALUES ('/photos', '2026-01-01T00:00:00+00:00')"
    )
    old.close()

    store = Store(sqlite3.connect(db, isolation_level=None))
    assert store.schema_version == SCHEMA_VERSION
    assert store.folders() == ["/photos"]  # data kept
    store.set_excluded("/photos/private", True)
    assert store.excluded() == ["/photos/private"]
    store.set_excluded("/photos/private", False)
    assert store.excluded() == []


# Opens a new library in a process that dies, as in a power cut, just before the first
# step creates its second table: the first one is created by then.
_DIES_IN_THE_FIRST_STEP = """
import functools, os, sqlite3, sys
from pathlib import Path

class DiesAtTheSecondTable(sqlite3.Connection):
    tables = 0

    def execute(self, sql, *args):
        if sql.lstrip().upper().startswith("CREATE TABLE"):
            if self.tables:
                os._exit(3)
            self.tables += 1
        return super().execute(sql, *args)

sqlite3.connect = functools.partial(sqlite3.connect, factory=DiesAtTheSecondTable)
from photofind.core.index.store import Store
Store.open(Path(sys.argv[1]))
"""


def _schema(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return sorted(conn.execute("SELECT name, sql FROM sqlite_master").fetchall())


def test_a_crash_in_the_middle_of_the_first_step_leaves_a_library_that_opens(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    died = subprocess.run(
        [sys.executable, "-c", _DIES_IN_THE_FIRST_STEP, str(data)], capture_output=True, timeout=60
    )
    assert died.returncode == 3, died.stderr
    store = Store.open(data)
    assert store.schema_version == SCHEMA_VERSION
    fresh = Store(sqlite3.connect(":memory:", isolation_level=None))
    assert _schema(store.conn) == _schema(fresh.conn)
    store.close()


def test_a_new_library_opens_twice_without_sqlite_utils(tmp_path: Path) -> None:
    """The store does its own SQL, so no version of a library that manages transactions of
    its own (sqlite-utils 3.x commits the caller's) can break a migration's atomicity."""
    script = (
        "import sys; from pathlib import Path\n"
        "sys.modules['sqlite_utils'] = None  # any import of it fails\n"
        "from photofind.core.index.store import Store\n"
        "for _ in range(2):\n"
        "    Store.open(Path(sys.argv[1])).close()\n"
    )
    opened = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "data")], capture_output=True, timeout=60
    )
    assert opened.returncode == 0, opened.stderr.decode()
    assert Store.open(tmp_path / "data").schema_version == SCHEMA_VERSION


def test_reads_by_id_take_more_ids_than_sqlite_takes_parameters(store: Store) -> None:
    """Older SQLite builds bind at most 999 parameters to a statement."""
    model = store.model_id("m", 8)
    info = PhotoInfo(4, 3, "2020-05-06T07:08:09")
    store.write(
        [Encoded(f"/p/{i}.jpg", 1, 1.0, f"h{i}", info, _unit(i)) for i in range(1500)], model
    )
    ids, matrix = store.vectors(model)
    first = int(ids[0])
    paths = store.paths(ids)
    assert len(paths) == 1500 and paths[first] == "/p/0.jpg"
    details = store.photo_details(ids)
    assert len(details) == 1500 and details[first] == ("/p/0.jpg", 4, 3, 1, 1.0)
    dates = store.photo_dates(ids)
    assert len(dates) == 1500 and dates[first] == "2020-05-06T07:08:09"
    vectors = store.vectors_of(ids, model)
    assert len(vectors) == 1500 and np.array_equal(vectors[first], matrix[0])
    shown = store.newest(model, frozenset(int(i) for i in ids[:1499]), limit=10)
    assert [pid for pid, _, _ in shown] == [int(ids[-1])]


def test_no_module_outside_the_store_runs_sql() -> None:
    package = Path(photofind.__file__).parent
    store_package = package / "core" / "index" / "store"
    outside = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if store_package not in path.parents and re.search(r"\.(conn|execute)\b", path.read_text())
    ]
    assert outside == []
