"""Derived files in the cache folder: made once, read by the next process, made again when
what they come from changes or when they cannot be read, and never fatal."""

from __future__ import annotations

import logging
import marshal
from pathlib import Path

import pytest

from photofind.core.cache import kept


class Maker:
    def __init__(self, value: object) -> None:
        self.value, self.calls = value, 0

    def __call__(self) -> object:
        self.calls += 1
        return self.value


def test_a_value_is_made_once_and_then_read(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "names.marshal"
    make = Maker({"lisbon": "city\tPT"})
    assert kept(path, "v1", make) == {"lisbon": "city\tPT"}
    assert kept(path, "v1", Maker("never made")) == {"lisbon": "city\tPT"}
    assert make.calls == 1


def test_a_value_made_from_other_data_is_made_again(tmp_path: Path) -> None:
    path = tmp_path / "names.marshal"
    kept(path, "v1", Maker([1, 2]))
    again = Maker([3])
    assert kept(path, "v2", again) == [3] and again.calls == 1
    assert kept(path, "v2", Maker("never made")) == [3]


def test_a_damaged_file_is_made_again_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "names.marshal"
    path.write_bytes(b"\x00not marshal at all")
    with caplog.at_level(logging.WARNING, logger="photofind.core.cache"):
        assert kept(path, "v1", Maker((1, "a"))) == (1, "a")
    assert "cannot be read" in caplog.text
    assert kept(path, "v1", Maker("never made")) == (1, "a")


def test_a_folder_that_cannot_be_written_costs_only_the_making(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    path = tmp_path / "a-file" / "names.marshal"
    with caplog.at_level(logging.WARNING, logger="photofind.core.cache"):
        assert kept(path, "v1", Maker("made")) == "made"
        assert kept(path, "v1", Maker("made again")) == "made again"
    assert "cannot be written" in caplog.text


def test_a_value_marshal_cannot_keep_is_still_returned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Name(str):
        pass

    with caplog.at_level(logging.WARNING, logger="photofind.core.cache"):
        assert kept(tmp_path / "odd.marshal", "v1", Maker([Name("Lisbon")])) == ["Lisbon"]
    assert "cannot be written" in caplog.text


def test_a_file_from_another_version_is_made_again_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "names.marshal"
    path.write_bytes(marshal.dumps({"stamp": "old", "places": {}}))
    with caplog.at_level(logging.INFO, logger="photofind.core.cache"):
        assert kept(path, "v1", Maker({"a": "b"})) == {"a": "b"}
    assert [r.levelname for r in caplog.records] == ["INFO"]
