"""The text stage's guarantees (issue #18): a photo that cannot be read for text is recorded
as failed with its reason and the rest are read; a run stopped while reading goes on where
it left off; only photos judged likely to hold text are read unless every photo is asked
for. Real OCR on photos with text rendered on them (tests/texts.py)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from shapes import generate_folder
from texts import generate_text_folder

from photofind.core.library import Library

pytestmark = pytest.mark.slow  # the OCR engine reads a few photos


def _index(library: Library, cancel: threading.Event | None = None) -> list[str]:
    return [p.phase for p in library.index(cancel=cancel)]


def _states(library: Library, folder: Path) -> dict[str, str]:
    found = {p.name: library.text_in(str(p)) for p in sorted(folder.rglob("*.jpg"))}
    return {name: text.state if text else "" for name, text in found.items()}


def test_a_photo_broken_since_it_was_encoded_is_recorded_as_failed_and_the_rest_are_read(
    tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = generate_text_folder(tmp_path / "papers", per_kind=1, seed=8)
    library = Library(tmp_path / "data", str(model_dir), "cpu")
    library.add_folders([str(tmp_path / "papers")])
    _index(library)  # PHOTOFIND_OCR is off in the tests: encoded, not read
    broken = next(iter(texts))
    stat = broken.stat()
    broken.write_bytes(b"\xff\xd8\xff" + b"\0" * (stat.st_size - 3))  # same size and time
    os.utime(broken, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    monkeypatch.setenv("PHOTOFIND_OCR", "all")
    assert "texts" in _index(library)
    states = _states(library, tmp_path / "papers")
    assert states.pop(broken.name) == "failed"
    assert set(states.values()) == {"read"}
    text = library.text_in(str(broken))
    assert text is not None and text.error
    library.close()


def test_a_run_stopped_while_reading_goes_on_where_it_left_off(
    tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_text_folder(tmp_path / "papers", per_kind=1, seed=9)
    monkeypatch.setenv("PHOTOFIND_OCR", "all")
    library = Library(tmp_path / "data", str(model_dir), "cpu")
    library.add_folders([str(tmp_path / "papers")])
    cancel = threading.Event()
    for progress in library.index(cancel=cancel):
        if progress.phase == "texts" and progress.done == 1:
            cancel.set()
    # The photo being read when the run was stopped is finished; none is started after it.
    first = _states(library, tmp_path / "papers")
    assert "read" in first.values() and "" in first.values()
    _index(library)
    assert set(_states(library, tmp_path / "papers").values()) == {"read"}
    assert library.store.text_counts()["read"] == 3
    library.close()


def test_auto_reads_only_the_photos_judged_to_hold_text(
    tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_text_folder(tmp_path / "pics" / "papers", per_kind=1, seed=10)
    generate_folder(tmp_path / "pics" / "shapes", per_class=1, seed=10)
    monkeypatch.setenv("PHOTOFIND_OCR", "auto")
    library = Library(tmp_path / "data", str(model_dir), "cpu")
    library.add_folders([str(tmp_path / "pics")])
    _index(library)
    assert set(_states(library, tmp_path / "pics" / "papers").values()) == {"read"}
    assert set(_states(library, tmp_path / "pics" / "shapes").values()) == {"skipped"}
    monkeypatch.setenv("PHOTOFIND_OCR", "off")
    assert "texts" not in _index(library)
    library.close()
