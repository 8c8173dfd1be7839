"""A `photofind index` process and this one on the same library at once, with reads running
meanwhile: one indexes while the other says who is indexing and waits its turn, nobody sees
"database is locked", and no photo is encoded or recorded twice."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from helpers import last_json, run_cli

from photofind.core.index.store import Store

TOTAL = 36


def test_a_second_indexer_waits_its_turn_while_readers_keep_reading(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for source in sorted(shapes_dir.iterdir())[:TOTAL]:
        shutil.copy2(source, photos)
    data = tmp_path / "data"
    env = {**os.environ, "PHOTOFIND_DATA_DIR": str(data), "PHOTOFIND_MODEL": str(model_dir)}
    first = subprocess.Popen(
        [sys.executable, "-m", "photofind", "index", str(photos), "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = data / "indexer.lock"
    deadline = time.monotonic() + 120
    while not (lock.exists() and lock.read_text() == str(first.pid)):
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "the first indexer never took the lock"
        time.sleep(0.02)

    stop, reader_errors, reads = threading.Event(), [], [0]

    def read_all_along() -> None:  # a second reader: another connection, as the app's is
        while not stop.is_set():
            try:
                store = Store.open(data)
                store.counts(store.find_model(str(model_dir.resolve())))
                store.photos(None)
                store.close()
                reads[0] += 1
            except Exception as exc:  # reported below
                reader_errors.append(exc)
            time.sleep(0.02)

    reader = threading.Thread(target=read_all_along)
    reader.start()
    try:
        assert first.poll() is None, "the first indexer finished too soon for this test"
        code, out, err = run_cli("--data-dir", str(data), "--model", str(model_dir), "index",
                                 str(photos), "--json")  # fmt: skip
    finally:
        stop.set()
        reader.join(timeout=60)
    first_out, first_err = first.communicate(timeout=120)

    assert code == 0 and first.returncode == 0, err + first_err
    assert f"already being indexed by process {first.pid}; waiting" in err
    for text in (err, first_err):
        assert "database is locked" not in text and "Traceback" not in text
    assert reader_errors == [] and reads[0] > 0
    assert last_json(first_out)["encoded"] == TOTAL  # type: ignore[index]
    second = last_json(out)
    assert (second["encoded"], second["unchanged"]) == (0, TOTAL)  # type: ignore[index]

    conn = sqlite3.connect(data / "library.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows, paths = conn.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM photos").fetchone()
    assert rows == paths == TOTAL
    assert conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == TOTAL
    conn.close()
