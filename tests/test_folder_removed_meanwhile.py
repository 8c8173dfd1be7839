"""A folder removed from the library while another process is indexing it: none of its
photos stay in the library or show in a search, whatever that run writes afterwards. Checked
with two real processes: the indexer, held after its first batch, and `photofind folders
remove`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from helpers import run_cli_process

from photofind.core.index.store import Encoded, Store
from photofind.core.photos.photo import PhotoInfo

TESTS = Path(__file__).parent


def test_a_folder_removed_while_another_process_indexes_it_leaves_nothing_behind(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    private, public = tmp_path / "private", tmp_path / "public"
    private.mkdir()
    public.mkdir()
    for n, source in enumerate(sorted(shapes_dir.iterdir())[:40]):
        shutil.copy2(source, private if n < 36 else public)
    data = tmp_path / "data"
    held_at, go = tmp_path / "held", tmp_path / "go"
    env = {
        **os.environ,
        "PHOTOFIND_DATA_DIR": str(data),
        "PHOTOFIND_MODEL": str(model_dir),
        "PHOTOFIND_HELD_AT": str(held_at),
        "PHOTOFIND_GO": str(go),
    }
    assert run_cli_process("folders", "add", str(public), env=env).returncode == 0
    indexer = subprocess.Popen(
        [sys.executable, str(TESTS / "held_indexer.py"), "index", str(private)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not held_at.exists():
        assert indexer.poll() is None, indexer.communicate()
        assert time.monotonic() < deadline, "the indexer never wrote its first batch"
        time.sleep(0.02)

    removed = run_cli_process("folders", "remove", str(private), env=env)
    assert removed.returncode == 0, removed.stderr
    go.touch()
    _, err = indexer.communicate(timeout=300)
    assert indexer.returncode == 0, err

    store = Store.open(data)
    try:
        left = [p for p in store.photos(None) if p.startswith(f"{private}{os.sep}")]
    finally:
        store.close()
    assert left == []
    found = run_cli_process("search", "a photo", "--top", "100", "--json", env=env)
    assert found.returncode == 0, found.stderr
    assert str(private) not in found.stdout
    assert str(public) in found.stdout


def test_photos_under_no_library_folder_are_swept(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    """Rows left under a folder no longer in the library (by an older photofind, or a run
    that was killed) go at the next index run."""
    folder = tmp_path / "photos"
    shutil.copytree(shapes_dir, folder)
    data = tmp_path / "data"
    env = {"PHOTOFIND_DATA_DIR": str(data), "PHOTOFIND_MODEL": str(model_dir)}
    assert run_cli_process("index", str(folder), env=env).returncode == 0
    store = Store.open(data)
    try:
        photo = next(iter(store.photos(None).values()))
        model_id = store.find_model(str(model_dir.resolve()))
        vector = store.vector(photo.id, model_id)
        orphan = str(tmp_path / "removed-long-ago" / "a.jpg")
        store.write([Encoded(orphan, 1, 1.0, "h", PhotoInfo(4, 4, None), vector)], model_id)
        assert orphan in store.photos(None)
    finally:
        store.close()
    indexed = run_cli_process("index", str(folder), "--json", env=env)
    assert indexed.returncode == 0, indexed.stderr
    assert '"removed": 1' in indexed.stdout
