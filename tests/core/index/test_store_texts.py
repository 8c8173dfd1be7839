"""Text read in photos, in the store: kept by content, found by its words in any case and
with or without accents, in any script, and kept by a photo that moves."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from photofind.core.index.store import Encoded, Reused, Store, TextLine
from photofind.core.photos.photo import PhotoInfo


@pytest.fixture
def store() -> Store:
    s = Store(sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False))
    s.add_folder("/p")
    model = s.model_id("m", 4)
    vector = np.array([1, 0, 0, 0], dtype=np.float32)
    info = PhotoInfo(10, 10, None)
    s.write(
        [Encoded(f"/p/{name}.jpg", 1, 1.0, name, info, vector) for name in ("a", "b", "c")],
        model,
    )
    return s


def _line(text: str) -> TextLine:
    return TextLine(text, (0, 0, 10, 10))


def _found(store: Store, *phrases: str) -> set[str]:
    ids = store.ids_with_words(list(phrases))
    return set(store.paths(list(ids)).values())


def test_a_phrase_finds_the_photos_holding_it_ignoring_case_and_accents(store: Store) -> None:
    store.save_text("a", [_line("INVOICE 2024"), _line("Café Lumière")])
    store.save_text("b", [_line("Invoice 2023")])
    assert _found(store, "invoice 2024") == {"/p/a.jpg"}
    assert _found(store, "invoice") == {"/p/a.jpg", "/p/b.jpg"}
    assert _found(store, "cafe lumiere") == {"/p/a.jpg"}
    assert _found(store, "invoice", "café") == {"/p/a.jpg"}
    assert _found(store, "receipt") == set()


def test_short_words_and_words_without_spaces_are_found(store: Store) -> None:
    store.save_text("a", [_line("北京市 发票")])
    store.save_text("b", [_line("Go to page 7")])
    assert _found(store, "北京") == {"/p/a.jpg"}  # two characters: fewer than a trigram
    assert _found(store, "北京市") == {"/p/a.jpg"}
    assert _found(store, "go") == {"/p/b.jpg"}


def test_reading_again_replaces_the_text_and_its_index(store: Store) -> None:
    store.save_text("a", [_line("old words")])
    store.save_text("a", [_line("new words")])
    assert _found(store, "old words") == set()
    assert _found(store, "new words") == {"/p/a.jpg"}
    pid = store.photo_id("/p/a.jpg")
    assert pid is not None
    text = store.photo_text(pid)
    assert text is not None and [line.text for line in text.lines] == ["new words"]


def test_a_moved_photo_keeps_its_text_without_being_read_again(store: Store) -> None:
    store.save_text("a", [_line("Lighthouse Bakery")])
    source = store.photo_id("/p/a.jpg")
    assert source is not None
    store.write([Reused("/p/moved.jpg", 1, 2.0, "a", source)], None)
    store.delete_photos([source])
    assert _found(store, "lighthouse") == {"/p/moved.jpg"}
    assert store.contents_to_read(every=True, limit=-1) == [
        ("b", "/p/b.jpg"),
        ("c", "/p/c.jpg"),
    ]


def test_only_content_judged_likely_is_read_unless_every_photo_is_asked_for(store: Store) -> None:
    model = store.find_model("m")
    assert model is not None
    judged = {h for h, _ in store.contents_to_judge(model)}
    assert judged == {"a", "b", "c"}
    store.judge_contents(pending=["a"], skipped=["b", "c"])
    assert store.contents_to_judge(model) == []
    assert [h for h, _ in store.contents_to_read(every=False, limit=-1)] == ["a"]
    assert {h for h, _ in store.contents_to_read(every=True, limit=-1)} == {"a", "b", "c"}
    store.save_text("a", [])
    store.text_failed("b", "cannot read")
    assert [h for h, _ in store.contents_to_read(every=True, limit=-1)] == ["c"]
    assert store.text_counts() == {
        "read": 1, "with_text": 0, "pending": 0, "skipped": 1, "failed": 1
    }  # fmt: skip
