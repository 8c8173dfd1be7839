"""The curated models: their published figures hold together, and their speed on this
machine is measured from their shape alone, remembered, and measured again when the
remembered speeds cannot be read."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from photofind.core.model.catalog import MODELS
from photofind.core.model.ref import DEFAULT_MODEL
from photofind.core.model.speed import SPEEDS_FILE, Speed, measure_speed, speeds_here

TINY_SHAPE = json.loads(
    (Path(__file__).parents[2] / "fixture_model" / "tiny-clip" / "config.json").read_text()
)


def test_the_list_is_short_and_offers_the_default_and_a_multilingual_model() -> None:
    by_id = {model.hub_id: model for model in MODELS}
    assert 4 <= len(MODELS) <= 5 and len(by_id) == len(MODELS)
    assert by_id[DEFAULT_MODEL].quality == "59.4 English"
    multilingual = by_id["google/siglip-base-patch16-256-multilingual"]
    assert multilingual.languages.startswith("Multilingual")
    assert multilingual.quality == "69.4 English, 66.9 Chinese"


def test_each_download_size_is_what_its_shape_weighs_in_float32() -> None:
    """The shape is the one measured for speed, so it must be the published model's: its
    parameters, four bytes each, come to the published download size."""
    import torch
    import transformers

    for model in MODELS:
        config = transformers.AutoConfig.for_model(**model.shape)
        with torch.device("meta"):
            built = transformers.AutoModel.from_config(config)
        megabytes = 4 * sum(p.numel() for p in built.parameters()) / 1e6
        assert megabytes == pytest.approx(model.download_mb, rel=0.01), model.hub_id


def test_quality_says_not_published_rather_than_a_guess() -> None:
    unknown = replace(MODELS[0], recall_english=None, recall_chinese=None)
    assert unknown.quality == "not published"
    assert [model.download for model in MODELS[:2]] == ["605 MB", "1.7 GB"]


def test_a_bigger_image_takes_longer_to_encode() -> None:
    small = measure_speed(TINY_SHAPE, "cpu")
    vision = {
        **TINY_SHAPE["vision_config"],
        "image_size": 4 * TINY_SHAPE["vision_config"]["image_size"],
    }
    big = measure_speed({**TINY_SHAPE, "vision_config": vision}, "cpu")
    assert small.device == big.device == "cpu"
    assert small.photos_per_second > 1.5 * big.photos_per_second > 0


def test_speeds_are_measured_once_then_remembered_and_rebuilt_when_unreadable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shapes = [TINY_SHAPE, MODELS[0].shape]
    cancel = threading.Event()
    first = dict(_first_only(speeds_here(shapes, "cpu", tmp_path, cancel), cancel))
    assert list(first) == [0]
    assert first[0] is not None and first[0].photos_per_second > 0
    # Cancelled before the second: only the first is remembered.
    assert dict(speeds_here(shapes[:1], "cpu", tmp_path)) == first

    (tmp_path / SPEEDS_FILE).write_text("{not json")
    with caplog.at_level(logging.WARNING):
        again = dict(speeds_here(shapes[:1], "cpu", tmp_path))
    assert "could not be read" in caplog.text
    assert isinstance(again[0], Speed) and again[0] != first[0]  # measured anew
    assert dict(speeds_here(shapes[:1], "cpu", tmp_path)) == again


def _first_only(pairs, cancel: threading.Event):  # type: ignore[no-untyped-def]
    for pair in pairs:
        yield pair
        cancel.set()
