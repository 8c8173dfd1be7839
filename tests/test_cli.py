"""The CLI contract, end to end with the tiny real CLIP: what a user or script would see."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import (
    PER_CLASS,
    last_json,
    path_bytes,
    run_cli,
    run_cli_measured,
    run_cli_process,
)
from hostile import decompression_bomb_png, png_with_header
from PIL import Image
from shapes import CLASSES, caption, make_photo

from photofind.core.library import Library

TOTAL = PER_CLASS * len(CLASSES)


def _kind(path: str) -> tuple[str, str]:
    colour, shape, _ = Path(path).name.split("_")
    return colour, shape


@pytest.fixture(scope="session")
def indexed(tmp_path_factory: pytest.TempPathFactory, model_dir: Path, shapes_dir: Path) -> Path:
    """A data dir holding the indexed shapes folder."""
    data = tmp_path_factory.mktemp("data")
    code, out, _ = cli(data, model_dir, "index", str(shapes_dir), "--json")
    assert code == 0
    assert last_json(out) == {
        "encoded": TOTAL,
        "reused": 0,
        "removed": 0,
        "failed": 0,
        "unchanged": 0,
    }
    return data


def cli(data: Path, model: Path, *argv: str) -> tuple[int, str, str]:
    return run_cli("--data-dir", str(data), "--model", str(model), *argv)


@pytest.mark.parametrize(("colour", "shape"), CLASSES)
def test_text_search_ranks_the_described_photos_first(
    indexed: Path, model_dir: Path, colour: str, shape: str
) -> None:
    code, out, _ = cli(
        indexed, model_dir, "search", caption(colour, shape), "--top", "10", "--json"
    )
    assert code == 0
    hits = last_json(out)
    assert isinstance(hits, list) and len(hits) == 10
    assert all(Path(h["path"]).is_absolute() and isinstance(h["score"], float) for h in hits)
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    precision = sum(_kind(h["path"]) == (colour, shape) for h in hits) / len(hits)
    assert precision >= 0.9, f"{caption(colour, shape)}: precision@10 {precision:.2f}"


def test_similar_ranks_photos_of_the_same_kind_first(
    indexed: Path, model_dir: Path, shapes_dir: Path
) -> None:
    precisions = []
    for colour, shape in CLASSES:
        query = sorted(shapes_dir.glob(f"{colour}_{shape}_*.jpg"))[0]
        code, out, _ = cli(indexed, model_dir, "similar", str(query), "--top", "5", "--json")
        assert code == 0
        hits = last_json(out)
        assert str(query) not in [h["path"] for h in hits]  # never its own result
        assert _kind(hits[0]["path"]) == (colour, shape), f"{query.name} -> {hits[0]['path']}"
        precisions.append(sum(_kind(h["path"]) == (colour, shape) for h in hits) / len(hits))
    assert np.mean(precisions) >= 0.9


def test_similar_accepts_a_photo_outside_the_library(
    indexed: Path, model_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "query.png"
    make_photo("blue", "triangle", np.random.default_rng(99)).save(outside)
    code, out, _ = cli(indexed, model_dir, "similar", str(outside), "--top", "3", "--json")
    assert code == 0
    assert all(_kind(h["path"]) == ("blue", "triangle") for h in last_json(out))


def test_an_exif_rotated_copy_is_found_as_the_nearest_twin(
    model_dir: Path, tmp_path: Path, shapes_dir: Path
) -> None:
    library = tmp_path / "lib"
    shutil.copytree(shapes_dir, library)
    original = sorted(library.glob("green_square_*.jpg"))[0]
    image = Image.open(original)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned a quarter; the viewer turns it back
    image.transpose(Image.Transpose.ROTATE_90).save(library / "twin.jpg", quality=95, exif=exif)
    data = tmp_path / "data"
    assert cli(data, model_dir, "index", str(library))[0] == 0
    code, out, _ = cli(data, model_dir, "similar", str(original), "--top", "3", "--json")
    assert code == 0
    hits = last_json(out)
    assert hits[0]["path"] == str(library / "twin.jpg")
    assert hits[0]["score"] > 0.98


def _hostile_folder(folder: Path) -> dict[str, bytes]:
    rng = np.random.default_rng(5)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (300, 300, 3), dtype=np.uint8)).save(buf, "JPEG")
    files = {
        "empty.jpg": b"",
        "truncated.jpg": buf.getvalue()[:2000],
        "letter.jpg": b"Dear diary, this is not a photo.\n" * 20,
        "noise.png": bytes(rng.integers(0, 256, 10_000, dtype=np.uint8)),
        "bomb.png": decompression_bomb_png(),
        "giant-header.png": png_with_header(2**31, 2**31),
    }
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    for i, (colour, shape) in enumerate([("red", "circle"), ("blue", "square")]):
        make_photo(colour, shape, np.random.default_rng(i)).save(
            folder / f"{colour}_{shape}_000.jpg"
        )
    return files


@pytest.mark.slow
def test_broken_files_are_recorded_as_failed_and_never_returned(
    tmp_path: Path, model_dir: Path
) -> None:
    folder = tmp_path / "hostile"
    broken = _hostile_folder(folder)
    env = {"PHOTOFIND_DATA_DIR": str(tmp_path / "data"), "PHOTOFIND_MODEL": str(model_dir)}
    proc, peak_mib = run_cli_measured("index", str(folder), "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    counts = last_json(proc.stdout)
    assert counts["failed"] == len(broken) and counts["encoded"] == 2
    # Memory stays bounded: the bombs were refused from their headers, never decoded.
    assert peak_mib < 2048

    status = last_json(run_cli_process("status", "--json", "--failed", env=env).stdout)
    assert status["failed"] == len(broken) and status["photos"] == 2
    reasons = {Path(f["path"]).name: f["reason"] for f in status["failures"]}
    assert set(reasons) == set(broken) and all(reasons.values())
    assert "too large" in reasons["bomb.png"]

    hits = last_json(run_cli_process("search", "a photo of a red circle", "--json", env=env).stdout)
    assert [Path(h["path"]).name for h in hits] == ["red_circle_000.jpg", "blue_square_000.jpg"]


def test_unchanged_folder_is_not_encoded_again_nor_is_the_model_loaded(
    indexed: Path, model_dir: Path, shapes_dir: Path
) -> None:
    code, out, _ = cli(indexed, model_dir, "index", str(shapes_dir), "--json")
    assert code == 0
    assert last_json(out) == {
        "encoded": 0,
        "reused": 0,
        "removed": 0,
        "failed": 0,
        "unchanged": TOTAL,
    }
    library = Library(indexed, str(model_dir))
    for _ in library.index():
        pass
    assert not library.encoder_loaded  # the whole run needed no model
    library.close()


def test_renamed_deleted_and_copied_photos_need_no_encoding(
    model_dir: Path, shapes_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "Pictures"
    shutil.copytree(shapes_dir, root / "trip")
    data = tmp_path / "data"
    assert cli(data, model_dir, "index", str(root))[0] == 0

    (root / "trip").rename(root / "holiday 2024")
    deleted = root / "holiday 2024" / "red_circle_000.jpg"
    deleted.unlink()
    copied = root / "red_circle_copy.jpg"
    shutil.copy(root / "holiday 2024" / "red_circle_001.jpg", copied)

    code, out, _ = cli(data, model_dir, "index", str(root), "--json")
    assert code == 0
    assert last_json(out) == {
        "encoded": 0,
        "reused": TOTAL,
        "removed": TOTAL,
        "failed": 0,
        "unchanged": 0,
    }

    code, out, _ = cli(
        data, model_dir, "search", "a photo of a red circle", "--top", "50", "--json"
    )
    paths = [h["path"] for h in last_json(out)]
    assert str(copied) in paths
    assert str(root / "holiday 2024" / "red_circle_001.jpg") in paths
    assert not any("/trip/" in p for p in paths)
    assert str(deleted) not in paths


def test_identical_new_files_are_encoded_once(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "dups"
    folder.mkdir()
    make_photo("yellow", "circle", np.random.default_rng(3)).save(folder / "a.jpg")
    for name in ("b.jpg", "c.jpg"):
        shutil.copy(folder / "a.jpg", folder / name)
    code, out, _ = cli(tmp_path / "data", model_dir, "index", str(folder), "--json")
    assert code == 0
    assert last_json(out) == {"encoded": 1, "reused": 2, "removed": 0, "failed": 0, "unchanged": 0}


def test_status_and_folders(model_dir: Path, shapes_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out, _ = cli(data, model_dir, "status", "--json")
    assert code == 0
    status = last_json(out)
    assert status == {
        "photos": 0,
        "failed": 0,
        "pending": 0,
        "folders": [],
        "model": str(model_dir),
        "device": "cpu",
        "index": "exact",
    }
    assert cli(data, model_dir, "folders", "add", str(shapes_dir))[0] == 0
    assert cli(data, model_dir, "folders", "list")[1].split() == [str(shapes_dir)]
    code, out, _ = cli(data, model_dir, "status")
    assert code == 0 and "Photos indexed: 0" in out and str(shapes_dir) in out
    assert cli(data, model_dir, "folders", "remove", str(shapes_dir))[0] == 0
    assert cli(data, model_dir, "folders", "list")[1] == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["index", "/no/such/folder"], "folder not found: /no/such/folder"),
        (["search", "cats", "--top", "0"], "must be at least 1"),
        (["search", "cats", "--top", "many"], "whole number"),
        (["--device", "tpu", "status"], "--device must be one of"),
        (["frobnicate"], "invalid choice"),
        (["folders", "add"], "needs a PATH"),
        (["folders", "remove", "/not/a/library/folder"], "not a library folder"),
        (["similar", "/no/such/photo.jpg"], "photo not found"),
        (["search", "   "], "search text is empty"),
        (
            ["--model", "/no/such/model", "search", "cats"],
            "model folder '/no/such/model' does not exist",
        ),
    ],
)
def test_user_mistakes_exit_2_with_one_line(
    model_dir: Path, tmp_path: Path, argv: list[str], message: str
) -> None:
    argv = ["--model", str(model_dir), *argv] if "--model" not in argv else argv
    code, out, err = run_cli("--data-dir", str(tmp_path / "data"), *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
    assert out == ""


def test_a_folder_that_is_not_a_model_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty-model").mkdir()
    code, _, err = run_cli(
        "--data-dir",
        str(tmp_path / "d"),
        "--model",
        str(tmp_path / "empty-model"),
        "search",
        "cat",
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "cannot load folder" in err


@pytest.mark.parametrize(
    "env",
    [{"HF_HUB_OFFLINE": "1"}, {"HF_ENDPOINT": "http://127.0.0.1:9"}],
    ids=["offline-mode", "hub-unreachable"],
)
def test_default_model_without_network_exits_2_naming_the_model_and_the_way_out(
    tmp_path: Path, env: dict[str, str]
) -> None:
    proc = run_cli_process("--data-dir", str(tmp_path / "d"), "search", "a dog", env=env)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "openai/clip-vit-base-patch32" in lines[0] and "--model" in lines[0]


@pytest.mark.slow
def test_watch_indexes_new_and_removes_deleted_photos(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    folder.mkdir()
    make_photo("red", "circle", np.random.default_rng(0)).save(folder / "first.jpg")
    env = {
        **os.environ,
        "PHOTOFIND_DATA_DIR": str(tmp_path / "data"),
        "PHOTOFIND_MODEL": str(model_dir),
        "PYTHONFAULTHANDLER": "1",
    }
    assert run_cli_process("index", str(folder), env=env).returncode == 0
    watch = subprocess.Popen(
        [sys.executable, "-m", "photofind", "watch"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        make_photo("blue", "square", np.random.default_rng(1)).save(folder / "second.jpg")
        (folder / "first.jpg").unlink()

        def names() -> list[str]:
            proc = run_cli_process("search", "a photo of a blue square", "--json", env=env)
            return [Path(h["path"]).name for h in last_json(proc.stdout)]

        deadline = time.monotonic() + 120
        while names() != ["second.jpg"] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert names() == ["second.jpg"]
    finally:
        watch.send_signal(signal.SIGINT)
        try:
            _, err = watch.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            # PYTHONFAULTHANDLER makes SIGABRT print every thread's stack: where it hangs.
            watch.send_signal(signal.SIGABRT)
            _, err = watch.communicate(timeout=30)
            raise AssertionError(f"watch did not stop on Ctrl+C:\n{err}") from None
    assert watch.returncode == 0, err
    assert "Traceback" not in err


def test_file_names_that_are_not_utf8_are_indexed_and_found(
    model_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "odd names"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/caf\xe9 \xff.jpg"  # Latin-1 bytes: not valid UTF-8
    make_photo("red", "circle", np.random.default_rng(7)).save(os.fsdecode(raw), "JPEG")
    data = tmp_path / "data"
    code, out, _ = cli(data, model_dir, "index", str(folder), "--json")
    assert code == 0 and last_json(out)["encoded"] == 1
    code, out, _ = cli(data, model_dir, "search", "a photo of a red circle", "--json")
    # JSON text is Unicode: the name's exact bytes come in base64 beside a readable path.
    hits = last_json(out)
    assert [path_bytes(h) for h in hits] == [raw] and "path_bytes" in hits[0]
    assert hits[0]["path"].endswith("caf\ufffd \ufffd.jpg")
    code, out, _ = cli(data, model_dir, "search", "a photo of a red circle")
    assert code == 0 and "caf" in out
