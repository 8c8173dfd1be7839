"""core.model.ocr: the words on receipts, screenshots and slides are read back, in the photo's
own pixel coordinates; a photo without text gives nothing; nothing is downloaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from shapes import CLASSES, make_photo
from texts import TEXT_KINDS, generate_text_folder, make_text_photo

from photofind.core.model.ocr import MAX_SIDE, TextLine, TextReader

TESTS = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reader() -> TextReader:
    return TextReader()


@pytest.fixture(scope="module")
def text_photos(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, list[str]]:
    return generate_text_folder(tmp_path_factory.mktemp("texts"), per_kind=3, seed=77)


def words_read(lines: list[TextLine]) -> set[str]:
    return {word.lower() for line in lines for word in line.text.split()}


@pytest.mark.slow
def test_every_word_on_receipts_screenshots_and_slides_is_read(
    reader: TextReader, text_photos: dict[Path, list[str]]
) -> None:
    assert {path.stem.split("_")[0] for path in text_photos} == set(TEXT_KINDS)
    for path, words in text_photos.items():
        with Image.open(path) as photo:
            lines = reader.read(photo)
        missing = {word.lower() for word in words} - words_read(lines)
        assert not missing, f"{path.name}: {sorted(missing)} not in {[x.text for x in lines]}"
        assert all(0.5 <= line.score <= 1.0 for line in lines)


def test_lines_come_top_to_bottom_with_boxes_around_their_text(reader: TextReader) -> None:
    photo, words = make_text_photo("receipt", np.random.default_rng(3))
    lines = reader.read(photo)
    shop = " ".join(words[: words.index("INVOICE")])
    assert lines[0].text == shop, "the shop's name heads the receipt"
    total = next(line for line in lines if line.text == "Total")
    for line in (lines[0], total):
        xs, ys = zip(*line.box, strict=True)
        assert 0 <= min(xs) < max(xs) <= photo.width
        assert 0 <= min(ys) < max(ys) <= photo.height
    assert min(y for _, y in total.box) > max(y for _, y in lines[0].box)


def test_a_photo_larger_than_max_side_is_read_with_boxes_in_its_own_pixels(
    reader: TextReader,
) -> None:
    photo, _ = make_text_photo("slide", np.random.default_rng(4))
    scale = 2 * MAX_SIDE / photo.width
    big = photo.resize((round(photo.width * scale), round(photo.height * scale)))
    small_lines, big_lines = reader.read(photo), reader.read(big)
    assert [line.text for line in big_lines] == [line.text for line in small_lines]
    for small, large in zip(small_lines, big_lines, strict=True):
        corners = np.array(large.box) / scale
        assert np.abs(corners - np.array(small.box)).max() < 6.0, (small, large)


def test_a_photo_without_text_gives_no_lines_and_writes_nothing_to_the_terminal(
    reader: TextReader, capfd: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(8)
    for colour, shape in CLASSES[::4]:
        assert reader.read(make_photo(colour, shape, rng, size=(640, 480))) == []
    assert reader.read(Image.new("L", (300, 200), 128)) == []
    assert reader.read(Image.new("RGB", (0, 0))) == []
    out, err = capfd.readouterr()
    assert out == err == ""


@pytest.mark.slow
def test_reading_needs_no_network(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import json, socket, sys

        def refuse(*args, **kwargs):
            raise OSError("no network in this test")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        sys.path.insert(0, {str(TESTS)!r})
        import numpy as np
        from texts import make_text_photo
        from photofind.core.model.ocr import TextReader

        photo, words = make_text_photo("screenshot", np.random.default_rng(5))
        lines = TextReader().read(photo)
        print(json.dumps({{"words": words, "read": [line.text for line in lines]}}))
        """
    )
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert " ".join(result["read"]).split() == result["words"]
