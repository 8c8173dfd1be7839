"""Text in photos from the command line (issue #18): `photofind index` reads the words in the
photos CLIP judges likely to hold text before it returns, and a quoted phrase finds them.
Photos with text rendered on them (tests/texts.py), read by the real OCR engine, judged by
the tiny real CLIP."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import last_json, run_cli
from shapes import generate_folder
from texts import generate_text_folder

from photofind.core.library import Library

pytestmark = pytest.mark.slow  # the OCR engine reads a dozen photos


@pytest.fixture(scope="module")
def library(
    tmp_path_factory: pytest.TempPathFactory, model_dir: Path
) -> tuple[Path, Path, dict[Path, list[str]]]:
    folder = tmp_path_factory.mktemp("texts") / "Pictures"
    texts = generate_text_folder(folder / "papers", per_kind=2, seed=5)
    generate_folder(folder / "shapes", per_class=1, seed=5)
    data = tmp_path_factory.mktemp("texts-data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PHOTOFIND_OCR", "auto")
        code, _, err = cli(data, model_dir, "index", str(folder))
    assert code == 0, err
    return data, folder, texts


def cli(data: Path, model: Path, *argv: str) -> tuple[int, str, str]:
    return run_cli("--data-dir", str(data), "--model", str(model), *argv)


def found(data: Path, model: Path, query: str) -> list[Path]:
    code, out, err = cli(data, model, "search", query, "--json", "--top", "50")
    assert code == 0, err
    return [Path(hit["path"]) for hit in json.loads(out)]


def _distinctive(words: list[str], others: list[list[str]]) -> str:
    """The longest word of a photo that no other photo holds."""
    theirs = {w.lower() for ws in others for w in ws}
    return max((w for w in words if w.lower() not in theirs), key=len)


def test_a_quoted_word_finds_each_text_photo_by_its_words(
    library: tuple[Path, Path, dict[Path, list[str]]], model_dir: Path
) -> None:
    data, _, texts = library
    for path, words in texts.items():
        word = _distinctive(words, [w for p, w in texts.items() if p != path])
        assert found(data, model_dir, f'"{word}"') == [path], word


def test_a_quoted_phrase_beside_a_description_narrows_it(
    library: tuple[Path, Path, dict[Path, list[str]]], model_dir: Path
) -> None:
    data, _, texts = library
    receipts = [p for p in texts if p.name.startswith("receipt")]
    assert set(found(data, model_dir, 'a receipt "invoice"')) == set(receipts)
    assert not set(found(data, model_dir, 'a photo of a red circle - "invoice"')) & set(receipts)


def test_photos_without_text_are_never_read_and_text_photos_are(
    library: tuple[Path, Path, dict[Path, list[str]]], model_dir: Path
) -> None:
    data, folder, texts = library
    lib = Library(data, str(model_dir), "cpu")
    try:
        for path in (folder / "shapes").iterdir():
            text = lib.text_in(str(path))
            assert text is not None and text.state == "skipped", path.name
        for path in texts:
            text = lib.text_in(str(path))
            assert text is not None and text.state == "read" and text.lines, path.name
    finally:
        lib.close()


def test_a_moved_photo_keeps_its_text_without_being_read_again(
    tmp_path: Path, library: tuple[Path, Path, dict[Path, list[str]]], model_dir: Path
) -> None:
    source_data, folder, texts = library
    data = tmp_path / "data"
    shutil.copytree(source_data, data)
    path, words = next(iter(texts.items()))
    moved = path.with_name("moved-" + path.name)
    shutil.copy2(path, moved)  # the copy is new to the library; its content is not
    try:
        code, out, err = cli(data, model_dir, "index", str(folder), "--json")
        assert code == 0, err
        assert last_json(out)["reused"] == 1
        word = _distinctive(words, [w for p, w in texts.items() if p != path])
        assert set(found(data, model_dir, f'"{word}"')) == {path, moved}
    finally:
        moved.unlink()


def test_an_unknown_text_mode_exits_2_with_one_line(
    library: tuple[Path, Path, dict[Path, list[str]]],
    model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data, folder, _ = library
    monkeypatch.setenv("PHOTOFIND_OCR", "sometimes")
    code, _, err = cli(data, model_dir, "index", str(folder))
    assert code == 2
    assert err.strip().splitlines() == [
        "photofind: error: PHOTOFIND_OCR is 'sometimes'; use one of auto, all, off"
    ]
