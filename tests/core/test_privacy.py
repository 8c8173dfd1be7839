"""Privacy and security: a private data dir, SQL built only with parameters, and no network
access except fetching a model the user asked for."""

from __future__ import annotations

import ast
import os
import socket
import stat
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli
from shapes import make_photo

import photofind
from photofind.core.library import Library
from photofind.core.photos.thumbnails import ThumbnailCache

PACKAGE = Path(photofind.__file__).parent


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_the_data_dir_and_what_photofind_writes_there_are_private(
    tmp_path: Path, model_dir: Path, umask: int
) -> None:
    photos = tmp_path / "photos"
    photo = photos / "p.png"
    photos.mkdir()
    make_photo("red", "circle", np.random.default_rng(0), size=(96, 96)).save(photo)
    data = tmp_path / "not-yet" / "data"
    previous = os.umask(umask)
    try:
        library = Library(data, str(model_dir), "cpu")
        library.add_folders([str(photos)])
        list(library.index())
        ThumbnailCache(data).get(photo, 256)
        # Looked at while the library is open: closing it removes the -wal and -shm files.
        files = ["library.db", "library.db-wal", "library.db-shm", "indexer.lock"]
        modes = {name: _mode(data / name) for name in files}
        library.close()
    finally:
        os.umask(previous)
    thumbnails = [data / "thumbnails", *(data / "thumbnails").rglob("*")]
    modes.update({str(p.relative_to(data)): _mode(p) for p in thumbnails})
    assert _mode(data) == 0o700
    assert any(p.is_file() for p in thumbnails)
    expected = {
        name: 0o700 if (data / name).is_dir() else 0o600 for name in modes if name not in files
    }
    expected.update(dict.fromkeys(files, 0o600))
    assert modes == expected


def _formats(node: ast.AST, allowed: set[str]) -> bool:
    if isinstance(node, ast.FormattedValue):
        # A module's constant (an SQL fragment written once, such as PHOTO_DATE_SQL) is code.
        name = node.value.id if isinstance(node.value, ast.Name) else ""
        return not (name in allowed or (name.isupper() and len(name) > 1))
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, ast.Mod)
    return isinstance(node, ast.Attribute) and node.attr == "format"


def _interpolated_sql(tree: ast.AST) -> list[int]:
    """Lines where an execute call's SQL is an f-string, `%`-formatted or `.format`ted with
    anything but a run of `?` placeholders (`marks`), the schema version number or a
    module constant."""
    allowed = {"marks", "version"}
    lines = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("execute", "executemany", "executescript")
            and node.args
        ):
            continue
        lines.extend(node.lineno for part in ast.walk(node.args[0]) if _formats(part, allowed))
    return lines


def test_sql_values_are_always_parameters() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line in _interpolated_sql(ast.parse(path.read_text(), str(path))):
            offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}")
    assert offenders == [], "SQL built from values instead of ? parameters"


def test_the_sql_check_catches_interpolation() -> None:
    code = (
        "conn.execute(f'SELECT * FROM photos WHERE path = {path}')\n"
        "conn.execute('SELECT * FROM photos WHERE path = %s' % path)\n"
        "conn.execute('SELECT * FROM photos WHERE path = {}'.format(path))\n"
        "conn.execute(f'SELECT * FROM photos WHERE id IN ({marks})', ids)\n"
        "conn.execute('SELECT * FROM photos WHERE path = ?', (path,))\n"
    )
    assert _interpolated_sql(ast.parse(code)) == [1, 2, 3]


@pytest.mark.slow
def test_indexing_searching_and_status_open_no_network_connection(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a local model, a whole session (index, search, similar, status, folders) makes no
    connection and no name lookup, with the hub client's own opt-outs unset."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
        monkeypatch.delenv(var, raising=False)
    attempts: list[str] = []

    def refuse(what: str) -> object:
        def refused(*args: object, **kwargs: object) -> None:
            attempts.append(f"{what}{args[1:] if what == 'connect' else args}")
            raise OSError("network access in a test that must not use the network")

        return refused

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))

    photos = tmp_path / "photos"
    photos.mkdir()
    for i, (colour, shape) in enumerate([("red", "circle"), ("blue", "square")]):
        make_photo(colour, shape, np.random.default_rng(i)).save(photos / f"{i}.jpg")
    base = ("--data-dir", str(tmp_path / "data"), "--model", str(model_dir), "--device", "cpu")
    for argv in (
        ("index", str(photos)),
        ("search", "a red circle"),
        ("similar", str(photos / "0.jpg")),
        ("status", "--failed"),
        ("folders", "list"),
    ):
        code, _, err = run_cli(*base, *argv)
        assert code == 0, err
    assert attempts == []
