"""kill -9 in the middle of indexing, again and again: nothing is lost, doubled or redone."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from helpers import PER_CLASS, last_json, run_cli_process
from shapes import CLASSES

TOTAL = PER_CLASS * len(CLASSES)


def _committed(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0
    finally:
        conn.close()


def test_kill_9_while_indexing_loses_and_doubles_nothing(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    db = data / "library.db"
    env = {**os.environ, "PHOTOFIND_DATA_DIR": str(data), "PHOTOFIND_MODEL": str(model_dir)}
    kills = 0
    for threshold in (1, TOTAL // 3, 2 * TOTAL // 3):
        proc = subprocess.Popen(
            [sys.executable, "-m", "photofind", "index", str(shapes_dir), "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        while _committed(db) < threshold and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
    assert kills >= 2, "indexing finished before it could be killed; use a larger folder"

    before = _committed(db)
    assert 0 < before < TOTAL
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    done = run_cli_process("index", str(shapes_dir), "--json", env=env)
    assert done.returncode == 0, done.stderr
    counts = last_json(done.stdout)
    assert counts["encoded"] == TOTAL - before  # what was committed is never encoded again
    assert counts["unchanged"] == before

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    photos, distinct = conn.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM photos").fetchone()
    assert photos == distinct == TOTAL  # every photo exactly once
    assert conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == TOTAL
    conn.close()
