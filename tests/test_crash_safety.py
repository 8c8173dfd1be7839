"""kill -9 in the middle of indexing, again and again, and in the middle of reading the text
in photos: nothing is lost, doubled or redone."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import PER_CLASS, last_json, run_cli_process
from shapes import CLASSES
from texts import generate_text_folder

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
        kills += _index_killed_once(shapes_dir, env, lambda t=threshold: _committed(db) >= t)
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


def _index_killed_once(folder: Path, env: dict[str, str], when: Callable[[], bool]) -> bool:
    """Start `photofind index FOLDER` and kill -9 it as soon as `when()` holds; False if it
    finished first."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "photofind", "index", str(folder), "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while not when() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    return killed


def _texts(db: Path) -> dict[str, tuple[str, str]]:
    """content hash -> (state, read_at) of every text row committed so far."""
    if not db.exists():
        return {}
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return {h: (s, t) for h, s, t in conn.execute("SELECT hash, state, read_at FROM texts")}
    except sqlite3.OperationalError:  # schema not created yet
        return {}
    finally:
        conn.close()


@pytest.mark.slow  # the OCR engine reads every photo
def test_kill_9_while_reading_text_loses_and_repeats_nothing(
    model_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "papers"
    texts = generate_text_folder(folder, per_kind=2, seed=11)
    data = tmp_path / "data"
    db = data / "library.db"
    env = {
        **os.environ,
        "PHOTOFIND_DATA_DIR": str(data),
        "PHOTOFIND_MODEL": str(model_dir),
        "PHOTOFIND_OCR": "all",
    }

    def read_so_far() -> dict[str, str]:
        return {h: t for h, (s, t) in _texts(db).items() if s == "read"}

    killed = _index_killed_once(folder, env, lambda: len(read_so_far()) >= 2)
    assert killed, "every photo was read before it could be killed"
    before = read_so_far()
    assert 2 <= len(before) < len(texts)

    done = run_cli_process("index", str(folder), "--json", env=env)
    assert done.returncode == 0, done.stderr
    after = _texts(db)
    assert {h: t for h, (s, t) in after.items() if h in before} == before  # none read again
    assert {s for s, _ in after.values()} == {"read"} and len(after) == len(texts)
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # One searchable text per photo read: none lost, none doubled by the kill.
        (indexed,) = conn.execute("SELECT COUNT(*) FROM text_search").fetchone()
        assert indexed == len(texts)
    finally:
        conn.close()
    for path, words in texts.items():
        word = max(words, key=len)
        hits = run_cli_process("search", f'"{word}"', "--json", env=env)
        assert hits.returncode == 0 and str(path) in hits.stdout, word
