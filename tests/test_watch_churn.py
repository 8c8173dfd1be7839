"""`photofind watch` under filesystem churn: a 1,000-photo folder renamed, photos moved
between library folders, deleted, edited in place, copied slowly, and a drive unplugged and
plugged in again. Each runs a real `photofind watch` process.

Latency is printed, not asserted (the timeouts here only stop a hang); the benchmark that
reports it is `python -m benchmarks.watch_rename`.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from helpers import last_json, run_cli
from shapes import make_photo
from watch_process import WatchProcess

HANG_GUARD = 60.0  # seconds any single wait may take before the test gives up


class Watch(WatchProcess):
    """A `photofind watch` process, with waits that fail a test instead of hanging it."""

    def wait(self, ready: Callable[[], bool], what: str) -> float:
        """Until `ready()`; returns when that was seen."""
        if not self.wait_for(ready, HANG_GUARD):
            assert self.proc.poll() is None, "watch ended:\n" + "\n".join(self.lines)
            raise AssertionError(f"no {what} after {HANG_GUARD:.0f} s:\n" + "\n".join(self.lines))
        return time.monotonic()

    def quiet(self, since: float, seconds: float = 1.0) -> None:
        """Until the run that made a change seen at `since` has printed its summary: the
        last line is a summary and nothing was printed for `seconds` after both."""

        def done() -> bool:
            idle = time.monotonic() - max(self.last_line_at, since)
            return bool(self.lines) and " encoded, " in self.lines[-1] and idle > seconds

        self.wait(done, "quiet moment")

    def runs(self) -> list[dict[str, int]]:
        return self.summaries()

    def totals(self, since: int) -> dict[str, int]:
        runs = self.runs()[since:]
        return {k: sum(r[k] for r in runs) for k in runs[0]} if runs else {}

    def stop(self) -> str:  # type: ignore[override]
        log = super().stop(timeout=30)
        assert "Traceback" not in log, log
        return log


class Library:
    """One data dir, driven through the CLI (in-process) and read directly from its DB."""

    def __init__(self, tmp_path: Path, model_dir: Path) -> None:
        self.data = tmp_path / "data"
        self.base = ("--data-dir", str(self.data), "--model", str(model_dir), "--device", "cpu")
        self.env = {
            **os.environ,
            "PHOTOFIND_DATA_DIR": str(self.data),
            "PHOTOFIND_MODEL": str(model_dir),
            "PHOTOFIND_DEVICE": "cpu",
        }

    def cli(self, *argv: str) -> object:
        code, out, err = run_cli(*self.base, *argv)
        assert code == 0, err
        return last_json(out) if "--json" in argv else out

    def watch(self) -> Watch:
        watch = Watch(self.env)
        watch.wait(lambda: len(watch.runs()) >= 1, "first index run")
        return watch

    def vectors(self) -> dict[str, bytes]:
        """Path -> vector of every indexed photo (the only model here)."""
        conn = sqlite3.connect(f"file:{self.data / 'library.db'}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute(
                "SELECT p.path, v.vector FROM photos p JOIN vectors v ON v.photo_id = p.id"
                " WHERE p.status = 'ok'"  # not those put aside (see Store.put_aside)
            ).fetchall()
            return dict(rows)
        finally:
            conn.close()

    def photos(self) -> dict[str, tuple[str, int]]:
        conn = sqlite3.connect(f"file:{self.data / 'library.db'}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute(
                "SELECT path, status, size FROM photos WHERE status IN ('ok', 'failed')"
            ).fetchall()
            return {path: (status, size) for path, status, size in rows}
        finally:
            conn.close()


def _jpeg(colour: str, shape: str, seed: int, size: tuple[int, int] = (64, 64)) -> bytes:
    buf = io.BytesIO()
    make_photo(colour, shape, np.random.default_rng(seed), size=size).save(buf, "JPEG")
    return buf.getvalue()


def test_a_renamed_1000_photo_folder_shows_its_new_paths_with_nothing_encoded(
    model_dir: Path, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    library = Library(tmp_path, model_dir)
    pictures = tmp_path / "Pictures"
    before, after = pictures / "Holiday", pictures / "Holiday 2024 (Crete)"
    before.mkdir(parents=True)
    # 100 different photos, 10 files of each: 1,000 files, 100 encodes to set up.
    colours = ("red", "green", "blue", "yellow")
    photos = [_jpeg(colours[i % 4], "circle", i) for i in range(100)]
    for i in range(1000):
        (before / f"IMG_{i:04d}.jpg").write_bytes(photos[i % 100])
    first = library.cli("index", str(pictures), "--json")
    assert first["encoded"] == 100 and first["reused"] == 900  # type: ignore[index]
    old_vectors = {Path(p).name: v for p, v in library.vectors().items()}

    watch = library.watch()
    try:
        started = time.monotonic()
        before.rename(after)
        seen = watch.wait(
            lambda: sorted(library.vectors()) == sorted(str(after / n) for n in old_vectors),
            "new paths in the library",
        )
        committed = seen - started
        hits = library.cli("search", "a photo of a red circle", "--top", "1000", "--json")
        searched = time.monotonic() - started
        watch.quiet(since=seen)
    finally:
        watch.stop()
    print(f"\nrename of 1,000 photos: in the library {committed:.2f} s after the rename; "
          f"search --json (in-process) showed them at {searched:.2f} s")  # fmt: skip
    record_property("rename_committed_s", round(committed, 2))
    record_property("rename_searched_s", round(searched, 2))

    paths = [h["path"] for h in hits]  # type: ignore[union-attr]
    assert len(paths) == 1000 and all(Path(p).parent == after for p in paths)
    moved = {Path(p).name: v for p, v in library.vectors().items()}
    assert moved == old_vectors  # every photo kept its own vector
    totals = watch.totals(since=1)
    assert (totals["encoded"], totals["reused"], totals["removed"], totals["failed"]) == (
        0,
        1000,
        1000,
        0,
    )
    status = library.cli("status", "--json")
    assert (status["photos"], status["pending"], status["failed"]) == (1000, 0, 0)  # type: ignore[index]


def test_moves_deletions_edits_slow_copies_and_an_unplugged_drive_while_watching(
    model_dir: Path, tmp_path: Path
) -> None:
    """One watch session (a watch takes seconds to start), one kind of churn after another."""
    library = Library(tmp_path, model_dir)
    a, b, drive = tmp_path / "A", tmp_path / "B", tmp_path / "media" / "USB"
    for folder in (a, b / "sub", drive):
        folder.mkdir(parents=True)
    (a / "red_circle.jpg").write_bytes(_jpeg("red", "circle", 1, (96, 96)))
    (a / "blue_square.jpg").write_bytes(_jpeg("blue", "square", 2, (96, 96)))
    (a / "green_triangle.jpg").write_bytes(_jpeg("green", "triangle", 3, (96, 96)))
    (b / "yellow_square.jpg").write_bytes(_jpeg("yellow", "square", 4, (96, 96)))
    for i, colour in enumerate(("red", "green")):
        (drive / f"{colour}.jpg").write_bytes(_jpeg(colour, "square", 10 + i))
    library.cli("index", str(a), str(b), str(drive), "--json")
    on_drive = {str(drive / "red.jpg"), str(drive / "green.jpg")}
    watch = library.watch()
    try:
        # A move between two library folders, and a deletion.
        n = len(watch.runs())
        (a / "red_circle.jpg").rename(b / "sub" / "red_circle.jpg")
        (a / "blue_square.jpg").unlink()
        expected = {a / "green_triangle.jpg", b / "yellow_square.jpg", b / "sub" / "red_circle.jpg"}
        seen = watch.wait(
            lambda: set(library.vectors()) == {str(p) for p in expected} | on_drive,
            "move and deletion",
        )
        watch.quiet(since=seen)
        totals = watch.totals(since=n)
        assert (totals["encoded"], totals["reused"], totals["removed"]) == (0, 1, 2)
        hits = library.cli("search", "a photo of a blue square", "--json")
        assert str(a / "blue_square.jpg") not in [h["path"] for h in hits]  # type: ignore[union-attr]

        # An edit in place: the same name, other content.
        n = len(watch.runs())
        old = library.vectors()[str(a / "green_triangle.jpg")]
        (a / "green_triangle.jpg").write_bytes(_jpeg("yellow", "circle", 5, (96, 96)))
        seen = watch.wait(
            lambda: library.vectors().get(str(a / "green_triangle.jpg"), old) != old,
            "edited photo encoded again",
        )
        watch.quiet(since=seen)
        assert watch.totals(since=n)["encoded"] == 1

        # A slow copy: a chunk every 1.2 s, longer than the watch's 1 s debounce, so index
        # runs happen while the file is half written; it must be indexed once, complete.
        n = len(watch.runs())
        data = _jpeg("blue", "triangle", 6, (160, 120))
        copy = b / "copy.jpg"
        with copy.open("wb") as f:
            for part in np.array_split(np.frombuffer(data, np.uint8), 3):
                f.write(part.tobytes())
                f.flush()
                time.sleep(1.2)
        seen = watch.wait(lambda: library.photos().get(str(copy)) == ("ok", len(data)), "the copy")
        watch.quiet(since=seen)
        totals = watch.totals(since=n)
        assert (totals["encoded"], totals["failed"]) == (1, 0), watch.lines[-6:]

        # The drive is unplugged (its mount point goes away) while life goes on elsewhere.
        n = len(watch.runs())
        shutil.move(drive, tmp_path / "unplugged")
        (a / "new.jpg").write_bytes(_jpeg("green", "circle", 21))
        seen = watch.wait(lambda: str(a / "new.jpg") in library.vectors(), "new photo in A")
        watch.quiet(since=seen)
        assert watch.totals(since=n)["removed"] == 0
        assert on_drive <= set(library.vectors())  # the drive's photos are kept

        # Plugged in again: a new directory at the same place, with the same files and times,
        # appearing at once (as a mount does). Nothing is encoded again, and it is watched.
        n = len(watch.runs())
        shutil.copytree(tmp_path / "unplugged", tmp_path / "media" / ".mounting")
        (tmp_path / "media" / ".mounting").rename(drive)
        watch.wait(lambda: len(watch.runs()) > n, "a look at the drive that came back")
        (drive / "later.jpg").write_bytes(_jpeg("blue", "circle", 22))
        seen = watch.wait(
            lambda: str(drive / "later.jpg") in library.vectors(), "photo on the drive"
        )
        watch.quiet(since=seen)
        totals = watch.totals(since=n)
        assert (totals["encoded"], totals["removed"], totals["failed"]) == (1, 0, 0)
    finally:
        watch.stop()
    status = library.cli("status", "--json")
    assert (status["photos"], status["pending"], status["failed"]) == (8, 0, 0)  # type: ignore[index]


def _with_inotify_watches(limit: int) -> list[str]:
    """A command that runs the command after it in a user namespace of its own, allowed
    `limit` inotify watches: a real limit, which leaves the rest of the machine alone. Skips
    the test where such namespaces are not allowed."""
    script = f'echo {limit} > /proc/sys/user/max_inotify_watches && exec "$@"'
    wrapper = ["unshare", "--user", "--map-root-user", "sh", "-c", script, "sh"]
    if shutil.which("unshare") is None or subprocess.run([*wrapper, "true"]).returncode:
        pytest.skip("no user namespace with inotify limits of its own here")
    return wrapper


def test_watch_names_the_folders_past_the_inotify_watch_limit(
    model_dir: Path, tmp_path: Path
) -> None:
    library = Library(tmp_path, model_dir)
    pictures = tmp_path / "Pictures"
    for year in ("2021", "2022", "2023", "2024"):
        (pictures / year).mkdir(parents=True)
    (pictures / "2021" / "a.jpg").write_bytes(_jpeg("red", "circle", 1))
    library.cli("index", str(pictures), "--json")
    # Watches for the folder and two of its four subfolders.
    watch = Watch(library.env, _with_inotify_watches(3))
    try:
        watch.wait(lambda: len(watch.runs()) >= 1, "first index run")
    finally:
        log = watch.stop()
    [line] = [x for x in log.splitlines() if "not watched live" in x]
    assert line.startswith("photofind: 2 folders are not watched live (")
    assert "): inotify watch limit reached (fs.inotify.max_user_watches = " in line
    assert line.endswith("; these folders are checked every 5 minutes instead")
