"""Files that change under the indexer: edited between the scan and the read or while being
read, deleted before they are read, unreadable and then fixed, folders that cannot be read,
names that are not UTF-8, paths close to PATH_MAX."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers import path_bytes
from shapes import make_photo

import photofind.core.index.decoding as decoding
import photofind.core.index.scan as scan
import photofind.core.photos.imaging as imaging
from photofind.core.errors import FileChangedError
from photofind.core.index.progress import IndexCounts
from photofind.core.library import Library
from photofind.core.photos.imaging import read_file

RUNNING_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _photo(path: Path, colour: str, shape: str, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    make_photo(colour, shape, np.random.default_rng(seed), size=(96, 96)).save(path)
    return path


def _library(tmp_path: Path, model_dir: Path, folder: Path) -> Library:
    library = Library(tmp_path / "data", str(model_dir), "cpu")
    library.add_folders([str(folder)])
    return library


def _index(library: Library) -> IndexCounts:
    return list(library.index())[-1].counts


def _names(library: Library, text: str) -> list[str]:
    return [Path(h.path).name for h in library.searcher.text(text, top=50)]


@contextlib.contextmanager
def _then(monkeypatch: pytest.MonkeyPatch, action: object) -> Iterator[None]:
    """Run `action` after the indexer's scan has listed every file and before it reads any."""
    real_scan = scan.scan_scopes

    def scan_then_act(*args: object, **kwargs: object) -> Iterator[object]:
        yield from real_scan(*args, **kwargs)  # type: ignore[arg-type]
        action()  # type: ignore[operator]

    with monkeypatch.context() as m:
        m.setattr(scan, "scan_scopes", scan_then_act)
        yield


def test_a_file_replaced_after_the_scan_is_indexed_with_the_size_and_mtime_read(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "photos"
    photo = _photo(folder / "p.png", "red", "circle")
    library = _library(tmp_path, model_dir, folder)

    def replace() -> None:
        _photo(photo, "blue", "triangle", seed=1)
        os.utime(photo, (1_700_000_000, 1_700_000_000))

    with _then(monkeypatch, replace):
        counts = _index(library)
    assert counts.encoded == 1
    row = library.store.photos(library.store.find_model(library.model_name))[str(photo)]
    st = photo.stat()
    assert (row.size, row.mtime) == (st.st_size, st.st_mtime)  # of the bytes encoded
    assert _names(library, "a photo of a blue triangle")[:1] == ["p.png"]
    assert _index(library).unchanged == 1  # and nothing is stale: no second encode
    library.close()


def test_a_file_changing_while_read_is_deferred_then_indexed(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "photos"
    busy = _photo(folder / "busy.png", "green", "square")
    _photo(folder / "calm.png", "red", "circle")
    library = _library(tmp_path, model_dir, folder)

    def read_busy_once(path: Path) -> object:
        if path == busy:
            monkeypatch.setattr(decoding, "read_file", read_file)
            raise FileChangedError("file changed while it was read")
        return read_file(path)

    monkeypatch.setattr(decoding, "read_file", read_busy_once)
    counts = _index(library)
    assert (counts.encoded, counts.deferred, counts.failed) == (1, 1, 0)
    assert str(busy) not in library.store.photos(None)  # not recorded, not failed
    counts = _index(library)
    assert (counts.encoded, counts.unchanged, counts.failed) == (1, 1, 0)
    library.close()


def test_read_file_notices_a_file_growing_during_the_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "growing.jpg"
    path.write_bytes(b"\xff\xd8" + b"\0" * 1000)
    real_fstat = os.fstat
    calls = 0

    def fstat_while_appending(fd: int) -> os.stat_result:
        nonlocal calls
        calls += 1
        if calls == 2:  # after the read: a writer appended meanwhile
            with path.open("ab") as f:
                f.write(b"more")
        return real_fstat(fd)

    monkeypatch.setattr(imaging.os, "fstat", fstat_while_appending)
    with pytest.raises(FileChangedError):
        read_file(path)
    monkeypatch.undo()
    content = read_file(path)
    assert (content.size, content.mtime) == (path.stat().st_size, path.stat().st_mtime)
    assert len(content.data) == content.size


def test_a_fifo_named_like_a_photo_never_blocks(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    with pytest.raises(imaging.PhotoLoadError, match="not a regular file"):
        read_file(fifo)


def test_files_vanishing_before_they_are_read_are_not_recorded(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "photos"
    kept = _photo(folder / "kept.png", "red", "circle")
    edited = _photo(folder / "edited.png", "blue", "square")
    library = _library(tmp_path, model_dir, folder)
    assert _index(library).encoded == 2
    new = _photo(folder / "new.png", "green", "triangle")
    _photo(edited, "yellow", "circle", seed=3)  # changed, so it is read again ...

    def delete() -> None:  # ... but gone by then, like the new one
        new.unlink()
        edited.unlink()

    with _then(monkeypatch, delete):
        counts = _index(library)
    assert (counts.failed, counts.encoded, counts.removed) == (0, 0, 1)
    assert sorted(library.store.photos(None)) == [str(kept)]
    assert library.store.failures() == []
    library.close()


@contextlib.contextmanager
def _unreadable(path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`path` cannot be opened: chmod 000, and for root (who reads anything) the same refusal
    from the calls photofind makes."""
    path.chmod(0)
    with monkeypatch.context() as m:
        if RUNNING_AS_ROOT:
            real_open, real_access = os.open, os.access

            def open_denied(p: object, *args: object, **kwargs: object) -> int:
                if os.fspath(p) == str(path):  # type: ignore[arg-type]
                    raise PermissionError(errno.EACCES, "Permission denied", str(p))
                return real_open(p, *args, **kwargs)  # type: ignore[arg-type]

            def access_denied(p: object, mode: int, **kwargs: object) -> bool:
                return os.fspath(p) != str(path) and real_access(p, mode, **kwargs)  # type: ignore

            m.setattr(imaging.os, "open", open_denied)
            m.setattr(scan.os, "access", access_denied)
        yield
    path.chmod(0o644)


def test_permission_denied_is_recorded_and_tried_again_once_readable(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "photos"
    locked = _photo(folder / "locked.png", "yellow", "triangle")
    before = locked.stat()
    library = _library(tmp_path, model_dir, folder)
    with _unreadable(locked, monkeypatch):
        counts = _index(library)
        assert counts.failed == 1
        assert library.store.failures() == [(str(locked), "permission denied")]
        counts = _index(library)  # still unreadable: not tried again, nothing rewritten
        assert (counts.unchanged, counts.failed) == (1, 0)
    after = locked.stat()
    assert (after.st_size, after.st_mtime) == (before.st_size, before.st_mtime)  # chmod only
    counts = _index(library)
    assert (counts.encoded, counts.failed) == (1, 0)
    assert library.store.failures() == []
    assert _names(library, "a photo of a yellow triangle") == ["locked.png"]
    library.close()


def test_a_folder_that_cannot_be_read_keeps_its_photos(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "photos"
    inner = folder / "inner"
    _photo(inner / "a.png", "red", "square")
    _photo(folder / "b.png", "blue", "circle")
    library = _library(tmp_path, model_dir, folder)
    assert _index(library).encoded == 2
    inner.chmod(0)
    with monkeypatch.context() as m:
        if RUNNING_AS_ROOT:  # root lists any folder: refuse the listing the way chmod would
            real_scandir = os.scandir

            def scandir(path: str) -> object:
                if os.fspath(path) == str(inner):
                    raise PermissionError(errno.EACCES, "Permission denied", path)
                return real_scandir(path)

            m.setattr(os, "scandir", scandir)
        counts = _index(library)
    inner.chmod(0o755)
    assert (counts.removed, counts.unchanged) == (0, 1)
    assert len(library.store.photos(None)) == 2
    assert _index(library).unchanged == 2  # readable again: nothing to redo
    library.close()


def test_the_scanner_reports_what_it_could_not_look_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same guarantee without needing a non-root user: a folder whose listing fails."""
    from photofind.core.photos import scanning

    _photo(tmp_path / "lib" / "ok" / "a.png", "red", "circle")
    _photo(tmp_path / "lib" / "flaky" / "b.png", "red", "circle")
    real_scandir = os.scandir

    def scandir(path: str) -> object:
        if path.endswith("flaky"):
            raise OSError(errno.EIO, "Input/output error", path)
        return real_scandir(path)

    monkeypatch.setattr(scanning.os, "scandir", scandir)
    unreadable: list[str] = []
    found = [f.path for f in scanning.scan_folders([str(tmp_path / "lib")], (), unreadable)]
    assert found == [str(tmp_path / "lib" / "ok" / "a.png")]
    assert unreadable == [str(tmp_path / "lib" / "flaky")]


def _cli(*argv: str) -> tuple[int, str, str]:
    """The CLI in-process, with a stdout as strict as a real UTF-8 terminal or pipe (a
    StringIO would accept the lone surrogates that stand for undecodable bytes)."""
    from photofind.cli import main

    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    err = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    out.flush()
    return code, out.buffer.getvalue().decode("utf-8"), err.getvalue()  # type: ignore[attr-defined]


def test_names_with_any_bytes_go_through_index_search_status_and_folders(
    model_dir: Path, tmp_path: Path
) -> None:
    folder = os.fsencode(tmp_path) + b"/Fotos \xe9t\xe9 \xff"  # Latin-1: not valid UTF-8
    os.mkdir(folder)
    good = os.fsdecode(folder + b"/caf\xe9 \x80\xfe.png")
    bad = os.fsdecode(folder + b"/bro\xefken.jpg")
    _photo(Path(good), "red", "circle")
    Path(bad).write_bytes(b"not a photo")
    base = ("--data-dir", str(tmp_path / "data"), "--model", str(model_dir))

    code, out, err = _cli(*base, "index", os.fsdecode(folder), "--json")
    assert code == 0, err
    assert json.loads(out.splitlines()[-1])["encoded"] == 1
    code, out, _ = _cli(*base, "search", "a photo of a red circle", "--json")
    assert code == 0 and [path_bytes(h) for h in json.loads(out)] == [os.fsencode(good)]
    code, out, _ = _cli(*base, "search", "a photo of a red circle")
    assert code == 0 and "caf" in out
    code, out, _ = _cli(*base, "status", "--json", "--failed")
    status = json.loads(out)
    assert [os.fsencode(f) for f in status["folders"]] == [folder]
    assert [path_bytes(f) for f in status["failures"]] == [os.fsencode(bad)]
    code, out, _ = _cli(*base, "status", "--failed")
    assert code == 0 and "Fotos" in out and "bro" in out
    code, out, _ = _cli(*base, "folders", "list")
    assert code == 0 and "Fotos" in out
    code, out, _ = _cli(*base, "folders", "remove", os.fsdecode(folder))
    assert code == 0 and "2 photos forgotten" in out


def _deep_folder(root: Path, length: int) -> Path:
    """Nested 200-character folder names until the path is about `length` bytes long."""
    path = root
    while len(os.fsencode(path)) + 201 < length:
        path = path / ("d" * 200)
    return path / ("d" * (length - len(os.fsencode(path)) - 1))


def test_paths_near_path_max_are_indexed_and_deeper_ones_skipped(
    model_dir: Path, tmp_path: Path
) -> None:
    path_max = os.pathconf(tmp_path, "PC_PATH_MAX") if hasattr(os, "pathconf") else 4096
    root = tmp_path / "lib"
    deep = _deep_folder(root, path_max - 40)
    deep.mkdir(parents=True)
    near = _photo(deep / "near_path_max.png", "green", "circle")
    assert path_max - 60 < len(os.fsencode(near)) < path_max
    # Beyond PATH_MAX no path can name the file; it exists all the same (made relative to an
    # open folder), and the scan must step over it rather than fail.
    fd = os.open(deep, os.O_RDONLY)
    try:
        for _ in range(3):
            os.mkdir("e" * 200, dir_fd=fd)
            inner = os.open("e" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out = os.open("beyond.png", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        with os.fdopen(out, "wb") as f:
            make_photo("red", "square", np.random.default_rng(1), size=(96, 96)).save(f, "PNG")
    finally:
        os.close(fd)

    library = _library(tmp_path, model_dir, root)
    counts = _index(library)
    assert (counts.encoded, counts.failed) == (1, 0)
    hits = library.searcher.text("a photo of a green circle")
    assert [h.path for h in hits] == [str(near)]
    assert _index(library).unchanged == 1
    library.close()
    shutil.rmtree(root, ignore_errors=True)  # pytest's own clean-up cannot name the deepest
