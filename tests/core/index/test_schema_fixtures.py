"""Libraries written by every released schema version open in place, with nothing lost; a
library from a newer photofind is refused and left byte for byte as it was."""

from __future__ import annotations

import shutil
import sqlite3
import sys
import threading
from pathlib import Path

import pytest
from helpers import run_cli

from photofind.core.errors import SchemaError
from photofind.core.index import store as store_module
from photofind.core.index.store import DB_NAME, MIGRATIONS, SCHEMA_VERSION, Store, connect
from photofind.logfile import LOG_NAME

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
sys.path.insert(0, str(FIXTURES))
import make_schema_fixtures as released  # noqa: E402

VERSIONS = sorted(int(p.stem[1:]) for p in (FIXTURES / "schema").glob("v*.sqlite"))


def _copy(version: int, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(FIXTURES / "schema" / f"v{version}.sqlite", data / DB_NAME)
    return data


def _schema(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return sorted(
        conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
    )


def test_every_older_schema_version_has_a_fixture_and_they_match_their_script() -> None:
    assert set(range(1, SCHEMA_VERSION)) <= set(VERSIONS), (
        "add the DDL of the released schema to tests/fixtures/make_schema_fixtures.py and run it"
    )
    assert max(VERSIONS) <= SCHEMA_VERSION
    assert released.main(["--check"]) == 0


@pytest.mark.parametrize("version", VERSIONS, ids=[f"v{v}" for v in VERSIONS])
def test_a_released_library_is_migrated_in_place_and_keeps_everything(
    version: int, tmp_path: Path
) -> None:
    data = _copy(version, tmp_path)
    store = Store.open(data)
    assert store.schema_version == SCHEMA_VERSION
    conn = store.conn
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

    def shown(path: str | bytes) -> str:
        return store_module.from_db(path)

    assert store.folders() == sorted(shown(f) for f in released.FOLDERS)
    assert store.excluded() == (released.EXCLUDED if version >= 2 else [])
    clip = store.find_model(released.CLIP)
    local = store.find_model(released.LOCAL)
    assert clip is not None and local is not None
    rows = store.photos(clip)
    assert {
        (r.id, r.size, r.mtime, r.hash, r.status, r.error, r.has_vector) for r in rows.values()
    } == {
        (p[0], p[2], p[3], p[4], p[8], p[9], (p[0], 1) in released.VECTORS) for p in released.PHOTOS
    }
    assert sorted(rows) == sorted(shown(p[1]) for p in released.PHOTOS)  # BLOB paths too
    for photo_id, model_id in released.VECTORS:
        model = clip if model_id == 1 else local
        stored = store.vector(photo_id, model)
        assert stored is not None and stored.tobytes() == released.vector(photo_id, model_id)
    ids, matrix = store.vectors(clip)
    assert sorted(ids.tolist()) == [1, 2, 3] and matrix.shape == (3, 4)
    assert store.failures() == sorted(
        (shown(p[1]), p[9]) for p in released.PHOTOS if p[8] == "failed"
    )
    assert store.counts(clip) == {"photos": 3, "failed": 2, "pending": 0}
    assert store.revision() >= int(released.REVISION)

    # A migrated library has exactly the schema of a new one.
    fresh = Store(sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False))
    assert _schema(conn) == _schema(fresh.conn)
    store.close()
    again = Store.open(data)  # and opening it again changes nothing
    assert again.schema_version == SCHEMA_VERSION
    again.close()


def test_the_cli_reads_a_released_library(tmp_path: Path, model_dir: Path) -> None:
    data = _copy(VERSIONS[0], tmp_path)
    code, out, err = run_cli("--data-dir", str(data), "--model", released.CLIP, "status")
    assert code == 0, err
    assert "Photos indexed: 3" in out and "Failed:         2" in out and "Pending:        0" in out


def test_a_failed_step_leaves_the_library_at_its_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    oldest = VERSIONS[0]
    data = _copy(oldest, tmp_path)
    before = released.dump(data / DB_NAME)
    real_step = MIGRATIONS[oldest]

    def half_then_fail(db: object) -> None:
        real_step(db)  # the real step's changes ...
        raise sqlite3.OperationalError("disk I/O error")  # ... then the disk fails

    steps = list(MIGRATIONS)
    steps[oldest] = half_then_fail
    monkeypatch.setattr(store_module, "MIGRATIONS", steps)
    with pytest.raises(sqlite3.OperationalError):
        Store.open(data)
    monkeypatch.undo()
    after = released.dump(data / DB_NAME)
    assert after == before  # nothing of the failed step remains
    store = Store.open(data)  # and the next start finishes the job
    assert store.schema_version == SCHEMA_VERSION
    store.close()


def test_two_processes_opening_an_old_library_at_once_migrate_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app and a CLI run started together after an upgrade: the second waits for the
    first's step and then sees there is nothing left to do."""
    data = _copy(VERSIONS[0], tmp_path)
    steps: list[int] = []
    real = list(MIGRATIONS)
    start = threading.Barrier(3)

    def slow(n: int) -> object:
        def step(db: object) -> None:
            steps.append(n)
            threading.Event().wait(0.2)  # a step that takes a moment, as on a large library
            real[n](db)

        return step

    monkeypatch.setattr(store_module, "MIGRATIONS", [slow(n) for n in range(len(real))])
    errors: list[BaseException] = []

    def open_it() -> None:
        start.wait()
        try:
            Store(connect(data / DB_NAME)).close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(steps) == list(range(VERSIONS[0], SCHEMA_VERSION))  # each step ran once


def test_a_newer_library_is_refused_and_left_byte_for_byte_untouched(
    tmp_path: Path, model_dir: Path
) -> None:
    data = _copy(VERSIONS[-1], tmp_path)
    db = data / DB_NAME
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    before = db.read_bytes()
    with pytest.raises(SchemaError) as refused:
        Store.open(data)
    message = str(refused.value)
    assert f"schema {SCHEMA_VERSION + 1}" in message and "newer photofind" in message
    assert "update photofind" in message
    code, out, err = run_cli("--data-dir", str(data), "--model", str(model_dir), "status")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "newer photofind" in err
    assert db.read_bytes() == before
    # No -wal, no -shm: beside the database only the log, which says why it was refused.
    assert sorted(p.name for p in data.iterdir()) == sorted([DB_NAME, LOG_NAME])
    assert "newer photofind" in (data / LOG_NAME).read_text(encoding="utf-8")
